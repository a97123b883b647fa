//! Documents translated whole, their formatting kept: each block's text with its inline markup
//! lifted out ([`inline`]) goes through segmentation and the model exactly as the same text
//! without markup would ([`blocks`]), and the inline elements are put back around the words of
//! the translation their words became ([`placement`]), read from the model's cross-attention
//! ([`words`]). HTML and XHTML are read by [`html`]; DOCX, PPTX, ODT and ODP paragraphs by
//! [`xml`], inside their zip packages ([`package`], EPUB's XHTML chapters too).

pub mod blocks;
mod format;
pub mod html;
pub mod inline;
pub mod package;
pub mod placement;
pub mod words;
pub mod xml;

use crate::translate::{TranslateError, Translation, Translator};

pub use blocks::BlockReport;
pub use format::{DocumentError, Format, TranslatedDocument};
pub use package::translate_html_text;

/// Translate the document `input` of `format`: every block's sentences handed to `translate`
/// at once (the caller batches them and reports progress), word alignment read from
/// `translator`. The same structure comes back, its text English.
pub fn translate_document(
    input: &[u8],
    format: Format,
    translator: &Translator,
    translate: impl FnOnce(&[&str]) -> Result<Vec<Translation>, TranslateError>,
) -> Result<TranslatedDocument, DocumentError> {
    match format {
        Format::Html => package::translate_html_file(input, translator, translate),
        _ => package::translate_package(input, format, translator, translate),
    }
}

/// Check that `input` can be read as `format` (a package opened, its text parts parsed) without
/// translating: what a caller runs before loading a model.
pub fn check_document(input: &[u8], format: Format) -> Result<(), DocumentError> {
    match format {
        Format::Html if input.starts_with(b"PK\x03\x04") => Err(package::zip_as_html()),
        Format::Html => Ok(()),
        _ => package::check_package(input, format),
    }
}

/// The plain text of every block of a document (inline markup lifted, whitespace collapsed), in
/// order: what the model reads, and what a corpus takes from the document.
pub fn plain_blocks(input: &[u8], format: Format) -> Result<Vec<String>, DocumentError> {
    package::plain_blocks(input, format)
}

//! Documents translated whole, their formatting kept: each block's text with its inline markup
//! lifted out ([`inline`]) goes through segmentation and the model exactly as the same text
//! without markup would ([`blocks`]), and the inline elements are put back around the words of
//! the translation their words became ([`placement`]), read from the model's cross-attention
//! ([`words`]). HTML and XHTML are read by [`html`]; DOCX, PPTX, ODT and ODP paragraphs by
//! [`xml`], inside their zip packages ([`package`], EPUB's XHTML chapters too).

pub mod blocks;
pub mod html;
pub mod inline;
pub mod package;
pub mod placement;
pub mod words;
pub mod xml;

use std::path::Path;

use crate::translate::{TranslateError, Translation, Translator};

pub use blocks::BlockReport;
pub use package::translate_html_text;

/// A document format entente translates whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Html,
    Docx,
    Odt,
    Odp,
    Pptx,
    Epub,
}

impl Format {
    pub const ALL: [Format; 6] = [
        Format::Html,
        Format::Docx,
        Format::Odt,
        Format::Odp,
        Format::Pptx,
        Format::Epub,
    ];

    /// The format's usual file extension (and name on the command line).
    pub fn extension(self) -> &'static str {
        match self {
            Format::Html => "html",
            Format::Docx => "docx",
            Format::Odt => "odt",
            Format::Odp => "odp",
            Format::Pptx => "pptx",
            Format::Epub => "epub",
        }
    }

    /// The format a file name's extension names (`.htm`, `.xhtml` are HTML).
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "htm" | "xhtml" => Some(Format::Html),
            other => Format::ALL.into_iter().find(|f| f.extension() == other),
        }
    }

    /// The media type a translated file is served as.
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Html => "text/html; charset=utf-8",
            Format::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            Format::Odt => "application/vnd.oasis.opendocument.text",
            Format::Odp => "application/vnd.oasis.opendocument.presentation",
            Format::Pptx => {
                "application/vnd.openxmlformats-officedocument.presentationml.presentation"
            }
            Format::Epub => "application/epub+zip",
        }
    }
}

/// Why a document could not be translated; each names the part of the file.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error("not a {format} file: {why}")]
    NotThisFormat { format: &'static str, why: String },
    #[error("{part}: {why}")]
    Part { part: String, why: String },
    #[error("{what} is larger than the {limit}-byte limit (a zip bomb, or raise the limit)")]
    TooLarge { what: String, limit: u64 },
    #[error(transparent)]
    Translate(#[from] TranslateError),
}

/// A translated document: the file's bytes and what was done.
pub struct TranslatedDocument {
    pub bytes: Vec<u8>,
    pub report: BlockReport,
}

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

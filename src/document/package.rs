//! Files on disk to translated files: an HTML page decoded from its charset and written back in
//! it; zip packages (DOCX, PPTX, ODT, ODP, EPUB) whose text parts are read under limits (a zip
//! bomb is an error naming the part, not an exhausted machine), translated, and written back in
//! the same order with the same compression, every other entry copied as stored, without
//! being decompressed.

use std::io::{Cursor, Read, Write};

use zip::write::SimpleFileOptions;
use zip::ZipArchive;

use super::blocks::{translate_blocks, TranslatedBlock};
use super::format::{DocumentError, Format, TranslatedDocument};
use super::html::HtmlDocument;
use super::inline::InlineText;
use super::xml::{Profile, XmlPart, DOCX, ODF, PPTX};
use crate::translate::{TranslateError, Translation, Translator};

/// The most bytes one text part may inflate to (a long book's chapter or a report's body is a
/// few MiB; parsing holds a few times the part in memory).
pub const MAX_PART_BYTES: u64 = 64 << 20;
/// The most bytes all the text parts of a package may inflate to.
pub const MAX_TEXT_BYTES: u64 = 256 << 20;
/// The most entries a package may have.
pub const MAX_ENTRIES: usize = 100_000;

/// A part read and parsed.
enum Parsed<'s> {
    Html(HtmlDocument<'s>),
    Xml(XmlPart<'s>),
    /// An EPUB package document: no text to translate, its language made English.
    Metadata(&'s str),
}

impl Parsed<'_> {
    fn blocks(&self) -> &[InlineText] {
        match self {
            Parsed::Html(d) => &d.blocks,
            Parsed::Xml(d) => &d.blocks,
            Parsed::Metadata(_) => &[],
        }
    }

    fn tiles(&self) -> bool {
        matches!(self, Parsed::Xml(d) if d.tiles())
    }

    fn write(&self, translated: &[TranslatedBlock]) -> String {
        match self {
            Parsed::Html(d) => d.write(translated),
            Parsed::Xml(d) => d.write(translated),
            Parsed::Metadata(text) => english_metadata(text),
        }
    }
}

/// How a part of a package is read: as XHTML, as XML with a profile, or as EPUB metadata.
enum Reading {
    Html,
    Xml(&'static Profile),
    Metadata,
}

/// An EPUB package document with its French `dc:language` made English (e-readers choose
/// hyphenation and voice by it).
fn english_metadata(text: &str) -> String {
    static LANGUAGE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"(<dc:language(?:\s[^>]*)?>)\s*fr(?:-[A-Za-z]+)?\s*(</dc:language>)")
            .expect("a valid pattern")
    });
    LANGUAGE.replace_all(text, "${1}en${2}").into_owned()
}

/// Translate `parsed` parts together (one job for all their sentences); each part's text back.
fn translate_parts(
    parsed: &[Parsed],
    translator: &Translator,
    translate: impl FnOnce(&[&str]) -> Result<Vec<Translation>, TranslateError>,
) -> Result<(Vec<String>, super::blocks::BlockReport), DocumentError> {
    let blocks: Vec<InlineText> = parsed.iter().flat_map(|p| p.blocks().to_vec()).collect();
    let tiles: Vec<bool> = parsed
        .iter()
        .flat_map(|p| std::iter::repeat_n(p.tiles(), p.blocks().len()))
        .collect();
    let (translated, report) = translate_blocks(translator, &blocks, &tiles, translate)?;
    let mut next = 0;
    let texts = parsed
        .iter()
        .map(|p| {
            let n = p.blocks().len();
            let text = p.write(&translated[next..next + n]);
            next += n;
            text
        })
        .collect();
    Ok((texts, report))
}

/// An HTML fragment or document given as text (an API's `format: "html"`): translated as an
/// HTML file is, the text back.
pub fn translate_html_text(
    text: &str,
    translator: &Translator,
    translate: impl FnOnce(&[&str]) -> Result<Vec<Translation>, TranslateError>,
) -> Result<(String, super::blocks::BlockReport), DocumentError> {
    let parsed = [Parsed::Html(HtmlDocument::parse(text))];
    let (mut texts, report) = translate_parts(&parsed, translator, translate)?;
    Ok((texts.pop().unwrap_or_default(), report))
}

/// The error for a zip package read as HTML.
pub(super) fn zip_as_html() -> DocumentError {
    DocumentError::NotThisFormat {
        format: "HTML",
        why: "it is a zip package (a DOCX, ODT, PPTX or EPUB?): name its format".into(),
    }
}

/// An HTML file: decoded from its declared or detected charset, written back in it (characters
/// it cannot hold as numeric references).
pub fn translate_html_file(
    input: &[u8],
    translator: &Translator,
    translate: impl FnOnce(&[&str]) -> Result<Vec<Translation>, TranslateError>,
) -> Result<TranslatedDocument, DocumentError> {
    if input.starts_with(b"PK\x03\x04") {
        return Err(zip_as_html());
    }
    let (text, encoding) = crate::article::decode::decode_html(input, None);
    let parsed = [Parsed::Html(HtmlDocument::parse(&text))];
    let (mut texts, report) = translate_parts(&parsed, translator, translate)?;
    let out = texts.pop().unwrap_or_default();
    let encoding =
        encoding_rs::Encoding::for_label(encoding.as_bytes()).unwrap_or(encoding_rs::UTF_8);
    let (bytes, _, _) = encoding.encode(&out);
    Ok(TranslatedDocument {
        bytes: bytes.into_owned(),
        report,
    })
}

/// How `format` reads the entry `name` (`None`: copied as it is).
fn reading(format: Format, name: &str) -> Option<Reading> {
    let xml = name.ends_with(".xml");
    match format {
        Format::Docx => {
            let file = name.strip_prefix("word/")?;
            let text = file == "document.xml"
                || ["header", "footer", "footnotes", "endnotes"]
                    .iter()
                    .any(|p| file.starts_with(p));
            (xml && text && !file.contains('/')).then_some(Reading::Xml(&DOCX))
        }
        Format::Pptx => {
            let slide =
                name.starts_with("ppt/slides/slide") || name.starts_with("ppt/notesSlides/");
            (xml && slide && name.matches('/').count() == 2).then_some(Reading::Xml(&PPTX))
        }
        Format::Odt | Format::Odp => {
            matches!(name, "content.xml" | "styles.xml").then_some(Reading::Xml(&ODF))
        }
        Format::Epub => {
            let lower = name.to_ascii_lowercase();
            let page = [".xhtml", ".html", ".htm"]
                .iter()
                .any(|e| lower.ends_with(e));
            if lower.ends_with(".opf") {
                return Some(Reading::Metadata);
            }
            (page && !lower.starts_with("meta-inf/")).then_some(Reading::Html)
        }
        Format::Html => None,
    }
}

/// What a package of `format` must hold: an entry, and for ODF and EPUB the `mimetype` text.
fn required(format: Format) -> (&'static str, Option<&'static str>) {
    match format {
        Format::Docx => ("word/document.xml", None),
        Format::Pptx => ("ppt/presentation.xml", None),
        Format::Odt => ("mimetype", Some("application/vnd.oasis.opendocument.text")),
        Format::Odp => (
            "mimetype",
            Some("application/vnd.oasis.opendocument.presentation"),
        ),
        Format::Epub => ("mimetype", Some("application/epub+zip")),
        Format::Html => ("", None),
    }
}

/// Open `input` as a zip package of `format`, checked to be one.
fn open(input: &[u8], format: Format) -> Result<Package<'_>, DocumentError> {
    let not = |why: String| DocumentError::NotThisFormat {
        format: format.name(),
        why,
    };
    if input.starts_with(&[0xd0, 0xcf, 0x11, 0xe0]) {
        return Err(not(
            "it is an OLE compound file: a password-protected (encrypted) or legacy Office \
             document; save it without a password in the current format"
                .into(),
        ));
    }
    let mut archive =
        ZipArchive::new(Cursor::new(input)).map_err(|e| not(format!("not a zip package ({e})")))?;
    if archive.len() > MAX_ENTRIES {
        return Err(not(format!(
            "{} entries (at most {MAX_ENTRIES})",
            archive.len()
        )));
    }
    let (entry, mimetype) = required(format);
    let mut file = archive
        .by_name(entry)
        .map_err(|_| not(format!("it has no {entry}")))?;
    if let Some(want) = mimetype {
        let mut got = String::new();
        let _ = file.by_ref().take(256).read_to_string(&mut got);
        if got.trim() != want {
            return Err(not(format!("its mimetype is {:?}, not {want}", got.trim())));
        }
    }
    drop(file);
    if matches!(format, Format::Odt | Format::Odp) && archive.by_name("content.xml").is_err() {
        return Err(not("it has no content.xml".into()));
    }
    if format != Format::Docx && format != Format::Pptx {
        if let Ok(mut manifest) = archive.by_name("META-INF/manifest.xml") {
            let mut text = String::new();
            let _ = manifest
                .by_ref()
                .take(MAX_PART_BYTES)
                .read_to_string(&mut text);
            if text.contains("encryption-data") {
                return Err(not(
                    "it is encrypted (password-protected): save it without one".into(),
                ));
            }
        }
    }
    Ok(archive)
}

/// Read entry `i` as text, within the limits; `total` counts what all parts inflated to.
fn read_part(
    archive: &mut Package<'_>,
    i: usize,
    total: &mut u64,
) -> Result<String, DocumentError> {
    let mut file = archive.by_index(i).map_err(|e| DocumentError::Part {
        part: format!("entry {i}"),
        why: e.to_string(),
    })?;
    let name = file.name().to_string();
    if file.encrypted() {
        return Err(DocumentError::Part {
            part: name,
            why: "encrypted: save the document without a password".into(),
        });
    }
    let limit = MAX_PART_BYTES.min(MAX_TEXT_BYTES - *total);
    if file.size() > limit {
        return Err(DocumentError::TooLarge { what: name, limit });
    }
    // The declared size may lie (a bomb): the inflating itself is capped.
    let bytes = crate::article::decode::read_capped(file.by_ref(), limit as usize).map_err(
        |e| match e {
            crate::article::ArticleError::TooLarge { .. } => DocumentError::TooLarge {
                what: name.clone(),
                limit,
            },
            other => DocumentError::Part {
                part: name.clone(),
                why: other.to_string(),
            },
        },
    )?;
    *total += bytes.len() as u64;
    String::from_utf8(bytes).map_err(|e| DocumentError::Part {
        part: name,
        why: format!("not UTF-8 text (byte {})", e.utf8_error().valid_up_to()),
    })
}

/// A package's text parts as read: (entry, text, reading).
type TextParts = Vec<(usize, String, Reading)>;
/// A package opened from bytes in memory.
type Package<'b> = ZipArchive<Cursor<&'b [u8]>>;

fn read_parts(input: &[u8], format: Format) -> Result<(Package<'_>, TextParts), DocumentError> {
    let mut archive = open(input, format)?;
    let mut texts: TextParts = Vec::new();
    let mut total = 0;
    for i in 0..archive.len() {
        let name = archive.name_for_index(i).unwrap_or_default().to_string();
        if let Some(how) = reading(format, &name) {
            texts.push((i, read_part(&mut archive, i, &mut total)?, how));
        }
    }
    Ok((archive, texts))
}

/// Check that `input` is a package of `format` whose text parts can be read and parsed, without
/// translating anything (so that a bad file fails before a model loads).
pub fn check_package(input: &[u8], format: Format) -> Result<(), DocumentError> {
    let (archive, texts) = read_parts(input, format)?;
    parse_parts(&archive, &texts).map(|_| ())
}

fn parse_parts<'t>(
    archive: &Package<'_>,
    texts: &'t TextParts,
) -> Result<Vec<Parsed<'t>>, DocumentError> {
    texts
        .iter()
        .map(|(i, text, how)| {
            let name = archive.name_for_index(*i).unwrap_or_default();
            Ok(match how {
                Reading::Html => Parsed::Html(HtmlDocument::parse(text)),
                Reading::Xml(profile) => Parsed::Xml(XmlPart::parse(text, name, profile)?),
                Reading::Metadata => Parsed::Metadata(text),
            })
        })
        .collect()
}

/// Every block's plain text, in order (an HTML file, or a package's text parts).
pub fn plain_blocks(input: &[u8], format: Format) -> Result<Vec<String>, DocumentError> {
    let of = |parsed: &[Parsed]| -> Vec<String> {
        parsed
            .iter()
            .flat_map(|p| p.blocks().iter().map(|b| b.text.clone()))
            .collect()
    };
    if format == Format::Html {
        if input.starts_with(b"PK\x03\x04") {
            return Err(zip_as_html());
        }
        let (text, _) = crate::article::decode::decode_html(input, None);
        return Ok(of(&[Parsed::Html(HtmlDocument::parse(&text))]));
    }
    let (archive, texts) = read_parts(input, format)?;
    Ok(of(&parse_parts(&archive, &texts)?))
}

/// A zip package: its text parts translated, the rest copied.
pub fn translate_package(
    input: &[u8],
    format: Format,
    translator: &Translator,
    translate: impl FnOnce(&[&str]) -> Result<Vec<Translation>, TranslateError>,
) -> Result<TranslatedDocument, DocumentError> {
    let (mut archive, texts) = read_parts(input, format)?;
    let parsed = parse_parts(&archive, &texts)?;
    let (translated, report) = translate_parts(&parsed, translator, translate)?;
    let bytes = write_package(&mut archive, &texts, &translated)?;
    Ok(TranslatedDocument { bytes, report })
}

/// The package again: translated entries rewritten (same compression, same time stamp), the
/// others copied raw, all in the original order (ODF and EPUB need `mimetype` first, stored).
fn write_package(
    archive: &mut Package<'_>,
    texts: &[(usize, String, Reading)],
    translated: &[String],
) -> Result<Vec<u8>, DocumentError> {
    let failed = |e: zip::result::ZipError| DocumentError::Part {
        part: "output package".into(),
        why: e.to_string(),
    };
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let mut next = texts.iter().zip(translated).peekable();
    for i in 0..archive.len() {
        if let Some(((_, _, _), text)) = next.next_if(|((at, _, _), _)| *at == i) {
            let file = archive.by_index_raw(i).map_err(failed)?;
            let mut options = SimpleFileOptions::default().compression_method(file.compression());
            if let Some(time) = file.last_modified() {
                options = options.last_modified_time(time);
            }
            let name = file.name().to_string();
            drop(file);
            out.start_file(name, options).map_err(failed)?;
            out.write_all(text.as_bytes())
                .map_err(|e| failed(zip::result::ZipError::Io(e)))?;
        } else {
            let file = archive.by_index_raw(i).map_err(failed)?;
            out.raw_copy_file(file).map_err(failed)?;
        }
    }
    Ok(out.finish().map_err(failed)?.into_inner())
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_epub_s_french_language_becomes_english() {
        let opf = r#"<metadata><dc:language>fr</dc:language><dc:language id="x"> fr-FR </dc:language><dc:language>de</dc:language></metadata>"#;
        assert_eq!(
            super::english_metadata(opf),
            r#"<metadata><dc:language>en</dc:language><dc:language id="x">en</dc:language><dc:language>de</dc:language></metadata>"#
        );
    }
}

//! The document formats, what translating one gives, and why it can fail.

use std::path::Path;

use super::blocks::BlockReport;
use crate::translate::TranslateError;

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

    /// The format's name as people write it: HTML, DOCX, ODT, ODP, PPTX, EPUB.
    pub fn name(self) -> &'static str {
        match self {
            Format::Html => "HTML",
            Format::Docx => "DOCX",
            Format::Odt => "ODT",
            Format::Odp => "ODP",
            Format::Pptx => "PPTX",
            Format::Epub => "EPUB",
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

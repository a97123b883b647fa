//! What a found document is: its id, where its French (and English) text comes from, and the
//! metadata it carries. A leaf that `sources` (which finds documents) and `articles` (which
//! reads them) both use.

use std::path::PathBuf;

use serde_json::{Map, Value};

/// Where a document's text comes from.
#[derive(Debug, Clone)]
pub enum Origin {
    /// A saved page or a text file (the kind by its name, else by its first bytes).
    File(PathBuf),
    /// Text given inline (a manifest record's `text`).
    Inline(String),
    /// A page given inline (a manifest record's `html`).
    InlineHtml(String),
    /// Bytes read already (standard input), a page or text by their first bytes.
    Bytes { name: String, bytes: Vec<u8> },
    /// A page fetched when the run started (a URL of a list, fetched once), waiting on disk.
    Fetched(std::sync::Arc<Spooled>),
    /// The `record`-th record of a WARC crawl (an HTML response).
    WarcRecord { path: PathBuf, record: usize },
}

/// A fetched page kept in a temporary file until its turn, so that a long URL list does not
/// hold every page in memory; the file goes when the last copy of its document does.
#[derive(Debug)]
pub struct Spooled {
    file: tempfile::NamedTempFile,
    /// The page without its bytes.
    page: crate::article::Document,
}

impl Spooled {
    pub fn new(mut page: crate::article::Document) -> std::io::Result<Spooled> {
        use std::io::Write;
        let mut file = tempfile::NamedTempFile::new()?;
        file.write_all(&page.bytes)?;
        file.flush()?;
        page.bytes = Vec::new();
        Ok(Spooled { file, page })
    }

    /// The page, read back.
    pub fn page(&self) -> std::io::Result<crate::article::Document> {
        let mut page = self.page.clone();
        page.bytes = std::fs::read(self.file.path())?;
        Ok(page)
    }
}

/// A document found by `sources::discover`.
#[derive(Debug, Clone)]
pub struct DocSpec {
    /// Relative path without extension (and without `.fr`), or the manifest record's `id`.
    pub id: String,
    /// Where it was found, for messages.
    pub source: String,
    pub french: Origin,
    /// The English version, for parallel mode.
    pub english: Option<Origin>,
    /// Metadata carried into every output (`url`, `outlet`, `date`, `title`, …).
    pub meta: Map<String, Value>,
}

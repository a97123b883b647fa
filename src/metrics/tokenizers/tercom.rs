//! TER's tokenizer (sacreBLEU's `TercomTokenizer`, a port of tercom's Normalizer): lowercasing
//! unless case-sensitive, optional normalization and punctuation removal. Asian-script support is
//! not offered.

use super::regexp;
use crate::metrics::pytext;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tercom {
    pub normalized: bool,
    pub no_punct: bool,
    pub case_sensitive: bool,
}

impl Tercom {
    pub fn tokenize(&self, sent: &str) -> String {
        if sent.is_empty() {
            return String::new();
        }
        let mut sent = if self.case_sensitive {
            sent.to_string()
        } else {
            pytext::lower(sent)
        };
        if self.normalized {
            sent = normalize_general_and_western(&sent);
        }
        if self.no_punct {
            sent.retain(|c| !".,?:;!\"()".contains(c));
        }
        pytext::normalize_spaces(&sent)
    }
}

/// `_normalize_general_and_western`: tercom's normalization for Western languages.
fn normalize_general_and_western(sent: &str) -> String {
    let sent = sent
        .replace("\n-", "")
        .replace('\n', " ")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">");
    let sent = regexp::pad_symbols(&format!(" {sent} "));
    let mut sent = sent.replace("'s ", " 's ");
    if let Some(stem) = sent.strip_suffix("'s") {
        sent = format!("{stem} 's");
    }
    regexp::split_punctuation_after_symbols(&sent)
}

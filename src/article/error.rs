//! Why no article came out of an input: each error says what to do or what was wrong.

/// Why no article came out of an input.
#[derive(Debug, thiserror::Error)]
pub enum ArticleError {
    #[error("no article found (the page holds no run of prose)")]
    NoArticle,
    #[error("the input is empty")]
    Empty,
    #[error("not a web page or text: {0}")]
    Binary(String),
    #[error("larger than the limit of {limit} bytes once decompressed")]
    TooLarge { limit: usize },
    #[error("{0}")]
    Corrupt(String),
    #[error("{0}")]
    Fetch(String),
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

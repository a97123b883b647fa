//! What an alignment is made of: links between groups of sentences, with their probability.

/// One link: source and target sentence indices (either may be empty), and its score: the
/// probability that the link belongs to the alignment (see [`super::AlignConfig::temperature`]), so
/// that a corpus can be filtered by it.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    pub src: Vec<usize>,
    pub tgt: Vec<usize>,
    pub score: f64,
}

/// The probability below which `entente align` drops a link by default: on the dev set, links
/// under it are mostly wrong (eval/align's calibration table; the README gives it).
pub const DEFAULT_MIN_SCORE: f64 = 0.5;

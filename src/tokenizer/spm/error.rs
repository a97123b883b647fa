//! What makes a `.spm` file unusable: the protobuf cut short or malformed (with the byte
//! offset), a model kind entente does not implement, or a corrupt normalization map.

/// Why a SentencePiece model cannot be read or used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpmError {
    #[error("truncated varint at byte {0}")]
    TruncatedVarint(usize),
    #[error("varint longer than 10 bytes at byte {0}")]
    LongVarint(usize),
    #[error("field of {len} bytes at byte {at} runs past the end")]
    PastEnd { len: usize, at: usize },
    #[error("length {0} too large")]
    TooLong(u64),
    #[error("unsupported wire type {wire} at byte {at}")]
    WireType { wire: u64, at: usize },
    #[error("{0} is not UTF-8")]
    NotUtf8(&'static str),
    #[error("no pieces: not a SentencePiece model")]
    NoPieces,
    #[error("model type {0} is not supported (only unigram models, type 1)")]
    ModelType(u64),
    #[error("the model has no unknown piece")]
    NoUnknownPiece,
    /// The precompiled normalization map, and what is wrong in it.
    #[error("bad precompiled normalization map: {0}")]
    CharsMap(String),
}

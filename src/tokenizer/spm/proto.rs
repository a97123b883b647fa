//! The `.spm` file: SentencePiece's `ModelProto` protobuf, read field by field without a
//! protobuf library (only the fields a unigram model's encoder and decoder need: pieces with
//! their scores and types, the trainer's unknown/control ids and the normalizer spec).

use super::error::SpmError;

/// The type of a piece, as stored in the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PieceType {
    Normal,
    Unknown,
    Control,
    UserDefined,
    Unused,
    Byte,
}

impl PieceType {
    fn from_proto(v: u64) -> Self {
        match v {
            2 => PieceType::Unknown,
            3 => PieceType::Control,
            4 => PieceType::UserDefined,
            5 => PieceType::Unused,
            6 => PieceType::Byte,
            _ => PieceType::Normal,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Piece {
    pub piece: String,
    pub score: f32,
    pub kind: PieceType,
}

/// The parts of `NormalizerSpec` that encoding depends on.
#[derive(Debug, Clone, PartialEq)]
pub struct NormalizerSpec {
    pub name: String,
    pub precompiled_charsmap: Vec<u8>,
    pub add_dummy_prefix: bool,
    pub remove_extra_whitespaces: bool,
    pub escape_whitespaces: bool,
}

impl Default for NormalizerSpec {
    fn default() -> Self {
        // protobuf defaults of sentencepiece_model.proto
        NormalizerSpec {
            name: String::new(),
            precompiled_charsmap: Vec::new(),
            add_dummy_prefix: true,
            remove_extra_whitespaces: true,
            escape_whitespaces: true,
        }
    }
}

/// A parsed `.spm` model.
#[derive(Debug, Clone)]
pub struct ModelProto {
    pub pieces: Vec<Piece>,
    pub normalizer: NormalizerSpec,
    /// 1 unigram, 2 BPE, 3 word, 4 char.
    pub model_type: u64,
    pub unk_surface: String,
    pub byte_fallback: bool,
}

/// A minimal protobuf reader: enough of the wire format for `ModelProto`.
struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

enum Field<'a> {
    Varint(u64),
    Fixed32(u32),
    Fixed64,
    Bytes(&'a [u8]),
}

impl<'a> Reader<'a> {
    fn new(data: &'a [u8]) -> Self {
        Reader { data, pos: 0 }
    }

    fn varint(&mut self) -> Result<u64, SpmError> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = *self
                .data
                .get(self.pos)
                .ok_or(SpmError::TruncatedVarint(self.pos))?;
            self.pos += 1;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(SpmError::LongVarint(self.pos))
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], SpmError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.data.len())
            .ok_or(SpmError::PastEnd {
                len: n,
                at: self.pos,
            })?;
        let slice = &self.data[self.pos..end];
        self.pos = end;
        Ok(slice)
    }

    /// The next `(field number, value)`, or None at the end.
    fn field(&mut self) -> Result<Option<(u64, Field<'a>)>, SpmError> {
        if self.pos >= self.data.len() {
            return Ok(None);
        }
        let at = self.pos;
        let key = self.varint()?;
        let value = match key & 7 {
            0 => Field::Varint(self.varint()?),
            1 => {
                self.take(8)?;
                Field::Fixed64
            }
            2 => {
                let len = self.varint()?;
                let len = usize::try_from(len).map_err(|_| SpmError::TooLong(len))?;
                Field::Bytes(self.take(len)?)
            }
            5 => Field::Fixed32(u32::from_le_bytes(
                self.take(4)?.try_into().expect("4 bytes"),
            )),
            wire => return Err(SpmError::WireType { wire, at }),
        };
        Ok(Some((key >> 3, value)))
    }
}

fn utf8(bytes: &[u8], what: &'static str) -> Result<String, SpmError> {
    String::from_utf8(bytes.to_vec()).map_err(|_| SpmError::NotUtf8(what))
}

fn parse_piece(data: &[u8]) -> Result<Piece, SpmError> {
    let mut r = Reader::new(data);
    let mut piece = Piece {
        piece: String::new(),
        score: 0.0,
        kind: PieceType::Normal,
    };
    while let Some((number, value)) = r.field()? {
        match (number, value) {
            (1, Field::Bytes(b)) => piece.piece = utf8(b, "a piece")?,
            (2, Field::Fixed32(bits)) => piece.score = f32::from_bits(bits),
            (3, Field::Varint(v)) => piece.kind = PieceType::from_proto(v),
            _ => {}
        }
    }
    Ok(piece)
}

fn parse_normalizer(data: &[u8]) -> Result<NormalizerSpec, SpmError> {
    let mut r = Reader::new(data);
    let mut spec = NormalizerSpec::default();
    while let Some((number, value)) = r.field()? {
        match (number, value) {
            (1, Field::Bytes(b)) => spec.name = utf8(b, "the normalizer name")?,
            (2, Field::Bytes(b)) => spec.precompiled_charsmap = b.to_vec(),
            (3, Field::Varint(v)) => spec.add_dummy_prefix = v != 0,
            (4, Field::Varint(v)) => spec.remove_extra_whitespaces = v != 0,
            (5, Field::Varint(v)) => spec.escape_whitespaces = v != 0,
            _ => {}
        }
    }
    Ok(spec)
}

impl ModelProto {
    /// Parse the bytes of a `.spm` file.
    pub fn parse(data: &[u8]) -> Result<Self, SpmError> {
        let mut r = Reader::new(data);
        let mut model = ModelProto {
            pieces: Vec::new(),
            normalizer: NormalizerSpec::default(),
            model_type: 1,
            unk_surface: " \u{2047} ".to_string(),
            byte_fallback: false,
        };
        while let Some((number, value)) = r.field()? {
            match (number, value) {
                (1, Field::Bytes(b)) => model.pieces.push(parse_piece(b)?),
                (2, Field::Bytes(b)) => {
                    let mut t = Reader::new(b);
                    while let Some((n, v)) = t.field()? {
                        match (n, v) {
                            (3, Field::Varint(v)) => model.model_type = v,
                            (35, Field::Varint(v)) => model.byte_fallback = v != 0,
                            (44, Field::Bytes(s)) => model.unk_surface = utf8(s, "unk_surface")?,
                            _ => {}
                        }
                    }
                }
                (3, Field::Bytes(b)) => model.normalizer = parse_normalizer(b)?,
                _ => {}
            }
        }
        if model.pieces.is_empty() {
            return Err(SpmError::NoPieces);
        }
        Ok(model)
    }
}

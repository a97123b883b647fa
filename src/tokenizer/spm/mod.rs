//! SentencePiece models read straight from `.spm` files (the `ModelProto` protobuf), with the
//! encoder and decoder SentencePiece applies for unigram models.
//!
//! Encoding: the model's precompiled normalization map (`nmt_nfkc` for opus-mt), SentencePiece's
//! whitespace rules (`remove_extra_whitespaces`, `add_dummy_prefix`, `escape_whitespaces`), then
//! SentencePiece's Viterbi segmentation over a byte trie of the matchable pieces, in `f32` like
//! SentencePiece (control and unknown pieces are never matched from text), with runs of unknown
//! characters fused into one piece. Decoding follows `DecodePieces`. The charsmap itself is the
//! `tokenizers` crate's `Precompiled` reader.

use std::collections::HashMap;
use std::path::Path;

use tokenizers::normalizers::precompiled::Precompiled;
use unicode_segmentation::UnicodeSegmentation;

mod error;
mod proto;

pub use proto::{ModelProto, NormalizerSpec, Piece, PieceType};

use crate::tokenizer::error::TokenizerError;
pub use error::SpmError;

/// SentencePiece's whitespace symbol.
pub const SPACE_SYMBOL: char = '▁';

/// A byte trie of the matchable pieces, flattened: each node's children are a sorted run of
/// `edges`.
struct PieceTrie {
    /// (first edge, number of edges, piece index or u32::MAX) per node; node 0 is the root.
    nodes: Vec<(u32, u32, u32)>,
    /// (byte, child node), sorted by byte within each node's run.
    edges: Vec<(u8, u32)>,
}

impl PieceTrie {
    fn build(pieces: &[(usize, &str)]) -> Self {
        // Build with sorted maps, then flatten breadth-first.
        let mut children: Vec<std::collections::BTreeMap<u8, usize>> = vec![Default::default()];
        let mut values: Vec<u32> = vec![u32::MAX];
        for &(index, piece) in pieces {
            let mut node = 0;
            for &b in piece.as_bytes() {
                node = match children[node].get(&b) {
                    Some(&next) => next,
                    None => {
                        children.push(Default::default());
                        values.push(u32::MAX);
                        let next = children.len() - 1;
                        children[node].insert(b, next);
                        next
                    }
                };
            }
            values[node] = index as u32;
        }
        let mut nodes = Vec::with_capacity(children.len());
        let mut edges = Vec::with_capacity(children.len());
        for (node, map) in children.iter().enumerate() {
            nodes.push((edges.len() as u32, map.len() as u32, values[node]));
            edges.extend(map.iter().map(|(&b, &child)| (b, child as u32)));
        }
        PieceTrie { nodes, edges }
    }

    fn child(&self, node: u32, byte: u8) -> Option<u32> {
        let (first, count, _) = self.nodes[node as usize];
        let run = &self.edges[first as usize..(first + count) as usize];
        run.binary_search_by_key(&byte, |&(b, _)| b)
            .ok()
            .map(|i| run[i].1)
    }
}

/// A SentencePiece unigram model ready to encode and decode.
pub struct SentencePiece {
    proto_pieces: Vec<Piece>,
    trie: PieceTrie,
    normalizer: Option<Precompiled>,
    spec: NormalizerSpec,
    /// Piece → type, for decoding.
    pieces: HashMap<String, PieceType>,
    unk_surface: String,
    min_score: f32,
    max_score: f32,
}

impl SentencePiece {
    /// Load a `.spm` file; errors name the file.
    pub fn load(path: &Path) -> Result<Self, TokenizerError> {
        let data = std::fs::read(path).map_err(|source| TokenizerError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let proto = ModelProto::parse(&data).map_err(|e| TokenizerError::BadSpm {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        Self::from_proto(proto).map_err(|e| TokenizerError::BadSpm {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })
    }

    pub fn from_proto(proto: ModelProto) -> Result<Self, SpmError> {
        if proto.model_type != 1 {
            return Err(SpmError::ModelType(proto.model_type));
        }
        if !proto.pieces.iter().any(|p| p.kind == PieceType::Unknown) {
            return Err(SpmError::NoUnknownPiece);
        }
        // SentencePiece matches normal, user-defined and unused pieces from text (unused ones
        // are then skipped); control and unknown pieces never.
        let matchable: Vec<(usize, &str)> = proto
            .pieces
            .iter()
            .enumerate()
            .filter(|(_, p)| {
                matches!(
                    p.kind,
                    PieceType::Normal | PieceType::UserDefined | PieceType::Unused
                )
            })
            .map(|(i, p)| (i, p.piece.as_str()))
            .collect();
        let trie = PieceTrie::build(&matchable);
        let normal_scores = proto
            .pieces
            .iter()
            .filter(|p| p.kind == PieceType::Normal)
            .map(|p| p.score);
        let min_score = normal_scores.clone().fold(f32::MAX, f32::min);
        let max_score = normal_scores.fold(f32::MIN, f32::max);
        let normalizer = if proto.normalizer.precompiled_charsmap.is_empty() {
            None
        } else {
            check_charsmap(&proto.normalizer.precompiled_charsmap).map_err(SpmError::CharsMap)?;
            Some(
                Precompiled::from(&proto.normalizer.precompiled_charsmap)
                    .map_err(|e| SpmError::CharsMap(e.to_string()))?,
            )
        };
        let pieces = proto
            .pieces
            .iter()
            .map(|p| (p.piece.clone(), p.kind))
            .collect();
        Ok(SentencePiece {
            proto_pieces: proto.pieces,
            trie,
            normalizer,
            spec: proto.normalizer,
            pieces,
            unk_surface: proto.unk_surface,
            min_score,
            max_score,
        })
    }

    /// The precompiled character map applied grapheme by grapheme (as the `tokenizers` crate's
    /// `Precompiled` normalizer, which matches SentencePiece on real text).
    fn apply_charsmap(&self, text: &str) -> String {
        let Some(map) = &self.normalizer else {
            return text.to_string();
        };
        let mut out = String::with_capacity(text.len());
        for grapheme in text.graphemes(true) {
            if grapheme.len() < 6 {
                if let Some(norm) = map.transform(grapheme) {
                    out.push_str(norm);
                    continue;
                }
            }
            for (i, c) in grapheme.char_indices() {
                let part = &grapheme[i..i + c.len_utf8()];
                match map.transform(part) {
                    Some(norm) => out.push_str(norm),
                    None => out.push(c),
                }
            }
        }
        out
    }

    /// SentencePiece's normalization: the charsmap, then its whitespace rules.
    pub fn normalize(&self, text: &str) -> String {
        let mapped = self.apply_charsmap(text);
        let mut out = String::with_capacity(mapped.len() + 3);
        if self.spec.add_dummy_prefix {
            out.push(' ');
        }
        let mut previous_space = self.spec.remove_extra_whitespaces || self.spec.add_dummy_prefix;
        for c in mapped.chars() {
            if c == ' ' {
                if previous_space && self.spec.remove_extra_whitespaces {
                    continue;
                }
                previous_space = true;
            } else {
                previous_space = false;
            }
            out.push(c);
        }
        if self.spec.remove_extra_whitespaces {
            while out.ends_with(' ') {
                out.pop();
            }
        }
        if self.spec.escape_whitespaces {
            out = out.replace(' ', "▁");
        }
        out
    }

    /// The pieces of `text`, as `SentencePieceProcessor.encode(text, out_type=str)`.
    pub fn encode(&self, text: &str) -> Vec<String> {
        let mut pieces = Vec::new();
        self.encode_with(text, |piece| pieces.push(piece.to_string()));
        pieces
    }

    /// The pieces of `text`, in order, handed to `each` without an allocation per piece (a
    /// 50 MB line is tens of millions of pieces).
    pub fn encode_with(&self, text: &str, each: impl FnMut(&str)) {
        let normalized = self.normalize(text);
        self.segment(&normalized).into_iter().for_each(each);
    }

    /// SentencePiece's Viterbi segmentation (`EncodeOptimized`, in `f32` as SentencePiece),
    /// runs of unknown characters fused into one piece.
    fn segment<'a>(&self, normalized: &'a str) -> Vec<&'a str> {
        const UNK_PENALTY: f32 = 10.0;
        let bytes = normalized.as_bytes();
        let size = bytes.len();
        if size == 0 {
            return Vec::new();
        }
        let unk_score = self.min_score - UNK_PENALTY;
        // (best score, piece index or UNKNOWN, start of the last piece or usize::MAX): 16 bytes
        // per byte of text, the bulk of the memory a long line takes.
        let mut best: Vec<(f32, u32, usize)> = vec![(0.0, UNKNOWN, usize::MAX); size + 1];
        let mut start = 0;
        while start < size {
            let till_here = best[start].0;
            let char_len = normalized[start..].chars().next().map_or(1, char::len_utf8);
            let mut has_single_node = false;
            let mut node = 0u32;
            for (pos, &b) in bytes.iter().enumerate().skip(start) {
                let Some(next) = self.trie.child(node, b) else {
                    break;
                };
                node = next;
                let index = self.trie.nodes[node as usize].2;
                if index == u32::MAX {
                    continue;
                }
                let piece = &self.proto_pieces[index as usize];
                if piece.kind == PieceType::Unused {
                    continue;
                }
                let end = pos + 1;
                let length = end - start;
                let score = if piece.kind == PieceType::UserDefined {
                    length as f32 * self.max_score - 0.1
                } else {
                    piece.score
                };
                let candidate = score + till_here;
                let target = &mut best[end];
                if target.2 == usize::MAX || candidate > target.0 {
                    *target = (candidate, index, start);
                }
                if length == char_len {
                    has_single_node = true;
                }
            }
            if !has_single_node {
                let candidate = unk_score + till_here;
                let target = &mut best[start + char_len];
                if target.2 == usize::MAX || candidate > target.0 {
                    *target = (candidate, UNKNOWN, start);
                }
            }
            start += char_len;
        }
        backtrack(normalized, &best)
    }
    /// Text of pieces, as `SentencePieceProcessor.decode_pieces`.
    pub fn decode_pieces<S: AsRef<str>>(&self, pieces: &[S]) -> String {
        let mut text = String::new();
        let mut at_start = true;
        for piece in pieces {
            let piece = piece.as_ref();
            let surface = match self.pieces.get(piece) {
                Some(PieceType::Control) => String::new(),
                Some(PieceType::Unknown) => self.unk_surface.clone(),
                // A piece the model does not know is copied as it is.
                None => piece.to_string(),
                Some(_) => {
                    let mut p = piece;
                    if at_start
                        && (self.spec.add_dummy_prefix || self.spec.remove_extra_whitespaces)
                    {
                        p = p.strip_prefix(SPACE_SYMBOL).unwrap_or(p);
                    }
                    p.replace(SPACE_SYMBOL, " ")
                }
            };
            if at_start && !surface.is_empty() {
                at_start = false;
            }
            text.push_str(&surface);
        }
        text
    }
}

/// A lattice cell's piece when no piece of the vocabulary covers the character.
const UNKNOWN: u32 = u32::MAX;

/// The pieces of the best path through `best` (per end byte: score, piece or [`UNKNOWN`],
/// start), consecutive unknown pieces fused into one.
fn backtrack<'a>(normalized: &'a str, best: &[(f32, u32, usize)]) -> Vec<&'a str> {
    let mut pieces: Vec<&str> = Vec::new();
    let mut end = normalized.len();
    let mut unknown_start: Option<usize> = None;
    let mut unknown_end = 0;
    while end > 0 {
        let (_, index, start) = best[end];
        if index == UNKNOWN {
            if unknown_start.is_none() {
                unknown_end = end;
            }
            unknown_start = Some(start);
        } else {
            if let Some(u) = unknown_start.take() {
                pieces.push(&normalized[u..unknown_end]);
            }
            pieces.push(&normalized[start..end]);
        }
        end = start;
    }
    if let Some(u) = unknown_start {
        pieces.push(&normalized[u..unknown_end]);
    }
    pieces.reverse();
    pieces
}

/// Check a precompiled normalization map before use: its double-array trie is walked from the
/// root over every byte label, and each transition and leaf must stay inside the array and each
/// leaf's offset inside the normalized strings, on a character boundary. The `tokenizers`
/// crate's reader indexes the array without checks, so a corrupt `.spm` file would otherwise
/// panic on the first character that reaches a bad cell (found by fuzzing).
fn check_charsmap(bytes: &[u8]) -> Result<(), String> {
    let word = |at: usize| -> Option<usize> {
        bytes
            .get(at..at + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    };
    let trie_bytes = word(0).ok_or("shorter than its header")?;
    let units = trie_bytes / 4;
    if 4 + units * 4 > bytes.len() {
        return Err("the trie is longer than the map".into());
    }
    let array: Vec<usize> = (0..units).map(|i| word(4 + 4 * i).unwrap_or(0)).collect();
    let normalized = std::str::from_utf8(&bytes[4 + units * 4..])
        .map_err(|_| "the normalized strings are not UTF-8".to_string())?;
    // The unit layout of darts-clone, as the reader decodes it.
    let has_leaf = |u: usize| (u >> 8) & 1 == 1;
    let value = |u: usize| u & ((1usize << 31) - 1);
    let label = |u: usize| u & ((1usize << 31) | 0xFF);
    let offset = |u: usize| (u >> 10) << ((u & (1usize << 9)) >> 6);
    let root = *array.first().ok_or("the trie is empty")?;
    let mut seen = vec![false; array.len()];
    let mut stack = vec![offset(root)];
    while let Some(node) = stack.pop() {
        if node < seen.len() {
            if seen[node] {
                continue;
            }
            seen[node] = true;
        }
        for c in 1..=255usize {
            let child = node ^ c;
            let unit = *array
                .get(child)
                .ok_or_else(|| format!("trie cell {child} is outside its {} cells", array.len()))?;
            if label(unit) != c {
                continue;
            }
            let next = child ^ offset(unit);
            if has_leaf(unit) {
                let leaf = *array
                    .get(next)
                    .ok_or_else(|| format!("trie leaf {next} is outside the array"))?;
                let at = value(leaf);
                if at > normalized.len() || !normalized.is_char_boundary(at) {
                    return Err(format!(
                        "a mapping points at byte {at} of the normalized strings"
                    ));
                }
            }
            if next >= array.len() {
                return Err(format!(
                    "trie cell {next} is outside its {} cells",
                    array.len()
                ));
            }
            stack.push(next);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncated_and_foreign_data_are_errors() {
        assert!(ModelProto::parse(b"").is_err());
        assert!(ModelProto::parse(b"\x0a\x05ab").is_err()); // length past the end
        assert!(ModelProto::parse(b"{\"not\": \"protobuf\"}").is_err());
        assert!(ModelProto::parse(&[0x0f]).is_err()); // wire type 7
    }
}

//! transformers' `MarianTokenizer`, rebuilt from an opus-mt model's own files: `source.spm`,
//! `target.spm`, `vocab.json` (piece → model id; `target_vocab.json` too with separate
//! vocabularies) and `tokenizer_config.json`.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

use super::error::TokenizerError;
use super::spm::SentencePiece;

/// The special tokens MarianTokenizer knows, in the order transformers lists them.
const SPECIAL_TOKENS: [&str; 3] = ["</s>", "<unk>", "<pad>"];

#[derive(Debug, Default, Deserialize)]
struct TokenizerConfig {
    #[serde(default)]
    separate_vocabs: bool,
    #[serde(default)]
    model_max_length: Option<usize>,
}

/// A batch of encoded sentences, right-padded to the longest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    pub ids: Vec<Vec<u32>>,
    /// 1 for real tokens, 0 for padding.
    pub attention_mask: Vec<Vec<u32>>,
}

/// MarianTokenizer: SentencePiece pieces mapped to model ids through `vocab.json`.
pub struct MarianTokenizer {
    source: SentencePiece,
    target: SentencePiece,
    encoder: HashMap<String, u32>,
    /// Target-side piece → id (the same map unless `separate_vocabs`).
    target_encoder: Option<HashMap<String, u32>>,
    /// id → piece for decoding (from the target vocabulary with separate vocabularies).
    decoder: HashMap<u32, String>,
    separate_vocabs: bool,
    eos_id: u32,
    unk_id: u32,
    pad_id: u32,
    model_max_length: usize,
}

fn read_vocab(path: &Path) -> Result<HashMap<String, u32>, TokenizerError> {
    let text = std::fs::read_to_string(path).map_err(|source| TokenizerError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_vocab(&text, path)
}

/// Parse the text of a `vocab.json` (`{piece: id}`); `path` names it in errors.
pub fn parse_vocab(text: &str, path: &Path) -> Result<HashMap<String, u32>, TokenizerError> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| TokenizerError::BadVocab {
            path: path.to_path_buf(),
            reason: format!("not JSON: {e}"),
        })?;
    let object = value.as_object().ok_or_else(|| TokenizerError::BadVocab {
        path: path.to_path_buf(),
        reason: "expected a JSON object mapping pieces to ids".into(),
    })?;
    object
        .iter()
        .map(|(piece, id)| {
            let bad = |what: &str| TokenizerError::BadVocab {
                path: path.to_path_buf(),
                reason: format!("the id of {piece:?} {what}: {id}"),
            };
            let id = match id.as_u64() {
                Some(v) => {
                    u32::try_from(v).map_err(|_| bad("is out of range (ids must be below 2^32)"))?
                }
                None if id.is_i64() => return Err(bad("is negative")),
                None => return Err(bad("is not an integer")),
            };
            Ok((piece.clone(), id))
        })
        .collect()
}

impl MarianTokenizer {
    /// Load from a model directory holding `source.spm`, `target.spm`, `vocab.json` and
    /// optionally `tokenizer_config.json` and `target_vocab.json`.
    pub fn from_dir(dir: &Path) -> Result<Self, TokenizerError> {
        let config_path = dir.join("tokenizer_config.json");
        let config: TokenizerConfig = if config_path.exists() {
            let text =
                std::fs::read_to_string(&config_path).map_err(|source| TokenizerError::Io {
                    path: config_path.clone(),
                    source,
                })?;
            serde_json::from_str(&text).map_err(|e| TokenizerError::BadConfig {
                path: config_path.clone(),
                reason: e.to_string(),
            })?
        } else {
            TokenizerConfig::default()
        };
        let target_vocab = config
            .separate_vocabs
            .then(|| dir.join("target_vocab.json"));
        Self::from_files(
            &dir.join("source.spm"),
            &dir.join("target.spm"),
            &dir.join("vocab.json"),
            target_vocab.as_deref(),
            config.model_max_length.unwrap_or(512),
        )
    }

    pub fn from_files(
        source_spm: &Path,
        target_spm: &Path,
        vocab: &Path,
        target_vocab: Option<&Path>,
        model_max_length: usize,
    ) -> Result<Self, TokenizerError> {
        let source = SentencePiece::load(source_spm)?;
        let target = SentencePiece::load(target_spm)?;
        let encoder = read_vocab(vocab)?;
        let special = |name: &str, path: &Path, map: &HashMap<String, u32>| {
            map.get(name)
                .copied()
                .ok_or_else(|| TokenizerError::MissingToken {
                    path: path.to_path_buf(),
                    token: name.to_string(),
                })
        };
        let unk_id = special("<unk>", vocab, &encoder)?;
        let eos_id = special("</s>", vocab, &encoder)?;
        let pad_id = special("<pad>", vocab, &encoder)?;
        let target_encoder = target_vocab.map(read_vocab).transpose()?;
        let decoder = target_encoder
            .as_ref()
            .unwrap_or(&encoder)
            .iter()
            .map(|(piece, &id)| (id, piece.clone()))
            .collect();
        Ok(MarianTokenizer {
            source,
            target,
            encoder,
            separate_vocabs: target_encoder.is_some(),
            target_encoder,
            decoder,
            eos_id,
            unk_id,
            pad_id,
            model_max_length,
        })
    }

    /// The largest id encoding can produce (any vocabulary entry of the source side).
    pub fn max_source_id(&self) -> u32 {
        self.encoder.values().copied().max().unwrap_or(0)
    }

    pub fn eos_id(&self) -> u32 {
        self.eos_id
    }

    pub fn pad_id(&self) -> u32 {
        self.pad_id
    }

    pub fn unk_id(&self) -> u32 {
        self.unk_id
    }

    /// The longest input the model was trained for (`model_max_length`).
    pub fn model_max_length(&self) -> usize {
        self.model_max_length
    }

    fn spm(&self, target: bool) -> &SentencePiece {
        if target {
            &self.target
        } else {
            &self.source
        }
    }

    /// Tokens of `text` as MarianTokenizer's `tokenize`: special tokens (`</s>`, `<unk>`,
    /// `<pad>`) written in the text are kept whole, a leading `>>xx<<` language code is one token,
    /// the rest is SentencePiece pieces.
    pub fn tokenize(&self, text: &str, target: bool) -> Vec<String> {
        let mut tokens = Vec::new();
        self.tokenize_with(text, target, |token| tokens.push(token.to_string()));
        tokens
    }

    /// [`tokenize`](Self::tokenize)'s tokens handed to `each` in order, without a `String` per
    /// token: ids are looked up from these (a 50 MB line took 80 bytes per byte of text as
    /// strings).
    fn tokenize_with(&self, text: &str, target: bool, mut each: impl FnMut(&str)) {
        let spm = self.spm(target);
        for (chunk, is_special) in split_special(text) {
            if is_special {
                each(chunk);
                continue;
            }
            let mut rest = chunk;
            // remove_language_code: ">>" at the start up to the first "<<".
            if let Some(end) = rest.strip_prefix(">>").and_then(|r| r.find("<<")) {
                let code_len = 2 + end + 2;
                each(&rest[..code_len]);
                rest = &rest[code_len..];
            }
            spm.encode_with(rest, &mut each);
        }
    }

    fn token_id(&self, token: &str, target: bool) -> u32 {
        let map = match (&self.target_encoder, target) {
            (Some(t), true) => t,
            _ => &self.encoder,
        };
        map.get(token).copied().unwrap_or(self.unk_id)
    }

    /// The ids the model receives for `text`, `</s>` appended (MarianTokenizer's `input_ids`).
    pub fn encode(&self, text: &str) -> Vec<u32> {
        self.encode_side(text, false)
    }

    /// Target-side ids (`tokenizer(text_target=…)`), `</s>` appended.
    pub fn encode_target(&self, text: &str) -> Vec<u32> {
        self.encode_side(text, true)
    }

    fn encode_side(&self, text: &str, target: bool) -> Vec<u32> {
        let mut ids = Vec::new();
        self.tokenize_with(text, target, |token| ids.push(self.token_id(token, target)));
        ids.push(self.eos_id);
        ids
    }

    /// Encode several sentences, right-padded with the pad id, with attention masks.
    pub fn encode_batch<S: AsRef<str>>(&self, texts: &[S]) -> Batch {
        let encoded: Vec<Vec<u32>> = texts.iter().map(|t| self.encode(t.as_ref())).collect();
        let longest = encoded.iter().map(Vec::len).max().unwrap_or(0);
        let attention_mask = encoded
            .iter()
            .map(|ids| {
                let mut mask = vec![1; ids.len()];
                mask.resize(longest, 0);
                mask
            })
            .collect();
        let ids = encoded
            .into_iter()
            .map(|mut ids| {
                ids.resize(longest, self.pad_id);
                ids
            })
            .collect();
        Batch {
            ids,
            attention_mask,
        }
    }

    /// Is `id` one of the special tokens (`</s>`, `<unk>`, `<pad>`)?
    pub fn is_special(&self, id: u32) -> bool {
        id == self.eos_id || id == self.unk_id || id == self.pad_id
    }

    /// The piece of an id, as `convert_ids_to_tokens` (the unknown token for ids the vocabulary
    /// lacks).
    pub fn id_to_token(&self, id: u32) -> &str {
        self.decoder.get(&id).map_or("<unk>", String::as_str)
    }

    /// Text of generated ids: MarianTokenizer's `decode(ids, skip_special_tokens=True)`.
    pub fn decode(&self, ids: &[u32]) -> String {
        let tokens: Vec<&str> = ids
            .iter()
            .filter(|&&id| !self.is_special(id))
            .map(|&id| self.id_to_token(id))
            .collect();
        // Like transformers, a shared vocabulary decodes with the source SentencePiece model.
        let spm = self.spm(self.separate_vocabs);
        let text = spm.decode_pieces(&tokens).replace('▁', " ");
        crate::metrics::pytext::strip(&text).to_string()
    }
}

/// Split text around the special tokens written in it: `(chunk, is_special)` in order.
fn split_special(text: &str) -> Vec<(&str, bool)> {
    let mut parts = Vec::new();
    let mut rest = text;
    let mut start = 0;
    while let Some((at, token)) = SPECIAL_TOKENS
        .iter()
        .filter_map(|t| rest.find(t).map(|i| (i, *t)))
        .min_by_key(|&(i, t)| (i, std::cmp::Reverse(t.len())))
    {
        if at > 0 {
            parts.push((&text[start..start + at], false));
        }
        parts.push((&text[start + at..start + at + token.len()], true));
        start += at + token.len();
        rest = &text[start..];
    }
    if !rest.is_empty() {
        parts.push((rest, false));
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::split_special;

    #[test]
    fn special_tokens_are_split_out() {
        assert_eq!(
            split_special("a</s>b <unk>"),
            [("a", false), ("</s>", true), ("b ", false), ("<unk>", true)]
        );
        assert_eq!(split_special("plain"), [("plain", false)]);
        assert!(split_special("").is_empty());
    }
}

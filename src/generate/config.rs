//! Generation settings, read from a model's `generation_config.json` (or `config.json`) with
//! transformers' defaults, then overridden by the user.

use serde::Deserialize;

/// How generation runs; field meanings are transformers' `GenerationConfig`.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerationConfig {
    pub num_beams: usize,
    /// Total length including the decoder start token.
    pub max_length: usize,
    pub min_length: usize,
    pub min_new_tokens: Option<usize>,
    pub length_penalty: f32,
    /// Only `false` (transformers' default and opus-mt's) has the heuristic implemented;
    /// `true` stops a sentence once `num_beams` hypotheses are finished.
    pub early_stopping: bool,
    pub eos_token_id: u32,
    pub pad_token_id: u32,
    pub decoder_start_token_id: u32,
    pub forced_eos_token_id: Option<u32>,
    /// Single-token `bad_words_ids`.
    pub banned_tokens: Vec<u32>,
    pub renormalize_logits: bool,
    /// transformers' `repetition_penalty`: scores of tokens already in the sequence are
    /// multiplied (negative) or divided (positive) by it; 1.0 is off.
    pub repetition_penalty: f32,
    /// transformers' `no_repeat_ngram_size`: no n-gram of this size occurs twice; 0 is off.
    pub no_repeat_ngram_size: usize,
}

/// The search options a user may change per run or per request (the CLI's `--beams` …, the
/// server's fields, the Python package's keywords); `None` keeps the model's setting.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchOverrides {
    pub beams: Option<usize>,
    pub max_new_tokens: Option<usize>,
    pub min_new_tokens: Option<usize>,
    pub length_penalty: Option<f32>,
    pub no_repeat_ngram_size: Option<usize>,
    pub repetition_penalty: Option<f32>,
}

impl SearchOverrides {
    /// Whether any option is set.
    pub fn any(&self) -> bool {
        *self != SearchOverrides::default()
    }

    /// `config` with these options applied (check it against the model afterwards).
    pub fn apply(&self, config: &mut GenerationConfig) {
        if let Some(b) = self.beams {
            config.num_beams = b;
        }
        if let Some(n) = self.max_new_tokens {
            config.set_max_new_tokens(n);
        }
        if let Some(n) = self.min_new_tokens {
            config.min_new_tokens = Some(n);
        }
        if let Some(lp) = self.length_penalty {
            config.length_penalty = lp;
        }
        if let Some(n) = self.no_repeat_ngram_size {
            config.no_repeat_ngram_size = n;
        }
        if let Some(p) = self.repetition_penalty {
            config.repetition_penalty = p;
        }
    }
}

/// Options of transformers' `GenerationConfig` that change the output and that entente does not
/// implement, with the value that leaves them off. A configuration setting one of them otherwise
/// is refused instead of silently ignored.
const UNSUPPORTED: &[(&str, &str)] = &[
    (
        "do_sample",
        "false (entente implements greedy and beam search, not sampling)",
    ),
    ("num_beam_groups", "1 (diverse beam search)"),
    ("diversity_penalty", "0.0 (diverse beam search)"),
    ("num_return_sequences", "1"),
    ("encoder_repetition_penalty", "1.0"),
    ("encoder_no_repeat_ngram_size", "0"),
    ("penalty_alpha", "null (contrastive search)"),
    ("sequence_bias", "null"),
    ("suppress_tokens", "null"),
    ("begin_suppress_tokens", "null"),
    ("forced_bos_token_id", "null"),
    ("exponential_decay_length_penalty", "null"),
    ("guidance_scale", "null or 1.0"),
    ("constraints", "null"),
    ("force_words_ids", "null"),
    ("remove_invalid_values", "false"),
    ("max_time", "null"),
    ("stop_strings", "null"),
    ("prompt_lookup_num_tokens", "null"),
    ("watermarking_config", "null"),
];

/// Is `value` the setting that leaves option `name` off?
fn is_off(name: &str, value: &serde_json::Value) -> bool {
    use serde_json::Value;
    match value {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => {
            let x = n.as_f64().unwrap_or(f64::NAN);
            match name {
                "num_beam_groups"
                | "num_return_sequences"
                | "encoder_repetition_penalty"
                | "guidance_scale" => x == 1.0,
                _ => x == 0.0,
            }
        }
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// Why generation settings (a model's, or a user's overrides) cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error("not valid JSON: {0}")]
    Json(String),
    #[error("not a JSON object")]
    NotAnObject,
    #[error(
        "{field} = {value} is not supported by entente (it would change the output); set it to \
         {off} or remove it"
    )]
    Unsupported {
        field: String,
        value: String,
        off: String,
    },
    #[error("no {0} in the model's configuration")]
    Missing(&'static str),
    #[error("multi-token bad_words_ids are not supported")]
    MultiTokenBadWords,
    #[error("early_stopping {0} is not supported")]
    EarlyStopping(String),
    /// A setting out of its range against the model: the field and why.
    #[error("{reason}")]
    Invalid { field: &'static str, reason: String },
}

/// Refuse options of [`UNSUPPORTED`] that are switched on in the JSON text.
fn refuse_unsupported(text: &str) -> Result<(), SettingsError> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| SettingsError::Json(e.to_string()))?;
    let Some(map) = value.as_object() else {
        return Err(SettingsError::NotAnObject);
    };
    for (name, off) in UNSUPPORTED {
        if let Some(v) = map.get(*name) {
            if !is_off(name, v) {
                return Err(SettingsError::Unsupported {
                    field: name.to_string(),
                    value: v.to_string(),
                    off: off.to_string(),
                });
            }
        }
    }
    Ok(())
}

#[derive(Deserialize, Default)]
struct Raw {
    num_beams: Option<usize>,
    max_length: Option<usize>,
    min_length: Option<usize>,
    min_new_tokens: Option<usize>,
    max_new_tokens: Option<usize>,
    length_penalty: Option<f32>,
    early_stopping: Option<serde_json::Value>,
    eos_token_id: Option<serde_json::Value>,
    pad_token_id: Option<u32>,
    decoder_start_token_id: Option<u32>,
    forced_eos_token_id: Option<serde_json::Value>,
    bad_words_ids: Option<Vec<Vec<u32>>>,
    renormalize_logits: Option<bool>,
    repetition_penalty: Option<f32>,
    no_repeat_ngram_size: Option<usize>,
}

fn first_id(v: &Option<serde_json::Value>) -> Option<u32> {
    match v.as_ref()? {
        serde_json::Value::Number(n) => n.as_u64().and_then(|x| u32::try_from(x).ok()),
        serde_json::Value::Array(a) => a.first()?.as_u64().and_then(|x| u32::try_from(x).ok()),
        _ => None,
    }
}

impl GenerationConfig {
    /// Build from the JSON text of `generation_config.json` (preferred) or `config.json`; fields
    /// missing from the first are taken from the second, then from transformers' defaults.
    pub fn from_json(generation: Option<&str>, model_config: &str) -> Result<Self, SettingsError> {
        let parse = |text: &str| {
            serde_json::from_str::<Raw>(text).map_err(|e| SettingsError::Json(e.to_string()))
        };
        let g = match generation {
            Some(text) => {
                refuse_unsupported(text)?;
                parse(text)?
            }
            None => Raw::default(),
        };
        refuse_unsupported(model_config)?;
        let m = parse(model_config)?;
        let eos = first_id(&g.eos_token_id)
            .or(first_id(&m.eos_token_id))
            .ok_or(SettingsError::Missing("eos_token_id"))?;
        let pad = g
            .pad_token_id
            .or(m.pad_token_id)
            .ok_or(SettingsError::Missing("pad_token_id"))?;
        let start = g
            .decoder_start_token_id
            .or(m.decoder_start_token_id)
            .unwrap_or(pad);
        let bad: Vec<Vec<u32>> = g.bad_words_ids.or(m.bad_words_ids).unwrap_or_default();
        if bad.iter().any(|w| w.len() != 1) {
            return Err(SettingsError::MultiTokenBadWords);
        }
        let early = g.early_stopping.or(m.early_stopping);
        let early_stopping = match early {
            None | Some(serde_json::Value::Bool(false)) => false,
            Some(serde_json::Value::Bool(true)) => true,
            Some(other) => return Err(SettingsError::EarlyStopping(other.to_string())),
        };
        let max_new = g.max_new_tokens.or(m.max_new_tokens);
        let max_length = match max_new {
            Some(n) => n + 1,
            None => g.max_length.or(m.max_length).unwrap_or(20),
        };
        Ok(GenerationConfig {
            num_beams: g.num_beams.or(m.num_beams).unwrap_or(1),
            max_length,
            min_length: g.min_length.or(m.min_length).unwrap_or(0),
            min_new_tokens: g.min_new_tokens.or(m.min_new_tokens),
            length_penalty: g.length_penalty.or(m.length_penalty).unwrap_or(1.0),
            early_stopping,
            eos_token_id: eos,
            pad_token_id: pad,
            decoder_start_token_id: start,
            forced_eos_token_id: first_id(&g.forced_eos_token_id)
                .or(first_id(&m.forced_eos_token_id)),
            banned_tokens: bad.into_iter().map(|w| w[0]).collect(),
            renormalize_logits: g
                .renormalize_logits
                .or(m.renormalize_logits)
                .unwrap_or(false),
            repetition_penalty: g.repetition_penalty.or(m.repetition_penalty).unwrap_or(1.0),
            no_repeat_ngram_size: g
                .no_repeat_ngram_size
                .or(m.no_repeat_ngram_size)
                .unwrap_or(0),
        })
    }

    /// Every token id of the settings (special ids, banned tokens) inside a vocabulary of
    /// `vocab_size` tokens.
    fn check_ids(&self, vocab_size: usize) -> Result<(), SettingsError> {
        let invalid =
            |field: &'static str, reason: String| SettingsError::Invalid { field, reason };
        let ids = [
            ("eos_token_id", Some(self.eos_token_id)),
            ("pad_token_id", Some(self.pad_token_id)),
            ("decoder_start_token_id", Some(self.decoder_start_token_id)),
            ("forced_eos_token_id", self.forced_eos_token_id),
        ];
        for (name, id) in ids {
            if let Some(id) = id.filter(|&id| id as usize >= vocab_size) {
                return Err(invalid(
                    name,
                    format!("{name} {id} is outside the model's vocabulary of {vocab_size} tokens"),
                ));
            }
        }
        if let Some(&b) = self
            .banned_tokens
            .iter()
            .find(|&&b| b as usize >= vocab_size)
        {
            return Err(invalid(
                "bad_words_ids",
                format!("bad_words_ids holds {b}, outside the model's vocabulary of {vocab_size} tokens"),
            ));
        }
        Ok(())
    }

    /// Check the settings against a model with `vocab_size` output tokens and room for
    /// `max_positions` target positions: ids in range, sizes positive, penalties finite and
    /// positive. A `max_length` beyond the model's positions (transformers would index past its
    /// position table) is lowered to fit; the returned notes say so.
    pub fn validate(
        &mut self,
        vocab_size: usize,
        max_positions: usize,
    ) -> Result<Vec<String>, SettingsError> {
        let invalid =
            |field: &'static str, reason: String| SettingsError::Invalid { field, reason };
        let mut notes = Vec::new();
        self.check_ids(vocab_size)?;
        if self.num_beams == 0 || self.num_beams > vocab_size {
            return Err(invalid(
                "num_beams",
                format!(
                    "num_beams {} must be between 1 and the vocabulary size {vocab_size}",
                    self.num_beams
                ),
            ));
        }
        if self.max_length < 2 {
            return Err(invalid(
                "max_length",
                format!(
                    "max_length {} leaves no room for a generated token (the decoder start \
                     counts as one): use at least 2, or max_new_tokens ≥ 1",
                    self.max_length
                ),
            ));
        }
        if !self.length_penalty.is_finite() {
            return Err(invalid(
                "length_penalty",
                format!("length_penalty {} is not finite", self.length_penalty),
            ));
        }
        if !(self.repetition_penalty.is_finite() && self.repetition_penalty > 0.0) {
            return Err(invalid(
                "repetition_penalty",
                format!(
                    "repetition_penalty {} must be a finite number above 0 (1.0 is off)",
                    self.repetition_penalty
                ),
            ));
        }
        if max_positions == 0 {
            return Err(invalid(
                "max_position_embeddings",
                "the model has no target positions".into(),
            ));
        }
        // The decoder reads positions 0 ..= max_length - 2 (the last token is never fed back).
        if self.max_length > max_positions + 1 {
            notes.push(format!(
                "max_length {} needs more than the model's {max_positions} positions; generating \
                 at most {max_positions} tokens",
                self.max_length
            ));
            self.max_length = max_positions + 1;
        }
        if self.min_length >= self.max_length {
            notes.push(format!(
                "min_length {} is not below max_length {}: every output will run to the maximum",
                self.min_length, self.max_length
            ));
        }
        Ok(notes)
    }

    /// Limit the number of generated tokens (the decoder start is not counted).
    pub fn set_max_new_tokens(&mut self, n: usize) {
        self.max_length = n + 1;
    }
}

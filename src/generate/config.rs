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
}

fn first_id(v: &Option<serde_json::Value>) -> Option<u32> {
    match v.as_ref()? {
        serde_json::Value::Number(n) => n.as_u64().map(|x| x as u32),
        serde_json::Value::Array(a) => a.first()?.as_u64().map(|x| x as u32),
        _ => None,
    }
}

impl GenerationConfig {
    /// Build from the JSON text of `generation_config.json` (preferred) or `config.json`; fields
    /// missing from the first are taken from the second, then from transformers' defaults.
    pub fn from_json(generation: Option<&str>, model_config: &str) -> Result<Self, String> {
        let parse = |text: &str| serde_json::from_str::<Raw>(text).map_err(|e| e.to_string());
        let g = match generation {
            Some(text) => parse(text)?,
            None => Raw::default(),
        };
        let m = parse(model_config)?;
        let eos = first_id(&g.eos_token_id)
            .or(first_id(&m.eos_token_id))
            .ok_or("no eos_token_id in the model's configuration")?;
        let pad = g
            .pad_token_id
            .or(m.pad_token_id)
            .ok_or("no pad_token_id in the model's configuration")?;
        let start = g
            .decoder_start_token_id
            .or(m.decoder_start_token_id)
            .unwrap_or(pad);
        let bad: Vec<Vec<u32>> = g.bad_words_ids.or(m.bad_words_ids).unwrap_or_default();
        if bad.iter().any(|w| w.len() != 1) {
            return Err("multi-token bad_words_ids are not supported".into());
        }
        let early = g.early_stopping.or(m.early_stopping);
        let early_stopping = match early {
            None | Some(serde_json::Value::Bool(false)) => false,
            Some(serde_json::Value::Bool(true)) => true,
            Some(other) => return Err(format!("early_stopping {other} is not supported")),
        };
        let max_new = g.max_new_tokens.or(m.max_new_tokens);
        let max_length = match max_new {
            Some(n) => n + 1,
            None => g.max_length.or(m.max_length).unwrap_or(20),
        };
        Ok(GenerationConfig {
            num_beams: g.num_beams.or(m.num_beams).unwrap_or(1).max(1),
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
        })
    }

    /// Limit the number of generated tokens (the decoder start is not counted).
    pub fn set_max_new_tokens(&mut self, n: usize) {
        self.max_length = n + 1;
    }
}

//! `config.json` of a Marian checkpoint, as transformers' `MarianConfig` reads it.

use serde::Deserialize;

fn yes() -> bool {
    true
}

fn swish() -> String {
    "swish".into()
}

fn max_positions() -> usize {
    512
}

/// Largest vocabulary accepted (real opus-mt models have 50-80 thousand tokens).
const MAX_VOCAB: usize = 1 << 21;
/// Largest model width accepted (Transformer-big is 1024).
const MAX_WIDTH: usize = 1 << 14;
/// Most layers accepted on either side.
const MAX_LAYERS: usize = 256;
/// Most positions accepted: the sinusoidal table is computed at load (512 for opus-mt).
const MAX_POSITIONS: usize = 1 << 14;

/// The architecture fields entente needs; unknown fields are ignored.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct MarianConfig {
    pub vocab_size: usize,
    #[serde(default)]
    pub decoder_vocab_size: Option<usize>,
    pub d_model: usize,
    pub encoder_layers: usize,
    pub decoder_layers: usize,
    pub encoder_attention_heads: usize,
    pub decoder_attention_heads: usize,
    pub encoder_ffn_dim: usize,
    pub decoder_ffn_dim: usize,
    #[serde(default = "swish")]
    pub activation_function: String,
    #[serde(default = "max_positions")]
    pub max_position_embeddings: usize,
    #[serde(default)]
    pub scale_embedding: bool,
    #[serde(default = "yes")]
    pub share_encoder_decoder_embeddings: bool,
    #[serde(default = "yes")]
    pub tie_word_embeddings: bool,
    pub pad_token_id: u32,
    pub eos_token_id: u32,
    pub decoder_start_token_id: u32,
    #[serde(default)]
    pub forced_eos_token_id: Option<u32>,
    #[serde(default)]
    pub normalize_before: bool,
    #[serde(default)]
    pub add_final_layer_norm: bool,
    #[serde(default)]
    pub normalize_embedding: bool,
}

/// The feed-forward activation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    Relu,
    /// SiLU, called "swish" in opus-mt configs.
    Swish,
    /// The exact (erf) GELU of `torch.nn.functional.gelu`.
    Gelu,
    /// The tanh approximation ("gelu_new", "gelu_pytorch_tanh").
    GeluTanh,
}

/// Why a model configuration cannot be used, naming the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("activation_function {0:?} is not supported")]
    Activation(String),
    #[error("{field} {value} is out of range (1 to {limit}); the configuration is corrupt")]
    OutOfRange {
        field: &'static str,
        value: usize,
        limit: usize,
    },
    #[error("{field} {id} is outside the vocabulary of {vocab} tokens")]
    OutsideVocabulary {
        field: &'static str,
        id: usize,
        vocab: usize,
    },
    #[error(
        "pre-norm Marian variants (normalize_before, add_final_layer_norm, normalize_embedding) \
         are not supported"
    )]
    PreNorm,
    #[error("d_model {d_model} is not divisible by {heads} {side} attention heads")]
    Heads {
        d_model: usize,
        heads: usize,
        side: &'static str,
    },
}

impl MarianConfig {
    /// Size of the target vocabulary (the logits).
    pub fn target_vocab_size(&self) -> usize {
        if self.share_encoder_decoder_embeddings {
            self.vocab_size
        } else {
            self.decoder_vocab_size.unwrap_or(self.vocab_size)
        }
    }

    pub fn activation(&self) -> Result<Activation, ConfigError> {
        Ok(match self.activation_function.as_str() {
            "relu" => Activation::Relu,
            "swish" | "silu" => Activation::Swish,
            "gelu" => Activation::Gelu,
            "gelu_new" | "gelu_pytorch_tanh" | "gelu_fast" => Activation::GeluTanh,
            other => return Err(ConfigError::Activation(other.to_string())),
        })
    }

    /// Reject configurations entente does not implement or that no real model has (sizes of zero,
    /// ids outside the vocabulary, tables too large to allocate), with the field and the reason.
    pub fn check(&self) -> Result<(), ConfigError> {
        self.activation()?;
        for (name, value, limit) in [
            ("vocab_size", self.vocab_size, MAX_VOCAB),
            ("decoder_vocab_size", self.target_vocab_size(), MAX_VOCAB),
            ("d_model", self.d_model, MAX_WIDTH),
            ("encoder_ffn_dim", self.encoder_ffn_dim, MAX_WIDTH * 8),
            ("decoder_ffn_dim", self.decoder_ffn_dim, MAX_WIDTH * 8),
            ("encoder_layers", self.encoder_layers, MAX_LAYERS),
            ("decoder_layers", self.decoder_layers, MAX_LAYERS),
            (
                "max_position_embeddings",
                self.max_position_embeddings,
                MAX_POSITIONS,
            ),
        ] {
            if value == 0 || value > limit {
                return Err(ConfigError::OutOfRange {
                    field: name,
                    value,
                    limit,
                });
            }
        }
        let target = self.target_vocab_size();
        for (name, id, vocab) in [
            (
                "pad_token_id",
                Some(self.pad_token_id),
                self.vocab_size.min(target),
            ),
            ("eos_token_id", Some(self.eos_token_id), target),
            (
                "decoder_start_token_id",
                Some(self.decoder_start_token_id),
                target,
            ),
            ("forced_eos_token_id", self.forced_eos_token_id, target),
        ] {
            if let Some(id) = id.filter(|&id| id as usize >= vocab) {
                return Err(ConfigError::OutsideVocabulary {
                    field: name,
                    id: id as usize,
                    vocab,
                });
            }
        }
        if self.normalize_before || self.add_final_layer_norm || self.normalize_embedding {
            return Err(ConfigError::PreNorm);
        }
        for (name, dim, heads) in [
            ("encoder", self.d_model, self.encoder_attention_heads),
            ("decoder", self.d_model, self.decoder_attention_heads),
        ] {
            if heads == 0 || dim % heads != 0 {
                return Err(ConfigError::Heads {
                    d_model: dim,
                    heads,
                    side: name,
                });
            }
        }
        Ok(())
    }

    /// Number of parameters (positions excluded), for reports.
    pub fn parameter_count(&self) -> usize {
        let d = self.d_model;
        let attention = 4 * (d * d + d);
        let norm = 2 * d;
        let ffn = |f: usize| d * f + f + f * d + d;
        let encoder = self.encoder_layers * (attention + norm + ffn(self.encoder_ffn_dim) + norm);
        let decoder =
            self.decoder_layers * (2 * attention + 2 * norm + ffn(self.decoder_ffn_dim) + norm);
        let target = self.target_vocab_size();
        let embeddings = if self.share_encoder_decoder_embeddings {
            self.vocab_size * d
        } else {
            self.vocab_size * d + target * d
        };
        let head = if self.tie_word_embeddings {
            0
        } else {
            target * d
        };
        encoder + decoder + embeddings + head + target
    }
}

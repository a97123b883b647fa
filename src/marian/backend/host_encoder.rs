//! The encoder on the host (the CPU in float32 or int8): the operations of the Candle graph's
//! encoder layers on plain slices, each sentence's own tokens only. No padding is computed or
//! attended to, every product is row by row (float32 through `ops::invariant`, int8 exact in
//! integers), and attention runs per sentence: a sentence's encoding is the same bits whatever
//! other sentences share its batch and however long they are.

use std::sync::Arc;

use candle_core::Tensor;

use super::host_layers::{
    attend_heads, load_attention, EmbeddingTable, HostAttention, HostFeedForward,
};
use crate::marian::config::MarianConfig;
use crate::marian::layers::{sinusoidal_positions, EncoderLayer};
use crate::marian::ops::loader::{first_present, Loader};
use crate::marian::ops::matrix::{HostNorm, HostProducts, Scratch};
use crate::marian::ops::with_scratch;
use crate::marian::weights::MappedSafetensors;

type Result<T> = std::result::Result<T, crate::marian::error::ComputeError>;

/// One encoder layer's weights on the host.
struct HostEncoderLayer {
    self_attn: HostAttention,
    self_attn_norm: HostNorm,
    ffn: HostFeedForward,
    final_norm: HostNorm,
}

/// The encoder's weights for the host.
pub(in crate::marian) struct HostEncoder {
    layers: Vec<HostEncoderLayer>,
    embed: EmbeddingTable,
    /// Sinusoidal positions, (max_positions × d).
    positions: Vec<f32>,
    embed_scale: f32,
    d: usize,
}

/// The encoder's output on the host: every source token's state, sentence after sentence
/// (padding left out), and where each sentence starts (and, last, the total).
pub struct HostEncoded {
    pub(in crate::marian) states: Vec<f32>,
    pub(in crate::marian) sentence_start: Vec<usize>,
}

impl HostEncoder {
    /// The float32 encoder over the Candle layers' own weights (shared, not copied).
    pub(in crate::marian) fn from_candle(
        layers: &[EncoderLayer],
        embed: &Tensor,
        positions: &Tensor,
        embed_scale: f64,
    ) -> Result<Self> {
        let layers = layers
            .iter()
            .map(|l| {
                Ok(HostEncoderLayer {
                    self_attn: HostAttention::from_candle(&l.self_attn)?,
                    self_attn_norm: HostNorm::from_candle(&l.self_attn_norm)?,
                    ffn: HostFeedForward::from_candle(&l.ffn)?,
                    final_norm: HostNorm::from_candle(&l.final_norm)?,
                })
            })
            .collect::<Result<_>>()?;
        Ok(HostEncoder {
            layers,
            embed: EmbeddingTable::Tensor(embed.clone()),
            positions: positions.flatten_all()?.to_vec1()?,
            embed_scale: embed_scale as f32,
            d: embed.dim(1)?,
        })
    }

    /// The encoder read straight from the mapped checkpoint into `products`' precision (int8):
    /// the embedding table stays in the file, every matrix is converted as it is read.
    pub(in crate::marian) fn load(
        config: &MarianConfig,
        file: &Arc<MappedSafetensors>,
        products: HostProducts,
    ) -> Result<Self> {
        let d = config.d_model;
        let activation = config.activation()?;
        let loader = Loader {
            file: file.as_ref(),
            products,
        };
        let heads = config.encoder_attention_heads;
        let layers = (0..config.encoder_layers)
            .map(|i| {
                let p = format!("model.encoder.layers.{i}");
                Ok(HostEncoderLayer {
                    self_attn: load_attention(&loader, &format!("{p}.self_attn"), d, heads)?,
                    self_attn_norm: loader.norm(&format!("{p}.self_attn_layer_norm"), d)?,
                    ffn: HostFeedForward::load(&loader, &p, d, config.encoder_ffn_dim, activation)?,
                    final_norm: loader.norm(&format!("{p}.final_layer_norm"), d)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let embed_name = first_present(
            file,
            &["model.encoder.embed_tokens.weight", "model.shared.weight"],
        )?;
        Ok(HostEncoder {
            layers,
            embed: EmbeddingTable::Mapped {
                file: file.clone(),
                name: embed_name.to_string(),
                shape: [config.vocab_size, d],
            },
            positions: sinusoidal_positions(config.max_position_embeddings, d),
            embed_scale: if config.scale_embedding {
                (d as f64).sqrt() as f32
            } else {
                1.0
            },
            d,
        })
    }

    /// Bytes held by the matrices (the mapped embedding table not counted).
    pub(in crate::marian) fn weight_bytes(&self) -> usize {
        self.layers
            .iter()
            .map(|l| l.self_attn.bytes() + l.ffn.bytes())
            .sum()
    }

    /// Encode padded source ids with their masks (1 = token): only each row's tokens (the
    /// mask's ones, which come first) are embedded and encoded.
    pub(in crate::marian) fn encode(
        &self,
        ids: &[Vec<u32>],
        mask: &[Vec<u32>],
    ) -> Result<HostEncoded> {
        let d = self.d;
        let mut tokens = Vec::new();
        let mut positions = Vec::new();
        let mut sentence_start = Vec::with_capacity(ids.len() + 1);
        for (row, m) in ids.iter().zip(mask) {
            sentence_start.push(tokens.len());
            for (p, (&id, _)) in row.iter().zip(m).filter(|(_, &m)| m != 0).enumerate() {
                if id as usize >= self.embed.rows() {
                    return Err(crate::marian::error::ComputeError::TokenOutsideVocabulary {
                        id,
                        vocab: self.embed.rows(),
                    });
                }
                tokens.push(id);
                positions.extend_from_slice(&self.positions[p * d..(p + 1) * d]);
            }
        }
        sentence_start.push(tokens.len());
        let rows = tokens.len();
        let mut h = vec![0f32; rows * d];
        self.embed
            .embed(&tokens, self.embed_scale, &positions, &mut h)?;
        with_scratch(|scratch| {
            for layer in &self.layers {
                let attended = self.self_attention(layer, &h, &sentence_start, scratch)?;
                layer.self_attn_norm.add_and_norm(&mut h, &attended);
                let out = layer.ffn.forward(&h, rows, scratch)?;
                layer.final_norm.add_and_norm(&mut h, &out);
            }
            Ok::<(), crate::marian::error::ComputeError>(())
        })?;
        Ok(HostEncoded {
            states: h,
            sentence_start,
        })
    }

    /// A layer's self-attention of every token over its own sentence's tokens, after the
    /// output projection.
    fn self_attention(
        &self,
        layer: &HostEncoderLayer,
        h: &[f32],
        sentence_start: &[usize],
        scratch: &mut Scratch,
    ) -> Result<Vec<f32>> {
        let d = self.d;
        let rows = h.len() / d;
        let a = &layer.self_attn;
        let q = a.q.forward(h, rows, scratch)?;
        let k = a.k.forward(h, rows, scratch)?;
        let v = a.v.forward(h, rows, scratch)?;
        let mut context = vec![0f32; rows * d];
        let mut scores = Vec::new();
        for sentence in sentence_start.windows(2) {
            let tokens = sentence[0]..sentence[1];
            for t in tokens.clone() {
                let at = |i: usize| (tokens.start + i) * d;
                attend_heads(
                    &q[t * d..(t + 1) * d],
                    a.heads,
                    tokens.len(),
                    |i| &k[at(i)..at(i) + d],
                    |i| &v[at(i)..at(i) + d],
                    a.scaling,
                    &mut scores,
                    &mut context[t * d..(t + 1) * d],
                );
            }
        }
        a.out.forward(&context, rows, scratch)
    }
}

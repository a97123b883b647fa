//! The decoder step as a Candle graph: runs on any device and dtype. Self-attention keys/values
//! are cached by concatenation, cross-attention keys/values are computed once per batch and
//! repeated per beam, and beam reordering selects cache rows.

use candle_core::{DType, Device, IndexOp, Module, Tensor};
use candle_nn::Embedding;

use super::{BackendState, DecoderBackend, Encoded};
use crate::marian::layers::DecoderLayer;

type Result<T> = std::result::Result<T, crate::marian::error::ComputeError>;

/// The decoder's weights as Candle tensors.
pub(in crate::marian) struct GraphDecoder {
    pub(in crate::marian) layers: Vec<DecoderLayer>,
    pub(in crate::marian) embed: Embedding,
    /// Sinusoidal positions, (max_positions, d).
    pub(in crate::marian) positions: Tensor,
    pub(in crate::marian) embed_scale: f64,
    /// (vocab, d).
    pub(in crate::marian) lm_head: Tensor,
    /// (1, vocab), in f32.
    pub(in crate::marian) final_logits_bias: Tensor,
    pub(in crate::marian) device: Device,
}

/// Per-layer cache: self-attention keys/values so far, and the cross-attention keys/values of
/// the encoder output (computed once).
struct LayerCache {
    self_kv: Option<(Tensor, Tensor)>,
    cross_kv: (Tensor, Tensor),
}

pub(in crate::marian) struct GraphState {
    layers: Vec<LayerCache>,
    /// Additive encoder padding mask, (rows, 1, 1, src_len).
    encoder_mask: Tensor,
    pub(in crate::marian) probe: super::AttentionProbe,
    /// Each row's number of source tokens, read from the mask once, when the probe first asks.
    source_lengths: Option<Vec<usize>>,
}

impl DecoderBackend for GraphDecoder {
    fn start(&self, encoded: &Encoded, rows_per_sentence: usize) -> Result<BackendState> {
        let Encoded::Graph(encoded, mask) = encoded else {
            return Err(crate::marian::error::ComputeError::WrongState);
        };
        let b = encoded.dim(0)?;
        let repeat: Vec<u32> = (0..b as u32)
            .flat_map(|i| std::iter::repeat_n(i, rows_per_sentence))
            .collect();
        let index = Tensor::new(repeat.as_slice(), &self.device)?;
        let layers = self
            .layers
            .iter()
            .map(|layer| {
                let (k, v) = layer.cross_attn.keys_values(encoded)?;
                let (k, v) = if rows_per_sentence > 1 {
                    (k.index_select(&index, 0)?, v.index_select(&index, 0)?)
                } else {
                    (k, v)
                };
                Ok(LayerCache {
                    self_kv: None,
                    cross_kv: (k, v),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let encoder_mask = if rows_per_sentence > 1 {
            mask.index_select(&index, 0)?
        } else {
            mask.clone()
        };
        Ok(BackendState::Graph(GraphState {
            layers,
            encoder_mask,
            probe: super::AttentionProbe::default(),
            source_lengths: None,
        }))
    }

    fn step(
        &self,
        state: &mut BackendState,
        position: usize,
        tokens: &[u32],
        logits: &mut Vec<f32>,
    ) -> Result<()> {
        let BackendState::Graph(state) = state else {
            return Err(crate::marian::error::ComputeError::WrongState);
        };
        let rows = tokens.len();
        let ids = Tensor::new(tokens, &self.device)?.reshape((rows, 1))?;
        let embedded = (self.embed.forward(&ids)? * self.embed_scale)?;
        let position = self.positions.i(position..position + 1)?;
        let mut h = embedded.broadcast_add(&position)?;
        for (l, (layer, cache)) in self.layers.iter().zip(state.layers.iter_mut()).enumerate() {
            let (k_new, v_new) = layer.self_attn.keys_values(&h)?;
            let (k, v) = match cache.self_kv.take() {
                Some((k, v)) => (
                    Tensor::cat(&[&k, &k_new], 2)?,
                    Tensor::cat(&[&v, &v_new], 2)?,
                ),
                None => (k_new, v_new),
            };
            let attended = layer.self_attn.attend(&h, &k, &v, None)?;
            cache.self_kv = Some((k, v));
            h = layer.self_attn_norm.forward(&(&h + attended)?)?;
            let (ck, cv) = &cache.cross_kv;
            if state.probe.layer == Some(l) {
                let weights = layer.cross_attn.weights(&h, ck, &state.encoder_mask)?;
                let heads = layer.cross_attn.heads;
                // Each row's source tokens, padding (a non-zero additive mask) left out.
                if state.source_lengths.is_none() {
                    let lengths = state
                        .encoder_mask
                        .flatten_from(1)?
                        .to_dtype(DType::F32)?
                        .to_vec2::<f32>()?
                        .iter()
                        .map(|row| row.iter().filter(|&&m| m == 0.0).count())
                        .collect();
                    state.source_lengths = Some(lengths);
                }
                let lengths = state.source_lengths.as_deref().unwrap_or_default();
                state.probe.weights = weights
                    .iter()
                    .zip(lengths)
                    .map(|(row, &n)| {
                        let width = row.len() / heads;
                        let mean = super::mean_over_heads(row, heads, width);
                        mean[..n.min(width)].to_vec()
                    })
                    .collect();
                // The probe has what it reads: later layers and the logits cannot change it.
                logits.clear();
                return Ok(());
            }
            let crossed = layer
                .cross_attn
                .attend(&h, ck, cv, Some(&state.encoder_mask))?;
            h = layer.cross_attn_norm.forward(&(&h + crossed)?)?;
            h = layer.final_norm.forward(&(&h + layer.ffn.forward(&h)?)?)?;
        }
        let h = h.squeeze(1)?;
        // (vocab, d) · (d, rows): the large weight is the row-major left operand, which the
        // matrix product streams without repacking; then transposed to rows × vocab, with the
        // bias added in f32.
        *logits = self
            .lm_head
            .matmul(&h.t()?.contiguous()?)?
            .to_dtype(DType::F32)?
            .t()?
            .broadcast_add(&self.final_logits_bias)?
            .flatten_all()?
            .to_vec1()?;
        Ok(())
    }

    fn reorder(&self, state: &mut BackendState, rows: &[u32]) -> Result<()> {
        let BackendState::Graph(state) = state else {
            return Err(crate::marian::error::ComputeError::WrongState);
        };
        let index = Tensor::new(rows, &self.device)?;
        for cache in &mut state.layers {
            if let Some((k, v)) = cache.self_kv.take() {
                cache.self_kv = Some((k.index_select(&index, 0)?, v.index_select(&index, 0)?));
            }
        }
        Ok(())
    }
}

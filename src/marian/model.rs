//! The Marian encoder-decoder on Candle, following transformers' `MarianMTModel` operation by
//! operation (post-norm layers, sinusoidal positions computed as transformers does, attention
//! scores scaled after the product), with what translation needs for speed: padding masks in
//! encoder self-attention and cross-attention, a self-attention key/value cache, cross-attention
//! keys/values computed once per batch, and reordering of the cache by row for beam search.

use candle_core::{DType, Device, IndexOp, Module, Tensor};
use candle_nn::{Embedding, LayerNorm, Linear, VarBuilder};

use super::config::{Activation, MarianConfig};
use super::host::{self, HostState};

type Result<T> = candle_core::Result<T>;

/// The additive mask value for padding: the most negative finite value of the dtype, as torch's
/// `finfo(dtype).min`.
fn mask_value(dtype: DType) -> f64 {
    match dtype {
        DType::F16 => -65504.0,
        DType::BF16 => -3.3895e38,
        _ => f64::from(f32::MIN),
    }
}

/// The first tensor found under one of `names` (checkpoints name shared weights differently).
fn get_first(vb: &VarBuilder, shape: (usize, usize), names: &[&str]) -> Result<Tensor> {
    for name in names {
        if vb.contains_tensor(name) {
            return vb.get(shape, name);
        }
    }
    Err(candle_core::Error::Msg(format!(
        "none of the tensors {} is in the checkpoint",
        names.join(", ")
    )))
}

fn linear(d_in: usize, d_out: usize, vb: VarBuilder) -> Result<Linear> {
    candle_nn::linear(d_in, d_out, vb)
}

fn layer_norm(d: usize, vb: VarBuilder) -> Result<LayerNorm> {
    candle_nn::layer_norm(d, 1e-5, vb)
}

/// transformers' `MarianSinusoidalPositionalEmbedding.create_weight`: computed in f64, sines in
/// the first half of each vector and cosines in the second.
pub fn sinusoidal_positions(n_positions: usize, dim: usize) -> Vec<f32> {
    let sentinel = dim.div_ceil(2);
    let mut table = vec![0f32; n_positions * dim];
    for pos in 0..n_positions {
        for j in 0..dim {
            let angle = pos as f64 / 10000f64.powf(2.0 * (j / 2) as f64 / dim as f64);
            let (column, value) = if j % 2 == 0 {
                (j / 2, angle.sin())
            } else {
                (sentinel + j / 2, angle.cos())
            };
            if column < dim {
                table[pos * dim + column] = value as f32;
            }
        }
    }
    table
}

pub(super) struct Attention {
    pub(super) q: Linear,
    pub(super) k: Linear,
    pub(super) v: Linear,
    pub(super) out: Linear,
    pub(super) heads: usize,
    pub(super) head_dim: usize,
    pub(super) scaling: f64,
}

impl Attention {
    fn new(d: usize, heads: usize, vb: VarBuilder) -> Result<Self> {
        let head_dim = d / heads;
        Ok(Attention {
            q: linear(d, d, vb.pp("q_proj"))?,
            k: linear(d, d, vb.pp("k_proj"))?,
            v: linear(d, d, vb.pp("v_proj"))?,
            out: linear(d, d, vb.pp("out_proj"))?,
            heads,
            head_dim,
            scaling: (head_dim as f64).powf(-0.5),
        })
    }

    /// (b, t, d) → (b, heads, t, head_dim)
    fn split_heads(&self, x: &Tensor) -> Result<Tensor> {
        let (b, t, _) = x.dims3()?;
        x.reshape((b, t, self.heads, self.head_dim))?
            .transpose(1, 2)?
            .contiguous()
    }

    fn keys_values(&self, x: &Tensor) -> Result<(Tensor, Tensor)> {
        Ok((
            self.split_heads(&self.k.forward(x)?)?,
            self.split_heads(&self.v.forward(x)?)?,
        ))
    }

    /// Attention of queries from `x` over `k`, `v` with an additive `mask` (b, 1, 1|t, s).
    fn attend(&self, x: &Tensor, k: &Tensor, v: &Tensor, mask: Option<&Tensor>) -> Result<Tensor> {
        let (b, t, d) = x.dims3()?;
        let q = self.split_heads(&self.q.forward(x)?)?;
        let mut scores = (q.matmul(&k.t()?)? * self.scaling)?;
        if let Some(mask) = mask {
            scores = scores.broadcast_add(mask)?;
        }
        let weights = candle_nn::ops::softmax_last_dim(&scores)?;
        let context = weights.matmul(v)?.transpose(1, 2)?.reshape((b, t, d))?;
        self.out.forward(&context)
    }
}

pub(super) struct FeedForward {
    pub(super) fc1: Linear,
    pub(super) fc2: Linear,
    pub(super) activation: Activation,
}

impl FeedForward {
    fn new(d: usize, ffn: usize, activation: Activation, vb: &VarBuilder) -> Result<Self> {
        Ok(FeedForward {
            fc1: linear(d, ffn, vb.pp("fc1"))?,
            fc2: linear(ffn, d, vb.pp("fc2"))?,
            activation,
        })
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        self.fc2
            .forward(&activate(&self.fc1.forward(x)?, self.activation)?)
    }
}

/// The feed-forward activation.
pub(super) fn activate(h: &Tensor, activation: Activation) -> Result<Tensor> {
    match activation {
        Activation::Relu => h.relu(),
        Activation::Swish => h.silu(),
        // Through f64: candle's f32 erf is an approximation that shifts log-probabilities by
        // ~1e-5 per token against torch; the f64 one is accurate.
        Activation::Gelu => h.to_dtype(DType::F64)?.gelu_erf()?.to_dtype(h.dtype()),
        Activation::GeluTanh => h.gelu(),
    }
}

struct EncoderLayer {
    self_attn: Attention,
    self_attn_norm: LayerNorm,
    ffn: FeedForward,
    final_norm: LayerNorm,
}

impl EncoderLayer {
    fn forward(&self, x: &Tensor, mask: &Tensor) -> Result<Tensor> {
        let (k, v) = self.self_attn.keys_values(x)?;
        let h = (x + self.self_attn.attend(x, &k, &v, Some(mask))?)?;
        let h = self.self_attn_norm.forward(&h)?;
        let out = (&h + self.ffn.forward(&h)?)?;
        self.final_norm.forward(&out)
    }
}

pub(super) struct DecoderLayer {
    pub(super) self_attn: Attention,
    pub(super) self_attn_norm: LayerNorm,
    pub(super) cross_attn: Attention,
    pub(super) cross_attn_norm: LayerNorm,
    pub(super) ffn: FeedForward,
    pub(super) final_norm: LayerNorm,
}

/// Per-layer decoder cache: self-attention keys/values so far, and the cross-attention
/// keys/values of the encoder output (computed once).
struct LayerCache {
    self_kv: Option<(Tensor, Tensor)>,
    cross_kv: (Tensor, Tensor),
}

/// The decoding state of a batch: one row per sentence (greedy) or per beam.
pub struct DecoderState {
    cache: Cache,
    /// Number of target positions already decoded.
    position: usize,
    rows: usize,
}

enum Cache {
    /// The Candle graph's caches (any device and dtype).
    Graph {
        layers: Vec<LayerCache>,
        /// Additive encoder padding mask, (rows, 1, 1, src_len).
        encoder_mask: Tensor,
    },
    /// The host step's (CPU, f32).
    Host(HostState),
}

impl DecoderState {
    pub fn rows(&self) -> usize {
        self.rows
    }
}

/// The host decoder step runs on CPU float32 only.
fn host_decoder_supported(device: &Device, dtype: DType) -> bool {
    device.is_cpu() && dtype == DType::F32
}

/// A Marian translation model.
pub struct MarianModel {
    config: MarianConfig,
    encoder_embed: Embedding,
    decoder_embed: Embedding,
    positions: Tensor,
    embed_scale: f64,
    encoder: Vec<EncoderLayer>,
    decoder: Vec<DecoderLayer>,
    lm_head: Tensor,
    final_logits_bias: Tensor,
    device: Device,
    dtype: DType,
    /// Decode with [`super::host`] (CPU float32 only).
    host_decoder: bool,
}

impl MarianModel {
    /// Build the model from weights named as transformers saves `MarianMTModel`.
    pub fn new(config: &MarianConfig, vb: VarBuilder) -> Result<Self> {
        config.check().map_err(candle_core::Error::Msg)?;
        let d = config.d_model;
        let activation = config.activation().map_err(candle_core::Error::Msg)?;
        let target_vocab = config.target_vocab_size();
        let shared_names = ["model.shared.weight"];
        let encoder_embed = get_first(
            &vb,
            (config.vocab_size, d),
            &["model.encoder.embed_tokens.weight", shared_names[0]],
        )?;
        let decoder_embed = if config.share_encoder_decoder_embeddings {
            get_first(
                &vb,
                (config.vocab_size, d),
                &[shared_names[0], "model.decoder.embed_tokens.weight"],
            )?
        } else {
            get_first(
                &vb,
                (target_vocab, d),
                &["model.decoder.embed_tokens.weight"],
            )?
        };
        let lm_head = if config.tie_word_embeddings {
            decoder_embed.clone()
        } else {
            get_first(&vb, (target_vocab, d), &["lm_head.weight"])?
        };
        let final_logits_bias = if vb.contains_tensor("final_logits_bias") {
            vb.get((1, target_vocab), "final_logits_bias")?
        } else {
            Tensor::zeros((1, target_vocab), vb.dtype(), vb.device())?
        };
        let positions = Tensor::from_vec(
            sinusoidal_positions(config.max_position_embeddings, d),
            (config.max_position_embeddings, d),
            vb.device(),
        )?
        .to_dtype(vb.dtype())?;

        let enc = vb.pp("model.encoder.layers");
        let encoder = (0..config.encoder_layers)
            .map(|i| {
                let vb = enc.pp(i);
                Ok(EncoderLayer {
                    self_attn: Attention::new(
                        d,
                        config.encoder_attention_heads,
                        vb.pp("self_attn"),
                    )?,
                    self_attn_norm: layer_norm(d, vb.pp("self_attn_layer_norm"))?,
                    ffn: FeedForward::new(d, config.encoder_ffn_dim, activation, &vb)?,
                    final_norm: layer_norm(d, vb.pp("final_layer_norm"))?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let dec = vb.pp("model.decoder.layers");
        let decoder = (0..config.decoder_layers)
            .map(|i| {
                let vb = dec.pp(i);
                Ok(DecoderLayer {
                    self_attn: Attention::new(
                        d,
                        config.decoder_attention_heads,
                        vb.pp("self_attn"),
                    )?,
                    self_attn_norm: layer_norm(d, vb.pp("self_attn_layer_norm"))?,
                    cross_attn: Attention::new(
                        d,
                        config.decoder_attention_heads,
                        vb.pp("encoder_attn"),
                    )?,
                    cross_attn_norm: layer_norm(d, vb.pp("encoder_attn_layer_norm"))?,
                    ffn: FeedForward::new(d, config.decoder_ffn_dim, activation, &vb)?,
                    final_norm: layer_norm(d, vb.pp("final_layer_norm"))?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(MarianModel {
            config: config.clone(),
            encoder_embed: Embedding::new(encoder_embed, d),
            decoder_embed: Embedding::new(decoder_embed, d),
            positions,
            embed_scale: if config.scale_embedding {
                (d as f64).sqrt()
            } else {
                1.0
            },
            encoder,
            decoder,
            lm_head,
            final_logits_bias,
            device: vb.device().clone(),
            dtype: vb.dtype(),
            host_decoder: host_decoder_supported(vb.device(), vb.dtype()),
        })
    }

    pub fn config(&self) -> &MarianConfig {
        &self.config
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    /// Whether decoding steps run on the host path (the default for CPU float32) rather than
    /// through the Candle graph; `false` forces the graph, `true` is honoured only on CPU f32.
    pub fn set_host_decoder(&mut self, on: bool) {
        self.host_decoder = on && host_decoder_supported(&self.device, self.dtype);
    }

    pub fn host_decoder(&self) -> bool {
        self.host_decoder
    }

    pub fn target_vocab_size(&self) -> usize {
        self.config.target_vocab_size()
    }

    /// Encode padded source ids (rows of equal length) with their attention masks (1 = token).
    /// Returns the encoder output (b, s, d) and the additive mask (b, 1, 1, s).
    pub fn encode(&self, ids: &[Vec<u32>], mask: &[Vec<u32>]) -> Result<(Tensor, Tensor)> {
        let b = ids.len();
        let s = ids.first().map_or(0, Vec::len);
        if s > self.config.max_position_embeddings {
            candle_core::bail!(
                "source of {s} tokens is longer than the model's {} positions",
                self.config.max_position_embeddings
            );
        }
        let flat: Vec<u32> = ids.iter().flatten().copied().collect();
        let ids = Tensor::from_vec(flat, (b, s), &self.device)?;
        let additive: Vec<f32> = mask
            .iter()
            .flatten()
            .map(|&m| {
                if m == 0 {
                    mask_value(self.dtype) as f32
                } else {
                    0.0
                }
            })
            .collect();
        let mask = Tensor::from_vec(additive, (b, 1, 1, s), &self.device)?.to_dtype(self.dtype)?;
        let embedded = (self.encoder_embed.forward(&ids)? * self.embed_scale)?;
        let mut h = embedded.broadcast_add(&self.positions.i(0..s)?)?;
        for layer in &self.encoder {
            h = layer.forward(&h, &mask)?;
        }
        Ok((h, mask))
    }

    /// Start decoding: cross-attention keys/values computed once from the encoder output, each
    /// sentence repeated `rows_per_sentence` times (the beams).
    pub fn start(
        &self,
        encoded: &Tensor,
        mask: &Tensor,
        rows_per_sentence: usize,
    ) -> Result<DecoderState> {
        let b = encoded.dim(0)?;
        if self.host_decoder {
            let cross = self
                .decoder
                .iter()
                .map(|layer| layer.cross_attn.keys_values(encoded))
                .collect::<Result<Vec<_>>>()?;
            return Ok(DecoderState {
                cache: Cache::Host(HostState::new(cross, mask, rows_per_sentence)?),
                position: 0,
                rows: b * rows_per_sentence,
            });
        }
        let repeat: Vec<u32> = (0..b as u32)
            .flat_map(|i| std::iter::repeat_n(i, rows_per_sentence))
            .collect();
        let index = Tensor::new(repeat.as_slice(), &self.device)?;
        let layers = self
            .decoder
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
        Ok(DecoderState {
            cache: Cache::Graph {
                layers,
                encoder_mask,
            },
            position: 0,
            rows: b * rows_per_sentence,
        })
    }

    /// One decoding step: the next token of every row in; out, the logits without
    /// `final_logits_bias`, transposed: vocab × rows, row-major, in f32.
    pub fn step(&self, state: &mut DecoderState, tokens: &[u32]) -> Result<Vec<f32>> {
        let rows = tokens.len();
        if state.position >= self.config.max_position_embeddings {
            candle_core::bail!(
                "the target is longer than the model's {} positions",
                self.config.max_position_embeddings
            );
        }
        if rows != state.rows {
            candle_core::bail!("{rows} tokens for a state of {} rows", state.rows);
        }
        let position = state.position;
        state.position += 1;
        match &mut state.cache {
            Cache::Graph {
                layers,
                encoder_mask,
            } => self.graph_step(layers, encoder_mask, position, tokens),
            Cache::Host(host) => self.host_step(host, position, tokens),
        }
    }

    fn graph_step(
        &self,
        caches: &mut [LayerCache],
        encoder_mask: &Tensor,
        position: usize,
        tokens: &[u32],
    ) -> Result<Vec<f32>> {
        let rows = tokens.len();
        let ids = Tensor::new(tokens, &self.device)?.reshape((rows, 1))?;
        let embedded = (self.decoder_embed.forward(&ids)? * self.embed_scale)?;
        let position = self.positions.i(position..position + 1)?;
        let mut h = embedded.broadcast_add(&position)?;
        for (layer, cache) in self.decoder.iter().zip(caches.iter_mut()) {
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
            let crossed = layer.cross_attn.attend(&h, ck, cv, Some(encoder_mask))?;
            h = layer.cross_attn_norm.forward(&(&h + crossed)?)?;
            h = layer.final_norm.forward(&(&h + layer.ffn.forward(&h)?)?)?;
        }
        let h = h.squeeze(1)?;
        // (vocab, d) · (d, rows): the large weight is the row-major left operand, which the
        // matrix product streams without repacking. The bias is added by the caller.
        self.lm_head
            .matmul(&h.t()?.contiguous()?)?
            .to_dtype(DType::F32)?
            .flatten_all()?
            .to_vec1()
    }

    fn host_step(
        &self,
        state: &mut HostState,
        position: usize,
        tokens: &[u32],
    ) -> Result<Vec<f32>> {
        let rows = tokens.len();
        let d = self.config.d_model;
        let vocab = self.target_vocab_size();
        let scale = self.embed_scale as f32;
        let mut h = vec![0f32; rows * d];
        host::with_slice(self.decoder_embed.embeddings(), |table| {
            host::with_slice(&self.positions, |positions| {
                let position = &positions[position * d..(position + 1) * d];
                for (row, &token) in h.chunks_mut(d).zip(tokens) {
                    let token = token as usize;
                    let embedding = &table[token * d..(token + 1) * d];
                    for ((x, e), p) in row.iter_mut().zip(embedding).zip(position) {
                        *x = e * scale + p;
                    }
                }
            })
        })??;
        let h = host::decoder_step(&self.decoder, state, h, rows)?;
        let mut logits = vec![0f32; vocab * rows];
        host::with_slice(&self.lm_head, |w| {
            host::matmul_transposed(w, vocab, d, &h, rows, &mut logits)
        })?;
        Ok(logits)
    }

    /// `final_logits_bias`, in f32 on the host.
    pub fn final_logits_bias(&self) -> Result<Vec<f32>> {
        self.final_logits_bias
            .flatten_all()?
            .to_dtype(DType::F32)?
            .to_vec1()
    }

    /// Keep rows `rows` of the cache, in that order (beam search reordering).
    pub fn reorder(&self, state: &mut DecoderState, rows: &[u32]) -> Result<()> {
        state.rows = rows.len();
        match &mut state.cache {
            Cache::Host(host) => host.reorder(rows),
            Cache::Graph { layers, .. } => {
                let index = Tensor::new(rows, &self.device)?;
                for cache in layers {
                    if let Some((k, v)) = cache.self_kv.take() {
                        cache.self_kv =
                            Some((k.index_select(&index, 0)?, v.index_select(&index, 0)?));
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::sinusoidal_positions;

    #[test]
    fn positions_are_sines_then_cosines() {
        let t = sinusoidal_positions(3, 4);
        // position 0: sin(0)=0, sin(0)=0, cos(0)=1, cos(0)=1
        assert_eq!(&t[0..4], &[0.0, 0.0, 1.0, 1.0]);
        // position 1, j=0: sin(1); j=2 (second sine): sin(1/100)
        assert_eq!(t[4], 1f64.sin() as f32);
        assert_eq!(t[5], (1.0f64 / 100.0).sin() as f32);
        assert_eq!(t[6], 1f64.cos() as f32);
    }
}

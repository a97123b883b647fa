//! The Candle layers of a Marian model as transformers names and computes them: attention,
//! feed-forward, encoder and decoder layers, sinusoidal positions. The model ([`super::model`])
//! builds and owns them; the backends read them.

use candle_core::{DType, Module, Tensor};
use candle_nn::{LayerNorm, Linear, VarBuilder};

use super::config::Activation;
use super::ops::activate;

type Result<T> = candle_core::Result<T>;

/// The additive mask value for padding: the most negative finite value of the dtype, as torch's
/// `finfo(dtype).min`.
pub(super) fn mask_value(dtype: DType) -> f64 {
    match dtype {
        DType::F16 => -65504.0,
        DType::BF16 => -3.3895e38,
        _ => f64::from(f32::MIN),
    }
}

/// The first tensor found under one of `names` (checkpoints name shared weights differently).
pub(super) fn get_first(vb: &VarBuilder, shape: (usize, usize), names: &[&str]) -> Result<Tensor> {
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

fn linear(d_in: usize, d_out: usize, vb: VarBuilder) -> Result<Projection> {
    Ok(Projection::Graph(candle_nn::linear(d_in, d_out, vb)?))
}

/// A linear layer of the graph: Candle's (any device and dtype).
pub(super) enum Projection {
    Graph(Linear),
}

impl Projection {
    /// The Candle layer (float models only).
    pub(super) fn candle(&self) -> Result<&Linear> {
        match self {
            Projection::Graph(linear) => Ok(linear),
        }
    }
}

impl Module for Projection {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        match self {
            Projection::Graph(linear) => linear.forward(x),
        }
    }
}

pub(super) fn layer_norm(d: usize, vb: VarBuilder) -> Result<LayerNorm> {
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
    pub(super) q: Projection,
    pub(super) k: Projection,
    pub(super) v: Projection,
    pub(super) out: Projection,
    pub(super) heads: usize,
    pub(super) head_dim: usize,
    pub(super) scaling: f64,
}

impl Attention {
    pub(super) fn new(d: usize, heads: usize, vb: VarBuilder) -> Result<Self> {
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
    pub(super) fn split_heads(&self, x: &Tensor) -> Result<Tensor> {
        let (b, t, _) = x.dims3()?;
        x.reshape((b, t, self.heads, self.head_dim))?
            .transpose(1, 2)?
            .contiguous()
    }

    pub(super) fn keys_values(&self, x: &Tensor) -> Result<(Tensor, Tensor)> {
        Ok((
            self.split_heads(&self.k.forward(x)?)?,
            self.split_heads(&self.v.forward(x)?)?,
        ))
    }

    /// Attention of queries from `x` over `k`, `v` with an additive `mask` (b, 1, 1|t, s).
    pub(super) fn attend(
        &self,
        x: &Tensor,
        k: &Tensor,
        v: &Tensor,
        mask: Option<&Tensor>,
    ) -> Result<Tensor> {
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

    /// The attention weights of one query per row (`x` is (b, 1, d)) over keys `k` with the
    /// additive `mask`, in f32: per row, heads × keys, head after head (what the word-alignment
    /// probe reads; `attend` computes the same weights and never returns them).
    pub(super) fn weights(&self, x: &Tensor, k: &Tensor, mask: &Tensor) -> Result<Vec<Vec<f32>>> {
        let q = self.split_heads(&self.q.forward(x)?)?;
        let scores = (q.matmul(&k.t()?)? * self.scaling)?.broadcast_add(mask)?;
        candle_nn::ops::softmax_last_dim(&scores)?
            .to_dtype(candle_core::DType::F32)?
            .flatten_from(1)?
            .to_vec2::<f32>()
    }
}

pub(super) struct FeedForward {
    pub(super) fc1: Projection,
    pub(super) fc2: Projection,
    pub(super) activation: Activation,
}

impl FeedForward {
    pub(super) fn new(
        d: usize,
        ffn: usize,
        activation: Activation,
        vb: &VarBuilder,
    ) -> Result<Self> {
        Ok(FeedForward {
            fc1: linear(d, ffn, vb.pp("fc1"))?,
            fc2: linear(ffn, d, vb.pp("fc2"))?,
            activation,
        })
    }

    pub(super) fn forward(&self, x: &Tensor) -> Result<Tensor> {
        self.fc2
            .forward(&activate(&self.fc1.forward(x)?, self.activation)?)
    }
}

pub(super) struct EncoderLayer {
    pub(super) self_attn: Attention,
    pub(super) self_attn_norm: LayerNorm,
    pub(super) ffn: FeedForward,
    pub(super) final_norm: LayerNorm,
}

impl EncoderLayer {
    pub(super) fn new(
        d: usize,
        heads: usize,
        ffn: usize,
        activation: Activation,
        vb: &VarBuilder,
    ) -> Result<Self> {
        Ok(EncoderLayer {
            self_attn: Attention::new(d, heads, vb.pp("self_attn"))?,
            self_attn_norm: layer_norm(d, vb.pp("self_attn_layer_norm"))?,
            ffn: FeedForward::new(d, ffn, activation, vb)?,
            final_norm: layer_norm(d, vb.pp("final_layer_norm"))?,
        })
    }

    pub(super) fn forward(&self, x: &Tensor, mask: &Tensor) -> Result<Tensor> {
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

impl DecoderLayer {
    pub(super) fn new(
        d: usize,
        heads: usize,
        ffn: usize,
        activation: Activation,
        vb: &VarBuilder,
    ) -> Result<Self> {
        Ok(DecoderLayer {
            self_attn: Attention::new(d, heads, vb.pp("self_attn"))?,
            self_attn_norm: layer_norm(d, vb.pp("self_attn_layer_norm"))?,
            cross_attn: Attention::new(d, heads, vb.pp("encoder_attn"))?,
            cross_attn_norm: layer_norm(d, vb.pp("encoder_attn_layer_norm"))?,
            ffn: FeedForward::new(d, ffn, activation, vb)?,
            final_norm: layer_norm(d, vb.pp("final_layer_norm"))?,
        })
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

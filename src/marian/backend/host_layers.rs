//! What the host encoder and the host decoder step are both made of: attention weights and the
//! per-query attention arithmetic (dot products with a fixed order, max-shifted softmax), the
//! feed-forward block, and embedding tables read row by row. Everything here works row by row,
//! so a row's numbers never depend on the other rows computed with it.

use std::sync::Arc;

use candle_core::{Device, Tensor};

use crate::marian::config::Activation;
use crate::marian::layers::{Attention, FeedForward};
use crate::marian::ops::activate;
use crate::marian::ops::loader::Loader;
use crate::marian::ops::matrix::{with_slice, HostLinear, Scratch};
use crate::marian::weights::MappedSafetensors;
use crate::profile::{self, Span};

type Result<T> = candle_core::Result<T>;

/// Dot product with eight independent accumulators (so that it vectorizes).
pub(super) fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let chunks = a.len() / 8 * 8;
    for (x, y) in a[..chunks].chunks_exact(8).zip(b[..chunks].chunks_exact(8)) {
        for i in 0..8 {
            acc[i] += x[i] * y[i];
        }
    }
    let mut sum = acc.iter().sum::<f32>();
    for (x, y) in a[chunks..].iter().zip(&b[chunks..]) {
        sum += x * y;
    }
    sum
}

/// Softmax of `scores` in place (max-shifted), then `out += Σ weight · value(i)`.
pub(super) fn softmax_weighted_sum<'a>(
    scores: &mut [f32],
    value: impl Fn(usize) -> &'a [f32],
    out: &mut [f32],
) {
    let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0f32;
    for s in scores.iter_mut() {
        *s = (*s - max).exp();
        sum += *s;
    }
    out.fill(0.0);
    for (i, s) in scores.iter().enumerate() {
        let w = s / sum;
        for (o, v) in out.iter_mut().zip(value(i)) {
            *o += w * v;
        }
    }
}

/// An embedding table read row by row: a Candle tensor, or rows read from the checkpoint file
/// as they are looked up (none of the table stays resident).
pub(in crate::marian) enum EmbeddingTable {
    Tensor(Tensor),
    Mapped {
        file: Arc<MappedSafetensors>,
        name: String,
        shape: [usize; 2],
    },
}

impl EmbeddingTable {
    /// `scale × table[token] + position` for each token, rows × d.
    pub(in crate::marian) fn embed(
        &self,
        tokens: &[u32],
        scale: f32,
        positions: &[f32],
        out: &mut [f32],
    ) -> Result<()> {
        let d = positions.len() / tokens.len().max(1);
        let write = |row: &mut [f32], embedding: &[f32], position: &[f32]| {
            for ((x, e), p) in row.iter_mut().zip(embedding).zip(position) {
                *x = e * scale + p;
            }
        };
        match self {
            EmbeddingTable::Tensor(table) => with_slice(table, |table| {
                for ((row, &token), position) in
                    out.chunks_mut(d).zip(tokens).zip(positions.chunks(d))
                {
                    let token = token as usize;
                    write(row, &table[token * d..(token + 1) * d], position);
                }
            }),
            EmbeddingTable::Mapped { file, name, shape } => {
                let mut values = vec![0f32; d];
                for ((row, &token), position) in
                    out.chunks_mut(d).zip(tokens).zip(positions.chunks(d))
                {
                    file.read_range(name, shape, token as usize * d, d, &mut values)?;
                    write(row, &values, position);
                }
                Ok(())
            }
        }
    }

    pub(in crate::marian) fn rows(&self) -> usize {
        match self {
            EmbeddingTable::Tensor(t) => t.dim(0).unwrap_or(0),
            EmbeddingTable::Mapped { shape, .. } => shape[0],
        }
    }
}

pub(in crate::marian) struct HostAttention {
    pub(super) q: HostLinear,
    pub(super) k: HostLinear,
    pub(super) v: HostLinear,
    pub(super) out: HostLinear,
    pub(super) heads: usize,
    pub(super) head_dim: usize,
    pub(super) scaling: f32,
}

impl HostAttention {
    pub(super) fn from_candle(attention: &Attention) -> Result<Self> {
        Ok(HostAttention {
            q: HostLinear::from_candle(attention.q.candle()?)?,
            k: HostLinear::from_candle(attention.k.candle()?)?,
            v: HostLinear::from_candle(attention.v.candle()?)?,
            out: HostLinear::from_candle(attention.out.candle()?)?,
            heads: attention.heads,
            head_dim: attention.head_dim,
            scaling: attention.scaling as f32,
        })
    }

    /// Bytes held by the four projections.
    pub(super) fn bytes(&self) -> usize {
        [&self.q, &self.k, &self.v, &self.out]
            .iter()
            .map(|l| l.matrix.bytes())
            .sum()
    }
}

/// The attention weights under `prefix`, read by `loader`.
pub(super) fn load_attention(
    loader: &Loader,
    prefix: &str,
    d: usize,
    heads: usize,
) -> Result<HostAttention> {
    let head_dim = d / heads;
    Ok(HostAttention {
        q: loader.linear(&format!("{prefix}.q_proj"), d, d)?,
        k: loader.linear(&format!("{prefix}.k_proj"), d, d)?,
        v: loader.linear(&format!("{prefix}.v_proj"), d, d)?,
        out: loader.linear(&format!("{prefix}.out_proj"), d, d)?,
        heads,
        head_dim,
        scaling: (head_dim as f64).powf(-0.5) as f32,
    })
}

/// A layer's feed-forward block: fc1, the activation, fc2.
pub(in crate::marian) struct HostFeedForward {
    fc1: HostLinear,
    fc2: HostLinear,
    activation: Activation,
}

impl HostFeedForward {
    pub(super) fn from_candle(ffn: &FeedForward) -> Result<Self> {
        Ok(HostFeedForward {
            fc1: HostLinear::from_candle(ffn.fc1.candle()?)?,
            fc2: HostLinear::from_candle(ffn.fc2.candle()?)?,
            activation: ffn.activation,
        })
    }

    /// The block under `prefix` (`fc1`, `fc2`), read by `loader`.
    pub(super) fn load(
        loader: &Loader,
        prefix: &str,
        d: usize,
        ffn_dim: usize,
        activation: Activation,
    ) -> Result<Self> {
        Ok(HostFeedForward {
            fc1: loader.linear(&format!("{prefix}.fc1"), d, ffn_dim)?,
            fc2: loader.linear(&format!("{prefix}.fc2"), ffn_dim, d)?,
            activation,
        })
    }

    /// Bytes held by the two matrices.
    pub(super) fn bytes(&self) -> usize {
        self.fc1.matrix.bytes() + self.fc2.matrix.bytes()
    }

    /// The block on `h` (rows × d).
    pub(super) fn forward(
        &self,
        h: &[f32],
        rows: usize,
        scratch: &mut Scratch,
    ) -> Result<Vec<f32>> {
        let mut inner = profile::time(Span::FeedForwardIn, || self.fc1.forward(h, rows, scratch))?;
        let activating = profile::Timer::start(Span::Activation);
        match self.activation {
            Activation::Relu => inner.iter_mut().for_each(|x| *x = x.max(0.0)),
            Activation::Swish => inner.iter_mut().for_each(|x| *x = *x / (1.0 + (-*x).exp())),
            // The GELUs go through Candle, exactly as the graph computes them.
            Activation::Gelu | Activation::GeluTanh => {
                let n = inner.len();
                let t = Tensor::from_vec(inner, n, &Device::Cpu)?;
                inner = activate(&t, self.activation)?.to_vec1()?;
            }
        }
        drop(activating);
        profile::time(Span::FeedForwardOut, || {
            self.fc2.forward(&inner, rows, scratch)
        })
    }
}

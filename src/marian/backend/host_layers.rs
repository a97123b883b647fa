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

type Result<T> = std::result::Result<T, crate::marian::error::ComputeError>;

/// One query's attention in one head over `n` keys and values: `scores` ← query · key(t) ×
/// scaling, softmaxed (max-shifted), then `out` ← Σ_t weight_t · value(t). The reference
/// [`attend_heads`] is held to, head by head, bit for bit (it computes the same, reading each
/// key and value once for all heads).
#[cfg(test)]
fn attend_with<'a>(
    query: &[f32],
    n: usize,
    key: impl Fn(usize) -> &'a [f32],
    value: impl Fn(usize) -> &'a [f32],
    scaling: f32,
    scores: &mut Vec<f32>,
    out: &mut [f32],
) {
    // Plain loops, not iterator adapters: an adapter's `fold` may be compiled out of line,
    // without the caller's AVX2 (it was, and ran the dot products in SSE).
    scores.resize(n, 0.0);
    for (t, score) in scores.iter_mut().enumerate() {
        *score = dot(query, key(t)) * scaling;
    }
    softmax_weighted_sum(scores, value, out);
}

/// One query's attention in every head: `query`, each `key(i)` and `value(i)` hold all `heads`
/// heads side by side (d = heads × head_dim values, as the projections write them). Per head,
/// `scores` ← query · key(i) × scaling, softmaxed (max-shifted), then `out` ← Σ_i weight_i ·
/// value(i) — each head exactly as the one-head `attend_with` of the tests (bit for bit), but the
/// keys and values are read once, row by row, instead of once per head: a head's slice is 256
/// bytes at a 2 KiB stride, and reading it so left a decode step's attention waiting on
/// scattered reads (int8 greedy +12–15% on the README's AMD EPYC).
///
/// Compiled twice, plainly and for AVX2: the same operations in the same order (eight lanes,
/// no fused multiply-adds), so every CPU gives the same bits, twice as wide where it can.
#[allow(clippy::too_many_arguments)]
pub(super) fn attend_heads<'a>(
    query: &[f32],
    heads: usize,
    n: usize,
    key: impl Fn(usize) -> &'a [f32],
    value: impl Fn(usize) -> &'a [f32],
    scaling: f32,
    scores: &mut Vec<f32>,
    out: &mut [f32],
) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2 (checked above).
        return unsafe { attend_heads_avx2(query, heads, n, key, value, scaling, scores, out) };
    }
    attend_heads_with(query, heads, n, key, value, scaling, scores, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[allow(clippy::too_many_arguments)]
unsafe fn attend_heads_avx2<'a>(
    query: &[f32],
    heads: usize,
    n: usize,
    key: impl Fn(usize) -> &'a [f32],
    value: impl Fn(usize) -> &'a [f32],
    scaling: f32,
    scores: &mut Vec<f32>,
    out: &mut [f32],
) {
    attend_heads_with(query, heads, n, key, value, scaling, scores, out)
}

#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn attend_heads_with<'a>(
    query: &[f32],
    heads: usize,
    n: usize,
    key: impl Fn(usize) -> &'a [f32],
    value: impl Fn(usize) -> &'a [f32],
    scaling: f32,
    scores: &mut Vec<f32>,
    out: &mut [f32],
) {
    let head_dim = query.len() / heads;
    // scores[head × n + i]: head `head`'s score of key i.
    scores.resize(heads * n, 0.0);
    for i in 0..n {
        let k = key(i);
        for head in 0..heads {
            let span = head * head_dim..(head + 1) * head_dim;
            scores[head * n + i] = dot(&query[span.clone()], &k[span]) * scaling;
        }
    }
    for head_scores in scores.chunks_exact_mut(n.max(1)).take(heads) {
        softmax_weights(head_scores);
    }
    out.fill(0.0);
    for i in 0..n {
        let v = value(i);
        for head in 0..heads {
            let w = scores[head * n + i];
            let span = head * head_dim..(head + 1) * head_dim;
            for (o, v) in out[span.clone()].iter_mut().zip(&v[span]) {
                *o += w * v;
            }
        }
    }
}

/// Scores into attention weights in place: max-shifted exponentials over their sum, in the
/// one-head reference's order and operations.
#[inline(always)]
fn softmax_weights(scores: &mut [f32]) {
    let mut max = f32::NEG_INFINITY;
    for &s in scores.iter() {
        max = max.max(s);
    }
    let mut sum = 0f32;
    for s in scores.iter_mut() {
        *s = crate::exp::exp(*s - max);
        sum += *s;
    }
    for s in scores.iter_mut() {
        *s /= sum;
    }
}

/// Dot product with eight independent accumulators (so that it vectorizes).
#[inline(always)]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let chunks = a.len() / 8 * 8;
    for (x, y) in a[..chunks].chunks_exact(8).zip(b[..chunks].chunks_exact(8)) {
        for i in 0..8 {
            acc[i] += x[i] * y[i];
        }
    }
    let mut sum = 0f32;
    for lane in acc {
        sum += lane;
    }
    for (x, y) in a[chunks..].iter().zip(&b[chunks..]) {
        sum += x * y;
    }
    sum
}

/// Softmax of `scores` in place (max-shifted), then `out = Σ weight · value(i)`.
#[cfg(test)]
fn softmax_weighted_sum<'a>(
    scores: &mut [f32],
    value: impl Fn(usize) -> &'a [f32],
    out: &mut [f32],
) {
    let mut max = f32::NEG_INFINITY;
    for &s in scores.iter() {
        max = max.max(s);
    }
    let mut sum = 0f32;
    for s in scores.iter_mut() {
        // (Vectorizable and the same bits everywhere, unlike a call to `expf` per score.)
        *s = crate::exp::exp(*s - max);
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
        scaling: (head_dim as f64).powf(-0.5) as f32,
    })
}

/// A layer's feed-forward block: fc1, the activation, fc2.
pub(in crate::marian) struct HostFeedForward {
    pub(super) fc1: HostLinear,
    pub(super) fc2: HostLinear,
    pub(super) activation: Activation,
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
        profile::time(Span::Activation, || {
            activate_in_place(&mut inner, self.activation)
        })?;
        profile::time(Span::FeedForwardOut, || {
            self.fc2.forward(&inner, rows, scratch)
        })
    }
}

/// The feed-forward activation in place.
pub(super) fn activate_in_place(values: &mut Vec<f32>, activation: Activation) -> Result<()> {
    match activation {
        Activation::Relu => values.iter_mut().for_each(|x| *x = x.max(0.0)),
        Activation::Swish => swish(values),
        // The GELUs go through Candle, exactly as the graph computes them.
        Activation::Gelu | Activation::GeluTanh => {
            let n = values.len();
            let t = Tensor::from_vec(std::mem::take(values), n, &Device::Cpu)?;
            *values = activate(&t, activation)?.to_vec1()?;
        }
    }
    Ok(())
}

/// x · sigmoid(x) in place, with the sigmoid from e^(−|x|) so that the exponential never
/// overflows (1 / (1 + t) for x ≥ 0, t / (1 + t) below), vectorized as [`crate::exp`] is: the
/// same bits on every path (tested). `expf` per element was 2–4% of the int8 decoder's time.
fn swish(values: &mut [f32]) {
    let mut done = 0;
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has AVX-512F (checked above).
            done = unsafe { swish_avx512(values) };
        } else if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2 (checked above).
            done = unsafe { swish_avx2(values) };
        }
    }
    for x in &mut values[done..] {
        *x = swish_one(*x);
    }
}

#[inline]
fn swish_one(x: f32) -> f32 {
    let t = crate::exp::exp(f32::from_bits(x.to_bits() | 0x8000_0000));
    let numerator = if x >= 0.0 { 1.0 } else { t };
    x * (numerator / (1.0 + t))
}

/// [`swish_one`] over whole chunks of 16; returns how many values it did.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn swish_avx512(values: &mut [f32]) -> usize {
    use std::arch::x86_64::*;
    let (one, zero) = (_mm512_set1_ps(1.0), _mm512_setzero_ps());
    let chunks = values.len() / 16;
    for c in 0..chunks {
        let at = values.as_mut_ptr().add(16 * c);
        let x = _mm512_loadu_ps(at);
        let minus_abs = _mm512_castsi512_ps(_mm512_or_si512(
            _mm512_castps_si512(x),
            _mm512_set1_epi32(i32::MIN),
        ));
        let t = crate::exp::exp_avx512(minus_abs);
        let nonnegative = _mm512_cmp_ps_mask::<_CMP_GE_OQ>(x, zero);
        let numerator = _mm512_mask_blend_ps(nonnegative, t, one);
        let sigmoid = _mm512_div_ps(numerator, _mm512_add_ps(one, t));
        _mm512_storeu_ps(at, _mm512_mul_ps(x, sigmoid));
    }
    16 * chunks
}

/// [`swish_one`] over whole chunks of 8; returns how many values it did.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn swish_avx2(values: &mut [f32]) -> usize {
    use std::arch::x86_64::*;
    let (one, zero) = (_mm256_set1_ps(1.0), _mm256_setzero_ps());
    let chunks = values.len() / 8;
    for c in 0..chunks {
        let at = values.as_mut_ptr().add(8 * c);
        let x = _mm256_loadu_ps(at);
        let minus_abs = _mm256_or_ps(x, _mm256_set1_ps(-0.0));
        let t = crate::exp::exp_avx2(minus_abs);
        let nonnegative = _mm256_cmp_ps::<_CMP_GE_OQ>(x, zero);
        let numerator = _mm256_blendv_ps(t, one, nonnegative);
        let sigmoid = _mm256_div_ps(numerator, _mm256_add_ps(one, t));
        _mm256_storeu_ps(at, _mm256_mul_ps(x, sigmoid));
    }
    8 * chunks
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values in [-2, 2) from a small deterministic generator.
    fn values(n: usize, seed: u32) -> Vec<f32> {
        let mut state = seed;
        (0..n)
            .map(|_| {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (state >> 8) as f32 / (1u32 << 22) as f32 - 2.0
            })
            .collect()
    }

    #[test]
    fn attention_gives_the_same_bits_on_every_path_and_matches_f64() {
        // Head widths with and without a tail of the eight lanes; 1 to 70 keys.
        for (heads, head_dim, n) in [(8, 64, 35), (8, 64, 1), (2, 20, 70), (3, 3, 5)] {
            let d = heads * head_dim;
            let query = values(d, 1);
            let keys = values(d * n, 2);
            let vals = values(d * n, 3);
            let key = |t: usize| &keys[t * d..(t + 1) * d];
            let value = |t: usize| &vals[t * d..(t + 1) * d];
            let (mut scores, mut portable) = (Vec::new(), vec![0f32; d]);
            attend_heads_with(
                &query,
                heads,
                n,
                key,
                value,
                0.125,
                &mut scores,
                &mut portable,
            );
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            let mut dispatched = vec![0f32; d];
            attend_heads(
                &query,
                heads,
                n,
                key,
                value,
                0.125,
                &mut scores,
                &mut dispatched,
            );
            assert_eq!(
                bits(&dispatched),
                bits(&portable),
                "{heads} × {head_dim} × {n}"
            );
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("avx2") {
                let mut wide = vec![0f32; d];
                // SAFETY: checked above.
                unsafe {
                    attend_heads_avx2(&query, heads, n, key, value, 0.125, &mut scores, &mut wide)
                };
                assert_eq!(bits(&wide), bits(&portable), "{heads} × {head_dim} × {n}");
            }
            for head in 0..heads {
                let span = head * head_dim..(head + 1) * head_dim;
                let key = |t: usize| &key(t)[span.clone()];
                let value = |t: usize| &value(t)[span.clone()];
                let query = &query[span.clone()];
                // Each head exactly as the one-head reference computes it.
                let mut alone = vec![0f32; head_dim];
                attend_with(query, n, key, value, 0.125, &mut scores, &mut alone);
                assert_eq!(bits(&alone), bits(&portable[span.clone()]), "head {head}");
                // And it is attention: against the same in f64.
                let logits: Vec<f64> = (0..n)
                    .map(|t| {
                        let k = key(t);
                        0.125
                            * (0..head_dim)
                                .map(|i| f64::from(query[i] * k[i]))
                                .sum::<f64>()
                    })
                    .collect();
                let max = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let weights: Vec<f64> = logits.iter().map(|l| (l - max).exp()).collect();
                let total: f64 = weights.iter().sum();
                for (i, &got) in alone.iter().enumerate() {
                    let want: f64 = (0..n)
                        .map(|t| weights[t] / total * f64::from(value(t)[i]))
                        .sum();
                    assert!((f64::from(got) - want).abs() < 1e-5, "{i}");
                }
            }
        }
    }

    #[test]
    fn swish_gives_the_same_bits_on_every_path_and_matches_f64() {
        let xs: Vec<f32> = (0..1000)
            .map(|i| (i as f32 - 500.0) * 0.037)
            .chain([0.0, -0.0, 95.0, -95.0, f32::INFINITY, 1e-30])
            .collect();
        let portable: Vec<u32> = xs.iter().map(|&x| swish_one(x).to_bits()).collect();
        let mut dispatched = xs.clone();
        swish(&mut dispatched);
        let bits: Vec<u32> = dispatched.iter().map(|x| x.to_bits()).collect();
        assert_eq!(bits, portable);
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            let mut wide = xs.clone();
            // SAFETY: checked above.
            let done = unsafe { swish_avx2(&mut wide) };
            for (i, w) in wide[..done].iter().enumerate() {
                assert_eq!(w.to_bits(), portable[i], "{}", xs[i]);
            }
        }
        for &x in &xs[..1000] {
            let exact = f64::from(x) / (1.0 + (-f64::from(x)).exp());
            let got = f64::from(swish_one(x));
            assert!(
                (got - exact).abs() <= 3e-7 * exact.abs().max(1e-3),
                "{x}: {got} vs {exact}"
            );
        }
        assert!(swish_one(f32::NAN).is_nan());
    }
}

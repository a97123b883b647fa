//! The decoder step for CPU float32 on plain slices: the same operations as the Candle graph in
//! [`super::model`], arranged for a one-token step.
//!
//! Why a second implementation: in a decoding step every product is a skinny one (a few dozen
//! rows against a whole weight matrix), and the layout Candle's `Linear` hands to the `gemm`
//! crate, `x · Wᵀ`, makes it repack every weight matrix at every step; `W · xᵀ` streams the
//! row-major weights as they are and runs 2–3× faster. Around the products, the step here keeps
//! its buffers, attends with one query per row without batched tiny matrix products, reads the
//! cross-attention keys/values once per sentence instead of once per beam, and reorders beams by
//! index bookkeeping (`ancestry`) instead of copying the key/value cache.

use candle_core::{DType, Device, Storage, Tensor};
use candle_nn::{LayerNorm, Linear};

use super::config::Activation;
use super::model::DecoderLayer;

type Result<T> = candle_core::Result<T>;

/// Run `f` on the data of a contiguous CPU f32 tensor.
pub(super) fn with_slice<R>(tensor: &Tensor, f: impl FnOnce(&[f32]) -> R) -> Result<R> {
    let (storage, layout) = tensor.storage_and_layout();
    let Storage::Cpu(cpu) = &*storage else {
        candle_core::bail!("the host decoder needs tensors on the CPU");
    };
    let data = cpu.as_slice::<f32>()?;
    let Some((start, end)) = layout.contiguous_offsets() else {
        candle_core::bail!("the host decoder needs contiguous weights");
    };
    Ok(f(&data[start..end]))
}

/// `out` (n_out × rows, row-major) = `w` (n_out × n_in, row-major) · `x`ᵀ, `x` rows × n_in.
pub(super) fn matmul_transposed(
    w: &[f32],
    n_out: usize,
    n_in: usize,
    x: &[f32],
    rows: usize,
    out: &mut [f32],
) {
    assert!(w.len() >= n_out * n_in && x.len() >= rows * n_in && out.len() >= n_out * rows);
    // SAFETY: the three slices hold at least the elements the strides below address, as
    // asserted; `out` does not alias the inputs (it is a distinct `&mut`).
    unsafe {
        gemm::gemm(
            n_out,
            rows,
            n_in,
            out.as_mut_ptr(),
            1,
            rows as isize,
            false,
            w.as_ptr(),
            1,
            n_in as isize,
            x.as_ptr(),
            n_in as isize,
            1,
            0.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

/// `x · Wᵀ + b` for rows × n_in `x`, into rows × n_out `out`.
fn linear(layer: &Linear, x: &[f32], rows: usize, scratch: &mut Vec<f32>) -> Result<Vec<f32>> {
    let (n_out, n_in) = layer.weight().dims2()?;
    scratch.resize(n_out * rows, 0.0);
    with_slice(layer.weight(), |w| {
        matmul_transposed(w, n_out, n_in, x, rows, scratch)
    })?;
    let mut out = vec![0f32; rows * n_out];
    let mut transpose = |bias: Option<&[f32]>| {
        for o in 0..n_out {
            let b = bias.map_or(0.0, |b| b[o]);
            let column = &scratch[o * rows..(o + 1) * rows];
            for (r, &value) in column.iter().enumerate() {
                out[r * n_out + o] = value + b;
            }
        }
    };
    match layer.bias() {
        Some(bias) => with_slice(bias, |b| transpose(Some(b)))?,
        None => transpose(None),
    }
    Ok(out)
}

/// `norm(x + residual)` in place in `x`, as Candle's fused f32 layer norm computes it.
fn add_and_norm(norm: &LayerNorm, x: &mut [f32], residual: &[f32], d: usize) -> Result<()> {
    let Some(bias) = norm.bias() else {
        candle_core::bail!("Marian layer norms have a bias");
    };
    const EPS: f32 = 1e-5;
    with_slice(norm.weight(), |alpha| {
        with_slice(bias, |beta| {
            for (row, res) in x.chunks_mut(d).zip(residual.chunks(d)) {
                let (mut sum, mut sum2) = (0f32, 0f32);
                for (v, r) in row.iter_mut().zip(res) {
                    *v += r;
                    sum += *v;
                    sum2 += *v * *v;
                }
                let mean = sum / d as f32;
                let var = sum2 / d as f32 - mean * mean;
                let inv_std = (var + EPS).sqrt().recip();
                for ((v, a), b) in row.iter_mut().zip(alpha).zip(beta) {
                    *v = (*v - mean) * inv_std * a + b;
                }
            }
        })
    })?
}

/// Dot product with eight independent accumulators (so that it vectorizes).
fn dot(a: &[f32], b: &[f32]) -> f32 {
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
fn softmax_weighted_sum<'a>(
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

/// Decoding state of the host step.
pub struct HostState {
    rows_per_sentence: usize,
    src_len: usize,
    /// For each sentence, the source positions that hold tokens (not padding).
    src_positions: Vec<Vec<usize>>,
    /// Per layer: cross-attention keys and values, (sentences, heads, src_len, head_dim).
    cross: Vec<(Vec<f32>, Vec<f32>)>,
    /// Per layer, per decoded position: self-attention keys and values, (rows, d) as the rows
    /// were at that position.
    self_kv: Vec<Vec<(Vec<f32>, Vec<f32>)>>,
    /// Per decoded position: for each current row, the row it descends from at that position.
    ancestry: Vec<Vec<u32>>,
    scratch: Vec<f32>,
}

impl HostState {
    /// State for `rows_per_sentence` rows per sentence, from the cross-attention keys/values
    /// of each layer (sentences, heads, src_len, head_dim) and the additive encoder mask.
    pub(super) fn new(
        cross: Vec<(Tensor, Tensor)>,
        encoder_mask: &Tensor,
        rows_per_sentence: usize,
    ) -> Result<Self> {
        let mut host_cross = Vec::with_capacity(cross.len());
        let mut src_len = 0;
        for (k, v) in cross {
            (_, _, src_len, _) = k.dims4()?;
            host_cross.push((
                k.flatten_all()?.to_vec1::<f32>()?,
                v.flatten_all()?.to_vec1::<f32>()?,
            ));
        }
        let mask = encoder_mask
            .flatten_all()?
            .to_dtype(DType::F32)?
            .to_vec1::<f32>()?;
        let src_positions = mask
            .chunks(src_len.max(1))
            .map(|row| (0..row.len()).filter(|&s| row[s] == 0.0).collect())
            .collect();
        Ok(HostState {
            rows_per_sentence,
            src_len,
            src_positions,
            self_kv: vec![Vec::new(); host_cross.len()],
            cross: host_cross,
            ancestry: Vec::new(),
            scratch: Vec::new(),
        })
    }

    /// Keep rows `rows`, in that order.
    pub(super) fn reorder(&mut self, rows: &[u32]) {
        for line in &mut self.ancestry {
            *line = rows.iter().map(|&r| line[r as usize]).collect();
        }
    }
}

/// One decoder step: `h` (rows × d) holds the embedded tokens; returns the final hidden
/// states (rows × d).
pub(super) fn decoder_step(
    layers: &[DecoderLayer],
    state: &mut HostState,
    mut h: Vec<f32>,
    rows: usize,
) -> Result<Vec<f32>> {
    let d = h.len() / rows.max(1);
    state.ancestry.push((0..rows as u32).collect());
    let steps = state.ancestry.len();
    let mut scores = Vec::new();
    let mut context = vec![0f32; rows * d];
    for (l, layer) in layers.iter().enumerate() {
        // Self-attention over every position so far, following each row's ancestry.
        let attention = &layer.self_attn;
        let (heads, head_dim) = (attention.heads, attention.head_dim);
        let scaling = attention.scaling as f32;
        let scratch = &mut state.scratch;
        let q = linear(&attention.q, &h, rows, scratch)?;
        let k = linear(&attention.k, &h, rows, scratch)?;
        let v = linear(&attention.v, &h, rows, scratch)?;
        state.self_kv[l].push((k, v));
        let cache = &state.self_kv[l];
        for r in 0..rows {
            for head in 0..heads {
                let span = head * head_dim..(head + 1) * head_dim;
                let query = &q[r * d..][span.clone()];
                let at = |t: usize| state.ancestry[t][r] as usize * d + head * head_dim;
                scores.clear();
                scores.extend((0..steps).map(|t| {
                    let key = &cache[t].0[at(t)..at(t) + head_dim];
                    dot(query, key) * scaling
                }));
                softmax_weighted_sum(
                    &mut scores,
                    |t| &cache[t].1[at(t)..at(t) + head_dim],
                    &mut context[r * d..][span],
                );
            }
        }
        let attended = linear(&attention.out, &context, rows, scratch)?;
        add_and_norm(&layer.self_attn_norm, &mut h, &attended, d)?;

        // Cross-attention over the sentence's source tokens (padding skipped: its additive
        // mask makes its weight exactly zero).
        let attention = &layer.cross_attn;
        let (heads, head_dim) = (attention.heads, attention.head_dim);
        let scaling = attention.scaling as f32;
        let q = linear(&attention.q, &h, rows, scratch)?;
        let (ck, cv) = &state.cross[l];
        let src_len = state.src_len;
        for r in 0..rows {
            let sentence = r / state.rows_per_sentence;
            let positions = &state.src_positions[sentence];
            for head in 0..heads {
                let span = head * head_dim..(head + 1) * head_dim;
                let query = &q[r * d..][span.clone()];
                let base = (sentence * heads + head) * src_len * head_dim;
                scores.clear();
                scores.extend(positions.iter().map(|&s| {
                    let key = &ck[base + s * head_dim..base + (s + 1) * head_dim];
                    dot(query, key) * scaling
                }));
                softmax_weighted_sum(
                    &mut scores,
                    |i| {
                        let s = positions[i];
                        &cv[base + s * head_dim..base + (s + 1) * head_dim]
                    },
                    &mut context[r * d..][span],
                );
            }
        }
        let crossed = linear(&attention.out, &context, rows, scratch)?;
        add_and_norm(&layer.cross_attn_norm, &mut h, &crossed, d)?;

        // Feed-forward.
        let ffn = &layer.ffn;
        let mut inner = linear(&ffn.fc1, &h, rows, scratch)?;
        match ffn.activation {
            Activation::Relu => inner.iter_mut().for_each(|x| *x = x.max(0.0)),
            Activation::Swish => inner.iter_mut().for_each(|x| *x = *x / (1.0 + (-*x).exp())),
            // The GELUs go through Candle, exactly as the graph computes them.
            Activation::Gelu | Activation::GeluTanh => {
                let n = inner.len();
                let t = Tensor::from_vec(inner, n, &Device::Cpu)?;
                inner = super::model::activate(&t, ffn.activation)?.to_vec1()?;
            }
        }
        let out = linear(&ffn.fc2, &inner, rows, scratch)?;
        add_and_norm(&layer.final_norm, &mut h, &out, d)?;
    }
    Ok(h)
}

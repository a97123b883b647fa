//! The decoder step as a plan: a fixed list of typed kernel calls over buffers the plan owns,
//! sized once per batch shape (rows, sentences, target length, source tokens). What changes
//! from step to step is only the control block (the step's position, each row's token, its
//! sentence and its beam ancestry), so one plan replays every step of a batch unchanged — what
//! a captured CUDA graph needs: no allocation and no launch argument that depends on the step.
//!
//! Every kernel has a CPU twin ([`cpu`]) over the same buffer layouts: the reference the CUDA
//! kernels (`kernels.cu`) are held to, and on the CPU a backend of its own that gives the host
//! backend's ids. A layer is 13 kernels: fused Q|K|V product, K/V stored at the row's position,
//! one-query self-attention over the row's ancestry, output product, bias + residual +
//! LayerNorm, cross-query product, one-query cross-attention over the row's sentence, output
//! product, bias + residual + LayerNorm, FC1, bias + activation, FC2, bias + residual +
//! LayerNorm; then the output projection into f32 logits.

mod compact;
pub(in crate::marian) mod cpu;
#[cfg(feature = "cuda-engine")]
pub mod cuda;
pub(in crate::marian) mod decoder;
pub mod ir;
pub mod select;
pub(in crate::marian) mod weights;

pub use ir::{Buffer, BufferSpec, ControlLayout, Dims, Kernel, Shape, Weight};
use weights::{DecoderWeights, LayerWeights};

/// The decoder of one batch shape as kernel calls.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub shape: Shape,
    pub dims: Dims,
    pub buffers: Vec<BufferSpec>,
    pub control: ControlLayout,
    /// The source tokens' encoder states, written once a batch (source_tokens × d).
    pub source: Buffer,
    /// Run once a batch, after the source is written: the cross K|V of every layer.
    pub start: Vec<Kernel>,
    /// Run at every step, after the control block is written.
    pub step: Vec<Kernel>,
    /// The step's f32 logits, rows × vocab.
    pub logits: Buffer,
}

/// The buffers every layer shares, by index.
struct Shared {
    h: Buffer,
    qkv: Buffer,
    context: Buffer,
    projected: Buffer,
    query: Buffer,
    inner: Buffer,
    source: Buffer,
}

/// `out ← x · Wᵀ (+ bias)` over `rows` rows.
fn gemm(
    x: Buffer,
    w: Weight,
    bias: Option<Weight>,
    out: Buffer,
    [rows, n_out, n_in]: [usize; 3],
) -> Kernel {
    Kernel::Gemm {
        x,
        w,
        bias,
        out,
        rows,
        n_out,
        n_in,
    }
}

impl Plan {
    /// The plan of `weights`' decoder for batches of `shape`.
    pub fn build(weights: &DecoderWeights, shape: Shape) -> Self {
        let dims = weights.dims;
        let (d, rows) = (dims.d, shape.rows);
        let mut buffers = Vec::new();
        let mut buffer = |name: String, len: usize| {
            buffers.push(BufferSpec { name, len });
            Buffer(buffers.len() - 1)
        };
        let shared = Shared {
            h: buffer("h".into(), rows * d),
            qkv: buffer("qkv".into(), rows * 3 * d),
            context: buffer("context".into(), rows * d),
            projected: buffer("projected".into(), rows * d),
            query: buffer("cross_query".into(), rows * d),
            inner: buffer("ffn_inner".into(), rows * dims.ffn),
            source: buffer("source".into(), shape.source_tokens * d),
        };
        let logits = buffer("logits".into(), rows * dims.vocab);
        let (mut start, mut step) = (Vec::new(), Vec::new());
        step.push(Kernel::Embed {
            table: weights.embed,
            positions: weights.positions,
            out: shared.h,
        });
        for (l, layer) in weights.layers.iter().enumerate() {
            let cache = shape.max_target * rows * d;
            let caches = [
                buffer(format!("layer{l}.self_keys"), cache),
                buffer(format!("layer{l}.self_values"), cache),
                buffer(format!("layer{l}.cross_kv"), shape.source_tokens * 2 * d),
            ];
            let n = shape.source_tokens;
            let bias = Some(layer.cross_kv_bias);
            start.push(gemm(
                shared.source,
                layer.cross_kv,
                bias,
                caches[2],
                [n, 2 * d, d],
            ));
            step.extend(layer_kernels(layer, &shared, caches, dims, rows));
        }
        let bias = Some(weights.logits_bias);
        step.push(gemm(
            shared.h,
            weights.lm_head,
            bias,
            logits,
            [rows, dims.vocab, d],
        ));
        Plan {
            shape,
            dims,
            buffers,
            control: ControlLayout::new(&shape),
            source: shared.source,
            start,
            step,
            logits,
        }
    }

    /// Values (f32) held by the plan's buffers.
    pub fn buffer_values(&self) -> usize {
        self.buffers.iter().map(|b| b.len).sum()
    }

    /// The buffers a batch fills once, at its start, whatever its rows: the source states and
    /// every layer's cross K|V (what a batch with fewer rows keeps as it is).
    pub fn batch_buffers(&self) -> Vec<Buffer> {
        let filled = self.start.iter().flat_map(Kernel::writes);
        std::iter::once(self.source).chain(filled).collect()
    }

    /// The self-attention caches: position t of row r at row t · rows + r (d values a row).
    pub fn self_caches(&self) -> Vec<Buffer> {
        let stores = self
            .step
            .iter()
            .filter(|k| matches!(k, Kernel::StoreKv { .. }));
        stores.flat_map(Kernel::writes).collect()
    }
}

/// One decoder layer's 13 kernels.
fn layer_kernels(
    layer: &LayerWeights,
    b: &Shared,
    [keys, values, kv]: [Buffer; 3],
    dims: Dims,
    rows: usize,
) -> [Kernel; 13] {
    let (d, h) = (dims.d, b.h);
    [
        gemm(h, layer.qkv, Some(layer.qkv_bias), b.qkv, [rows, 3 * d, d]),
        Kernel::StoreKv {
            qkv: b.qkv,
            keys,
            values,
        },
        Kernel::SelfAttention {
            qkv: b.qkv,
            keys,
            values,
            out: b.context,
        },
        gemm(b.context, layer.self_out, None, b.projected, [rows, d, d]),
        layer.self_norm.after(b.projected, h),
        gemm(
            h,
            layer.cross_q,
            Some(layer.cross_q_bias),
            b.query,
            [rows, d, d],
        ),
        Kernel::CrossAttention {
            q: b.query,
            kv,
            out: b.context,
        },
        gemm(b.context, layer.cross_out, None, b.projected, [rows, d, d]),
        layer.cross_norm.after(b.projected, h),
        gemm(h, layer.fc1, None, b.inner, [rows, dims.ffn, d]),
        Kernel::BiasActivation {
            x: b.inner,
            bias: layer.fc1_bias,
        },
        gemm(b.inner, layer.fc2, None, b.projected, [rows, d, dims.ffn]),
        layer.final_norm.after(b.projected, h),
    ]
}

#[cfg(test)]
mod tests;

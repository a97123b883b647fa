//! The plan's vocabulary: buffers and weights by index, the shape a plan is sized for, the
//! model's dimensions, the kernel calls and the control block's layout. Shared by the plan's
//! builder, its weights and its executors.

use crate::marian::config::Activation;

/// A weight array of the decoder's weights (`super::weights`), by index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Weight(pub usize);

/// A buffer of the plan (activations, caches, logits), by index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Buffer(pub usize);

/// What a plan is sized for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// Rows computed at every step (sentences × beams; live or not).
    pub rows: usize,
    /// Sentences of the batch (rows / rows per sentence).
    pub sentences: usize,
    /// Most target positions decoded.
    pub max_target: usize,
    /// Source tokens of all sentences together (padding left out).
    pub source_tokens: usize,
}

/// The model's dimensions the kernels need.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Dims {
    pub d: usize,
    pub heads: usize,
    pub ffn: usize,
    pub layers: usize,
    pub vocab: usize,
    pub embed_scale: f32,
    /// head_dim^-0.5
    pub scaling: f32,
    pub activation: Activation,
}

/// One kernel call. Every size in it is the plan's, never the step's.
#[derive(Debug, Clone, PartialEq)]
pub enum Kernel {
    /// Row r ← table[token r] × scale + positions[position].
    Embed {
        table: Weight,
        positions: Weight,
        out: Buffer,
    },
    /// out ← x · Wᵀ (+ bias), `rows` × n_out, W n_out × n_in row-major.
    Gemm {
        x: Buffer,
        w: Weight,
        bias: Option<Weight>,
        out: Buffer,
        rows: usize,
        n_out: usize,
        n_in: usize,
    },
    /// The K and V of each row's Q|K|V into the layer's cache at the step's position.
    StoreKv {
        qkv: Buffer,
        keys: Buffer,
        values: Buffer,
    },
    /// One query a row (the Q of Q|K|V) over positions 0..=position of the cache, position t
    /// read at the row the row descends from (its ancestry), into `out`.
    SelfAttention {
        qkv: Buffer,
        keys: Buffer,
        values: Buffer,
        out: Buffer,
    },
    /// One query a row over its sentence's source tokens, K|V side by side in `kv`.
    CrossAttention { q: Buffer, kv: Buffer, out: Buffer },
    /// h ← LayerNorm(h + x + bias) · gamma + beta.
    BiasResidualNorm {
        x: Buffer,
        bias: Weight,
        h: Buffer,
        gamma: Weight,
        beta: Weight,
    },
    /// x ← activation(x + bias).
    BiasActivation { x: Buffer, bias: Weight },
}

/// Where each part of the control block starts (u32 words); one copy to the device a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ControlLayout {
    pub rows: usize,
    pub max_target: usize,
    /// Word 0: the step's position.
    pub position: usize,
    /// Per row: the token fed.
    pub tokens: usize,
    /// Per row: its sentence.
    pub sentence: usize,
    /// Per position t, per row: the row it descended from at position t.
    pub ancestry: usize,
    /// Per sentence, and one last: where its source tokens start in the cross K|V.
    pub source_start: usize,
    pub len: usize,
}

impl ControlLayout {
    pub(super) fn new(shape: &Shape) -> Self {
        let tokens = 1;
        let sentence = tokens + shape.rows;
        let ancestry = sentence + shape.rows;
        let source_start = ancestry + shape.max_target * shape.rows;
        ControlLayout {
            rows: shape.rows,
            max_target: shape.max_target,
            position: 0,
            tokens,
            sentence,
            ancestry,
            source_start,
            len: source_start + shape.sentences + 1,
        }
    }
}

/// A buffer's name and length in values (f32).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BufferSpec {
    pub name: String,
    pub len: usize,
}

impl Kernel {
    /// The buffers the kernel writes.
    pub fn writes(&self) -> Vec<Buffer> {
        match *self {
            Kernel::Embed { out, .. }
            | Kernel::Gemm { out, .. }
            | Kernel::SelfAttention { out, .. }
            | Kernel::CrossAttention { out, .. } => vec![out],
            Kernel::StoreKv { keys, values, .. } => vec![keys, values],
            Kernel::BiasResidualNorm { h, .. } => vec![h],
            Kernel::BiasActivation { x, .. } => vec![x],
        }
    }

    /// The kernel's name, as the self-test reports it.
    pub fn name(&self) -> &'static str {
        match self {
            Kernel::Embed { .. } => "embed",
            Kernel::Gemm { .. } => "gemm",
            Kernel::StoreKv { .. } => "store_kv",
            Kernel::SelfAttention { .. } => "self_attention",
            Kernel::CrossAttention { .. } => "cross_attention",
            Kernel::BiasResidualNorm { .. } => "bias_residual_norm",
            Kernel::BiasActivation { .. } => "bias_activation",
        }
    }
}

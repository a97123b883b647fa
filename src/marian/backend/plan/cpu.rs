//! The CPU twin of every kernel of a [`Plan`]: the same calls over the same buffer layouts, in
//! float32, with the host step's own arithmetic (its batch-invariant products, its attention,
//! its LayerNorm), so that a plan run here gives the host backend's numbers. It is the
//! reference the CUDA kernels are tested against, and a decoder backend of its own.
//!
//! Every kernel computes all the plan's rows, live or not, and reads the step from the control
//! block only.

use super::ir::{Buffer, ControlLayout, Kernel, Weight};
use super::weights::DecoderWeights;
use super::Plan;
use crate::marian::backend::host_layers::{activate_in_place, attend_heads};
use crate::marian::error::ComputeError;
use crate::marian::ops::invariant;
use crate::marian::ops::matrix::add_and_norm;

type Result<T> = std::result::Result<T, ComputeError>;

/// The plan's buffers, allocated once, and the control block the kernels read.
pub struct Arena {
    pub buffers: Vec<Vec<f32>>,
    pub control: Vec<u32>,
    /// Attention scores, one query at a time.
    scores: Vec<f32>,
}

impl Arena {
    pub fn new(plan: &Plan) -> Self {
        Arena {
            buffers: plan.buffers.iter().map(|b| vec![0.0; b.len]).collect(),
            control: vec![0; plan.control.len],
            scores: Vec::new(),
        }
    }

    /// The control block alone, for a plan whose buffers live on a device.
    pub fn control_only(plan: &Plan) -> Self {
        Arena {
            buffers: Vec::new(),
            control: vec![0; plan.control.len],
            scores: Vec::new(),
        }
    }

    /// An arena from its buffers and control block.
    pub fn from_parts(buffers: Vec<Vec<f32>>, control: Vec<u32>) -> Self {
        Arena {
            buffers,
            control,
            scores: Vec::new(),
        }
    }

    pub fn buffer(&self, b: Buffer) -> &[f32] {
        &self.buffers[b.0]
    }

    pub fn buffer_mut(&mut self, b: Buffer) -> &mut [f32] {
        &mut self.buffers[b.0]
    }
}

/// Run `kernels` of `plan` over `arena`, in order.
pub fn run(
    plan: &Plan,
    kernels: &[Kernel],
    weights: &DecoderWeights,
    arena: &mut Arena,
) -> Result<()> {
    for kernel in kernels {
        run_one(plan, kernel, weights, arena)?;
    }
    Ok(())
}

/// One kernel: an output buffer is taken out of the arena while the inputs are read (a move,
/// not an allocation), then put back.
fn run_one(plan: &Plan, kernel: &Kernel, w: &DecoderWeights, arena: &mut Arena) -> Result<()> {
    match *kernel {
        Kernel::Embed {
            table,
            positions,
            out,
        } => embed(plan, w.get(table), w.get(positions), arena, out),
        Kernel::Gemm {
            x,
            w: weight,
            bias,
            out,
            rows,
            n_out,
            n_in,
        } => {
            let mut output = std::mem::take(&mut arena.buffers[out.0]);
            let input = &arena.buffers[x.0][..rows * n_in];
            let (weight, bias) = (w.get(weight), bias.map(|b| w.get(b)));
            let written = &mut output[..rows * n_out];
            invariant::product(input, rows, weight, n_out, n_in, bias, written);
            arena.buffers[out.0] = output;
        }
        Kernel::StoreKv { qkv, keys, values } => store_kv(plan, arena, qkv, keys, values),
        Kernel::SelfAttention {
            qkv,
            keys,
            values,
            out,
        } => self_attention(plan, arena, [qkv, keys, values, out]),
        Kernel::CrossAttention { q, kv, out } => cross_attention(plan, arena, q, kv, out),
        Kernel::BiasResidualNorm {
            x,
            bias,
            h,
            gamma,
            beta,
        } => bias_residual_norm(plan, w, arena, [x, h], [bias, gamma, beta]),
        Kernel::BiasActivation { x, bias } => {
            let mut values = std::mem::take(&mut arena.buffers[x.0]);
            let bias = w.get(bias);
            for row in values.chunks_mut(bias.len()) {
                row.iter_mut().zip(bias).for_each(|(v, b)| *v += b);
            }
            activate_in_place(&mut values, plan.dims.activation)?;
            arena.buffers[x.0] = values;
        }
    }
    Ok(())
}

/// Row r ← table[token r] × scale + positions[position].
fn embed(plan: &Plan, table: &[f32], positions: &[f32], arena: &mut Arena, out: Buffer) {
    let (c, d, rows) = (&plan.control, plan.dims.d, plan.shape.rows);
    let position = arena.control[c.position] as usize;
    let pos = &positions[position * d..(position + 1) * d];
    let tokens = &arena.control[c.tokens..c.tokens + rows];
    for (row, &token) in arena.buffers[out.0].chunks_mut(d).zip(tokens) {
        let embedding = &table[token as usize * d..(token as usize + 1) * d];
        for ((x, e), p) in row.iter_mut().zip(embedding).zip(pos) {
            *x = e * plan.dims.embed_scale + p;
        }
    }
}

/// Each row's K and V (parts 1 and 2 of its Q|K|V) into the caches at the step's position.
fn store_kv(plan: &Plan, arena: &mut Arena, qkv: Buffer, keys: Buffer, values: Buffer) {
    let (d, rows) = (plan.dims.d, plan.shape.rows);
    let position = arena.control[plan.control.position] as usize;
    for (cache, part) in [(keys, 1), (values, 2)] {
        let mut cache_values = std::mem::take(&mut arena.buffers[cache.0]);
        let at = position * rows * d;
        for (r, row) in cache_values[at..at + rows * d].chunks_mut(d).enumerate() {
            let from = r * 3 * d + part * d;
            row.copy_from_slice(&arena.buffers[qkv.0][from..from + d]);
        }
        arena.buffers[cache.0] = cache_values;
    }
}

/// h ← LayerNorm(h + x + bias) · gamma + beta; x is left holding x + bias.
fn bias_residual_norm(
    plan: &Plan,
    w: &DecoderWeights,
    arena: &mut Arena,
    [x, h]: [Buffer; 2],
    [bias, gamma, beta]: [Weight; 3],
) {
    let n = plan.shape.rows * plan.dims.d;
    let mut projected = std::mem::take(&mut arena.buffers[x.0]);
    let bias = w.get(bias);
    for row in projected[..n].chunks_mut(bias.len()) {
        // As the product's epilogue adds it: the lane sum, then the bias.
        row.iter_mut().zip(bias).for_each(|(v, b)| *v += b);
    }
    let states = &mut arena.buffers[h.0][..n];
    add_and_norm(w.get(gamma), w.get(beta), states, &projected[..n]);
    arena.buffers[x.0] = projected;
}

/// The row a row descends from at position `t` (control block's ancestry).
fn ancestor(control: &[u32], layout: &ControlLayout, t: usize, r: usize) -> usize {
    control[layout.ancestry + t * layout.rows + r] as usize
}

fn self_attention(plan: &Plan, arena: &mut Arena, [qkv, keys, values, out]: [Buffer; 4]) {
    let (d, rows) = (plan.dims.d, plan.shape.rows);
    let layout = &plan.control;
    let steps = arena.control[layout.position] as usize + 1;
    let mut context = std::mem::take(&mut arena.buffers[out.0]);
    let (keys, values) = (&arena.buffers[keys.0], &arena.buffers[values.0]);
    let (q, control) = (&arena.buffers[qkv.0], &arena.control);
    for r in 0..rows {
        let at = |t: usize| (t * rows + ancestor(control, layout, t, r)) * d;
        attend_heads(
            &q[r * 3 * d..r * 3 * d + d],
            plan.dims.heads,
            steps,
            |t| &keys[at(t)..at(t) + d],
            |t| &values[at(t)..at(t) + d],
            plan.dims.scaling,
            &mut arena.scores,
            &mut context[r * d..(r + 1) * d],
        );
    }
    arena.buffers[out.0] = context;
}

fn cross_attention(plan: &Plan, arena: &mut Arena, q: Buffer, kv: Buffer, out: Buffer) {
    let (d, rows) = (plan.dims.d, plan.shape.rows);
    let layout = &plan.control;
    let mut context = std::mem::take(&mut arena.buffers[out.0]);
    let (q, kv, control) = (&arena.buffers[q.0], &arena.buffers[kv.0], &arena.control);
    for r in 0..rows {
        let sentence = control[layout.sentence + r] as usize;
        let start = control[layout.source_start + sentence] as usize;
        let end = control[layout.source_start + sentence + 1] as usize;
        let at = |i: usize| (start + i) * 2 * d;
        attend_heads(
            &q[r * d..(r + 1) * d],
            plan.dims.heads,
            end - start,
            |i| &kv[at(i)..at(i) + d],
            |i| &kv[at(i) + d..at(i) + 2 * d],
            plan.dims.scaling,
            &mut arena.scores,
            &mut context[r * d..(r + 1) * d],
        );
    }
    arena.buffers[out.0] = context;
}

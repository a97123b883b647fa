//! A batch that keeps fewer rows. When search drops finished rows (`reorder` with fewer rows
//! than the plan's), the batch is planned again for the rows it keeps: the same kernels over
//! smaller buffers, so that every later step costs what the live rows need. The source and the
//! cross K|V stay as they are (sentences do not change); each self-attention cache is gathered
//! so that new row i holds at position t what its ancestry pointed to, and the ancestry starts
//! over as the identity. On a device the new plan is a new rows bucket, with a graph of its own.

use super::cpu::Arena;
use super::ir::{Buffer, Shape};
use super::weights::DecoderWeights;
use super::Plan;

/// What the batch becomes.
pub(super) struct Compaction {
    pub(super) plan: Plan,
    pub(super) control: Vec<u32>,
    /// For each (position t < decoded, new row i), in that order: the old cache row it takes.
    pub(super) gather: Vec<u32>,
}

/// The plan, control block and cache gather of a batch of `old`'s plan keeping rows `rows`
/// (old indices, in their new order) after `decoded` positions.
pub(super) fn compaction(
    weights: &DecoderWeights,
    old: &Plan,
    old_control: &[u32],
    rows: &[u32],
    decoded: usize,
) -> Compaction {
    let shape = Shape {
        rows: rows.len(),
        ..old.shape
    };
    let plan = Plan::build(weights, shape);
    let (was, now) = (old.control, plan.control);
    let mut control = vec![0u32; now.len];
    control[now.position] = old_control[was.position];
    for (i, &r) in rows.iter().enumerate() {
        control[now.tokens + i] = old_control[was.tokens + r as usize];
        control[now.sentence + i] = old_control[was.sentence + r as usize];
        for t in 0..shape.max_target {
            control[now.ancestry + t * shape.rows + i] = i as u32;
        }
    }
    let starts = shape.sentences + 1;
    control[now.source_start..][..starts]
        .copy_from_slice(&old_control[was.source_start..][..starts]);
    let old_rows = old.shape.rows;
    let mut gather = Vec::with_capacity(decoded * rows.len());
    for t in 0..decoded {
        for &r in rows {
            let from = old_control[was.ancestry + t * old_rows + r as usize];
            gather.push((t * old_rows) as u32 + from);
        }
    }
    Compaction {
        plan,
        control,
        gather,
    }
}

/// The CPU twin's arena after `compaction`: the batch's buffers moved from `old`, the caches
/// gathered, the rest new.
pub(super) fn arena(old: &mut Arena, compaction: &Compaction) -> Arena {
    let plan = &compaction.plan;
    let d = plan.dims.d;
    let (kept, caches) = (plan.batch_buffers(), plan.self_caches());
    let buffers = (plan.buffers.iter().enumerate())
        .map(|(i, spec)| {
            if kept.contains(&Buffer(i)) {
                return std::mem::take(&mut old.buffers[i]);
            }
            let mut values = vec![0f32; spec.len];
            if caches.contains(&Buffer(i)) {
                let from = &old.buffers[i];
                for (to, &row) in values.chunks_exact_mut(d).zip(&compaction.gather) {
                    to.copy_from_slice(&from[row as usize * d..][..d]);
                }
            }
            values
        })
        .collect();
    Arena::from_parts(buffers, compaction.control.clone())
}

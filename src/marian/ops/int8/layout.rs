//! The packed layout's sizes, shared by the packer and every kernel, and how a product is cut
//! for the caches.

use super::super::cache::CacheSizes;

/// Outputs per packed block.
pub(super) const BLOCK: usize = 16;
/// Input columns per group (one 32-bit lane).
pub(super) const GROUP: usize = 4;
/// Bytes of one group of one block.
pub(super) const GROUP_BYTES: usize = BLOCK * GROUP;
/// Rows and blocks per AVX-512 tile: 8 rows × 2 blocks = 16 of the 32 registers as
/// accumulators. (6 × 4, with fewer loads per product, measured no faster: the weights of a
/// wider tile crowd the activations out of L1.)
pub(super) const TILE_ROWS: usize = 8;
pub(super) const TILE_BLOCKS: usize = 2;

/// How a product is cut and fed for the caches found at run time.
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
#[derive(Debug, Clone, Copy)]
pub(super) struct Blocking {
    /// Activation rows taken at a time: as many as fill half the L2 cache (a multiple of the
    /// kernel's tile rows), so that they stay there while every weight block passes over them;
    /// the weights are then read once per chunk of rows instead of the rows once per block.
    /// Only a call with more rows than that (an encoder batch of long sentences) is cut.
    pub(super) rows: usize,
    /// Whether prefetched weights fit in the L1 cache beside the blocks in use (then they go
    /// there, else to L2).
    pub(super) prefetch_to_l1: bool,
}

#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
impl Blocking {
    /// For a matrix of `k_pad` columns, a kernel of `tile_rows` × `tile_blocks` tiles.
    pub(super) fn new(
        cache: CacheSizes,
        k_pad: usize,
        tile_rows: usize,
        tile_blocks: usize,
    ) -> Self {
        let tile_weights = tile_blocks * k_pad * BLOCK;
        Blocking {
            rows: (cache.l2 / 2 / k_pad.max(1)).max(tile_rows) / tile_rows * tile_rows,
            prefetch_to_l1: 2 * tile_weights + tile_rows * k_pad <= cache.l1d,
        }
    }
}

/// Prefetch the line at `p` (a hint: never faults, so `p` may be anywhere).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub(super) fn prefetch(p: *const i8, to_l1: bool) {
    use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0, _MM_HINT_T1};
    // SAFETY: prefetching is a hint to the cache; it reads nothing and cannot fault.
    unsafe {
        if to_l1 {
            _mm_prefetch::<_MM_HINT_T0>(p);
        } else {
            _mm_prefetch::<_MM_HINT_T1>(p);
        }
    }
}

//! The packed layout's sizes, shared by the packer and every kernel.

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

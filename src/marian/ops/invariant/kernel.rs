//! What the kernels of every instruction set share: the lane count, the [`Kernel`] trait they
//! implement, the fixed reduction tree and the zero-padded tail of a row.

/// Lanes of one dot product.
pub(super) const LANES: usize = 16;

/// One dot product's 16 lanes, held in memory between blocks of `k`.
pub(super) type Lanes = [f32; LANES];

/// The tile kernels of one instruction set: `dots::<NR, NO>(x, w, n_in)` gives the NR × NO
/// dot products (lanes reduced, no bias) of rows `x` against weight rows `w`, each `n_in` long.
/// `accumulate` and `finish` are the same computation cut at blocks of `k` (the lanes stored and
/// reloaded as they are), so a blocked product gives the same bits as `dots`.
pub(super) trait Kernel {
    /// Rows of `x` in the main register tile, against [`Kernel::OUTS`] weight rows: ROWS ×
    /// OUTS accumulators, plus OUTS weight vectors and one of `x`, must fit in the instruction
    /// set's registers. More rows per tile means each weight vector, streamed from L2, serves
    /// more multiply-adds. Any tile gives the same bits (each output's sums are its own).
    const ROWS: usize;
    /// Weight rows in the main register tile.
    const OUTS: usize;

    /// # Safety
    /// The CPU must have the kernel's instructions; every pointer must address `n_in` values.
    unsafe fn dots<const NR: usize, const NO: usize>(
        x: [*const f32; NR],
        w: [*const f32; NO],
        n_in: usize,
    ) -> [[f32; NO]; NR];

    /// Continue the lanes `acc` over values `k0..k1` (whole steps of 16; `stride` is the
    /// distance between weight rows, for prefetching).
    ///
    /// # Safety
    /// As [`Kernel::dots`], with `k1` at most the rows' length rounded down to 16.
    unsafe fn accumulate<const NR: usize, const NO: usize>(
        x: [*const f32; NR],
        w: [*const f32; NO],
        k0: usize,
        k1: usize,
        stride: usize,
        acc: &mut [[Lanes; NO]; NR],
    );

    /// Add the zero-padded tail (values `n_in / 16 * 16..n_in`) to the lanes and reduce them.
    ///
    /// # Safety
    /// As [`Kernel::dots`].
    unsafe fn finish<const NR: usize, const NO: usize>(
        x: [*const f32; NR],
        w: [*const f32; NO],
        n_in: usize,
        acc: &[[Lanes; NO]; NR],
    ) -> [[f32; NO]; NR];
}

/// The 16 lanes summed in the fixed tree: lanes j and j+8, then j and j+4, j and j+2, 0 and 1.
#[inline(always)]
pub(super) fn reduce(lanes: [f32; LANES]) -> f32 {
    let mut v = [0f32; 8];
    for j in 0..8 {
        v[j] = lanes[j] + lanes[j + 8];
    }
    let mut u = [0f32; 4];
    for j in 0..4 {
        u[j] = v[j] + v[j + 4];
    }
    let (a, b) = (u[0] + u[2], u[1] + u[3]);
    a + b
}

/// The last `n_in % 16` values at `row`, zero-padded to 16: adding 0·0 leaves a lane as it was.
///
/// # Safety
/// `row` must address `n_in` values.
#[inline(always)]
pub(super) unsafe fn tail(row: *const f32, full: usize, n_in: usize) -> [f32; LANES] {
    let mut padded = [0f32; LANES];
    std::ptr::copy_nonoverlapping(row.add(full), padded.as_mut_ptr(), n_in - full);
    padded
}

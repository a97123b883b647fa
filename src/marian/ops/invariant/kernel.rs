//! What the kernels of every instruction set share: the lane count, the [`Kernel`] trait they
//! implement, the fixed reduction tree and the zero-padded tail of a row.

/// Lanes of one dot product.
pub(super) const LANES: usize = 16;

/// The tile kernels of one instruction set: `dots::<NR, NO>(x, w, n_in)` gives the NR × NO
/// dot products (lanes reduced, no bias) of rows `x` against weight rows `w`, each `n_in` long.
pub(super) trait Kernel {
    /// # Safety
    /// The CPU must have the kernel's instructions; every pointer must address `n_in` values.
    unsafe fn dots<const NR: usize, const NO: usize>(
        x: [*const f32; NR],
        w: [*const f32; NO],
        n_in: usize,
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

//! The AVX2 kernel: 16 lanes in two registers.

use std::arch::x86_64::*;

use super::kernel::{tail, Kernel, Lanes, LANES};

/// 16 lanes in two registers (lanes 0–7, 8–15).
pub(super) struct Avx2;

/// One 16-value step of every accumulator: `x`, `w` point at the step's first values.
#[target_feature(enable = "avx2,fma")]
#[inline]
unsafe fn step<const NR: usize, const NO: usize>(
    lo: &mut [[__m256; NO]; NR],
    hi: &mut [[__m256; NO]; NR],
    x: [*const f32; NR],
    w: [*const f32; NO],
) {
    for j in 0..NO {
        let (wl, wh) = (_mm256_loadu_ps(w[j]), _mm256_loadu_ps(w[j].add(8)));
        for i in 0..NR {
            lo[i][j] = _mm256_fmadd_ps(_mm256_loadu_ps(x[i]), wl, lo[i][j]);
            hi[i][j] = _mm256_fmadd_ps(_mm256_loadu_ps(x[i].add(8)), wh, hi[i][j]);
        }
    }
}

/// The accumulators over values `k0..k1`, 16 at a step.
#[target_feature(enable = "avx2,fma")]
#[inline]
#[allow(clippy::too_many_arguments)]
unsafe fn run<const NR: usize, const NO: usize>(
    lo: &mut [[__m256; NO]; NR],
    hi: &mut [[__m256; NO]; NR],
    x: [*const f32; NR],
    w: [*const f32; NO],
    k0: usize,
    k1: usize,
    stride: usize,
) {
    let mut k = k0;
    while k < k1 {
        // As in the AVX-512 kernel: the next tile's weight rows, fetched ahead.
        for p in w {
            _mm_prefetch::<_MM_HINT_T0>(p.add(k + NO * stride) as *const i8);
        }
        step(lo, hi, x.map(|p| p.add(k)), w.map(|p| p.add(k)));
        k += LANES;
    }
}

/// The zero-padded tail added, then the lanes reduced in `reduce`'s tree.
#[target_feature(enable = "avx2,fma")]
#[inline]
unsafe fn tail_and_reduce<const NR: usize, const NO: usize>(
    mut lo: [[__m256; NO]; NR],
    mut hi: [[__m256; NO]; NR],
    x: [*const f32; NR],
    w: [*const f32; NO],
    n_in: usize,
) -> [[f32; NO]; NR] {
    let full = n_in / LANES * LANES;
    if full < n_in {
        let xt: [[f32; LANES]; NR] = std::array::from_fn(|i| tail(x[i], full, n_in));
        let wt: [[f32; LANES]; NO] = std::array::from_fn(|j| tail(w[j], full, n_in));
        let xp: [*const f32; NR] = std::array::from_fn(|i| xt[i].as_ptr());
        let wp: [*const f32; NO] = std::array::from_fn(|j| wt[j].as_ptr());
        step(&mut lo, &mut hi, xp, wp);
    }
    let mut sums = [[0f32; NO]; NR];
    for i in 0..NR {
        for j in 0..NO {
            sums[i][j] = reduce8(_mm256_add_ps(lo[i][j], hi[i][j]));
        }
    }
    sums
}

/// Lanes 0–7 and 8–15 of stored accumulators, in registers.
#[target_feature(enable = "avx2,fma")]
#[inline]
#[allow(clippy::type_complexity)]
unsafe fn load<const NR: usize, const NO: usize>(
    lanes: &[[Lanes; NO]; NR],
) -> ([[__m256; NO]; NR], [[__m256; NO]; NR]) {
    (
        std::array::from_fn(|i| std::array::from_fn(|j| _mm256_loadu_ps(lanes[i][j].as_ptr()))),
        std::array::from_fn(|i| {
            std::array::from_fn(|j| _mm256_loadu_ps(lanes[i][j].as_ptr().add(8)))
        }),
    )
}

/// The rest of `reduce`'s tree on lanes already paired (`v[j] = lanes[j] + lanes[j+8]`):
/// j and j+4, then j and j+2, then 0 and 1, lane-wise as the portable code adds them.
#[target_feature(enable = "avx2,fma")]
#[inline]
pub(super) unsafe fn reduce8(v: __m256) -> f32 {
    let u = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps::<1>(v));
    let t = _mm_add_ps(u, _mm_movehl_ps(u, u));
    let r = _mm_add_ss(t, _mm_shuffle_ps::<0b01>(t, t));
    _mm_cvtss_f32(r)
}

impl Kernel for Avx2 {
    // 6 accumulators of two registers each, two weight registers and one of `x`: 15 of the 16.
    // A 4 × 4 tile needs 32 and spills: 3 × 2 is 1.2–1.6× faster from 16 rows up (the two
    // walks alternated in one process, best of 7, AMD EPYC); 2 × 3 and 2 × 2 fell between.
    const ROWS: usize = 3;
    const OUTS: usize = 2;

    #[target_feature(enable = "avx2,fma")]
    unsafe fn dots<const NR: usize, const NO: usize>(
        x: [*const f32; NR],
        w: [*const f32; NO],
        n_in: usize,
    ) -> [[f32; NO]; NR] {
        let mut lo = [[_mm256_setzero_ps(); NO]; NR];
        let mut hi = [[_mm256_setzero_ps(); NO]; NR];
        run(&mut lo, &mut hi, x, w, 0, n_in / LANES * LANES, n_in);
        tail_and_reduce(lo, hi, x, w, n_in)
    }

    #[target_feature(enable = "avx2,fma")]
    unsafe fn accumulate<const NR: usize, const NO: usize>(
        x: [*const f32; NR],
        w: [*const f32; NO],
        k0: usize,
        k1: usize,
        stride: usize,
        acc: &mut [[Lanes; NO]; NR],
    ) {
        let (mut lo, mut hi) = load(acc);
        run(&mut lo, &mut hi, x, w, k0, k1, stride);
        for i in 0..NR {
            for j in 0..NO {
                _mm256_storeu_ps(acc[i][j].as_mut_ptr(), lo[i][j]);
                _mm256_storeu_ps(acc[i][j].as_mut_ptr().add(8), hi[i][j]);
            }
        }
    }

    #[target_feature(enable = "avx2,fma")]
    unsafe fn finish<const NR: usize, const NO: usize>(
        x: [*const f32; NR],
        w: [*const f32; NO],
        n_in: usize,
        acc: &[[Lanes; NO]; NR],
    ) -> [[f32; NO]; NR] {
        let (lo, hi) = load(acc);
        tail_and_reduce(lo, hi, x, w, n_in)
    }
}

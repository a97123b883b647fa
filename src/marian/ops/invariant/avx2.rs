//! The AVX2 kernel: 16 lanes in two registers.

use std::arch::x86_64::*;

use super::kernel::{tail, Kernel, LANES};

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

#[target_feature(enable = "avx2,fma")]
unsafe fn dots<const NR: usize, const NO: usize>(
    x: [*const f32; NR],
    w: [*const f32; NO],
    n_in: usize,
) -> [[f32; NO]; NR] {
    let full = n_in / LANES * LANES;
    let mut lo = [[_mm256_setzero_ps(); NO]; NR];
    let mut hi = [[_mm256_setzero_ps(); NO]; NR];
    let mut k = 0;
    while k < full {
        // As in the AVX-512 kernel: the next tile's weight rows, fetched ahead.
        for p in w {
            _mm_prefetch::<_MM_HINT_T0>(p.add(k + NO * n_in) as *const i8);
        }
        step(&mut lo, &mut hi, x.map(|p| p.add(k)), w.map(|p| p.add(k)));
        k += LANES;
    }
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

/// The rest of `reduce`'s tree on lanes already paired (v[j] = lanes[j] + lanes[j+8]):
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
    unsafe fn dots<const NR: usize, const NO: usize>(
        x: [*const f32; NR],
        w: [*const f32; NO],
        n_in: usize,
    ) -> [[f32; NO]; NR] {
        dots::<NR, NO>(x, w, n_in)
    }
}

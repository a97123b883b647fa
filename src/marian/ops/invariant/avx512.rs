//! The AVX-512 kernel: 16 lanes in one register.

use std::arch::x86_64::*;

use super::kernel::{tail, Kernel, Lanes, LANES};

/// 16 lanes in one register.
pub(super) struct Avx512;

/// The accumulators over values `k0..k1`, 16 at a step.
#[target_feature(enable = "avx512f,avx512vl,avx512bw,avx512dq,avx2,fma")]
#[inline]
unsafe fn run<const NR: usize, const NO: usize>(
    acc: &mut [[__m512; NO]; NR],
    x: [*const f32; NR],
    w: [*const f32; NO],
    k0: usize,
    k1: usize,
    stride: usize,
) {
    let mut k = k0;
    while k < k1 {
        // The next tile's weight rows follow these in memory: fetch them while these are
        // used (streamed from memory, the output projection's rows would otherwise wait).
        for p in w {
            _mm_prefetch::<_MM_HINT_T0>(p.add(k + NO * stride) as *const i8);
        }
        let wv: [__m512; NO] = std::array::from_fn(|j| _mm512_loadu_ps(w[j].add(k)));
        for i in 0..NR {
            let xv = _mm512_loadu_ps(x[i].add(k));
            for j in 0..NO {
                acc[i][j] = _mm512_fmadd_ps(xv, wv[j], acc[i][j]);
            }
        }
        k += LANES;
    }
}

/// The zero-padded tail added, then the lanes reduced in `reduce`'s tree.
#[target_feature(enable = "avx512f,avx512vl,avx512bw,avx512dq,avx2,fma")]
#[inline]
unsafe fn tail_and_reduce<const NR: usize, const NO: usize>(
    mut acc: [[__m512; NO]; NR],
    x: [*const f32; NR],
    w: [*const f32; NO],
    n_in: usize,
) -> [[f32; NO]; NR] {
    let full = n_in / LANES * LANES;
    if full < n_in {
        let wt: [[f32; LANES]; NO] = std::array::from_fn(|j| tail(w[j], full, n_in));
        for i in 0..NR {
            let xv = _mm512_loadu_ps(tail(x[i], full, n_in).as_ptr());
            for j in 0..NO {
                acc[i][j] = _mm512_fmadd_ps(xv, _mm512_loadu_ps(wt[j].as_ptr()), acc[i][j]);
            }
        }
    }
    // Four accumulators at a time in `reduce4`, whichever rows and outputs they belong to
    // (each output's own lanes are added in the same tree either way), then the rest alone.
    let mut sums = [[0f32; NO]; NR];
    let n = NR * NO;
    let mut f = 0;
    while f + 4 <= n {
        let r = reduce4(std::array::from_fn(|q| acc[(f + q) / NO][(f + q) % NO]));
        for (q, v) in r.into_iter().enumerate() {
            sums[(f + q) / NO][(f + q) % NO] = v;
        }
        f += 4;
    }
    while f < n {
        let a = acc[f / NO][f % NO];
        // `reduce`'s tree, lane-wise in registers: 16 → 8 → 4 → 2 → 1.
        let v = _mm256_add_ps(
            _mm512_castps512_ps256(a),
            _mm256_castpd_ps(_mm512_extractf64x4_pd::<1>(_mm512_castps_pd(a))),
        );
        sums[f / NO][f % NO] = super::avx2::reduce8(v);
        f += 1;
    }
    sums
}

/// `reduce`'s tree for four accumulators at once, each add lane-wise as the portable code
/// does it: lanes j and j+8 (two accumulators per register), then j and j+4 (four), then
/// j and j+2, then 0 and 1, within each 128-bit block.
#[target_feature(enable = "avx512f,avx512vl,avx512bw,avx512dq,avx2,fma")]
#[inline]
unsafe fn reduce4(v: [__m512; 4]) -> [f32; 4] {
    // [a.q0 a.q1 b.q0 b.q1] + [a.q2 a.q3 b.q2 b.q3]: lanes j + j+8 of a, then of b.
    let pair = |x: __m512, y: __m512| {
        _mm512_add_ps(
            _mm512_shuffle_f32x4::<0b01_00_01_00>(x, y),
            _mm512_shuffle_f32x4::<0b11_10_11_10>(x, y),
        )
    };
    let (ab, cd) = (pair(v[0], v[1]), pair(v[2], v[3]));
    // [ab.q0 ab.q2 cd.q0 cd.q2] + [ab.q1 ab.q3 cd.q1 cd.q3]: lanes j + j+4 of a, b, c, d.
    let u = _mm512_add_ps(
        _mm512_shuffle_f32x4::<0b10_00_10_00>(ab, cd),
        _mm512_shuffle_f32x4::<0b11_01_11_01>(ab, cd),
    );
    // Within each block: lanes 0 + 2 and 1 + 3, then their sum.
    let t = _mm512_add_ps(u, _mm512_permute_ps::<0b00_00_11_10>(u));
    let r = _mm512_add_ps(t, _mm512_permute_ps::<0b00_00_00_01>(t));
    let mut lanes = [0f32; LANES];
    _mm512_storeu_ps(lanes.as_mut_ptr(), r);
    [lanes[0], lanes[4], lanes[8], lanes[12]]
}

impl Kernel for Avx512 {
    // 24 accumulators, 3 weight vectors and one of `x`: 28 of the 32 registers. Against 4 × 4
    // each weight vector serves twice the rows: 4–9% faster from 16 rows up on AMD EPYC (the
    // two walks alternated in one process, best of 7); in `bench-kernels` 6 × 4 did no better
    // and 12 × 2 was slower at 480 rows.
    const ROWS: usize = 8;
    const OUTS: usize = 3;

    #[target_feature(enable = "avx512f,avx512vl,avx512bw,avx512dq,avx2,fma")]
    unsafe fn dots<const NR: usize, const NO: usize>(
        x: [*const f32; NR],
        w: [*const f32; NO],
        n_in: usize,
    ) -> [[f32; NO]; NR] {
        let mut acc = [[_mm512_setzero_ps(); NO]; NR];
        run(&mut acc, x, w, 0, n_in / LANES * LANES, n_in);
        tail_and_reduce(acc, x, w, n_in)
    }

    #[target_feature(enable = "avx512f,avx512vl,avx512bw,avx512dq,avx2,fma")]
    unsafe fn accumulate<const NR: usize, const NO: usize>(
        x: [*const f32; NR],
        w: [*const f32; NO],
        k0: usize,
        k1: usize,
        stride: usize,
        lanes: &mut [[Lanes; NO]; NR],
    ) {
        let mut acc: [[__m512; NO]; NR] =
            std::array::from_fn(|i| std::array::from_fn(|j| _mm512_loadu_ps(lanes[i][j].as_ptr())));
        run(&mut acc, x, w, k0, k1, stride);
        for i in 0..NR {
            for j in 0..NO {
                _mm512_storeu_ps(lanes[i][j].as_mut_ptr(), acc[i][j]);
            }
        }
    }

    #[target_feature(enable = "avx512f,avx512vl,avx512bw,avx512dq,avx2,fma")]
    unsafe fn finish<const NR: usize, const NO: usize>(
        x: [*const f32; NR],
        w: [*const f32; NO],
        n_in: usize,
        lanes: &[[Lanes; NO]; NR],
    ) -> [[f32; NO]; NR] {
        let acc: [[__m512; NO]; NR] =
            std::array::from_fn(|i| std::array::from_fn(|j| _mm512_loadu_ps(lanes[i][j].as_ptr())));
        tail_and_reduce(acc, x, w, n_in)
    }
}

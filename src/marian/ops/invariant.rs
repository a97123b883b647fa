//! Batch-invariant float32 products: `out = x · Wᵀ + bias`, where every output number is
//! computed in one fixed order that depends only on its own row of `x` and row of `W`, never on
//! how many other rows share the call, where the row sits in the batch, or the CPU's vector
//! width.
//!
//! Why: a general GEMM (the `gemm` crate, MKL) chooses its blocking and kernels from the matrix
//! shapes, so a sentence's numbers change in their last bits with the batch it is computed in,
//! and greedy or beam search can then take another token. Here each dot product is 16 lanes, lane
//! `j` accumulating `x[k]·w[k]` for `k ≡ j (mod 16)` in increasing `k` with fused multiply-adds,
//! then the lanes summed in a fixed tree (8 pairs, 4, 2, 1), then the bias added. The AVX-512
//! path holds the 16 lanes in one register, the AVX2 path in two, the portable path in an array
//! with `f32::mul_add`: the same operations in the same order, so the same bits everywhere.
//!
//! Tiles of 4 rows × 4 outputs keep 16 accumulators in registers; the weights are taken in
//! chunks that stay in the L2 cache while every row of `x` passes over them.

/// Lanes of one dot product.
const LANES: usize = 16;
/// Rows and outputs of a register tile.
const TILE: usize = 4;
/// Bytes of weight rows kept in the L2 cache while the rows of `x` pass over them.
const WEIGHT_CHUNK_BYTES: usize = 256 * 1024;

/// `out` (rows × n_out, row-major) = `x` (rows × n_in) · `w`ᵀ (`w`: n_out × n_in, row-major)
/// + `bias`.
pub fn product(
    x: &[f32],
    rows: usize,
    w: &[f32],
    n_out: usize,
    n_in: usize,
    bias: Option<&[f32]>,
    out: &mut [f32],
) {
    assert!(x.len() >= rows * n_in && w.len() >= n_out * n_in && out.len() >= rows * n_out);
    if let Some(b) = bias {
        assert!(b.len() >= n_out);
    }
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has AVX-512F, checked just above.
            unsafe { product_with::<avx512::Avx512>(x, rows, w, n_out, n_in, bias, out) };
            return;
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            // SAFETY: the CPU has AVX2 and FMA, checked just above.
            unsafe { product_with::<avx2::Avx2>(x, rows, w, n_out, n_in, bias, out) };
            return;
        }
    }
    // SAFETY: the portable kernel has no requirement.
    unsafe { product_with::<Portable>(x, rows, w, n_out, n_in, bias, out) };
}

/// The tile kernels of one instruction set: `dots::<NR, NO>(x, w, n_in)` gives the NR × NO
/// dot products (lanes reduced, no bias) of rows `x` against weight rows `w`, each `n_in` long.
trait Kernel {
    /// # Safety
    /// The CPU must have the kernel's instructions; every pointer must address `n_in` values.
    unsafe fn dots<const NR: usize, const NO: usize>(
        x: [*const f32; NR],
        w: [*const f32; NO],
        n_in: usize,
    ) -> [[f32; NO]; NR];
}

/// Walk the tiles of the product with kernel `K`.
///
/// # Safety
/// The CPU must have `K`'s instructions.
unsafe fn product_with<K: Kernel>(
    x: &[f32],
    rows: usize,
    w: &[f32],
    n_out: usize,
    n_in: usize,
    bias: Option<&[f32]>,
    out: &mut [f32],
) {
    // Weight rows in chunks that stay in the L2 cache while every row tile of `x` (in L1)
    // passes over them: each weight is read from memory once per call.
    let out_chunk = (WEIGHT_CHUNK_BYTES / (4 * n_in.max(1))).max(TILE) / TILE * TILE;
    for chunk in (0..n_out).step_by(out_chunk) {
        let chunk_end = (chunk + out_chunk).min(n_out);
        for r0 in (0..rows).step_by(TILE) {
            let nr = (rows - r0).min(TILE);
            for o0 in (chunk..chunk_end).step_by(TILE) {
                let no = (chunk_end - o0).min(TILE);
                let xr = |i: usize| x.as_ptr().add((r0 + i) * n_in);
                let wr = |j: usize| w.as_ptr().add((o0 + j) * n_in);
                let mut store = |i: usize, j: usize, v: f32| {
                    out[(r0 + i) * n_out + o0 + j] = v + bias.map_or(0.0, |b| b[o0 + j]);
                };
                macro_rules! tile {
                    ($nr:literal, $no:literal) => {{
                        let sums = K::dots::<$nr, $no>(
                            std::array::from_fn(xr),
                            std::array::from_fn(wr),
                            n_in,
                        );
                        for (i, row) in sums.iter().enumerate() {
                            for (j, &v) in row.iter().enumerate() {
                                store(i, j, v);
                            }
                        }
                    }};
                }
                match (nr, no) {
                    (4, 4) => tile!(4, 4),
                    (4, _) => {
                        for j in 0..no {
                            let sums = K::dots::<4, 1>(std::array::from_fn(xr), [wr(j)], n_in);
                            for (i, row) in sums.iter().enumerate() {
                                store(i, j, row[0]);
                            }
                        }
                    }
                    (_, 4) => {
                        for i in 0..nr {
                            let sums = K::dots::<1, 4>([xr(i)], std::array::from_fn(wr), n_in);
                            for (j, &v) in sums[0].iter().enumerate() {
                                store(i, j, v);
                            }
                        }
                    }
                    _ => {
                        for i in 0..nr {
                            for j in 0..no {
                                store(i, j, K::dots::<1, 1>([xr(i)], [wr(j)], n_in)[0][0]);
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The 16 lanes summed in the fixed tree: lanes j and j+8, then j and j+4, j and j+2, 0 and 1.
#[inline(always)]
fn reduce(lanes: [f32; LANES]) -> f32 {
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
unsafe fn tail(row: *const f32, full: usize, n_in: usize) -> [f32; LANES] {
    let mut padded = [0f32; LANES];
    std::ptr::copy_nonoverlapping(row.add(full), padded.as_mut_ptr(), n_in - full);
    padded
}

/// The portable kernel: the lanes in arrays, one fused multiply-add each.
struct Portable;

impl Kernel for Portable {
    unsafe fn dots<const NR: usize, const NO: usize>(
        x: [*const f32; NR],
        w: [*const f32; NO],
        n_in: usize,
    ) -> [[f32; NO]; NR] {
        let full = n_in / LANES * LANES;
        let mut sums = [[0f32; NO]; NR];
        for i in 0..NR {
            for j in 0..NO {
                let mut acc = [0f32; LANES];
                for k in (0..full).step_by(LANES) {
                    for (l, a) in acc.iter_mut().enumerate() {
                        *a = (*x[i].add(k + l)).mul_add(*w[j].add(k + l), *a);
                    }
                }
                if full < n_in {
                    let (xt, wt) = (tail(x[i], full, n_in), tail(w[j], full, n_in));
                    for l in 0..LANES {
                        acc[l] = xt[l].mul_add(wt[l], acc[l]);
                    }
                }
                sums[i][j] = reduce(acc);
            }
        }
        sums
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use std::arch::x86_64::*;

    use super::{tail, Kernel, LANES};

    /// 16 lanes in one register.
    pub(super) struct Avx512;

    #[target_feature(enable = "avx512f,avx512vl,avx512bw,avx512dq,avx2,fma")]
    unsafe fn dots<const NR: usize, const NO: usize>(
        x: [*const f32; NR],
        w: [*const f32; NO],
        n_in: usize,
    ) -> [[f32; NO]; NR] {
        let full = n_in / LANES * LANES;
        let mut acc = [[_mm512_setzero_ps(); NO]; NR];
        let mut k = 0;
        while k < full {
            // The next tile's weight rows follow these in memory: fetch them while these are
            // used (streamed from memory, the output projection's rows would otherwise wait).
            for p in w {
                _mm_prefetch::<_MM_HINT_T0>(p.add(k + NO * n_in) as *const i8);
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
        if full < n_in {
            let wt: [[f32; LANES]; NO] = std::array::from_fn(|j| tail(w[j], full, n_in));
            for i in 0..NR {
                let xv = _mm512_loadu_ps(tail(x[i], full, n_in).as_ptr());
                for j in 0..NO {
                    acc[i][j] = _mm512_fmadd_ps(xv, _mm512_loadu_ps(wt[j].as_ptr()), acc[i][j]);
                }
            }
        }
        let mut sums = [[0f32; NO]; NR];
        for i in 0..NR {
            let mut j = 0;
            while j + 4 <= NO {
                let r = reduce4([acc[i][j], acc[i][j + 1], acc[i][j + 2], acc[i][j + 3]]);
                sums[i][j..j + 4].copy_from_slice(&r);
                j += 4;
            }
            while j < NO {
                // `reduce`'s tree, lane-wise in registers: 16 → 8 → 4 → 2 → 1.
                let v = _mm256_add_ps(
                    _mm512_castps512_ps256(acc[i][j]),
                    _mm256_castpd_ps(_mm512_extractf64x4_pd::<1>(_mm512_castps_pd(acc[i][j]))),
                );
                sums[i][j] = super::avx2::reduce8(v);
                j += 1;
            }
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
        unsafe fn dots<const NR: usize, const NO: usize>(
            x: [*const f32; NR],
            w: [*const f32; NO],
            n_in: usize,
        ) -> [[f32; NO]; NR] {
            dots::<NR, NO>(x, w, n_in)
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    use super::{tail, Kernel, LANES};

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
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pseudo(n: usize, seed: u32) -> Vec<f32> {
        let mut s = seed.wrapping_mul(2_654_435_761).max(1);
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                (s % 20_000) as f32 / 10_000.0 - 1.0
            })
            .collect()
    }

    #[test]
    fn every_row_is_the_same_whatever_shares_its_call() {
        for n_in in [5, 16, 24, 37, 512] {
            let (n_out, rows) = (13, 70);
            let (x, w, b) = (
                pseudo(rows * n_in, 1),
                pseudo(n_out * n_in, 2),
                pseudo(n_out, 3),
            );
            let mut all = vec![0f32; rows * n_out];
            product(&x, rows, &w, n_out, n_in, Some(&b), &mut all);
            for r in [0, 3, 4, 63, 64, 69] {
                let mut alone = vec![0f32; n_out];
                product(
                    &x[r * n_in..(r + 1) * n_in],
                    1,
                    &w,
                    n_out,
                    n_in,
                    Some(&b),
                    &mut alone,
                );
                assert_eq!(
                    alone,
                    all[r * n_out..(r + 1) * n_out],
                    "n_in {n_in} row {r}"
                );
                // And close to the exact product.
                for o in 0..n_out {
                    let exact: f64 = (0..n_in)
                        .map(|k| x[r * n_in + k] as f64 * w[o * n_in + k] as f64)
                        .sum::<f64>()
                        + b[o] as f64;
                    assert!(
                        (alone[o] as f64 - exact).abs() < 1e-4,
                        "{} vs {exact}",
                        alone[o]
                    );
                }
            }
        }
    }

    #[test]
    fn every_path_gives_the_same_bits() {
        let (n_in, n_out, rows) = (75, 9, 6);
        let (x, w) = (pseudo(rows * n_in, 4), pseudo(n_out * n_in, 5));
        let mut portable = vec![0f32; rows * n_out];
        // SAFETY: the portable kernel has no requirement.
        unsafe { product_with::<Portable>(&x, rows, &w, n_out, n_in, None, &mut portable) };
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
            {
                let mut out = vec![0f32; rows * n_out];
                // SAFETY: checked just above.
                unsafe { product_with::<avx2::Avx2>(&x, rows, &w, n_out, n_in, None, &mut out) };
                assert_eq!(out, portable);
            }
            if std::arch::is_x86_feature_detected!("avx512f") {
                let mut out = vec![0f32; rows * n_out];
                // SAFETY: checked just above.
                unsafe {
                    product_with::<avx512::Avx512>(&x, rows, &w, n_out, n_in, None, &mut out)
                };
                assert_eq!(out, portable);
            }
        }
    }
}

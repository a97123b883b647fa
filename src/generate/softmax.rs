//! Log-softmax over a vocabulary row, the one piece of arithmetic search does per token of the
//! vocabulary at every step (60,000 exponentials per row on opus-mt).
//!
//! Why not `f32::exp`: the C library's `expf` is a call per element that nothing vectorizes,
//! and it was a fifth of an int8 beam search's time. The exponentials here are a
//! double-precision polynomial, written once as plain Rust and once each with AVX-512 and AVX2
//! intrinsics, operation for operation (no fused multiply-adds, the same lanes summed in the
//! same order), so that every CPU gives the same bits; a test holds the paths to that.
//! Each term is accurate to ~1e-15 relative (`expf` rounds to float, 6e-8), and the terms are
//! summed in f64, so the normalizer is at least as close to the exact one as before; torch's
//! own vectorized float32 sum stays within ~1e-6 of it.

/// Lanes of the max and sum passes: a fixed order of additions, the same on every CPU.
const LANES: usize = 8;

/// Below this, e^x is under 1e-307: nothing next to the row's largest term, e^0 = 1.
const EXP_FLOOR: f64 = -708.0;

/// `log_softmax` of one row in place, in f32 as torch computes it: (x − max) − log Σ e^(x − max).
pub(crate) fn log_softmax(row: &mut [f32]) {
    let Some((max, log_sum)) = log_normalizer(row) else {
        return;
    };
    for x in row.iter_mut() {
        *x = *x - max - log_sum;
    }
}

/// The row's max and log Σ e^(x − max), so that a value's log-probability is
/// `x - max - log_sum` (what [`log_softmax`] writes); None when every value is −∞ (the row
/// is then left as it is).
pub(crate) fn log_normalizer(row: &[f32]) -> Option<(f32, f32)> {
    let max = row_max(row);
    if max == f32::NEG_INFINITY {
        return None;
    }
    let sum = sum_of_exponentials(row, max);
    Some((max, sum.ln() as f32))
}

/// The largest value (NaNs ignored, as `f32::max` does).
fn row_max(row: &[f32]) -> f32 {
    let mut lanes = [f32::NEG_INFINITY; 16];
    let chunks = row.chunks_exact(lanes.len());
    let tail = chunks.remainder();
    for chunk in chunks {
        for (lane, &x) in lanes.iter_mut().zip(chunk) {
            *lane = lane.max(x);
        }
    }
    lanes
        .into_iter()
        .chain(tail.iter().copied())
        .fold(f32::NEG_INFINITY, f32::max)
}

/// Σ e^(x − max) over the row, in f64, with the best vector instructions the CPU has.
fn sum_of_exponentials(row: &[f32], max: f32) -> f64 {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has the feature the function is compiled for (checked above).
            return unsafe { sum_avx512(row, max) };
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: as above.
            return unsafe { sum_avx2(row, max) };
        }
    }
    sum_portable(row, max)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn sum_avx512(row: &[f32], max: f32) -> f64 {
    use std::arch::x86_64::*;
    let chunks = row.chunks_exact(LANES);
    let tail = chunks.remainder();
    let max8 = _mm256_set1_ps(max);
    // Lane j is partial[j] of the portable sum: the same additions in the same order.
    let mut acc = _mm512_setzero_pd();
    for chunk in chunks {
        let x = _mm256_sub_ps(_mm256_loadu_ps(chunk.as_ptr()), max8);
        acc = _mm512_add_pd(acc, exp_avx512(_mm512_cvtps_pd(x)));
    }
    let mut partial = [0f64; LANES];
    _mm512_storeu_pd(partial.as_mut_ptr(), acc);
    finish(partial, tail, max)
}

/// [`exp`] in 8 lanes, operation for operation.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn exp_avx512(x: std::arch::x86_64::__m512d) -> std::arch::x86_64::__m512d {
    use std::arch::x86_64::*;
    let below = _mm512_cmp_pd_mask::<_CMP_LT_OQ>(x, _mm512_set1_pd(EXP_FLOOR));
    let y = _mm512_mask_blend_pd(below, x, _mm512_setzero_pd());
    let shifter = _mm512_set1_pd(SHIFTER);
    let shifted = _mm512_add_pd(
        _mm512_mul_pd(y, _mm512_set1_pd(std::f64::consts::LOG2_E)),
        shifter,
    );
    let n = _mm512_sub_pd(shifted, shifter);
    let r = _mm512_sub_pd(
        _mm512_sub_pd(y, _mm512_mul_pd(n, _mm512_set1_pd(LN2_HI))),
        _mm512_mul_pd(n, _mm512_set1_pd(LN2_LO)),
    );
    let mut p = _mm512_set1_pd(INVERSE_FACTORIALS[11]);
    for &c in INVERSE_FACTORIALS[..11].iter().rev() {
        p = _mm512_add_pd(_mm512_mul_pd(p, r), _mm512_set1_pd(c));
    }
    let exponent = _mm512_sub_epi64(_mm512_castpd_si512(shifted), _mm512_castpd_si512(shifter));
    let scale = _mm512_castsi512_pd(_mm512_slli_epi64::<52>(_mm512_add_epi64(
        exponent,
        _mm512_set1_epi64(1023),
    )));
    _mm512_mask_blend_pd(below, _mm512_mul_pd(p, scale), _mm512_setzero_pd())
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn sum_avx2(row: &[f32], max: f32) -> f64 {
    use std::arch::x86_64::*;
    let chunks = row.chunks_exact(LANES);
    let tail = chunks.remainder();
    let max4 = _mm_set1_ps(max);
    // Lanes 0–3 and 4–7 of the portable sum's partials.
    let (mut low, mut high) = (_mm256_setzero_pd(), _mm256_setzero_pd());
    for chunk in chunks {
        let a = _mm_sub_ps(_mm_loadu_ps(chunk.as_ptr()), max4);
        let b = _mm_sub_ps(_mm_loadu_ps(chunk.as_ptr().add(4)), max4);
        low = _mm256_add_pd(low, exp_avx2(_mm256_cvtps_pd(a)));
        high = _mm256_add_pd(high, exp_avx2(_mm256_cvtps_pd(b)));
    }
    let mut partial = [0f64; LANES];
    _mm256_storeu_pd(partial.as_mut_ptr(), low);
    _mm256_storeu_pd(partial.as_mut_ptr().add(4), high);
    finish(partial, tail, max)
}

/// [`exp`] in 4 lanes, operation for operation.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn exp_avx2(x: std::arch::x86_64::__m256d) -> std::arch::x86_64::__m256d {
    use std::arch::x86_64::*;
    let below = _mm256_cmp_pd::<_CMP_LT_OQ>(x, _mm256_set1_pd(EXP_FLOOR));
    let y = _mm256_blendv_pd(x, _mm256_setzero_pd(), below);
    let shifter = _mm256_set1_pd(SHIFTER);
    let shifted = _mm256_add_pd(
        _mm256_mul_pd(y, _mm256_set1_pd(std::f64::consts::LOG2_E)),
        shifter,
    );
    let n = _mm256_sub_pd(shifted, shifter);
    let r = _mm256_sub_pd(
        _mm256_sub_pd(y, _mm256_mul_pd(n, _mm256_set1_pd(LN2_HI))),
        _mm256_mul_pd(n, _mm256_set1_pd(LN2_LO)),
    );
    let mut p = _mm256_set1_pd(INVERSE_FACTORIALS[11]);
    for &c in INVERSE_FACTORIALS[..11].iter().rev() {
        p = _mm256_add_pd(_mm256_mul_pd(p, r), _mm256_set1_pd(c));
    }
    let exponent = _mm256_sub_epi64(_mm256_castpd_si256(shifted), _mm256_castpd_si256(shifter));
    let scale = _mm256_castsi256_pd(_mm256_slli_epi64::<52>(_mm256_add_epi64(
        exponent,
        _mm256_set1_epi64x(1023),
    )));
    _mm256_blendv_pd(_mm256_mul_pd(p, scale), _mm256_setzero_pd(), below)
}

/// The sum itself: `LANES` partial sums over the chunks, then [`finish`].
fn sum_portable(row: &[f32], max: f32) -> f64 {
    let mut partial = [0f64; LANES];
    let chunks = row.chunks_exact(LANES);
    let tail = chunks.remainder();
    for chunk in chunks {
        for (p, &x) in partial.iter_mut().zip(chunk) {
            *p += exp(f64::from(x - max));
        }
    }
    finish(partial, tail, max)
}

/// The partial sums added pairwise (lane j + lane j + width/2, halving), then the tail.
fn finish(mut partial: [f64; LANES], tail: &[f32], max: f32) -> f64 {
    let mut width = LANES;
    while width > 1 {
        width /= 2;
        for i in 0..width {
            partial[i] += partial[i + width];
        }
    }
    let tail: f64 = tail.iter().map(|&x| exp(f64::from(x - max))).sum();
    partial[0] + tail
}

const LN2_HI: f64 = 6.931_471_803_691_238e-1;
const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
/// Adding 1.5 · 2^52 rounds to an integer, which lands in the low mantissa bits.
const SHIFTER: f64 = 6_755_399_441_055_744.0;
const INVERSE_FACTORIALS: [f64; 12] = [
    1.0,
    1.0,
    1.0 / 2.0,
    1.0 / 6.0,
    1.0 / 24.0,
    1.0 / 120.0,
    1.0 / 720.0,
    1.0 / 5_040.0,
    1.0 / 40_320.0,
    1.0 / 362_880.0,
    1.0 / 3_628_800.0,
    1.0 / 39_916_800.0,
];

/// e^x for x ≤ 0 (0 below [`EXP_FLOOR`] and for −∞, NaN for NaN): x = n ln 2 + r with
/// |r| ≤ ln 2 / 2, e^r by its Taylor series to r¹¹ (relative error < 1e-14), times 2^n
/// built in the exponent bits. Branch-free, so that it vectorizes.
#[inline]
fn exp(x: f64) -> f64 {
    // In range, so that the bit arithmetic below stays valid; below it gets 0 at the end (a
    // NaN goes through and stays NaN).
    let below = x < EXP_FLOOR;
    let y = if below { 0.0 } else { x };
    let shifted = y * std::f64::consts::LOG2_E + SHIFTER;
    let n = shifted - SHIFTER;
    let r = (y - n * LN2_HI) - n * LN2_LO;
    let mut p = INVERSE_FACTORIALS[11];
    for &c in INVERSE_FACTORIALS[..11].iter().rev() {
        p = p * r + c;
    }
    let exponent = (shifted.to_bits() as i64).wrapping_sub(SHIFTER.to_bits() as i64);
    let scale = f64::from_bits(((exponent + 1023) << 52) as u64);
    if below {
        0.0
    } else {
        p * scale
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exponentials_are_within_1e_14_of_the_standard_library() {
        let mut worst = 0f64;
        let mut x = 0.0;
        while x > -700.0 {
            let (ours, std) = (exp(x), x.exp());
            worst = worst.max(((ours - std) / std).abs());
            x -= 0.013_7;
        }
        assert!(worst < 1e-14, "worst relative error {worst:e}");
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(exp(-709.0), 0.0);
        assert_eq!(exp(f64::NEG_INFINITY), 0.0);
        assert!(exp(f64::NAN).is_nan());
    }

    /// A row shaped like logits: a vocabulary's worth of values, some masked.
    fn logits(n: usize, seed: u64) -> Vec<f32> {
        let mut state = seed;
        (0..n)
            .map(|i| {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                if i % 997 == 5 {
                    f32::NEG_INFINITY
                } else {
                    ((state >> 40) as f32 / (1u64 << 24) as f32) * 30.0 - 20.0
                }
            })
            .collect()
    }

    #[test]
    fn the_normalizer_matches_one_computed_in_f64_with_the_standard_library() {
        for (n, seed) in [(59_514, 1), (1_000, 2), (7, 3), (1, 4)] {
            let row = logits(n, seed);
            let (max, log_sum) = log_normalizer(&row).unwrap();
            let exact_max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let exact: f64 = row
                .iter()
                .map(|&x| (f64::from(x) - f64::from(exact_max)).exp())
                .sum::<f64>()
                .ln();
            assert_eq!(max, exact_max);
            assert!(
                (f64::from(log_sum) - exact).abs() <= 1e-6 * exact.abs().max(1.0),
                "{n}: {log_sum} vs {exact}"
            );
        }
    }

    #[test]
    fn every_instruction_set_gives_the_same_bits() {
        let row = logits(59_514, 9);
        let max = row_max(&row);
        let portable = sum_portable(&row, max);
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: checked above.
                assert_eq!(unsafe { sum_avx2(&row, max) }.to_bits(), portable.to_bits());
            }
            if std::arch::is_x86_feature_detected!("avx512f") {
                // SAFETY: checked above.
                assert_eq!(
                    unsafe { sum_avx512(&row, max) }.to_bits(),
                    portable.to_bits()
                );
            }
        }
        assert_eq!(sum_of_exponentials(&row, max).to_bits(), portable.to_bits());
    }

    #[test]
    fn rows_of_minus_infinity_are_left_alone_and_one_value_gets_zero() {
        let mut row = vec![f32::NEG_INFINITY; 5];
        log_softmax(&mut row);
        assert!(row.iter().all(|&x| x == f32::NEG_INFINITY));
        let mut row = vec![f32::NEG_INFINITY, 3.5, f32::NEG_INFINITY];
        log_softmax(&mut row);
        assert_eq!(row, [f32::NEG_INFINITY, 0.0, f32::NEG_INFINITY]);
    }
}

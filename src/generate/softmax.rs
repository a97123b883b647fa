//! Log-softmax over a vocabulary row, the one piece of arithmetic search does per token of the
//! vocabulary at every step (60,000 exponentials per row on opus-mt).
//!
//! Why not `f32::exp`: the C library's `expf` is a call per element that nothing vectorizes,
//! and it was a fifth of an int8 beam search's time. The exponentials are [`crate::exp`]'s,
//! 16 (AVX-512) or 8 (AVX2) at a time, the same bits on every path; the terms are summed in
//! f64 over fixed lanes in a fixed order, as before: a plain f32 sum of 60,000 terms drifts by
//! ~1e-5, torch's vectorized one stays within ~1e-6.

use crate::exp::exp;
#[cfg(target_arch = "x86_64")]
use crate::exp::{exp_avx2, exp_avx512};

/// Lanes of the sum: a fixed order of additions, the same on every CPU.
const LANES: usize = 16;

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

/// The sum itself: `LANES` partial sums over the chunks, then [`finish`].
fn sum_portable(row: &[f32], max: f32) -> f64 {
    let mut partial = [0f64; LANES];
    let chunks = row.chunks_exact(LANES);
    let tail = chunks.remainder();
    for chunk in chunks {
        for (p, &x) in partial.iter_mut().zip(chunk) {
            *p += f64::from(exp(x - max));
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
    let tail: f64 = tail.iter().map(|&x| f64::from(exp(x - max))).sum();
    partial[0] + tail
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn sum_avx512(row: &[f32], max: f32) -> f64 {
    use std::arch::x86_64::*;
    let chunks = row.chunks_exact(LANES);
    let tail = chunks.remainder();
    let max16 = _mm512_set1_ps(max);
    // Lanes 0–7 and 8–15 of the portable sum's partials: the same additions, same order.
    let (mut low, mut high) = (_mm512_setzero_pd(), _mm512_setzero_pd());
    for chunk in chunks {
        let e = exp_avx512(_mm512_sub_ps(_mm512_loadu_ps(chunk.as_ptr()), max16));
        let e_high = _mm256_castpd_ps(_mm512_extractf64x4_pd::<1>(_mm512_castps_pd(e)));
        low = _mm512_add_pd(low, _mm512_cvtps_pd(_mm512_castps512_ps256(e)));
        high = _mm512_add_pd(high, _mm512_cvtps_pd(e_high));
    }
    let mut partial = [0f64; LANES];
    _mm512_storeu_pd(partial.as_mut_ptr(), low);
    _mm512_storeu_pd(partial.as_mut_ptr().add(8), high);
    finish(partial, tail, max)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn sum_avx2(row: &[f32], max: f32) -> f64 {
    use std::arch::x86_64::*;
    let chunks = row.chunks_exact(LANES);
    let tail = chunks.remainder();
    let max8 = _mm256_set1_ps(max);
    // Lanes 0–3, 4–7, 8–11 and 12–15 of the portable sum's partials.
    let mut acc = [_mm256_setzero_pd(); 4];
    for chunk in chunks {
        for half in 0..2 {
            let x = _mm256_loadu_ps(chunk.as_ptr().add(8 * half));
            let e = exp_avx2(_mm256_sub_ps(x, max8));
            let (e_low, e_high) = (_mm256_castps256_ps128(e), _mm256_extractf128_ps::<1>(e));
            acc[2 * half] = _mm256_add_pd(acc[2 * half], _mm256_cvtps_pd(e_low));
            acc[2 * half + 1] = _mm256_add_pd(acc[2 * half + 1], _mm256_cvtps_pd(e_high));
        }
    }
    let mut partial = [0f64; LANES];
    for (i, a) in acc.iter().enumerate() {
        _mm256_storeu_pd(partial.as_mut_ptr().add(4 * i), *a);
    }
    finish(partial, tail, max)
}

#[cfg(test)]
mod tests {
    use super::*;

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

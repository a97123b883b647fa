//! The exponential of non-positive floats, for the places that take one per element of a
//! long row (search's log-softmax over the vocabulary, the feed-forward block's swish):
//! Cephes' `expf` polynomial, within 1 ulp of the exact value as the C library's `expf` is, but
//! written to vectorize — once as plain Rust and once each with AVX-512 and AVX2 intrinsics,
//! operation for operation and without fused multiply-adds, so that every path gives the same
//! bits (tested).

/// Below this, e^x is under 2e-38: nothing next to the row's largest term, e^0 = 1 (and 2^n
/// stays a normal float above it).
const EXP_FLOOR: f32 = -87.0;
/// Adding 1.5 · 2^23 rounds to an integer, which lands in the low mantissa bits.
const SHIFTER: f32 = 12_582_912.0;
/// ln 2 in two parts (Cephes): n · LN2_HI is exact for the n that occur.
const LN2_HI: f32 = 0.693_359_4;
const LN2_LO: f32 = -2.121_944_4e-4;
/// Cephes `expf`: e^r ≈ 1 + r + r² · P(r) for |r| ≤ ln 2 / 2.
const P: [f32; 6] = [
    1.987_569_2e-4,
    1.398_2e-3,
    8.333_452e-3,
    4.166_579_6e-2,
    1.666_666_5e-1,
    0.5, // Cephes writes 5.0000001201e-1, which is 0.5 in f32
];

/// e^x for x ≤ 0 (0 below [`EXP_FLOOR`] and for −∞, NaN for NaN): x = n ln 2 + r with
/// |r| ≤ ln 2 / 2, e^r by Cephes' polynomial, times 2^n built in the exponent bits.
/// Branch-free; the AVX versions below are this, operation for operation.
#[inline]
pub(crate) fn exp(x: f32) -> f32 {
    let below = x < EXP_FLOOR;
    let y = if below { 0.0 } else { x };
    let shifted = y * std::f32::consts::LOG2_E + SHIFTER;
    let n = shifted - SHIFTER;
    let r = (y - n * LN2_HI) - n * LN2_LO;
    let mut p = P[0];
    for &c in &P[1..] {
        p = p * r + c;
    }
    let e = (p * (r * r) + r) + 1.0;
    let exponent = (shifted.to_bits() as i32).wrapping_sub(SHIFTER.to_bits() as i32);
    let scale = f32::from_bits(((exponent + 127) << 23) as u32);
    if below {
        0.0
    } else {
        e * scale
    }
}

/// [`exp`] in 16 lanes, operation for operation (AVX-512).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
pub(crate) unsafe fn exp_avx512(x: std::arch::x86_64::__m512) -> std::arch::x86_64::__m512 {
    use std::arch::x86_64::*;
    let below = _mm512_cmp_ps_mask::<_CMP_LT_OQ>(x, _mm512_set1_ps(EXP_FLOOR));
    let y = _mm512_mask_blend_ps(below, x, _mm512_setzero_ps());
    let shifter = _mm512_set1_ps(SHIFTER);
    let shifted = _mm512_add_ps(
        _mm512_mul_ps(y, _mm512_set1_ps(std::f32::consts::LOG2_E)),
        shifter,
    );
    let n = _mm512_sub_ps(shifted, shifter);
    let r = _mm512_sub_ps(
        _mm512_sub_ps(y, _mm512_mul_ps(n, _mm512_set1_ps(LN2_HI))),
        _mm512_mul_ps(n, _mm512_set1_ps(LN2_LO)),
    );
    let mut p = _mm512_set1_ps(P[0]);
    for &c in &P[1..] {
        p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(c));
    }
    let e = _mm512_add_ps(
        _mm512_add_ps(_mm512_mul_ps(p, _mm512_mul_ps(r, r)), r),
        _mm512_set1_ps(1.0),
    );
    let exponent = _mm512_sub_epi32(_mm512_castps_si512(shifted), _mm512_castps_si512(shifter));
    let scale = _mm512_castsi512_ps(_mm512_slli_epi32::<23>(_mm512_add_epi32(
        exponent,
        _mm512_set1_epi32(127),
    )));
    _mm512_mask_blend_ps(below, _mm512_mul_ps(e, scale), _mm512_setzero_ps())
}

/// [`exp`] in 8 lanes, operation for operation (AVX2).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
pub(crate) unsafe fn exp_avx2(x: std::arch::x86_64::__m256) -> std::arch::x86_64::__m256 {
    use std::arch::x86_64::*;
    let below = _mm256_cmp_ps::<_CMP_LT_OQ>(x, _mm256_set1_ps(EXP_FLOOR));
    let y = _mm256_blendv_ps(x, _mm256_setzero_ps(), below);
    let shifter = _mm256_set1_ps(SHIFTER);
    let shifted = _mm256_add_ps(
        _mm256_mul_ps(y, _mm256_set1_ps(std::f32::consts::LOG2_E)),
        shifter,
    );
    let n = _mm256_sub_ps(shifted, shifter);
    let r = _mm256_sub_ps(
        _mm256_sub_ps(y, _mm256_mul_ps(n, _mm256_set1_ps(LN2_HI))),
        _mm256_mul_ps(n, _mm256_set1_ps(LN2_LO)),
    );
    let mut p = _mm256_set1_ps(P[0]);
    for &c in &P[1..] {
        p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(c));
    }
    let e = _mm256_add_ps(
        _mm256_add_ps(_mm256_mul_ps(p, _mm256_mul_ps(r, r)), r),
        _mm256_set1_ps(1.0),
    );
    let exponent = _mm256_sub_epi32(_mm256_castps_si256(shifted), _mm256_castps_si256(shifter));
    let scale = _mm256_castsi256_ps(_mm256_slli_epi32::<23>(_mm256_add_epi32(
        exponent,
        _mm256_set1_epi32(127),
    )));
    _mm256_blendv_ps(_mm256_mul_ps(e, scale), _mm256_setzero_ps(), below)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exponentials_are_within_1_ulp_of_the_exact_value() {
        let mut worst = 0f64;
        let mut x = 0f32;
        while x > EXP_FLOOR {
            let exact = f64::from(x).exp();
            let ulp = f64::from(f32::EPSILON) * 2f64.powi(exact.log2().floor() as i32);
            worst = worst.max((f64::from(exp(x)) - exact).abs() / ulp);
            x -= 0.000_37;
        }
        assert!(worst <= 1.0, "worst error {worst} ulp");
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(exp(-88.0), 0.0);
        assert_eq!(exp(f32::NEG_INFINITY), 0.0);
        assert!(exp(f32::NAN).is_nan());
    }

    #[test]
    fn every_instruction_set_gives_the_same_bits() {
        let xs: Vec<f32> = (0..4096)
            .map(|i| -(i as f32) * 0.023 + if i % 7 == 0 { 0.0 } else { -1e-3 })
            .chain([f32::NEG_INFINITY, -87.5, -0.0, f32::NAN])
            .collect();
        let want: Vec<u32> = xs.iter().map(|&x| exp(x).to_bits()).collect();
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::x86_64::*;
            let padded: Vec<f32> = xs.iter().copied().chain([0.0; 16]).collect();
            if std::arch::is_x86_feature_detected!("avx2") {
                for (i, &w) in want.iter().enumerate().step_by(8) {
                    let mut got = [0f32; 8];
                    // SAFETY: checked above; `padded` holds 8 values from i.
                    unsafe {
                        let e = exp_avx2(_mm256_loadu_ps(padded.as_ptr().add(i)));
                        _mm256_storeu_ps(got.as_mut_ptr(), e);
                    }
                    assert_eq!(got[0].to_bits(), w, "{}", xs[i]);
                    for (j, g) in got.iter().enumerate().take(want.len() - i) {
                        assert_eq!(g.to_bits(), want[i + j], "{}", xs[i + j]);
                    }
                }
            }
            if std::arch::is_x86_feature_detected!("avx512f") {
                for i in (0..want.len()).step_by(16) {
                    let mut got = [0f32; 16];
                    // SAFETY: checked above; `padded` holds 16 values from i.
                    unsafe {
                        let e = exp_avx512(_mm512_loadu_ps(padded.as_ptr().add(i)));
                        _mm512_storeu_ps(got.as_mut_ptr(), e);
                    }
                    for (j, g) in got.iter().enumerate().take(want.len() - i) {
                        assert_eq!(g.to_bits(), want[i + j], "{}", xs[i + j]);
                    }
                }
            }
        }
    }
}

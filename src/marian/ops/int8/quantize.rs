//! Floats to int8: one row at a time, symmetric (scale = max|x| / 127, rounded half away
//! from zero), for the weights once at load and for the activations at every product
//! ([`Int8Rows`], optionally with each row's residual quantized again).

use super::kernel::Int8Kernel;
use super::layout::GROUP;

/// Quantize one row symmetrically into `out` (same length): returns the scale, max|x| / 127
/// (1 for an all-zero row), with `x ≈ q × scale`, q rounded half away from zero.
pub fn quantize_row(x: &[f32], out: &mut [i8]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f") {
        // SAFETY: the CPU has AVX-512F (checked just above).
        return unsafe { quantize_row_avx512(x, out) };
    }
    quantize_row_body(x, out)
}

/// [`quantize_row_body`] in 16 lanes: the same operations on every value (maximum of |x|;
/// multiply, add ±0.5, truncate, clamp), so the result is bit-identical.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw")]
unsafe fn quantize_row_avx512(x: &[f32], out: &mut [i8]) -> f32 {
    use std::arch::x86_64::*;
    assert_eq!(x.len(), out.len());
    let full = x.len() / 16 * 16;
    let mut lanes = _mm512_setzero_ps();
    let mut unordered: u16 = 0;
    for i in (0..full).step_by(16) {
        let v = _mm512_loadu_ps(x.as_ptr().add(i));
        unordered |= _mm512_cmp_ps_mask::<_CMP_UNORD_Q>(v, v);
        lanes = _mm512_max_ps(lanes, _mm512_abs_ps(v));
    }
    let mut max = _mm512_reduce_max_ps(lanes);
    let mut nan = unordered != 0;
    for &v in &x[full..] {
        nan |= v.is_nan();
        max = max.max(v.abs());
    }
    if let Some(scale) = degenerate_scale(max, nan) {
        out.fill(0);
        return scale;
    }
    let inverse = 127.0 / max;
    let (inverse_v, half, sign) = (
        _mm512_set1_ps(inverse),
        _mm512_set1_ps(0.5),
        _mm512_set1_ps(-0.0),
    );
    let (low, high) = (_mm512_set1_epi32(-127), _mm512_set1_epi32(127));
    for i in (0..full).step_by(16) {
        let scaled = _mm512_mul_ps(_mm512_loadu_ps(x.as_ptr().add(i)), inverse_v);
        let rounding = _mm512_or_ps(_mm512_and_ps(scaled, sign), half);
        let q = _mm512_cvttps_epi32(_mm512_add_ps(scaled, rounding));
        let q = _mm512_min_epi32(_mm512_max_epi32(q, low), high);
        _mm_storeu_si128(out.as_mut_ptr().add(i).cast(), _mm512_cvtepi32_epi8(q));
    }
    for (q, &v) in out[full..].iter_mut().zip(&x[full..]) {
        *q = quantize_value(v, inverse);
    }
    max / 127.0
}

/// The scale for rows that cannot be quantized normally: 1 for all zeros, NaN for non-finite
/// values (the step's logits then show NaN instead of a silently wrong number).
fn degenerate_scale(max: f32, nan: bool) -> Option<f32> {
    if nan || !max.is_finite() {
        Some(f32::NAN)
    } else if max == 0.0 {
        Some(1.0)
    } else {
        None
    }
}

/// Round half away from zero by truncation (`f32::round` is a library call on baseline
/// x86-64), clamped to ±127.
#[inline(always)]
fn quantize_value(v: f32, inverse: f32) -> i8 {
    let scaled = v * inverse;
    ((scaled + 0.5f32.copysign(scaled)) as i32).clamp(-127, 127) as i8
}

pub(super) fn quantize_row_body(x: &[f32], out: &mut [i8]) -> f32 {
    let nan = x.iter().any(|v| v.is_nan());
    let max = x.iter().fold(0f32, |m, v| m.max(v.abs()));
    if let Some(scale) = degenerate_scale(max, nan) {
        out.fill(0);
        return scale;
    }
    let inverse = 127.0 / max;
    for (q, &v) in out.iter_mut().zip(x) {
        *q = quantize_value(v, inverse);
    }
    max / 127.0
}

/// Activation rows quantized for a product: `q` is stored rows × k_pad (zero-padded), one scale
/// per stored row. For the VNNI kernel the same bytes are kept again as unsigned (q + 128).
///
/// With a residual ([`Int8Rows::quantize_with_residual`]) each row is stored twice: its int8
/// quantization, then the int8 quantization of what that left out; products then carry about
/// 15 bits of the activations for one pass over the weights.
#[derive(Default)]
pub struct Int8Rows {
    /// Stored rows (twice the rows of the product with a residual).
    pub(super) rows: usize,
    pub(super) paired: bool,
    pub(super) k_pad: usize,
    pub(super) q: Vec<i8>,
    pub(super) shifted: Vec<u8>,
    pub(super) scales: Vec<f32>,
}

impl Int8Rows {
    /// Quantize `x` (rows × n_in) per row, reusing this buffer.
    pub fn quantize(&mut self, x: &[f32], rows: usize, n_in: usize, kernel: Int8Kernel) {
        self.fill(x, rows, n_in, kernel, false);
    }

    /// Quantize `x` (rows × n_in) per row, and again the residual of each row.
    pub fn quantize_with_residual(
        &mut self,
        x: &[f32],
        rows: usize,
        n_in: usize,
        kernel: Int8Kernel,
    ) {
        self.fill(x, rows, n_in, kernel, true);
    }

    fn fill(&mut self, x: &[f32], rows: usize, n_in: usize, kernel: Int8Kernel, paired: bool) {
        assert_eq!(x.len(), rows * n_in, "activation shape");
        let k_pad = n_in.div_ceil(GROUP) * GROUP;
        let stored = if paired { 2 * rows } else { rows };
        self.rows = stored;
        self.paired = paired;
        self.k_pad = k_pad;
        self.q.clear();
        self.q.resize(stored * k_pad, 0);
        self.scales.clear();
        let mut residual = vec![0f32; if paired { n_in } else { 0 }];
        for (r, x) in x.chunks_exact(n_in.max(1)).take(rows).enumerate() {
            let at = if paired { 2 * r } else { r } * k_pad;
            let scale = quantize_row(x, &mut self.q[at..at + n_in]);
            self.scales.push(scale);
            if paired {
                for ((e, &v), &q) in residual.iter_mut().zip(x).zip(&self.q[at..at + n_in]) {
                    *e = v - f32::from(q) * scale;
                }
                let at = at + k_pad;
                let scale = quantize_row(&residual, &mut self.q[at..at + n_in]);
                self.scales.push(scale);
            }
        }
        self.shifted.clear();
        if kernel == Int8Kernel::Vnni {
            // q + 128 as a byte is q's two's complement with the top bit flipped.
            self.shifted
                .extend(self.q.iter().map(|&q| q.to_ne_bytes()[0] ^ 0x80));
        }
    }

    /// Rows of the product.
    pub fn rows(&self) -> usize {
        if self.paired {
            self.rows / 2
        } else {
            self.rows
        }
    }
}

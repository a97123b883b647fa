//! Int8 matrix products for the host decoder step.
//!
//! Weights are quantized once, per output row and symmetrically (scale = max|w| / 127, the
//! scheme CTranslate2 uses for `int8`); activations are quantized per row at every product the
//! same way. The integer dot products run with AVX-512 VNNI (`vpdpbusd`) where the CPU has it,
//! AVX2 otherwise, chosen at run time; a plain loop serves other CPUs and is the reference the
//! tests hold both kernels to. All three produce the exact integer sums, and one shared epilogue
//! turns them into floats, so the paths give bit-identical results.
//!
//! Layout: the weights are packed in blocks of 16 output rows; in a block, each group of 4
//! consecutive input columns holds 16 × 4 bytes (row j's 4 bytes at offset 4j). One 512-bit load
//! is then one group for 16 outputs, and one broadcast 32-bit activation group feeds all 16: no
//! horizontal sums, and the weights are read once per tile of rows. A decode step has only
//! batch × beams rows, so each block of weights is streamed once per tile of up to 8 rows while
//! it sits in L1.

/// Which integer kernel runs the products.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Int8Kernel {
    /// AVX-512 VNNI: unsigned × signed bytes into 32-bit lanes, 64 products per instruction.
    Vnni,
    /// AVX2: `vpmaddubsw` on |a| and sign-adjusted weights (no 16-bit saturation, since both
    /// factors are within ±127), then `vpmaddwd` into 32-bit lanes.
    Avx2,
    /// Scalar loop, for CPUs without AVX2 and as the reference.
    Scalar,
}

impl Int8Kernel {
    /// The fastest kernel this CPU runs.
    pub fn detect() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f")
                && std::arch::is_x86_feature_detected!("avx512bw")
                && std::arch::is_x86_feature_detected!("avx512vnni")
            {
                return Int8Kernel::Vnni;
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                return Int8Kernel::Avx2;
            }
        }
        Int8Kernel::Scalar
    }

    /// Whether this CPU can run `self`.
    pub fn available(self) -> bool {
        match self {
            Int8Kernel::Scalar => true,
            Int8Kernel::Avx2 => matches!(Self::detect(), Int8Kernel::Avx2 | Int8Kernel::Vnni),
            Int8Kernel::Vnni => Self::detect() == Int8Kernel::Vnni,
        }
    }

    /// The kernel to run: [`Int8Kernel::detect`]'s, or the one `ENTENTE_INT8_KERNEL` names
    /// (`vnni`, `avx2`, `scalar`: for benchmarks and for ruling a kernel out); an unknown name,
    /// or one this CPU cannot run, is an error that says which it can.
    pub fn chosen() -> Result<Self, String> {
        let Some(name) = std::env::var_os("ENTENTE_INT8_KERNEL") else {
            return Ok(Self::detect());
        };
        let kernel = match name.to_string_lossy().to_ascii_lowercase().as_str() {
            "vnni" => Int8Kernel::Vnni,
            "avx2" => Int8Kernel::Avx2,
            "scalar" => Int8Kernel::Scalar,
            other => {
                return Err(format!(
                    "ENTENTE_INT8_KERNEL={other}: expected vnni, avx2 or scalar"
                ))
            }
        };
        if kernel.available() {
            Ok(kernel)
        } else {
            Err(format!(
                "ENTENTE_INT8_KERNEL asks for the {} kernel, which this CPU cannot run (its best \
                 is {})",
                kernel.name(),
                Self::detect().name()
            ))
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Int8Kernel::Vnni => "AVX-512 VNNI",
            Int8Kernel::Avx2 => "AVX2",
            Int8Kernel::Scalar => "scalar",
        }
    }
}

/// Outputs per packed block.
const BLOCK: usize = 16;
/// Input columns per group (one 32-bit lane).
const GROUP: usize = 4;
/// Bytes of one group of one block.
const GROUP_BYTES: usize = BLOCK * GROUP;
/// Rows and blocks per AVX-512 tile: 8 rows × 2 blocks = 16 of the 32 registers as
/// accumulators. (6 × 4, with fewer loads per product, measured no faster: the weights of a
/// wider tile crowd the activations out of L1.)
const TILE_ROWS: usize = 8;
const TILE_BLOCKS: usize = 2;

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

fn quantize_row_body(x: &[f32], out: &mut [i8]) -> f32 {
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

/// A weight matrix (n_out × n_in, as `Linear` stores it) quantized to int8 and packed.
pub struct Int8Matrix {
    n_out: usize,
    n_in: usize,
    /// n_in rounded up to a multiple of [`GROUP`] (padding columns are zero).
    k_pad: usize,
    packed: Vec<i8>,
    /// Per output row: max|w| / 127.
    scales: Vec<f32>,
    /// Per output row (padded to whole blocks): 128 × Σ_k q[o][k]. The VNNI kernel multiplies
    /// unsigned bytes, so it feeds activations as q + 128 and takes this back off.
    shift_sums: Vec<i32>,
}

impl Int8Matrix {
    /// Quantize `w` (n_out × n_in, row-major) per output row and pack it.
    pub fn quantize(w: &[f32], n_out: usize, n_in: usize) -> Self {
        assert_eq!(w.len(), n_out * n_in, "weight shape");
        Self::from_rows(n_out, n_in, |o| {
            std::borrow::Cow::Borrowed(&w[o * n_in..(o + 1) * n_in])
        })
    }

    /// Quantize and pack the rows `row(0..n_out)` (each n_in long), read one at a time so that a
    /// large matrix never needs a float copy.
    pub fn from_rows<'a>(
        n_out: usize,
        n_in: usize,
        mut row: impl FnMut(usize) -> std::borrow::Cow<'a, [f32]>,
    ) -> Self {
        let k_pad = n_in.div_ceil(GROUP) * GROUP;
        let blocks = n_out.div_ceil(BLOCK);
        let groups = k_pad / GROUP;
        let mut packed = vec![0i8; blocks * BLOCK * k_pad];
        let mut scales = vec![0f32; blocks * BLOCK];
        let mut shift_sums = vec![0i32; blocks * BLOCK];
        let mut quantized = vec![0i8; n_in];
        for o in 0..n_out {
            let values = row(o);
            assert_eq!(values.len(), n_in, "row length");
            scales[o] = quantize_row(&values, &mut quantized);
            shift_sums[o] = 128 * quantized.iter().map(|&q| i32::from(q)).sum::<i32>();
            let (block, j) = (o / BLOCK, o % BLOCK);
            let base = block * groups * GROUP_BYTES + j * GROUP;
            for (k, &q) in quantized.iter().enumerate() {
                packed[base + (k / GROUP) * GROUP_BYTES + k % GROUP] = q;
            }
        }
        Int8Matrix {
            n_out,
            n_in,
            k_pad,
            packed,
            scales,
            shift_sums,
        }
    }

    pub fn n_out(&self) -> usize {
        self.n_out
    }

    pub fn n_in(&self) -> usize {
        self.n_in
    }

    /// Bytes held (weights, scales, sums).
    pub fn bytes(&self) -> usize {
        self.packed.len() + 4 * (self.scales.len() + self.shift_sums.len())
    }

    /// The quantized weight at (o, k).
    pub fn weight(&self, o: usize, k: usize) -> i8 {
        let groups = self.k_pad / GROUP;
        self.packed[(o / BLOCK) * groups * GROUP_BYTES
            + (k / GROUP) * GROUP_BYTES
            + (o % BLOCK) * GROUP
            + k % GROUP]
    }

    pub fn scale(&self, o: usize) -> f32 {
        self.scales[o]
    }

    fn blocks(&self) -> usize {
        self.n_out.div_ceil(BLOCK)
    }

    /// Exact integer products Σ_k a[r][k] · q[o][k] into `acc` (stored rows × n_out, row-major),
    /// with the scalar reference loop (the fast kernels fuse these sums into [`Self::matmul`]).
    pub fn integer_products(&self, a: &Int8Rows, acc: &mut Vec<i32>) {
        assert_eq!(a.k_pad, self.k_pad, "activation width");
        acc.clear();
        let groups = self.k_pad / GROUP;
        for r in 0..a.rows {
            let x = &a.q[r * self.k_pad..(r + 1) * self.k_pad];
            for o in 0..self.n_out {
                let base = (o / BLOCK) * groups * GROUP_BYTES + (o % BLOCK) * GROUP;
                let mut sum = 0i32;
                for g in 0..groups {
                    let w = &self.packed[base + g * GROUP_BYTES..][..GROUP];
                    for t in 0..GROUP {
                        sum += i32::from(x[g * GROUP + t]) * i32::from(w[t]);
                    }
                }
                acc.push(sum);
            }
        }
    }

    /// `x · Wᵀ + bias` for `a`, the quantized rows of x, into `out` (rows × n_out, row-major):
    /// each output is `(sum as f32) × (row scale × weight scale) + bias`, in that order, on
    /// every path (with a residual, both terms and then the bias).
    pub fn matmul(
        &self,
        a: &Int8Rows,
        bias: Option<&[f32]>,
        kernel: Int8Kernel,
        scratch: &mut Vec<i32>,
        out: &mut [f32],
    ) {
        assert_eq!(a.k_pad, self.k_pad, "activation width");
        assert!(out.len() >= a.rows() * self.n_out, "output buffer");
        if let Some(bias) = bias {
            assert!(bias.len() >= self.n_out, "bias length");
        }
        match kernel {
            #[cfg(target_arch = "x86_64")]
            Int8Kernel::Vnni => {
                assert!(
                    kernel.available(),
                    "AVX-512 VNNI is not available on this CPU"
                );
                assert_eq!(a.shifted.len(), a.q.len(), "rows quantized for VNNI");
                // SAFETY: the CPU supports the kernel's features (checked above); the buffers
                // hold what the kernel addresses (checked above and in the kernel).
                unsafe { x86::matmul_vnni(self, a, bias, out) }
            }
            #[cfg(target_arch = "x86_64")]
            Int8Kernel::Avx2 => {
                assert!(kernel.available(), "AVX2 is not available on this CPU");
                // SAFETY: as above.
                unsafe { x86::matmul_avx2(self, a, bias, out) }
            }
            _ => {
                self.integer_products(a, scratch);
                let n = self.n_out;
                for r in 0..a.rows() {
                    let out = &mut out[r * n..(r + 1) * n];
                    for (o, &w_scale) in self.scales[..n].iter().enumerate() {
                        let bias = bias.map_or(0.0, |b| b[o]);
                        out[o] = if a.paired {
                            epilogue_paired(
                                (scratch[2 * r * n + o], scratch[(2 * r + 1) * n + o]),
                                (a.scales[2 * r], a.scales[2 * r + 1]),
                                w_scale,
                                bias,
                            )
                        } else {
                            epilogue(scratch[r * n + o], a.scales[r], w_scale, bias)
                        };
                    }
                }
            }
        }
    }
}

/// One output from its integer sum: the same operations, in the same order, on every path
/// (separate multiply and add: a fused multiply-add would round differently).
#[inline(always)]
fn epilogue(sum: i32, row_scale: f32, w_scale: f32, bias: f32) -> f32 {
    sum as f32 * (row_scale * w_scale) + bias
}

/// [`epilogue`] for a row stored with its residual: both terms, then the bias.
#[inline(always)]
fn epilogue_paired(sums: (i32, i32), row_scales: (f32, f32), w_scale: f32, bias: f32) -> f32 {
    sums.0 as f32 * (row_scales.0 * w_scale) + sums.1 as f32 * (row_scales.1 * w_scale) + bias
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
    rows: usize,
    paired: bool,
    k_pad: usize,
    q: Vec<i8>,
    shifted: Vec<u8>,
    scales: Vec<f32>,
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

// The tiles index their register arrays by row and block on purpose: the loops are unrolled
// over the const sizes, and iterators would hide the two-dimensional indexing.
#[allow(clippy::needless_range_loop)]
#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    use super::{
        epilogue, epilogue_paired, Int8Matrix, Int8Rows, BLOCK, GROUP, GROUP_BYTES, TILE_BLOCKS,
        TILE_ROWS,
    };

    /// What one tile reads and writes: its first weight block, its first activation row, its
    /// first output, and the matrix-wide strides.
    struct Tile<'a> {
        m: &'a Int8Matrix,
        a: &'a Int8Rows,
        bias: Option<&'a [f32]>,
        /// First output row and first block of the tile.
        row: usize,
        block: usize,
        out: *mut f32,
    }

    impl Tile<'_> {
        /// The output row of stored row `stored` (two stored rows per output with a residual).
        #[inline(always)]
        fn output_row(&self, stored: usize) -> usize {
            if self.a.paired {
                stored / 2
            } else {
                stored
            }
        }

        /// Write the 16 outputs of `block` for stored row `stored` from their integer sums
        /// (and its residual's), through the shared scalar epilogue: for the last, partial
        /// block.
        #[inline(always)]
        unsafe fn finish(
            &self,
            stored: usize,
            block: usize,
            sums: &[i32; BLOCK],
            residual: Option<&[i32; BLOCK]>,
        ) {
            let n_out = self.m.n_out;
            let first = block * BLOCK;
            let out = self.out.add(self.output_row(stored) * n_out);
            for j in 0..BLOCK.min(n_out.saturating_sub(first)) {
                let o = first + j;
                let bias = self.bias.map_or(0.0, |b| b[o]);
                let w_scale = self.m.scales[o];
                *out.add(o) = match residual {
                    Some(residual) => epilogue_paired(
                        (sums[j], residual[j]),
                        (self.a.scales[stored], self.a.scales[stored + 1]),
                        w_scale,
                        bias,
                    ),
                    None => epilogue(sums[j], self.a.scales[stored], w_scale, bias),
                };
            }
        }
    }

    /// Tiles of up to 8 rows × 2 blocks (32 outputs), for every block and row.
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    pub(super) unsafe fn matmul_vnni(
        m: &Int8Matrix,
        a: &Int8Rows,
        bias: Option<&[f32]>,
        out: &mut [f32],
    ) {
        let blocks = m.blocks();
        assert!(a.shifted.len() == a.rows * m.k_pad && out.len() >= a.rows() * m.n_out);
        let mut block = 0;
        while block < blocks {
            let width = (blocks - block).min(TILE_BLOCKS);
            let mut row = 0;
            while row < a.rows {
                let rows = (a.rows - row).min(TILE_ROWS);
                let t = Tile {
                    m,
                    a,
                    bias,
                    row,
                    block,
                    out: out.as_mut_ptr(),
                };
                macro_rules! dispatch {
                    ($($n:literal)*) => {
                        match (rows, width) {
                            $(($n, 2) => tile_vnni::<$n, 2>(&t),
                              ($n, 1) => tile_vnni::<$n, 1>(&t),)*
                            _ => unreachable!(),
                        }
                    };
                }
                dispatch!(1 2 3 4 5 6 7 8);
                row += rows;
            }
            block += width;
        }
    }

    #[inline]
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    unsafe fn tile_vnni<const R: usize, const B: usize>(t: &Tile) {
        let m = t.m;
        let groups = m.k_pad / GROUP;
        let block_bytes = groups * GROUP_BYTES;
        let w = m.packed.as_ptr().add(t.block * block_bytes);
        let x = t.a.shifted.as_ptr().add(t.row * m.k_pad);
        let mut acc = [[_mm512_setzero_si512(); R]; B];
        for g in 0..groups {
            let mut wv = [_mm512_setzero_si512(); B];
            for (b, wv) in wv.iter_mut().enumerate() {
                *wv = _mm512_loadu_si512(w.add(b * block_bytes + g * GROUP_BYTES).cast());
            }
            for r in 0..R {
                let xv = x
                    .add(r * m.k_pad + g * GROUP)
                    .cast::<i32>()
                    .read_unaligned();
                let xv = _mm512_set1_epi32(xv);
                for b in 0..B {
                    acc[b][r] = _mm512_dpbusd_epi32(acc[b][r], xv, wv[b]);
                }
            }
        }
        let step = if t.a.paired { 2 } else { 1 };
        for (b, acc) in acc.iter().enumerate() {
            let block = t.block + b;
            let shift = _mm512_loadu_si512(m.shift_sums.as_ptr().add(block * BLOCK).cast());
            let w_scales = _mm512_loadu_ps(m.scales.as_ptr().add(block * BLOCK));
            let full = (block + 1) * BLOCK <= m.n_out;
            for r in (0..R).step_by(step) {
                let stored = t.row + r;
                let sums = _mm512_sub_epi32(acc[r], shift);
                let residual = (step == 2).then(|| _mm512_sub_epi32(acc[r + 1], shift));
                if full {
                    // The epilogue in 16 lanes: convert, scale (row × weight), add the
                    // residual's term, add the bias.
                    let term = |sums: __m512i, row_scale: f32| {
                        let scale = _mm512_mul_ps(_mm512_set1_ps(row_scale), w_scales);
                        _mm512_mul_ps(_mm512_cvtepi32_ps(sums), scale)
                    };
                    let mut y = term(sums, t.a.scales[stored]);
                    if let Some(residual) = residual {
                        y = _mm512_add_ps(y, term(residual, t.a.scales[stored + 1]));
                    }
                    if let Some(bias) = t.bias {
                        y = _mm512_add_ps(y, _mm512_loadu_ps(bias.as_ptr().add(block * BLOCK)));
                    }
                    let row = t.output_row(stored);
                    _mm512_storeu_ps(t.out.add(row * m.n_out + block * BLOCK), y);
                } else {
                    let mut lanes = [[0i32; BLOCK]; 2];
                    _mm512_storeu_si512(lanes[0].as_mut_ptr().cast(), sums);
                    if let Some(residual) = residual {
                        _mm512_storeu_si512(lanes[1].as_mut_ptr().cast(), residual);
                    }
                    t.finish(stored, block, &lanes[0], residual.map(|_| &lanes[1]));
                }
            }
        }
    }

    /// Tiles of up to 4 rows × 1 block (two 8-output halves), for every block and row.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn matmul_avx2(
        m: &Int8Matrix,
        a: &Int8Rows,
        bias: Option<&[f32]>,
        out: &mut [f32],
    ) {
        assert!(a.q.len() == a.rows * m.k_pad && out.len() >= a.rows() * m.n_out);
        for block in 0..m.blocks() {
            let mut row = 0;
            while row < a.rows {
                let rows = (a.rows - row).min(4);
                let t = Tile {
                    m,
                    a,
                    bias,
                    row,
                    block,
                    out: out.as_mut_ptr(),
                };
                match rows {
                    1 => tile_avx2::<1>(&t),
                    2 => tile_avx2::<2>(&t),
                    3 => tile_avx2::<3>(&t),
                    _ => tile_avx2::<4>(&t),
                }
                row += rows;
            }
        }
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn tile_avx2<const R: usize>(t: &Tile) {
        let m = t.m;
        let groups = m.k_pad / GROUP;
        let w = m.packed.as_ptr().add(t.block * groups * GROUP_BYTES);
        let x = t.a.q.as_ptr().add(t.row * m.k_pad);
        let ones = _mm256_set1_epi16(1);
        let mut acc = [[_mm256_setzero_si256(); R]; 2];
        for g in 0..groups {
            let w0 = _mm256_loadu_si256(w.add(g * GROUP_BYTES).cast());
            let w1 = _mm256_loadu_si256(w.add(g * GROUP_BYTES + 32).cast());
            for r in 0..R {
                let xv = x
                    .add(r * m.k_pad + g * GROUP)
                    .cast::<i32>()
                    .read_unaligned();
                let xv = _mm256_set1_epi32(xv);
                // |x| × (w with x's sign): both factors within ±127, so the pairwise 16-bit
                // sums (at most 2 × 127 × 127) never saturate.
                let magnitude = _mm256_sign_epi8(xv, xv);
                let p0 = _mm256_maddubs_epi16(magnitude, _mm256_sign_epi8(w0, xv));
                let p1 = _mm256_maddubs_epi16(magnitude, _mm256_sign_epi8(w1, xv));
                acc[0][r] = _mm256_add_epi32(acc[0][r], _mm256_madd_epi16(p0, ones));
                acc[1][r] = _mm256_add_epi32(acc[1][r], _mm256_madd_epi16(p1, ones));
            }
        }
        let full = (t.block + 1) * BLOCK <= m.n_out;
        let step = if t.a.paired { 2 } else { 1 };
        for r in (0..R).step_by(step) {
            let stored = t.row + r;
            let paired = step == 2;
            if full {
                let first = t.block * BLOCK;
                for (half, acc) in acc.iter().enumerate() {
                    let o = first + half * 8;
                    let w_scales = _mm256_loadu_ps(m.scales.as_ptr().add(o));
                    let term = |sums: __m256i, row_scale: f32| {
                        let scale = _mm256_mul_ps(_mm256_set1_ps(row_scale), w_scales);
                        _mm256_mul_ps(_mm256_cvtepi32_ps(sums), scale)
                    };
                    let mut y = term(acc[r], t.a.scales[stored]);
                    if paired {
                        y = _mm256_add_ps(y, term(acc[r + 1], t.a.scales[stored + 1]));
                    }
                    if let Some(bias) = t.bias {
                        y = _mm256_add_ps(y, _mm256_loadu_ps(bias.as_ptr().add(o)));
                    }
                    let row = t.output_row(stored);
                    _mm256_storeu_ps(t.out.add(row * m.n_out + o), y);
                }
            } else {
                let mut lanes = [[0i32; BLOCK]; 2];
                for (k, lanes) in lanes
                    .iter_mut()
                    .enumerate()
                    .take(if paired { 2 } else { 1 })
                {
                    _mm256_storeu_si256(lanes.as_mut_ptr().cast(), acc[0][r + k]);
                    _mm256_storeu_si256(lanes.as_mut_ptr().add(8).cast(), acc[1][r + k]);
                }
                t.finish(stored, t.block, &lanes[0], paired.then_some(&lanes[1]));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic pseudo-random floats in [-1, 1) with some larger outliers.
    fn values(n: usize, seed: u64) -> Vec<f32> {
        let mut s = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (0..n)
            .map(|i| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let v = ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0;
                if i % 97 == 0 {
                    v * 8.0
                } else {
                    v
                }
            })
            .collect()
    }

    /// The plain reference: quantize each row on its own, multiply in i32.
    fn reference(w: &[f32], n_out: usize, x: &[f32], rows: usize, n_in: usize) -> Vec<i32> {
        let quantize = |m: &[f32], n: usize| {
            let mut q = vec![0i8; n * n_in];
            for (src, dst) in m.chunks(n_in).zip(q.chunks_mut(n_in)) {
                quantize_row(src, dst);
            }
            q
        };
        let (qw, qx) = (quantize(w, n_out), quantize(x, rows));
        let mut out = vec![0i32; rows * n_out];
        for r in 0..rows {
            for o in 0..n_out {
                out[r * n_out + o] = (0..n_in)
                    .map(|k| i32::from(qx[r * n_in + k]) * i32::from(qw[o * n_in + k]))
                    .sum();
            }
        }
        out
    }

    fn kernels() -> Vec<Int8Kernel> {
        [Int8Kernel::Scalar, Int8Kernel::Avx2, Int8Kernel::Vnni]
            .into_iter()
            .filter(|k| k.available())
            .collect()
    }

    #[test]
    fn quantized_rows_round_trip_within_half_a_step() {
        let x = values(515, 3);
        let mut q = vec![0i8; x.len()];
        let scale = quantize_row(&x, &mut q);
        assert!(
            q.iter().any(|&v| v.abs() == 127),
            "the largest value maps to ±127"
        );
        for (&v, &q) in x.iter().zip(&q) {
            assert!((v - f32::from(q) * scale).abs() <= scale * 0.5 + 1e-6);
        }
        let mut zeros = vec![1i8; 4];
        assert_eq!(quantize_row(&[0.0; 4], &mut zeros), 1.0);
        assert_eq!(zeros, [0; 4]);
        let mut q = vec![1i8; 40];
        let mut with_nan = vec![0.5f32; 40];
        with_nan[37] = f32::NAN;
        assert!(quantize_row(&with_nan, &mut q).is_nan());
        assert_eq!(q, [0; 40]);
    }

    #[test]
    fn vectorized_quantization_matches_the_scalar_one() {
        // Lengths around the 16-lane width, values at exact halves and beyond.
        for n in [1, 15, 16, 17, 33, 512, 515] {
            let mut x = values(n, n as u64);
            if n > 3 {
                x[1] = 0.5 * x[0];
                x[2] = -x[0];
            }
            let (mut a, mut b) = (vec![0i8; n], vec![0i8; n]);
            let scale = quantize_row(&x, &mut a);
            assert_eq!(quantize_row_body(&x, &mut b), scale);
            assert_eq!(a, b, "{n} values");
        }
    }

    /// Each kernel's outputs against the epilogue applied to the reference's integer sums:
    /// sums stay below 2^24, so equal floats mean equal sums.
    fn check_exact(w: &[f32], n_out: usize, x: &[f32], rows: usize, n_in: usize) {
        let expected = reference(w, n_out, x, rows, n_in);
        let packed = Int8Matrix::quantize(w, n_out, n_in);
        let mut reference_rows = Int8Rows::default();
        reference_rows.quantize(x, rows, n_in, Int8Kernel::Scalar);
        let mut scalar_sums = Vec::new();
        packed.integer_products(&reference_rows, &mut scalar_sums);
        assert_eq!(scalar_sums, expected, "packed scalar loop, {n_out}×{n_in}");
        for kernel in kernels() {
            let mut a = Int8Rows::default();
            a.quantize(x, rows, n_in, kernel);
            let mut out = vec![f32::NAN; rows * n_out];
            packed.matmul(&a, None, kernel, &mut Vec::new(), &mut out);
            for r in 0..rows {
                for o in 0..n_out {
                    let want = epilogue(
                        expected[r * n_out + o],
                        reference_rows.scales[r],
                        packed.scale(o),
                        0.0,
                    );
                    assert_eq!(
                        out[r * n_out + o],
                        want,
                        "{} kernel, {n_out}×{n_in}, {rows} rows, output ({r}, {o})",
                        kernel.name()
                    );
                }
            }
        }
    }

    /// [`check_exact`] for rows quantized with their residual: the reference quantizes each
    /// row, then what that left out, and combines both sums through the paired epilogue.
    fn check_exact_residual(w: &[f32], n_out: usize, x: &[f32], rows: usize, n_in: usize) {
        let mut main = vec![0i8; rows * n_in];
        let mut residual_q = vec![0i8; rows * n_in];
        let mut scales = Vec::new();
        let mut residual_x = vec![0f32; rows * n_in];
        for r in 0..rows {
            let span = r * n_in..(r + 1) * n_in;
            let scale = quantize_row(&x[span.clone()], &mut main[span.clone()]);
            for k in span.clone() {
                residual_x[k] = x[k] - f32::from(main[k]) * scale;
            }
            let residual_scale = quantize_row(&residual_x[span.clone()], &mut residual_q[span]);
            scales.push((scale, residual_scale));
        }
        let packed = Int8Matrix::quantize(w, n_out, n_in);
        let sums = |q: &[i8], r: usize, o: usize| -> i32 {
            (0..n_in)
                .map(|k| i32::from(q[r * n_in + k]) * i32::from(packed.weight(o, k)))
                .sum()
        };
        let bias: Vec<f32> = (0..n_out).map(|o| o as f32 * 0.25 - 1.0).collect();
        for kernel in kernels() {
            let mut a = Int8Rows::default();
            a.quantize_with_residual(x, rows, n_in, kernel);
            assert_eq!(a.rows(), rows);
            let mut out = vec![f32::NAN; rows * n_out];
            packed.matmul(&a, Some(&bias), kernel, &mut Vec::new(), &mut out);
            for r in 0..rows {
                for o in 0..n_out {
                    let want = epilogue_paired(
                        (sums(&main, r, o), sums(&residual_q, r, o)),
                        scales[r],
                        packed.scale(o),
                        bias[o],
                    );
                    assert_eq!(
                        out[r * n_out + o],
                        want,
                        "{} kernel with residual, {n_out}×{n_in}, {rows} rows, ({r}, {o})",
                        kernel.name()
                    );
                }
            }
        }
    }

    #[test]
    fn residual_rows_give_the_exact_paired_products_and_less_error() {
        for &(n_out, n_in) in &[(15, 7), (37, 64), (70, 130)] {
            let w = values(n_out * n_in, 7 + n_out as u64);
            for rows in [1, 3, 4, 5, 8, 9] {
                let x = values(rows * n_in, 500 + rows as u64);
                check_exact_residual(&w, n_out, &x, rows, n_in);
            }
        }
        // The residual takes the activations' rounding error down by about two orders.
        let (n_out, n_in, rows) = (40, 256, 6);
        let w = values(n_out * n_in, 21);
        let x = values(rows * n_in, 22);
        let packed = Int8Matrix::quantize(&w, n_out, n_in);
        let dequantized: Vec<f32> = (0..n_out)
            .flat_map(|o| (0..n_in).map(move |k| (o, k)))
            .map(|(o, k)| f32::from(packed.weight(o, k)) * packed.scale(o))
            .collect();
        let exact: Vec<f64> = (0..rows * n_out)
            .map(|i| {
                let (r, o) = (i / n_out, i % n_out);
                (0..n_in)
                    .map(|k| f64::from(x[r * n_in + k]) * f64::from(dequantized[o * n_in + k]))
                    .sum()
            })
            .collect();
        let error = |residual: bool| {
            let mut a = Int8Rows::default();
            if residual {
                a.quantize_with_residual(&x, rows, n_in, Int8Kernel::Scalar);
            } else {
                a.quantize(&x, rows, n_in, Int8Kernel::Scalar);
            }
            let mut out = vec![0f32; rows * n_out];
            packed.matmul(&a, None, Int8Kernel::Scalar, &mut Vec::new(), &mut out);
            out.iter()
                .zip(&exact)
                .map(|(&o, &e)| (f64::from(o) - e).abs())
                .fold(0.0, f64::max)
        };
        let (plain, with_residual) = (error(false), error(true));
        assert!(with_residual * 20.0 < plain, "{with_residual} vs {plain}");
    }

    #[test]
    fn every_kernel_gives_the_exact_integer_products() {
        // Odd sizes: outputs not a multiple of 16 or 32, inputs not a multiple of 4, row
        // counts around the tile sizes.
        for &(n_out, n_in) in &[(1, 1), (15, 7), (17, 33), (37, 64), (70, 130)] {
            let w = values(n_out * n_in, n_out as u64);
            let packed = Int8Matrix::quantize(&w, n_out, n_in);
            for o in 0..n_out {
                let mut row = vec![0i8; n_in];
                let scale = quantize_row(&w[o * n_in..(o + 1) * n_in], &mut row);
                assert_eq!(packed.scale(o), scale);
                for (k, &q) in row.iter().enumerate() {
                    assert_eq!(packed.weight(o, k), q, "packing of ({o}, {k})");
                }
            }
            for rows in [1, 3, 4, 5, 8, 9, 16, 19] {
                let x = values(rows * n_in, 1000 + rows as u64);
                check_exact(&w, n_out, &x, rows, n_in);
            }
        }
    }

    #[test]
    fn extreme_values_do_not_saturate() {
        // Every product at ±127 × ±127: the AVX2 path's 16-bit pair sums are at their largest,
        // and the VNNI path's unsigned operand at 0 and 254.
        let (n_out, n_in, rows) = (33, 68, 9);
        let w: Vec<f32> = (0..n_out * n_in)
            .map(|i| if i % 3 == 0 { -1.0 } else { 1.0 })
            .collect();
        let x: Vec<f32> = (0..rows * n_in)
            .map(|i| if i % 5 == 0 { 1.0 } else { -1.0 })
            .collect();
        check_exact(&w, n_out, &x, rows, n_in);
        check_exact(
            &vec![-1.0; n_out * n_in],
            n_out,
            &vec![-1.0; rows * n_in],
            rows,
            n_in,
        );
    }

    #[test]
    fn paths_agree_bit_for_bit_and_track_float_products() {
        let (n_out, n_in, rows) = (50, 96, 7);
        let w = values(n_out * n_in, 11);
        let x = values(rows * n_in, 12);
        let bias = values(n_out, 13);
        let packed = Int8Matrix::quantize(&w, n_out, n_in);
        let mut results = Vec::new();
        for kernel in kernels() {
            let mut a = Int8Rows::default();
            a.quantize(&x, rows, n_in, kernel);
            let mut out = vec![0f32; rows * n_out];
            packed.matmul(&a, Some(&bias), kernel, &mut Vec::new(), &mut out);
            results.push((kernel, out));
        }
        for (kernel, other) in &results[1..] {
            assert_eq!(
                other,
                &results[0].1,
                "{} against {}",
                kernel.name(),
                results[0].0.name()
            );
        }
        // Against the float product: per-row quantization keeps the error to a few percent of
        // the output's scale.
        let mut worst = 0f32;
        let mut largest = 0f32;
        for r in 0..rows {
            for o in 0..n_out {
                let exact: f32 = (0..n_in)
                    .map(|k| x[r * n_in + k] * w[o * n_in + k])
                    .sum::<f32>()
                    + bias[o];
                worst = worst.max((exact - results[0].1[r * n_out + o]).abs());
                largest = largest.max(exact.abs());
            }
        }
        assert!(
            worst < 0.05 * largest,
            "error {worst} against outputs up to {largest}"
        );
    }

    #[test]
    fn kernels_on_this_cpu() {
        // On the development and CI machines (AVX-512 VNNI) all three paths are exercised;
        // elsewhere this says which ran.
        let detected = Int8Kernel::detect();
        eprintln!("int8 kernel: {}", detected.name());
        assert!(detected.available());
        assert!(Int8Kernel::Scalar.available());
    }
}

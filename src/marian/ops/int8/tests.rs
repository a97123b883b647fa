use super::epilogue::{epilogue, epilogue_paired};
use super::quantize::quantize_row_body;
use super::refine::REFINE_MOST;
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
    // The kernels every int8 test here runs are every kernel the CPU offers, as its flags in
    // /proc/cpuinfo say (read independently of the run-time detection the tests filter with,
    // so that a detection mistake cannot silently drop a kernel from the suite); the line names
    // them, and `.ci/run` prints it.
    let detected = Int8Kernel::detect();
    assert!(detected.available());
    assert!(Int8Kernel::Scalar.available());
    let tested: Vec<&str> = kernels().iter().map(|k| k.name()).collect();
    crate::marian::ops::cpu_flags::say_paths("int8 kernels", &tested);
    if let Some(flags) = crate::marian::ops::cpu_flags::read() {
        let mut offered = vec![Int8Kernel::Scalar.name()];
        if flags.contains("avx2") {
            offered.push(Int8Kernel::Avx2.name());
        }
        if ["avx512f", "avx512bw", "avx512_vnni"]
            .iter()
            .all(|f| flags.contains(*f))
        {
            offered.push(Int8Kernel::Vnni.name());
        }
        assert_eq!(
            tested, offered,
            "the int8 tests run every kernel the CPU offers"
        );
    }
}

#[test]
fn refined_outputs_are_the_paired_products_and_the_rest_the_plain_ones() {
    let (n_out, n_in, rows) = (203, 37, 5);
    let w = values(n_out * n_in, 11);
    let x = values(rows * n_in, 12);
    let bias = values(n_out, 13);
    let packed = Int8Matrix::quantize(&w, n_out, n_in);
    for kernel in kernels() {
        let product = |paired: bool| {
            let mut a = Int8Rows::default();
            if paired {
                a.quantize_with_residual(&x, rows, n_in, kernel);
            } else {
                a.quantize(&x, rows, n_in, kernel);
            }
            let mut out = vec![0f32; rows * n_out];
            packed.matmul(&a, Some(&bias), kernel, &mut Vec::new(), &mut out);
            (a, out)
        };
        let ((_, plain), (paired_rows, paired)) = (product(false), product(true));
        let mut refined = plain.clone();
        let mut found = Vec::new();
        for (r, out_row) in refined.chunks_exact_mut(n_out).enumerate() {
            packed.refine_row(&paired_rows, Some(&bias), r, out_row, &mut found);
            let chosen: Vec<usize> = found.iter().map(|&(_, o)| o).collect();
            assert!(!chosen.is_empty() && chosen.len() <= REFINE_MOST);
            for (o, got) in out_row.iter().enumerate() {
                let at = r * n_out + o;
                let want = if chosen.contains(&o) {
                    paired[at]
                } else {
                    plain[at]
                };
                assert_eq!(
                    got.to_bits(),
                    want.to_bits(),
                    "{} kernel, row {r}, output {o}",
                    kernel.name()
                );
            }
        }
    }
}

#[test]
#[cfg(target_arch = "x86_64")]
fn blocking_for_any_cache_gives_the_same_bits() {
    use super::super::cache::CacheSizes;
    // 87 outputs: five whole blocks and a partial one, so the pairs of the VNNI kernel end in
    // a single block and the last prefetch has one block to fetch; 37 rows, so that row chunks
    // end inside a tile.
    let (n_out, n_in, rows) = (87, 200, 37);
    let w = values(n_out * n_in, 21);
    let x = values(rows * n_in, 22);
    let bias = values(n_out, 23);
    let packed = Int8Matrix::quantize(&w, n_out, n_in);
    let caches = [
        // Chunks of one tile of rows; prefetches to L2.
        CacheSizes { l1d: 1, l2: 1 },
        // Chunks of a few tiles; prefetches to L1.
        CacheSizes {
            l1d: 1 << 20,
            l2: 2 * 16 * 200,
        },
        CacheSizes::detected(),
        CacheSizes {
            l1d: 1 << 30,
            l2: 1 << 30,
        },
    ];
    for residual in [false, true] {
        let quantized = |kernel| {
            let mut a = Int8Rows::default();
            if residual {
                a.quantize_with_residual(&x, rows, n_in, kernel);
            } else {
                a.quantize(&x, rows, n_in, kernel);
            }
            a
        };
        let mut want = vec![0f32; rows * n_out];
        packed.matmul(
            &quantized(Int8Kernel::Scalar),
            Some(&bias),
            Int8Kernel::Scalar,
            &mut Vec::new(),
            &mut want,
        );
        for kernel in [Int8Kernel::Avx2, Int8Kernel::Vnni] {
            if !kernel.available() {
                continue;
            }
            let a = quantized(kernel);
            for cache in caches {
                let mut out = vec![f32::NAN; rows * n_out];
                // SAFETY: the CPU has the kernel's features (checked above); the rows were
                // quantized for it and the buffers have the product's shape.
                unsafe {
                    match kernel {
                        Int8Kernel::Vnni => vnni::matmul(&packed, &a, Some(&bias), &mut out, cache),
                        _ => avx2::matmul(&packed, &a, Some(&bias), &mut out, cache),
                    }
                }
                assert_eq!(
                    out.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                    want.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                    "{} kernel, {cache:?}, residual {residual}",
                    kernel.name()
                );
            }
        }
    }
}

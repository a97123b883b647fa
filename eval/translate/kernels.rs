//! The matrix products of one decoder step, kernel against kernel: entente's int8 (AVX-512
//! VNNI, AVX2), Candle's quantized matmul (Q8_0 blocks, the packaged option), and float32
//! (`gemm`'s packed GEMM, `W · xᵀ`, and entente's batch-invariant product on each vector path
//! the CPU runs: the same bits, other tiles). Shapes are opus-mt-fr-en's (d 512, FFN 2048,
//! vocabulary 59,514) at 16 rows (greedy, batch 16), 64 rows (beam 4), 480 and 1,920 rows (the
//! encoder on 16 and 64 sentences of 30 tokens), one thread.
//!
//! Run: `cargo run --release --example bench-kernels`

use std::time::Instant;

use candle_core::quantized::{GgmlDType, QMatMul, QTensor};
use candle_core::{Device, Module, Tensor};
use entente::marian::ops::int8::{Int8Kernel, Int8Matrix, Int8Rows};
use entente::marian::ops::invariant;

#[path = "../common.rs"]
#[allow(dead_code)] // the harnesses' shared helpers; this one uses `cpu` alone
mod common;

/// The float32 peer: `gemm`'s packed GEMM as entente's host step called it before the
/// batch-invariant product.
///
/// `out` (n_out × rows, row-major) = `w` (n_out × n_in, row-major) · `x`ᵀ, `x` rows × n_in.
///
/// `W · xᵀ` streams the row-major weights as they are; Candle's `x · Wᵀ` would make `gemm`
/// repack the whole weight matrix at every step.
fn matmul_transposed(
    w: &[f32],
    n_out: usize,
    n_in: usize,
    x: &[f32],
    rows: usize,
    out: &mut [f32],
) {
    assert!(w.len() >= n_out * n_in && x.len() >= rows * n_in && out.len() >= n_out * rows);
    // SAFETY: the three slices hold at least the elements the strides below address, as
    // asserted; `out` does not alias the inputs (it is a distinct `&mut`).
    unsafe {
        gemm::gemm(
            n_out,
            rows,
            n_in,
            out.as_mut_ptr(),
            1,
            rows as isize,
            false,
            w.as_ptr(),
            1,
            n_in as isize,
            x.as_ptr(),
            n_in as isize,
            1,
            0.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

fn values(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect()
}

/// Median seconds of `f` over enough repetitions for ~0.3 s.
fn time(mut f: impl FnMut()) -> f64 {
    f();
    let start = Instant::now();
    f();
    let once = start.elapsed().as_secs_f64().max(1e-6);
    let reps = ((0.3 / once) as usize).clamp(3, 2000);
    let mut samples: Vec<f64> = (0..reps)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .collect();
    samples.sort_by(|a, b| a.partial_cmp(b).unwrap());
    samples[reps / 2]
}

fn main() {
    let shapes = [
        ("attention 512→512", 512, 512),
        ("FFN in 512→2048", 2048, 512),
        ("FFN out 2048→512", 512, 2048),
        ("output 512→59,514", 59514, 512),
    ];
    let kernels: Vec<Int8Kernel> = [Int8Kernel::Vnni, Int8Kernel::Avx2]
        .into_iter()
        .filter(|k| k.available())
        .collect();
    // The batch-invariant product on each vector path this CPU runs (same bits, other speed).
    let paths: Vec<invariant::Path> = invariant::Path::ALL
        .into_iter()
        .rev()
        .filter(|&p| p != invariant::Path::Portable && p.available())
        .collect();
    println!("CPU: {}", common::cpu());
    println!("One product x · Wᵀ, one thread; microseconds (median), and GMAC/s in parentheses");
    println!();
    print!("| product | rows | f32 gemm (packed GEMM) |");
    for p in &paths {
        print!(" f32 batch-invariant {} |", p.name());
    }
    print!(" Candle Q8_0 QMatMul |");
    for k in &kernels {
        print!(" entente int8 {} |", k.name());
    }
    println!(" entente int8 {} + residual |", kernels[0].name());
    print!("|---|---:|---:|---:|");
    for _ in &paths {
        print!("---:|");
    }
    for _ in &kernels {
        print!("---:|");
    }
    println!("---:|");
    for (name, n_out, n_in) in shapes {
        let w = values(n_out * n_in, 1);
        let weight = Tensor::from_slice(&w, (n_out, n_in), &Device::Cpu).unwrap();
        let q8 =
            QMatMul::from_qtensor(QTensor::quantize(&weight, GgmlDType::Q8_0).unwrap()).unwrap();
        let int8 = Int8Matrix::quantize(&w, n_out, n_in);
        for rows in [1, 16, 64, 480, 1920] {
            if rows > 480 && n_out > 2048 {
                continue; // the output projection never sees encoder-sized batches
            }
            let x = values(rows * n_in, 2);
            let macs = (rows * n_out * n_in) as f64;
            let cell = |s: f64| format!("{:.0} ({:.0})", s * 1e6, macs / s / 1e9);
            let mut out = vec![0f32; rows * n_out];
            let f32_s = time(|| matmul_transposed(&w, n_out, n_in, &x, rows, &mut out));
            print!("| {name} | {rows} | {} |", cell(f32_s));
            for &p in &paths {
                let s =
                    time(|| invariant::product_on(p, &x, rows, &w, n_out, n_in, None, &mut out));
                print!(" {} |", cell(s));
            }
            let xt = Tensor::from_slice(&x, (rows, n_in), &Device::Cpu).unwrap();
            let q8_s = time(|| {
                q8.forward(&xt).unwrap();
            });
            print!(" {} |", cell(q8_s));
            let mut a = Int8Rows::default();
            let mut scratch = Vec::new();
            for &k in &kernels {
                let s = time(|| {
                    a.quantize(&x, rows, n_in, k);
                    int8.matmul(&a, None, k, &mut scratch, &mut out);
                });
                print!(" {} |", cell(s));
            }
            let k = kernels[0];
            let s = time(|| {
                a.quantize_with_residual(&x, rows, n_in, k);
                int8.matmul(&a, None, k, &mut scratch, &mut out);
            });
            println!(" {} |", cell(s));
        }
    }
}

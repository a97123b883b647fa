use super::*;
use crate::marian::ops::cache::CacheSizes;

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

/// The product on every path this CPU runs, the portable one first, blocked for `cache`: each
/// path's name and outputs, each written into its own buffer of NaN.
#[allow(clippy::too_many_arguments)]
fn on_every_path(
    x: &[f32],
    rows: usize,
    w: &[f32],
    n_out: usize,
    n_in: usize,
    bias: Option<&[f32]>,
    cache: CacheSizes,
) -> Vec<(&'static str, Vec<f32>)> {
    Path::ALL
        .into_iter()
        .filter(|p| p.available())
        .map(|path| {
            let mut out = vec![f32::NAN; rows * n_out];
            product_blocked(path, x, rows, w, n_out, n_in, bias, &mut out, cache);
            (path.name(), out)
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
    // Row and output counts around every kernel's tiles (8 × 3 with AVX-512, 4 × 4, 1 × 4 and
    // what each leaves over), whole rows and rows in blocks of `k`.
    for n_in in [75, 600] {
        for rows in [1, 3, 4, 5, 7, 8, 9, 12, 13, 16, 17, 21, 64] {
            for n_out in [1, 2, 3, 4, 5, 7, 13] {
                let (x, w) = (pseudo(rows * n_in, 4), pseudo(n_out * n_in, 5));
                let paths = on_every_path(&x, rows, &w, n_out, n_in, None, CacheSizes::detected());
                let portable = &paths[0].1;
                for (name, out) in &paths[1..] {
                    assert_eq!(
                        out, portable,
                        "{name}, {rows} rows × {n_out} outputs × {n_in}"
                    );
                }
            }
        }
    }
}

#[test]
fn long_rows_in_blocks_give_the_bits_of_whole_dot_products() {
    // Rows over `K_BLOCK` values go through `accumulate`/`finish` in blocks; each number must
    // still be the one `dots` gives the row and weight row alone, on every path.
    use super::kernel::Kernel;
    for n_in in [513, 1037, 2048] {
        let (n_out, rows) = (13, 7);
        let (x, w) = (pseudo(rows * n_in, 6), pseudo(n_out * n_in, 7));
        let mut out = vec![0f32; rows * n_out];
        product(&x, rows, &w, n_out, n_in, None, &mut out);
        for r in 0..rows {
            for o in 0..n_out {
                // SAFETY: the portable kernel has no requirement; the rows are n_in long.
                let alone = unsafe {
                    Portable::dots::<1, 1>([x[r * n_in..].as_ptr()], [w[o * n_in..].as_ptr()], n_in)
                }[0][0];
                assert_eq!(out[r * n_out + o], alone, "n_in {n_in} row {r} out {o}");
            }
        }
        for (name, other) in on_every_path(&x, rows, &w, n_out, n_in, None, CacheSizes::detected())
        {
            assert_eq!(other, out, "{name}, n_in {n_in}");
        }
    }
}

#[test]
fn blocking_for_any_cache_gives_the_same_bits() {
    // Caches from one tile of rows and outputs per chunk to everything in one: the same bits
    // on every path, for whole rows and for rows in blocks of `k`.
    let caches = [
        CacheSizes { l1d: 1, l2: 1 },
        CacheSizes {
            l1d: 32 << 10,
            l2: 64 << 10,
        },
        CacheSizes::detected(),
        CacheSizes {
            l1d: 1 << 30,
            l2: 1 << 30,
        },
    ];
    for n_in in [75, 600] {
        let (n_out, rows) = (41, 70);
        let (x, w, b) = (
            pseudo(rows * n_in, 8),
            pseudo(n_out * n_in, 9),
            pseudo(n_out, 10),
        );
        let mut want = vec![0f32; rows * n_out];
        product(&x, rows, &w, n_out, n_in, Some(&b), &mut want);
        for cache in caches {
            for (name, out) in on_every_path(&x, rows, &w, n_out, n_in, Some(&b), cache) {
                assert_eq!(out, want, "{name}, n_in {n_in}, {cache:?}");
            }
        }
    }
}

#[test]
fn every_tile_gives_the_same_bits() {
    // The walk in 8 × 3 tiles (AVX-512's) and 3 × 2 (AVX2's) against 4 × 4, with the portable
    // kernel, so that the walk's tile arithmetic is tested on every CPU, not only where the
    // instruction set picks it.
    use super::tile::walk;
    for n_in in [75, 600] {
        for rows in [1, 5, 8, 9, 13, 17, 64] {
            for n_out in [1, 2, 3, 4, 7, 13] {
                let (x, w, b) = (
                    pseudo(rows * n_in, 11),
                    pseudo(n_out * n_in, 12),
                    pseudo(n_out, 13),
                );
                let mut want = vec![f32::NAN; rows * n_out];
                let (mut got_8x3, mut got_3x2) = (want.clone(), want.clone());
                let cache = CacheSizes::detected();
                // SAFETY: the portable kernel has no requirement.
                unsafe {
                    walk::<Portable, 4, 4>(&x, rows, &w, n_out, n_in, Some(&b), &mut want, cache);
                    walk::<Portable, 8, 3>(
                        &x,
                        rows,
                        &w,
                        n_out,
                        n_in,
                        Some(&b),
                        &mut got_8x3,
                        cache,
                    );
                    walk::<Portable, 3, 2>(
                        &x,
                        rows,
                        &w,
                        n_out,
                        n_in,
                        Some(&b),
                        &mut got_3x2,
                        cache,
                    );
                }
                assert!(want.iter().all(|v| v.is_finite()));
                assert_eq!(
                    got_8x3, want,
                    "8 × 3: {rows} rows × {n_out} outputs × {n_in}"
                );
                assert_eq!(
                    got_3x2, want,
                    "3 × 2: {rows} rows × {n_out} outputs × {n_in}"
                );
            }
        }
    }
}

#[test]
fn every_path_through_the_public_entry_gives_the_product() {
    let (n_in, n_out, rows) = (600, 13, 17);
    let (x, w, b) = (
        pseudo(rows * n_in, 14),
        pseudo(n_out * n_in, 15),
        pseudo(n_out, 16),
    );
    assert!(Path::best().available() && Path::Portable.available());
    let mut want = vec![f32::NAN; rows * n_out];
    product(&x, rows, &w, n_out, n_in, Some(&b), &mut want);
    for path in Path::ALL {
        if path.available() {
            let mut out = vec![f32::NAN; rows * n_out];
            product_on(path, &x, rows, &w, n_out, n_in, Some(&b), &mut out);
            assert_eq!(out, want, "{path:?}");
        }
    }
}

#[test]
fn the_tests_run_every_path_this_cpu_offers() {
    // As for the int8 kernels: the paths the tests run (filtered by run-time detection) against
    // the CPU's flags in /proc/cpuinfo, and a line naming them.
    let tested: Vec<&str> = Path::ALL
        .into_iter()
        .filter(|p| p.available())
        .map(Path::name)
        .collect();
    crate::marian::ops::cpu_flags::say_paths("f32 product paths", &tested);
    if let Some(flags) = crate::marian::ops::cpu_flags::read() {
        let mut offered = vec![Path::Portable.name()];
        if flags.contains("avx2") && flags.contains("fma") {
            offered.push(Path::Avx2.name());
        }
        if flags.contains("avx512f") {
            offered.push(Path::Avx512.name());
        }
        assert_eq!(
            tested, offered,
            "the f32 tests run every path the CPU offers"
        );
    }
}

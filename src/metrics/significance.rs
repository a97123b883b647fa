//! Bootstrap confidence intervals and paired significance tests (paired bootstrap resampling and
//! approximate randomization), reproducing sacreBLEU's numbers: the same random stream
//! ([`NumpyRng`]), the same `float32` statistics for resamples, numpy's pairwise summation for
//! means, and the same p-value formula `(c + 1) / (n + 1)`.

pub use super::metric::Estimate;
use super::metric::{Metric, Stats};
use super::numpy_rng::NumpyRng;
use super::real::{Np, Real};

/// sacreBLEU's default seed (`SACREBLEU_SEED`).
pub const DEFAULT_SEED: u64 = 12345;
/// Default number of bootstrap resamples.
pub const DEFAULT_BOOTSTRAP_SAMPLES: usize = 1000;
/// Default number of approximate-randomization trials.
pub const DEFAULT_AR_TRIALS: usize = 10000;

/// A system compared with the baseline.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PairedResult {
    pub score: f64,
    pub p_value: f64,
    /// Bootstrap estimate of the system's true mean (paired bootstrap only).
    pub estimate: Option<Estimate>,
}

/// A one-dimensional numpy float array: `float32` when every element was a `float32` scalar,
/// else `float64` (values are kept as `f64`, exactly).
struct NpArray {
    is_f32: bool,
    values: Vec<f64>,
}

impl NpArray {
    fn from_scalars(scalars: &[Np]) -> Self {
        NpArray {
            is_f32: scalars.iter().all(|s| s.is_f32()),
            values: scalars.iter().map(|s| s.value()).collect(),
        }
    }

    fn round(&self, x: f64) -> f64 {
        if self.is_f32 {
            f64::from(x as f32)
        } else {
            x
        }
    }

    /// numpy's pairwise summation (blocks of 128, eight accumulators).
    fn pairwise_sum(&self, v: &[f64]) -> f64 {
        let add = |a: f64, b: f64| self.round(a + b);
        let n = v.len();
        if n < 8 {
            v.iter().fold(0.0, |acc, &x| add(acc, x))
        } else if n <= 128 {
            let mut r: [f64; 8] = std::array::from_fn(|j| v[j]);
            let mut i = 8;
            while i < n - n % 8 {
                for j in 0..8 {
                    r[j] = add(r[j], v[i + j]);
                }
                i += 8;
            }
            let mut res = add(
                add(add(r[0], r[1]), add(r[2], r[3])),
                add(add(r[4], r[5]), add(r[6], r[7])),
            );
            for &x in &v[i..] {
                res = add(res, x);
            }
            res
        } else {
            let mut n2 = n / 2;
            n2 -= n2 % 8;
            add(self.pairwise_sum(&v[..n2]), self.pairwise_sum(&v[n2..]))
        }
    }

    fn mean_of(&self, values: &[f64]) -> f64 {
        self.round(self.pairwise_sum(values) / values.len() as f64)
    }

    fn mean(&self) -> f64 {
        self.mean_of(&self.values)
    }

    /// The values sorted, and half the spread between their 2.5% and 97.5% points, as both of
    /// sacreBLEU's `estimate_ci` compute it.
    fn sorted_and_half_spread(&self) -> (Vec<f64>, f64) {
        let mut sorted = self.values.clone();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let lower_idx = n / 40;
        let upper_idx = n - lower_idx - 1;
        let ci = self.round(0.5 * self.round(sorted[upper_idx] - sorted[lower_idx]));
        (sorted, ci)
    }

    /// sacreBLEU's `estimate_ci`: mean (of the sorted array: the order changes the rounding of
    /// the pairwise sum), and half the spread between the 2.5% and 97.5% points.
    fn estimate(&self) -> Estimate {
        let (sorted, ci) = self.sorted_and_half_spread();
        Estimate {
            mean: self.mean_of(&sorted),
            ci,
        }
    }
}

/// Scores of `n_samples` bootstrap resamples of a corpus; `indices` yields each resample's
/// segment indices (shared between systems in a paired test).
fn resample_scores<M: Metric>(metric: &M, stats: &Stats, samples: &[Vec<usize>]) -> NpArray {
    let width = stats.width;
    // sacreBLEU resamples `np.array(stats, dtype='float32')` and sums in float32.
    let stats32: Vec<f32> = stats.data.iter().map(|&x| x as f32).collect();
    let mut sums = vec![0f32; width];
    let mut scalars = Vec::with_capacity(samples.len());
    for sample in samples {
        sums.fill(0.0);
        for &i in sample {
            for (s, &x) in sums.iter_mut().zip(&stats32[i * width..(i + 1) * width]) {
                *s += x;
            }
        }
        let row: Vec<Np> = sums.iter().map(|&x| Np::F32(x)).collect();
        scalars.push(metric.score_of(&row));
    }
    NpArray::from_scalars(&scalars)
}

/// `rng.choice(n, size=(n_samples, n), replace=True)` from a fresh generator. Every public
/// function here takes at least one resample: a count of 0 is treated as 1 (sacreBLEU has no
/// meaning for it, and no interval exists without a sample).
fn bootstrap_indices(n: usize, n_samples: usize, seed: u64) -> Vec<Vec<usize>> {
    let n_samples = n_samples.max(1);
    let mut rng = NumpyRng::new(seed);
    (0..n_samples)
        .map(|_| (0..n).map(|_| rng.below(n as u64) as usize).collect())
        .collect()
}

/// Bootstrap confidence interval of one system's score (sacreBLEU's `--confidence`, and the
/// baseline's interval in a paired bootstrap test).
pub fn bootstrap_estimate<M: Metric>(
    metric: &M,
    stats: &Stats,
    n_samples: usize,
    seed: u64,
) -> Estimate {
    bootstrap_scores(metric, stats, n_samples, seed).estimate()
}

/// Scores of one system's bootstrap resamples (sacreBLEU's `_bootstrap_resample`).
fn bootstrap_scores<M: Metric>(metric: &M, stats: &Stats, n_samples: usize, seed: u64) -> NpArray {
    let samples = bootstrap_indices(stats.rows(), n_samples, seed);
    resample_scores(metric, stats, &samples)
}

/// sacreBLEU's `--confidence` mean: `statistics.mean`, an exactly rounded mean.
pub fn exact_mean(values: &[f64]) -> f64 {
    // Shewchuk's exact partial sums (Python's math.fsum), then one division.
    let mut partials: Vec<f64> = Vec::new();
    for &x in values {
        let mut x = x;
        let mut kept = 0;
        for i in 0..partials.len() {
            let mut y = partials[i];
            if x.abs() < y.abs() {
                std::mem::swap(&mut x, &mut y);
            }
            let hi = x + y;
            let lo = y - (hi - x);
            if lo != 0.0 {
                partials[kept] = lo;
                kept += 1;
            }
            x = hi;
        }
        partials.truncate(kept);
        partials.push(x);
    }
    partials.iter().sum::<f64>() / values.len() as f64
}

/// Paired bootstrap resampling (Koehn, 2004), as sacreBLEU's `_paired_bs_test`.
pub fn paired_bootstrap<M: Metric>(
    metric: &M,
    baseline: &Stats,
    system: &Stats,
    n_samples: usize,
    seed: u64,
) -> PairedResult {
    let samples = bootstrap_indices(system.rows(), n_samples, seed);
    let scores_bl = resample_scores(metric, baseline, &samples);
    let scores_sys = resample_scores(metric, system, &samples);
    let estimate = scores_sys.estimate();

    let bl_score = metric.compute(&baseline.sum()).score;
    let sys_score = metric.compute(&system.sum()).score;
    let real_difference = (bl_score - sys_score).abs();

    let diffs = NpArray {
        is_f32: scores_bl.is_f32 && scores_sys.is_f32,
        values: Vec::new(),
    };
    let diffs = NpArray {
        values: scores_sys
            .values
            .iter()
            .zip(&scores_bl.values)
            .map(|(s, b)| diffs.round(s - b).abs())
            .collect(),
        ..diffs
    };
    let mean = diffs.mean();
    let threshold = diffs.round(real_difference);
    let count = diffs
        .values
        .iter()
        .filter(|&&d| diffs.round(d - mean) > threshold)
        .count();
    PairedResult {
        score: sys_score,
        p_value: (count + 1) as f64 / (samples.len() + 1) as f64,
        estimate: Some(estimate),
    }
}

/// Paired approximate randomization (Riezler & Maxwell, 2005), as sacreBLEU's `_paired_ar_test`:
/// each trial swaps each segment's outputs between the systems with probability 1/2.
pub fn paired_approximate_randomization<M: Metric>(
    metric: &M,
    baseline: &Stats,
    system: &Stats,
    n_trials: usize,
    seed: u64,
) -> PairedResult {
    let n_trials = n_trials.max(1);
    let width = system.width;
    let n = system.rows();
    let bl_score = metric.compute(&baseline.sum()).score;
    let sys_score = metric.compute(&system.sum()).score;
    let real_difference = (bl_score - sys_score).abs();

    let mut rng = NumpyRng::new(seed);
    let mut swaps = rng.bools();
    let (mut a, mut b) = (vec![0.0; width], vec![0.0; width]);
    let mut count = 0;
    for _ in 0..n_trials {
        a.fill(0.0);
        b.fill(0.0);
        for i in 0..n {
            let (to_a, to_b) = if swaps.next_bool() {
                (baseline.row(i), system.row(i))
            } else {
                (system.row(i), baseline.row(i))
            };
            for k in 0..width {
                a[k] += to_a[k];
                b[k] += to_b[k];
            }
        }
        let diff = (metric.compute(&a).score - metric.compute(&b).score).abs();
        if diff > real_difference {
            count += 1;
        }
    }
    PairedResult {
        score: sys_score,
        p_value: (count + 1) as f64 / (n_trials + 1) as f64,
        estimate: None,
    }
}

/// sacreBLEU's single-system `--confidence` interval (`Score.estimate_ci`): like
/// [`bootstrap_estimate`] but with the exactly rounded `statistics.mean`.
pub fn confidence_estimate<M: Metric>(
    metric: &M,
    stats: &Stats,
    n_samples: usize,
    seed: u64,
) -> Estimate {
    let scores = bootstrap_scores(metric, stats, n_samples, seed);
    let (_, ci) = scores.sorted_and_half_spread();
    Estimate {
        mean: scores.round(exact_mean(&scores.values)),
        ci,
    }
}

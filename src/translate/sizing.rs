//! What one sentence costs in search memory, and how many sentences a batch may hold: each
//! batch gets its share of the budget ([`Resources::share`]), and a sentence is charged for the
//! batch's longest source and the configured target length — not the model's longest source,
//! which made every sentence cost ~40 MB and collapsed batches on many-core machines.

use super::resources::{human_bytes, Resources};
use crate::generate::GenerationConfig;
use crate::marian::MarianConfig;

/// The model's dimensions that search memory depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SentenceCost {
    pub d_model: u64,
    pub encoder_heads: u64,
    pub encoder_ffn: u64,
    pub decoder_layers: u64,
    pub target_vocab: u64,
    /// The most source tokens one piece may have (longer sources are split).
    pub max_source_tokens: usize,
}

impl SentenceCost {
    pub fn of(config: &MarianConfig, target_vocab: usize, max_source_tokens: usize) -> Self {
        SentenceCost {
            d_model: config.d_model as u64,
            encoder_heads: config.encoder_attention_heads as u64,
            encoder_ffn: config.encoder_ffn_dim as u64,
            decoder_layers: config.decoder_layers as u64,
            target_vocab: target_vocab as u64,
            max_source_tokens,
        }
    }

    /// A generous estimate of the memory one sentence (one row of a batch) whose source has
    /// `source_tokens` tokens needs at its peak: while it is encoded, the attention scores (with
    /// their softmax and mask copies) and the feed-forward activations; while it is searched,
    /// per beam, the logits (and their processed copy) and the self- and cross-attention caches
    /// up to `target_length`. The two phases do not overlap, so the larger counts.
    pub fn bytes(&self, source_tokens: usize, target_length: usize, beams: usize) -> u64 {
        let d = self.d_model;
        let source = source_tokens.clamp(1, self.max_source_tokens.max(1)) as u64;
        let encoding =
            3 * self.encoder_heads * source * source + 2 * source * (3 * d + self.encoder_ffn);
        let per_beam = 2 * self.target_vocab
            + self.decoder_layers * 2 * d * target_length as u64
            + self.decoder_layers * 2 * d * source;
        4 * encoding.max(per_beam * beams.max(1) as u64)
    }

    /// Bytes of a sentence of `source_tokens` under `config`'s target length and beams.
    pub fn under(&self, config: &GenerationConfig, source_tokens: usize) -> u64 {
        self.bytes(source_tokens, config.max_length, config.num_beams)
    }

    /// The batch plan for `config`'s search (see [`BatchPlan::new`]).
    pub fn plan(
        &self,
        config: &GenerationConfig,
        resources: &Resources,
        asked: usize,
        batches: usize,
    ) -> BatchPlan {
        BatchPlan::new(
            &|tokens| self.under(config, tokens),
            self.max_source_tokens,
            resources,
            asked,
            batches,
        )
    }
}

/// The batches a job runs: `asked` rows each at most, `concurrent` of them at once, each within
/// `share` bytes of search memory.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BatchPlan {
    /// The batch size asked for.
    pub asked: usize,
    /// Batches running at once: the threads, or fewer where there are fewer batches of work.
    pub concurrent: usize,
    /// Each running batch's share of the memory budget, in bytes.
    pub share: u64,
    /// The rows a batch of the model's longest sources holds (`asked` where it fits).
    pub rows_at_longest: usize,
    /// The longest source (in tokens) a full batch of `asked` rows holds.
    pub full_up_to_tokens: usize,
    /// The model's longest source, in tokens.
    pub longest_tokens: usize,
}

/// The most rows of `bytes_per_row` each within `share` bytes, between 1 and `asked`.
pub fn rows_within(share: u64, bytes_per_row: u64, asked: usize) -> usize {
    let fit = share / bytes_per_row.max(1);
    (fit.min(asked as u64) as usize).max(1)
}

impl BatchPlan {
    /// Plan batches of `asked` rows for `batches` batches of work (`usize::MAX` when unknown,
    /// as in a server) on `resources`, for sentences whose source of `n` tokens costs
    /// `bytes_at(n)` bytes, up to `longest` tokens.
    pub fn new(
        bytes_at: &dyn Fn(usize) -> u64,
        longest: usize,
        resources: &Resources,
        asked: usize,
        batches: usize,
    ) -> Self {
        let asked = asked.max(1);
        let share = resources.share(batches);
        let longest = longest.max(1);
        let rows = |tokens: usize| rows_within(share, bytes_at(tokens), asked);
        // The cost grows with the source length: the longest source a full batch holds is
        // found by bisection (0 when not even one-token sources fill a batch).
        let (mut lo, mut hi) = (0usize, longest);
        while lo < hi {
            let mid = (lo + hi).div_ceil(2);
            if rows(mid) >= asked {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        BatchPlan {
            asked,
            concurrent: resources.threads.min(batches).max(1),
            share,
            rows_at_longest: rows(longest),
            full_up_to_tokens: lo,
            longest_tokens: longest,
        }
    }

    /// Whether some batch may run with fewer rows than asked.
    pub fn lowered(&self) -> bool {
        self.rows_at_longest < self.asked
    }

    /// The batch as the start line says it: `batch 16`, or where the budget does not hold a
    /// full batch of the longest sources, `batch 16 lowered to 6 for sources over 180 tokens
    /// (the model takes up to 512)`.
    pub fn describe(&self) -> String {
        if !self.lowered() {
            return format!("batch {}", self.asked);
        }
        if self.full_up_to_tokens == 0 {
            return format!(
                "batch {} lowered to {} (the budget's share of {} a batch holds no more)",
                self.asked,
                self.rows_at_longest,
                human_bytes(self.share)
            );
        }
        format!(
            "batch {} lowered to {} for sources over {} tokens (the model takes up to {})",
            self.asked, self.rows_at_longest, self.full_up_to_tokens, self.longest_tokens
        )
    }
}

/// The one line said at start: threads, batch and memory budget, each with where it came from.
pub fn start_line(resources: &Resources, plan: &BatchPlan) -> String {
    format!(
        "threads {} ({}), {}, memory budget {} ({}), {} a batch",
        resources.threads,
        resources.threads_from,
        plan.describe(),
        human_bytes(resources.memory_budget),
        resources.memory_budget_from,
        human_bytes(plan.share)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::translate::resources::{Machine, ResourceSettings, Setting};

    /// opus-mt-fr-en's dimensions (its config.json): 6+6 layers, d_model 512, 8 heads, FFN
    /// 2048, 59,514 target tokens, 512 positions.
    fn opus_mt() -> SentenceCost {
        SentenceCost {
            d_model: 512,
            encoder_heads: 8,
            encoder_ffn: 2048,
            decoder_layers: 6,
            target_vocab: 59_514,
            max_source_tokens: 512,
        }
    }

    /// The plan for opus-mt at `beams` beams and its 512-token target length.
    fn plan(beams: usize, resources: &Resources, asked: usize, batches: usize) -> BatchPlan {
        let cost = opus_mt();
        BatchPlan::new(
            &|n| cost.bytes(n, 512, beams),
            512,
            resources,
            asked,
            batches,
        )
    }

    fn machine(cores: usize, gib: u64) -> Machine {
        Machine {
            cores,
            memory_available: Some(gib << 30),
            gpu: None,
        }
    }

    #[test]
    fn batch_16_is_never_lowered_on_machines_whose_memory_holds_it() {
        // Cores with the memory such machines have: a 2-vCPU VM, a 16-core workstation, 64-
        // and 256-core servers; 10,000 sentences, so every thread has batches to run.
        for (cores, gib) in [(2, 8), (2, 24), (16, 64), (16, 128), (64, 256), (256, 1024)] {
            let resources =
                Resources::resolve(&ResourceSettings::default(), &machine(cores, gib)).unwrap();
            assert_eq!(resources.threads, cores);
            for beams in [1, 4] {
                let plan = self::plan(beams, &resources, 16, 10_000 / 16);
                assert_eq!(plan.concurrent, cores);
                // Ordinary sentences (up to 128 tokens) always run at 16 …
                assert!(
                    plan.full_up_to_tokens >= 128,
                    "{cores} cores, {gib} GiB, beam {beams}: full only to {} tokens",
                    plan.full_up_to_tokens
                );
                // … and on all but the smallest VM, even the model's longest ones.
                if gib >= 24 {
                    assert!(
                        !plan.lowered(),
                        "{cores} cores, beam {beams}: {}",
                        plan.describe()
                    );
                    assert_eq!(plan.describe(), "batch 16");
                }
            }
        }
    }

    #[test]
    fn the_old_arithmetic_would_have_lowered_to_one_on_64_cores() {
        // A fixed 4 GiB split over 64 workers, every sentence charged at 512 tokens: batch 1.
        let fixed = Setting::new(4u64 << 30, "test");
        let settings = ResourceSettings {
            threads: None,
            memory_budget: Some(fixed),
        };
        let resources = Resources::resolve(&settings, &machine(64, 256)).unwrap();
        let p = plan(1, &resources, 16, usize::MAX);
        assert_eq!(p.rows_at_longest, 1);
        let said = p.describe();
        assert!(said.contains("lowered to 1"), "{said}");
        // Charged for their own length and the configured target length (64 tokens here),
        // sentences of 40 tokens still run 16 at a time in the same 64 MiB share.
        let cost = opus_mt();
        let short = BatchPlan::new(&|n| cost.bytes(n, 64, 1), 512, &resources, 16, usize::MAX);
        assert!(short.full_up_to_tokens >= 40, "{short:?}");
        assert!(short.describe().contains("lowered to"), "{short:?}");
    }

    #[test]
    fn the_budget_is_shared_among_batches_that_run_not_threads() {
        let resources = Resources::resolve(&ResourceSettings::default(), &machine(64, 64)).unwrap();
        // Two batches of work on 64 threads: each gets half the budget, not 1/64.
        assert_eq!(resources.share(2), resources.memory_budget / 2);
        assert_eq!(resources.share(1000), resources.memory_budget / 64);
        assert_eq!(resources.share(0), resources.memory_budget);
    }

    #[test]
    fn a_sentence_costs_by_its_length() {
        let cost = opus_mt();
        let short = cost.bytes(20, 512, 1);
        let long = cost.bytes(512, 512, 1);
        assert!(short < long, "{short} {long}");
        // Past the model's positions nothing grows: sources are split there.
        assert_eq!(cost.bytes(100_000, 512, 1), long);
        assert!(cost.bytes(20, 512, 4) > 3 * short);
    }

    #[test]
    fn rows_are_between_one_and_asked() {
        assert_eq!(rows_within(100, 1000, 16), 1);
        assert_eq!(rows_within(1 << 40, 1000, 16), 16);
        assert_eq!(rows_within(10_000, 1000, 16), 10);
        assert_eq!(rows_within(10_000, 0, 16), 16);
    }

    #[test]
    fn the_start_line_names_each_choice_and_where_it_came_from() {
        let settings = ResourceSettings {
            threads: Some(Setting::new(3, "--threads")),
            memory_budget: Some(Setting::new(512 << 20, "--memory-budget")),
        };
        let resources = Resources::resolve(&settings, &machine(2, 24)).unwrap();
        let p = plan(1, &resources, 16, 100);
        let line = start_line(&resources, &p);
        assert!(
            line.starts_with("threads 3 (--threads), batch 16 lowered to "),
            "{line}"
        );
        assert!(
            line.contains("memory budget 512 MiB (--memory-budget)"),
            "{line}"
        );
        let roomy = Resources::resolve(&ResourceSettings::default(), &machine(2, 24)).unwrap();
        let p = plan(1, &roomy, 16, 100);
        let line = start_line(&roomy, &p);
        assert!(!line.contains("lowered"), "{line}");
        assert!(line.contains("threads 2 (the 2 cores available)"), "{line}");
        assert!(line.contains("(50% of the 24.0 GiB available)"), "{line}");
    }

    #[test]
    fn settings_that_cannot_work_are_refused_and_large_ones_noted() {
        let zero_threads = ResourceSettings {
            threads: Some(Setting::new(0, "--threads")),
            memory_budget: None,
        };
        let err = Resources::resolve(&zero_threads, &machine(2, 24)).unwrap_err();
        assert!(err.to_string().contains("--threads 0"), "{err}");
        let zero_budget = ResourceSettings {
            threads: None,
            memory_budget: Some(Setting::new(0, "--memory-budget")),
        };
        let err = Resources::resolve(&zero_budget, &machine(2, 24)).unwrap_err();
        assert!(err.to_string().contains("more than 0 bytes"), "{err}");
        let huge = ResourceSettings {
            threads: Some(Setting::new(64, "--threads")),
            memory_budget: Some(Setting::new(1 << 40, "--memory-budget")),
        };
        let r = Resources::resolve(&huge, &machine(2, 24)).unwrap();
        assert_eq!(r.threads, 64, "more threads than cores are kept as asked");
        assert!(
            r.notes[0].contains("more than the 24.0 GiB"),
            "{:?}",
            r.notes
        );
    }

    #[test]
    fn environment_defaults_fill_only_what_is_unset() {
        let env = |name: &str| match name {
            "ENTENTE_THREADS" => Some("5".to_string()),
            "ENTENTE_MEMORY_BUDGET" => Some(" ".to_string()),
            _ => None,
        };
        let s = ResourceSettings::default().or_defaults_from(env).unwrap();
        assert_eq!(s.threads, Some(Setting::new(5, "ENTENTE_THREADS")));
        assert_eq!(s.memory_budget, None, "a blank value counts as unset");
        let asked = ResourceSettings {
            threads: Some(Setting::new(2, "--threads")),
            memory_budget: None,
        };
        assert_eq!(
            asked.or_defaults_from(env).unwrap().threads,
            Some(Setting::new(2, "--threads"))
        );
        let bad = |_: &str| Some("lots".to_string());
        let err = ResourceSettings::default()
            .or_defaults_from(bad)
            .unwrap_err();
        assert!(err.to_string().contains("ENTENTE_THREADS"), "{err}");
    }

    #[test]
    fn a_gpu_runs_one_worker_and_budgets_from_its_free_memory() {
        let gpu = Machine {
            cores: 16,
            memory_available: Some(128 << 30),
            gpu: Some(crate::translate::resources::GpuMemory {
                name: "cuda:0".into(),
                free: 70 << 30,
                total: 80 << 30,
            }),
        };
        let r = Resources::resolve(&ResourceSettings::default(), &gpu).unwrap();
        assert_eq!(r.threads, 1);
        assert_eq!(r.memory_budget, (70u64 << 30) / 100 * 80);
        assert!(
            r.memory_budget_from.contains("free on cuda:0"),
            "{}",
            r.memory_budget_from
        );
        let p = plan(4, &r, 256, 8);
        assert!(!p.lowered(), "{}", p.describe());
    }
}

//! `entente::profile` over real translations of the self-contained tiny checkpoint: nothing is
//! counted while it is off; on, every span of the host step is counted as often as the
//! decoding ran it (one encoder pass per batch, one output projection per step, a projection
//! per layer and step), in float32 and int8, greedy and beam search.
//!
//! One test function: the totals are global to the process, and tests run in parallel.

use std::path::Path;

use candle_core::Device;
use entente::hub;
use entente::marian::Precision;
use entente::profile::{self, Span};
use entente::translate::Translator;

const SOURCES: [&str; 3] = [
    "Le chat dort.",
    "Il pleut sur la ville depuis ce matin.",
    "Bonjour.",
];

fn load(precision: Precision) -> Translator {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/test/tiny-selfcontained");
    let files = hub::resolve(dir.to_str().unwrap(), None, true).unwrap();
    Translator::load(&files, &files.dir, &Device::Cpu, precision).unwrap()
}

fn calls(report: &profile::Report, span: Span) -> u64 {
    report
        .entries
        .iter()
        .find(|e| e.span == span)
        .map_or(0, |e| e.calls)
}

#[test]
fn spans_count_what_the_decoding_ran() {
    for precision in [Precision::F32, Precision::Int8] {
        let translator = load(precision);
        let layers = translator.model.config().decoder_layers as u64;
        for beams in [1, 4] {
            let mut config = translator.generation.clone();
            config.num_beams = beams;
            config.set_max_new_tokens(6);
            config.min_new_tokens = Some(6);

            profile::reset();
            profile::enable(false);
            translator.translate_batch(&SOURCES, &config).unwrap();
            assert!(profile::report().entries.is_empty(), "counted while off");

            profile::enable(true);
            translator.translate_batch(&SOURCES, &config).unwrap();
            profile::enable(false);
            let report = profile::report();
            let what = format!("{precision:?} beams {beams}");
            // Exactly 6 new tokens: 6 steps, then the forced end.
            let steps = calls(&report, Span::OutputProjection);
            assert!(steps >= 6, "{what}: {steps} steps\n{report}");
            assert_eq!(calls(&report, Span::Encoder), 1, "{what}\n{report}");
            assert_eq!(calls(&report, Span::CrossKeysValues), 1, "{what}");
            for span in [Span::Embed, Span::Search, Span::LogitsBuffer] {
                assert_eq!(calls(&report, span), steps, "{what}: {span:?}");
            }
            for span in [
                Span::SelfProjections,
                Span::SelfAttend,
                Span::SelfOut,
                Span::CrossQuery,
                Span::CrossAttend,
                Span::CrossOut,
                Span::FeedForwardIn,
                Span::Activation,
                Span::FeedForwardOut,
            ] {
                assert_eq!(calls(&report, span), steps * layers, "{what}: {span:?}");
            }
            assert_eq!(calls(&report, Span::Norms), 3 * steps * layers, "{what}");
            // Beam search reorders after every step but the last; greedy never does.
            let reorders = calls(&report, Span::Reorder);
            if beams == 1 {
                assert_eq!(reorders, 0, "{what}");
            } else {
                assert!(
                    reorders + 1 >= steps && reorders <= steps,
                    "{what}: {reorders}"
                );
            }
            // The int8 products quantize their activations: the three self-attention
            // projections, cross-attention's query, two outputs, two FFN products per layer,
            // and the output projection.
            let quantized = calls(&report, Span::Quantize);
            match precision {
                Precision::Int8 => assert_eq!(quantized, steps * (8 * layers + 1), "{what}"),
                _ => assert_eq!(quantized, 0, "{what}"),
            }
            // The encoder's own products are inside its span, not counted beside it.
            assert!(report.total_seconds() > 0.0);
            let table = report.to_string();
            assert!(table.contains("output projection"), "{table}");
        }
    }
}

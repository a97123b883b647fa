//! Requests' text through the shared engine: units (articles or line lists) segmented, their
//! sentences admitted to the batching queue together, and the English reassembled as
//! `entente translate` would write it (HTML texts translated as documents are, blocks whole across
//! their inline markup); CPU-bound work off the async threads.

use std::sync::Arc;

use axum::http::StatusCode;

use crate::article::BlockKind;
use crate::document::{self, DocumentError};
use crate::formats::{self, HtmlParagraph};
use crate::generate::GenerationConfig;
use crate::segment::Sentence;
use crate::translate::{ArticlePlan, PlanParagraph, Translation};

use super::error::ApiError;
use super::state::AppState;

/// One translated sentence, as `/v1/translate` reports it.
pub(super) struct SegmentOut {
    pub(super) para: usize,
    pub(super) sent: usize,
    pub(super) src: String,
    pub(super) translation: Translation,
}

/// One unit's translation: the English as `entente translate` writes it, its segments, and
/// the side-by-side table the pipeline's pages show (`formats::write_side_by_side`; none for
/// HTML fragments).
pub(super) struct UnitOut {
    pub(super) text: String,
    pub(super) segments: Vec<SegmentOut>,
    pub(super) side_by_side: Option<String>,
}

/// How the units of a request are cut into segments.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    /// Sentences by the segmenter, paragraphs and line breaks kept (`translate --input article`).
    Article,
    /// Each line on its own (`translate --input lines`).
    Lines,
}

tokio::task_local! {
    /// Where a streaming request (`"stream": true`) hears how many of its sentences are done,
    /// of how many: set around the request's work, so that every path to the engine reports
    /// without each handler passing it down.
    pub(super) static PROGRESS: tokio::sync::watch::Sender<(usize, usize)>;
}

/// Translate `sentences` through the shared queue, all admitted at once; in order.
pub(super) async fn translate_sentences(
    state: &AppState,
    sentences: Vec<String>,
    config: Arc<GenerationConfig>,
) -> Result<Vec<Translation>, ApiError> {
    let receivers = state.batcher.submit(sentences, config)?;
    let total = receivers.len();
    let report = |done: usize| {
        let _ = PROGRESS.try_with(|p| p.send_replace((done, total)));
    };
    report(0);
    let mut translations = Vec::with_capacity(receivers.len());
    for r in receivers {
        let t = r
            .await
            .map_err(|_| {
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the server is shutting down",
                )
            })?
            .map_err(|e| {
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("translation failed: {e}"),
                )
            })?;
        translations.push(t);
        report(translations.len());
    }
    Ok(translations)
}

/// Translate `units` (articles or line lists) through the shared queue, all of a request's
/// sentences admitted at once: the English of each, and its segments.
pub(super) async fn translate_units(
    state: &AppState,
    units: &[String],
    config: Arc<GenerationConfig>,
    mode: Mode,
) -> Result<Vec<UnitOut>, ApiError> {
    // Plan each unit once: the spans to translate serve both the queue and the reassembly.
    let plans: Vec<Option<ArticlePlan>> = units
        .iter()
        .map(|u| (mode == Mode::Article).then(|| ArticlePlan::new(u)))
        .collect();
    translate_planned(state, units, plans, config).await
}

/// Translate articles extracted from pages: `units` one block per line, `kinds` the kind of
/// each block (the page's own typing, not the plain-text rules).
pub(super) async fn translate_pages(
    state: &AppState,
    units: &[String],
    kinds: Vec<Vec<BlockKind>>,
    config: Arc<GenerationConfig>,
) -> Result<Vec<UnitOut>, ApiError> {
    let plans = units
        .iter()
        .zip(kinds)
        .map(|(u, k)| Some(ArticlePlan::with_kinds(u, k)))
        .collect();
    translate_planned(state, units, plans, config).await
}

/// Translate `units` by their plans (`None`: each line a segment).
async fn translate_planned(
    state: &AppState,
    units: &[String],
    plans: Vec<Option<ArticlePlan<'_>>>,
    config: Arc<GenerationConfig>,
) -> Result<Vec<UnitOut>, ApiError> {
    let cut: Vec<Vec<Sentence>> = units
        .iter()
        .zip(&plans)
        .map(|(u, plan)| match plan {
            Some(plan) => plan
                .sentences()
                .filter(|(_, _, translated)| *translated)
                .map(|(s, _, _)| *s)
                .collect(),
            None => line_spans(u),
        })
        .collect();
    let sources: Vec<String> = units
        .iter()
        .zip(&cut)
        .flat_map(|(u, spans)| spans.iter().map(|s| s.text(u).to_string()))
        .collect();
    let mut translations = translate_sentences(state, sources, config)
        .await?
        .into_iter();
    let mut out = Vec::with_capacity(units.len());
    for ((unit, spans), plan) in units.iter().zip(cut).zip(&plans) {
        let segments: Vec<SegmentOut> = spans
            .iter()
            .map(|s| SegmentOut {
                para: s.para,
                sent: s.sent,
                src: s.text(unit).to_string(),
                translation: translations.next().expect("one translation per segment"),
            })
            .collect();
        let english: Vec<&str> = segments
            .iter()
            .map(|s| s.translation.text.as_str())
            .collect();
        let (text, side_by_side) = match plan {
            Some(plan) => (
                plan.assemble(&english),
                side_by_side(&plan.paragraphs(&english)),
            ),
            None => {
                let lines: Vec<PlanParagraph> = segments
                    .iter()
                    .zip(&english)
                    .map(|(s, en)| PlanParagraph {
                        kind: BlockKind::Paragraph,
                        translated: true,
                        sentences: vec![(s.src.as_str(), *en)],
                    })
                    .collect();
                (english.join("\n"), side_by_side(&lines))
            }
        };
        out.push(UnitOut {
            text,
            segments,
            side_by_side: Some(side_by_side),
        });
    }
    Ok(out)
}

/// The side-by-side table of an article's paragraphs, sentences numbered across the article.
fn side_by_side(paragraphs: &[PlanParagraph]) -> String {
    let mut n = 0;
    let rows: Vec<HtmlParagraph> = paragraphs
        .iter()
        .map(|p| HtmlParagraph {
            pairs: p
                .sentences
                .iter()
                .map(|&(fr, en)| {
                    n += 1;
                    (n - 1, fr, en)
                })
                .collect(),
            kept: (!p.translated).then(|| p.kind.name()),
        })
        .collect();
    let mut out = Vec::new();
    formats::write_side_by_side(&mut out, &rows).expect("writing to memory");
    String::from_utf8(out).expect("the table is UTF-8")
}

/// Each line of `unit` as one segment (`mode: "lines"`).
fn line_spans(unit: &str) -> Vec<Sentence> {
    let mut at = 0;
    unit.split('\n')
        .enumerate()
        .map(|(i, line)| {
            let span = Sentence {
                para: i,
                sent: 0,
                start: at,
                end: at + line.len(),
            };
            at += line.len() + 1;
            span
        })
        .collect()
}

/// Translate texts, or HTML documents (each block whole across its inline markup, as
/// `entente translate --input html`); one English text per input.
pub(super) async fn translate_texts(
    state: &Arc<AppState>,
    texts: &[String],
    html: bool,
    config: Arc<GenerationConfig>,
    mode: Mode,
) -> Result<Vec<UnitOut>, ApiError> {
    if !html {
        return translate_units(state, texts, config, mode).await;
    }
    Ok(translate_html_texts(state, texts)
        .await?
        .into_iter()
        .map(|(text, sentences)| UnitOut {
            text,
            segments: sentences
                .into_iter()
                .enumerate()
                .map(|(k, (src, translation))| SegmentOut {
                    para: k,
                    sent: 0,
                    src,
                    translation,
                })
                .collect(),
            side_by_side: None,
        })
        .collect())
}

/// An HTML text's English and its sentences, French beside English.
pub(super) type HtmlOut = (String, Vec<(String, Translation)>);

/// `format: "html"`: each text translated as an HTML document (blocks whole across inline
/// markup); the English of each, and its sentences.
pub(super) async fn translate_html_texts(
    state: &Arc<AppState>,
    texts: &[String],
) -> Result<Vec<HtmlOut>, ApiError> {
    let state = Arc::clone(state);
    let texts = texts.to_vec();
    blocking(move || {
        texts
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let mut sentences = Vec::new();
                let english = document::translate_html_text(t, &state.translator, |s| {
                    let english = state
                        .batcher
                        .translate_blocking(s, Arc::clone(&state.defaults))?;
                    sentences = s
                        .iter()
                        .map(|x| x.to_string())
                        .zip(english.clone())
                        .collect();
                    Ok(english)
                })
                .map_err(|e| failed(e, &format!("q[{i}]")))?
                .0;
                Ok((english, sentences))
            })
            .collect()
    })
    .await
}

/// A document error as the answer: the file's fault (400, naming it) or the engine's (500).
pub(super) fn failed(e: DocumentError, name: &str) -> ApiError {
    match e {
        DocumentError::Translate(e) => ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("translation failed: {e}"),
        ),
        other => ApiError::bad(format!("{name}: {other}")),
    }
}

/// Run CPU-bound work off the async threads.
pub(super) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work).await.map_err(|_| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the request failed inside the server",
        )
    })?
}

//! An article's translation plan, shared by `translate --input article`, the server and the
//! pipeline: the text segmented, each paragraph typed as prose or furniture by the article
//! rules, only the prose sentences sent to the model, and the English written back with the
//! source's line breaks, the furniture (credits, date lines, hashtags, teasers, prompts) kept
//! verbatim in its place.

use crate::article::{kinds, paragraph_kinds, BlockKind};
use crate::segment::{Segmenter, Sentence};

use super::split::join_article;

/// One paragraph of a planned article: its kind, whether any of it is translated, and its
/// sentences, French beside English.
pub struct PlanParagraph<'b> {
    pub kind: BlockKind,
    pub translated: bool,
    pub sentences: Vec<(&'b str, &'b str)>,
}

/// A text cut into sentences, each marked to translate or to keep.
pub struct ArticlePlan<'a> {
    text: &'a str,
    sentences: Vec<Sentence>,
    /// The kind of the paragraph each sentence is in.
    kinds: Vec<BlockKind>,
    translate: Vec<bool>,
}

impl<'a> ArticlePlan<'a> {
    /// Segment `text` and decide what to translate.
    pub fn new(text: &'a str) -> Self {
        Self::with_kinds(text, paragraph_kinds(text))
    }

    /// Segment `text` whose paragraphs (non-blank lines) are of the given kinds (an article
    /// extracted from a page, one block per line), and decide what to translate.
    pub fn with_kinds(text: &'a str, paragraphs: Vec<BlockKind>) -> Self {
        let sentences = Segmenter::default().segment(text);
        let kinds: Vec<BlockKind> = sentences
            .iter()
            .map(|s| {
                paragraphs
                    .get(s.para)
                    .copied()
                    .unwrap_or(BlockKind::Paragraph)
            })
            .collect();
        let translate = sentences
            .iter()
            .zip(&kinds)
            .map(|(s, k)| {
                // A caption's trailing credit stays as it is, like a credit line.
                k.is_prose()
                    && !(*k == BlockKind::Caption
                        && kinds::furniture_kind(s.text(text)) == Some(BlockKind::Credit))
            })
            .collect();
        ArticlePlan {
            text,
            sentences,
            kinds,
            translate,
        }
    }

    /// Every sentence with its paragraph's kind and whether it is translated.
    pub fn sentences(&self) -> impl Iterator<Item = (&Sentence, BlockKind, bool)> {
        self.sentences
            .iter()
            .zip(&self.kinds)
            .zip(&self.translate)
            .map(|((s, k), t)| (s, *k, *t))
    }

    /// The sentences to translate, in order.
    pub fn sources(&self) -> Vec<&'a str> {
        let text = self.text;
        self.sentences()
            .filter(|(_, _, t)| *t)
            .map(|(s, _, _)| s.text(text))
            .collect()
    }

    /// The English article: `translations` (one per [`ArticlePlan::sources`] entry) in place of
    /// the prose, the rest verbatim, the source's line breaks kept.
    pub fn assemble(&self, translations: &[&str]) -> String {
        let mut english = translations.iter();
        let all: Vec<&str> = self
            .sentences()
            .map(|(s, _, translated)| {
                if translated {
                    english.next().copied().unwrap_or("")
                } else {
                    s.text(self.text)
                }
            })
            .collect();
        join_article(self.text, &self.sentences, &all)
    }

    /// The article paragraph by paragraph, each sentence beside its English (`translations`,
    /// one per [`ArticlePlan::sources`] entry; a kept sentence is the same on both sides): what
    /// a side-by-side view shows.
    pub fn paragraphs<'b>(&'b self, translations: &[&'b str]) -> Vec<PlanParagraph<'b>> {
        let mut english = translations.iter();
        let mut out: Vec<PlanParagraph> = Vec::new();
        let mut last = None;
        for (s, kind, translated) in self.sentences() {
            let fr = s.text(self.text);
            let en = if translated {
                english.next().copied().unwrap_or("")
            } else {
                fr
            };
            if last != Some(s.para) {
                out.push(PlanParagraph {
                    kind,
                    translated: false,
                    sentences: Vec::new(),
                });
                last = Some(s.para);
            }
            let paragraph = out.last_mut().expect("pushed above");
            paragraph.translated |= translated;
            paragraph.sentences.push((fr, en));
        }
        out
    }

    /// How many sentences of each kind that is not translated the text holds.
    pub fn kept_counts(&self) -> std::collections::BTreeMap<&'static str, usize> {
        let mut counts = std::collections::BTreeMap::new();
        for (_, kind, translated) in self.sentences() {
            if !translated {
                let name = if kind.is_prose() {
                    "credit"
                } else {
                    kind.name()
                };
                *counts.entry(name).or_default() += 1;
            }
        }
        counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn furniture_is_kept_and_prose_translated_in_place() {
        let text = "Le titre de l'article\n  • il y a 2 ans\nUn chapeau qui résume.\n\n#Un #Deux\n\n\
                    Une photo de la scène, vendredi. ALEXEI DRUZININE/AP\n\nPremier paragraphe. Et la suite.\n\n\
                    Lire aussi l'article réservé à nos abonnés Une autre histoire\n";
        let plan = ArticlePlan::new(text);
        let sources = plan.sources();
        assert_eq!(
            sources,
            [
                "Le titre de l'article",
                "Un chapeau qui résume.",
                "Une photo de la scène, vendredi.",
                "Premier paragraphe.",
                "Et la suite."
            ]
        );
        let upper: Vec<String> = sources.iter().map(|s| s.to_uppercase()).collect();
        let upper: Vec<&str> = upper.iter().map(String::as_str).collect();
        assert_eq!(
            plan.assemble(&upper),
            "LE TITRE DE L'ARTICLE\n• il y a 2 ans\nUN CHAPEAU QUI RÉSUME.\n\n#Un #Deux\n\n\
             UNE PHOTO DE LA SCÈNE, VENDREDI. ALEXEI DRUZININE/AP\n\nPREMIER PARAGRAPHE. ET LA SUITE.\n\n\
             Lire aussi l'article réservé à nos abonnés Une autre histoire\n"
        );
        let paragraphs = plan.paragraphs(&upper);
        type Shown<'s> = (bool, &'s str, Vec<(&'s str, &'s str)>);
        let shown: Vec<Shown> = paragraphs
            .iter()
            .map(|p| (p.translated, p.kind.name(), p.sentences.clone()))
            .collect();
        assert_eq!(shown.len(), 7);
        assert_eq!(
            shown[1],
            (
                false,
                "dateline",
                vec![("• il y a 2 ans", "• il y a 2 ans")]
            )
        );
        assert_eq!(
            shown[5],
            (
                true,
                "paragraph",
                vec![
                    ("Premier paragraphe.", "PREMIER PARAGRAPHE."),
                    ("Et la suite.", "ET LA SUITE.")
                ]
            )
        );
        assert_eq!(
            shown[4].2[1],
            ("ALEXEI DRUZININE/AP", "ALEXEI DRUZININE/AP")
        );
        let kept = plan.kept_counts();
        assert_eq!(kept.get("dateline"), Some(&1));
        assert_eq!(kept.get("tags"), Some(&1));
        assert_eq!(kept.get("credit"), Some(&1));
        assert_eq!(kept.get("teaser"), Some(&1));
    }
}

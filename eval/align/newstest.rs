//! newstest2014 fr–en as alignment gold: documents rebuilt as raw text and segmented on both
//! sides, each original line pair one gold link.

use super::*;

/// newstest2014 fr–en: documents rebuilt as raw text and segmented on both sides; the gold
/// links the segments of each original line pair.
pub(crate) struct Newstest {
    /// Each document's features (anchors) on both sides, and where its sentences start in the
    /// concatenated numbering of the gold.
    pub(crate) docs: Vec<(Vec<Features>, Vec<Features>, usize, usize)>,
    /// Each document's segments, both sides.
    pub(crate) texts: Vec<(Vec<String>, Vec<String>)>,
    pub(crate) gold: Ladder,
}

impl Newstest {
    pub(crate) fn load() -> Self {
        let fr_lines = lines("eval/mt/newstest2014-fr-en/newstest2014.fr-en.fr");
        let en_lines = lines("eval/mt/newstest2014-fr-en/newstest2014.fr-en.en");
        let docids: Vec<String> =
            lines("eval/mt/newstest2014-fr-en/newstest2014.fr-en.docid_origlang.tsv")
                .iter()
                .map(|l| l.split('\t').next().unwrap_or("").to_string())
                .collect();
        let segmenter = Segmenter::default();
        let mut docs = Vec::new();
        let mut texts = Vec::new();
        let mut gold = Ladder::new();
        let (mut offset_s, mut offset_t) = (0, 0);
        let mut start = 0;
        while start < fr_lines.len() {
            let end = (start..fr_lines.len())
                .find(|&k| docids[k] != docids[start])
                .unwrap_or(fr_lines.len());
            // Segment each side of the document as one running text; map segments back to
            // lines.
            let side = |src: &[String]| -> (Vec<String>, Vec<usize>) {
                let text = src.join(" ");
                let mut line_of = Vec::new();
                let mut starts = Vec::new();
                let mut pos = 0;
                for (k, l) in src.iter().enumerate() {
                    starts.push((pos, k));
                    pos += l.len() + 1;
                }
                let mut segs = Vec::new();
                for s in segmenter.segment(&text) {
                    let k = starts
                        .iter()
                        .rev()
                        .find(|(p, _)| *p <= s.start)
                        .map_or(0, |(_, k)| *k);
                    segs.push(s.text(&text).to_string());
                    line_of.push(k);
                }
                (segs, line_of)
            };
            let (src_segs, src_line) = side(&fr_lines[start..end]);
            let (tgt_segs, tgt_line) = side(&en_lines[start..end]);
            for k in 0..end - start {
                let s: Vec<usize> = (0..src_line.len())
                    .filter(|&i| src_line[i] == k)
                    .map(|i| i + offset_s)
                    .collect();
                let t: Vec<usize> = (0..tgt_line.len())
                    .filter(|&j| tgt_line[j] == k)
                    .map(|j| j + offset_t)
                    .collect();
                gold.push((s, t));
            }
            docs.push((
                src_segs.iter().map(|s| Features::anchors(s)).collect(),
                tgt_segs.iter().map(|s| Features::anchors(s)).collect(),
                offset_s,
                offset_t,
            ));
            offset_s += src_segs.len();
            offset_t += tgt_segs.len();
            texts.push((src_segs, tgt_segs));
            start = end;
        }
        Newstest { docs, texts, gold }
    }

    /// Every document aligned without MT, with `lexicon` as evidence (and `realign`ed with
    /// the pairs it teaches), in the gold's numbering.
    pub(crate) fn align_lexicon(&self, lexicon: Option<&Lexicon>, realign: bool) -> Ladder {
        let mut links = Ladder::new();
        for ((src, tgt), (_, _, offset_s, offset_t)) in self.texts.iter().zip(&self.docs) {
            let (aligned, _) = if realign {
                align_and_realign(src, tgt, None, lexicon)
            } else {
                align_sentences_with(src, tgt, None, lexicon)
            };
            for l in aligned {
                links.push((
                    l.src.iter().map(|i| i + offset_s).collect(),
                    l.tgt.iter().map(|j| j + offset_t).collect(),
                ));
            }
        }
        links
    }

    /// Every document aligned with `config`, in the gold's numbering.
    pub(crate) fn align(&self, config: &AlignConfig) -> Ladder {
        let mut links = Ladder::new();
        for (src, tgt, offset_s, offset_t) in &self.docs {
            for l in align(src, tgt, config) {
                links.push((
                    l.src.iter().map(|i| i + offset_s).collect(),
                    l.tgt.iter().map(|j| j + offset_t).collect(),
                ));
            }
        }
        links
    }
}

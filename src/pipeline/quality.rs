//! Quality flags of a pair, kept beside it rather than dropping it: a copy of the input, an
//! n-gram loop, an unlikely length ratio.

/// Quality flags of a pair (kept, not dropped): the output copies the input, a repeated n-gram
/// loop, or a length ratio beyond 3 (either way).
pub fn quality_flags(fr: &str, en: &str) -> Vec<&'static str> {
    let mut flags = Vec::new();
    let norm = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    if !fr.trim().is_empty() && norm(fr) == norm(en) {
        flags.push("copy");
    }
    if has_loop(en) {
        flags.push("repeat");
    }
    if length_ratio(fr.chars().count(), en.chars().count()) > 3.0 {
        flags.push("length-ratio");
    }
    flags
}

/// How many times the characters of the shorter side the longer side has, given the two sides'
/// character counts (an empty side counts as one character).
pub(super) fn length_ratio(fr_chars: usize, en_chars: usize) -> f64 {
    let (a, b) = (fr_chars.max(1) as f64, en_chars.max(1) as f64);
    a.max(b) / a.min(b)
}

/// A word repeated four times in a row, or a 2- to 4-word n-gram occurring three times in a row:
/// the loops an NMT model falls into.
pub(super) fn has_loop(text: &str) -> bool {
    // Words compared without case and surrounding punctuation ("no no no no." loops).
    let words: Vec<String> = text
        .split_whitespace()
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
        })
        .filter(|w| !w.is_empty())
        .collect();
    for n in 1..=4usize {
        let times = if n == 1 { 4 } else { 3 };
        if words.len() < n * times {
            continue;
        }
        for start in 0..=words.len() - n * times {
            let gram = &words[start..start + n];
            if (1..times).all(|k| &words[start + k * n..start + (k + 1) * n] == gram) {
                return true;
            }
        }
    }
    // Within a "word" too: a short unit repeated (unsegmented output such as "voivoivoivoi").
    text.split_whitespace().any(|w| {
        let chars: Vec<char> = w.chars().collect();
        (1..=4).any(|unit| {
            chars.len() >= unit * 6
                && chars
                    .chunks(unit)
                    .filter(|c| c.len() == unit)
                    .all(|c| c == &chars[..unit])
        })
    })
}

/// A link of an alignment as text: each side's sentences joined by a space, the link's
/// probability, and its quality flags (`unaligned` for a 1-0 or 0-1 link).
#[derive(Debug, Clone, PartialEq)]
pub struct FlaggedPair {
    pub src_ids: Vec<usize>,
    pub tgt_ids: Vec<usize>,
    pub src: String,
    pub tgt: String,
    pub score: f64,
    pub flags: Vec<&'static str>,
}

/// The links of an alignment of `src` with `tgt` as flagged pairs, in order; links with both
/// sides whose probability is under `min_score` are left out (unaligned sentences always stay).
/// `/v1/align` and the Python package's `align` answer with these.
pub fn flagged_pairs(
    links: Vec<crate::align::Link>,
    src: &[String],
    tgt: &[String],
    min_score: f64,
) -> Vec<FlaggedPair> {
    let join = |ids: &[usize], side: &[String]| {
        ids.iter()
            .map(|&i| side[i].as_str())
            .collect::<Vec<_>>()
            .join(" ")
    };
    links
        .into_iter()
        .filter(|l| l.src.is_empty() || l.tgt.is_empty() || l.score >= min_score)
        .map(|l| {
            let (fr, en) = (join(&l.src, src), join(&l.tgt, tgt));
            let flags = if fr.is_empty() || en.is_empty() {
                vec!["unaligned"]
            } else {
                quality_flags(&fr, &en)
            };
            FlaggedPair {
                src_ids: l.src,
                tgt_ids: l.tgt,
                src: fr,
                tgt: en,
                score: l.score,
                flags,
            }
        })
        .collect()
}

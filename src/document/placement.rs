//! Where a block's inline elements go in its translation. Each element wraps the target words
//! aligned to the source words it wrapped (the hull of them); where none is aligned, it goes to
//! the proportional position of its source words (the fallback). Elements are then made to
//! nest as they did and to keep apart from their siblings (siblings may change order, as words
//! do in translation), each wrapping at least one word — or one character, when the
//! translation has fewer words than its elements need — and, for formats whose runs must cover
//! every character (DOCX, PPTX), tiling their parent.

use std::ops::Range;

use super::inline::{words, InlineText};

/// Where each element of a block goes in the translation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    /// Bytes of the translation, per element (points: an empty range).
    pub ranges: Vec<Range<usize>>,
    /// Order in which elements were placed (breaks ties between siblings at one position).
    pub rank: Vec<usize>,
    /// Elements placed from the alignment, and by the proportional fallback.
    pub aligned: usize,
    pub fallback: usize,
}

/// Place `block`'s elements in `target`, whose words (whitespace-separated) are aligned by
/// `align` to the block's source words (`None`: unaligned); `tile` makes siblings cover their
/// parent whole.
pub fn place(block: &InlineText, target: &str, align: &[Option<usize>], tile: bool) -> Placement {
    let n = block.spans.len();
    let source_words = words(&block.text);
    let target_words = words(target);
    let no_alignment = vec![None; target_words.len()];
    let align = if align.len() == target_words.len() {
        align
    } else {
        &no_alignment
    };
    let children = block.children();
    let need = needs(block, &children);
    let root_need: usize = children[n].iter().map(|&c| need[c]).sum();
    // Units: words, or characters where there are fewer words than elements to wrap.
    let (units, unit_align) = if root_need <= target_words.len() {
        (target_words, align.to_vec())
    } else {
        characters(target, &target_words, align)
    };
    // Where a word starts (a line break or a tab goes only there, or at the end).
    let word_starts: Vec<bool> = (0..units.len())
        .map(|u| u == 0 || target[units[u - 1].end..units[u].start].contains(char::is_whitespace))
        .collect();
    let desired = desired_ranges(block, &source_words, &units, &unit_align);
    let aligned = desired.iter().filter(|d| d.1).count();
    let mut allocated = vec![0..0; n];
    let mut rank = vec![0; n];
    let mut order = 0;
    // Parents before children: the block itself, then each element as it is placed.
    let mut todo = vec![(n, 0..units.len())];
    while let Some((node, range)) = todo.pop() {
        let mut kids = children[node].clone();
        kids.sort_by_key(|&c| (desired[c].0.start, c));
        let bounds = units_bounds(node, &allocated, units.len(), n);
        allocate(&kids, range, &need, &desired, &mut allocated);
        if tile {
            tile_children(&kids, &block.spans, &mut allocated, &bounds);
        }
        keep_breaks_between_words(&kids, &block.spans, &mut allocated, &bounds, &word_starts);
        // Written in the order of their places; a point before an element starting where it is.
        kids.sort_by_key(|&c| (allocated[c].start, !block.spans[c].point));
        for &c in &kids {
            rank[c] = order;
            order += 1;
            todo.push((c, allocated[c].clone()));
        }
    }
    let mut ranges = to_bytes(block, &children, &allocated, &units, target.len(), tile);
    if !tile {
        trim_punctuation(block, &source_words, target, &mut ranges);
    }
    Placement {
        ranges,
        rank,
        aligned,
        fallback: n - aligned,
    }
}

/// The units a node spans (the block: all of them).
fn units_bounds(
    node: usize,
    allocated: &[Range<usize>],
    units: usize,
    root: usize,
) -> Range<usize> {
    if node == root {
        0..units
    } else {
        allocated[node].clone()
    }
}

/// An element that wrapped a word without the punctuation stuck to it (`<a>gras</a>.`) leaves
/// the same punctuation out in the translation where the translated word carries it; children
/// are kept inside.
fn trim_punctuation(
    block: &InlineText,
    source_words: &[Range<usize>],
    target: &str,
    ranges: &mut [Range<usize>],
) {
    let punctuation = |s: &str| !s.is_empty() && s.chars().all(|c| !c.is_alphanumeric());
    // The word `at` falls strictly inside of (an element starting or ending mid-word).
    let word_at = |at: usize| {
        let w = source_words.partition_point(|w| w.end <= at);
        source_words.get(w).filter(|w| w.start < at)
    };
    // Parents come before children: each element is first kept inside its (trimmed) parent.
    for (i, span) in block.spans.iter().enumerate() {
        if let Some(p) = span.parent {
            let parent = ranges[p].clone();
            let r = &mut ranges[i];
            r.start = r.start.clamp(parent.start, parent.end);
            r.end = r.end.clamp(r.start, parent.end);
        }
        if span.point || ranges[i].is_empty() {
            continue;
        }
        let lead = word_at(span.start).map_or("", |w| &block.text[w.start..span.start]);
        let trail = word_at(span.end).map_or("", |w| &block.text[span.end..w.end]);
        let range = &mut ranges[i];
        if punctuation(trail) && target[range.clone()].ends_with(trail) && range.len() > trail.len()
        {
            range.end -= trail.len();
        }
        if punctuation(lead) && target[range.clone()].starts_with(lead) && range.len() > lead.len()
        {
            range.start += lead.len();
        }
    }
}

/// An element that wraps no text (a point, or an icon's empty `<i></i>`, a link around an image
/// only): it comes back empty, where its neighbours put it.
fn zero_width(span: &super::inline::Span) -> bool {
    span.point || span.start == span.end
}

/// Units each element needs: a point none, an element one or what its children need.
fn needs(block: &InlineText, children: &[Vec<usize>]) -> Vec<usize> {
    let mut need = vec![0; block.spans.len()];
    for i in (0..block.spans.len()).rev() {
        if !zero_width(&block.spans[i]) {
            need[i] = children[i].iter().map(|&c| need[c]).sum::<usize>().max(1);
        }
    }
    need
}

/// Each non-space character of `target` as a unit, aligned as its word.
fn characters(
    target: &str,
    words: &[Range<usize>],
    align: &[Option<usize>],
) -> (Vec<Range<usize>>, Vec<Option<usize>>) {
    let mut units = Vec::new();
    let mut unit_align = Vec::new();
    for (word, a) in words.iter().zip(align) {
        for (i, c) in target[word.clone()].char_indices() {
            units.push(word.start + i..word.start + i + c.len_utf8());
            unit_align.push(*a);
        }
    }
    (units, unit_align)
}

/// Each element's wanted units and whether the alignment gave them (else the proportional
/// position of its source words).
fn desired_ranges(
    block: &InlineText,
    source_words: &[Range<usize>],
    units: &[Range<usize>],
    align: &[Option<usize>],
) -> Vec<(Range<usize>, bool)> {
    let mut by_source: Vec<Vec<usize>> = vec![Vec::new(); source_words.len()];
    for (u, a) in align.iter().enumerate() {
        if let Some(s) = *a {
            if let Some(list) = by_source.get_mut(s) {
                list.push(u);
            }
        }
    }
    let hull = Hull::new(&by_source);
    let points = PointPlaces::new(&by_source);
    let proportional = |source_word: f64| {
        let at = source_word / source_words.len().max(1) as f64 * units.len() as f64;
        (at.floor() as usize).min(units.len().saturating_sub(1))
    };
    block
        .spans
        .iter()
        .map(|span| {
            let first = source_words.partition_point(|w| w.end <= span.start);
            if zero_width(span) {
                return points.place(first, units.len(), proportional);
            }
            let last = source_words.partition_point(|w| w.start < span.end);
            match hull.of(first..last.max(first)) {
                Some((lo, hi)) => (lo..hi + 1, true),
                _ => {
                    let u = proportional((first + last.max(first + 1)) as f64 / 2.0 - 0.5);
                    (u..u + 1, false)
                }
            }
        })
        .collect()
}

/// The first and last target unit aligned to any of a range of source words, in constant time
/// per range (sparse tables of each word's first and last unit): an element's hull, however
/// many elements wrap the same words.
struct Hull {
    low: Vec<Vec<usize>>,
    high: Vec<Vec<usize>>,
}

impl Hull {
    fn new(by_source: &[Vec<usize>]) -> Self {
        let mut low = vec![by_source
            .iter()
            .map(|l| l.iter().copied().min().unwrap_or(usize::MAX))
            .collect::<Vec<_>>()];
        let mut high = vec![by_source
            .iter()
            .map(|l| l.iter().copied().max().map_or(0, |u| u + 1))
            .collect::<Vec<_>>()];
        let mut span = 1;
        while span * 2 <= by_source.len() {
            let (l, h) = (low.last().expect("a level"), high.last().expect("a level"));
            let next_low = (0..=by_source.len() - span * 2)
                .map(|i| l[i].min(l[i + span]))
                .collect();
            let next_high = (0..=by_source.len() - span * 2)
                .map(|i| h[i].max(h[i + span]))
                .collect();
            low.push(next_low);
            high.push(next_high);
            span *= 2;
        }
        Hull { low, high }
    }

    /// (first, last) unit aligned to source words `range`, if any.
    fn of(&self, range: Range<usize>) -> Option<(usize, usize)> {
        if range.is_empty() {
            return None;
        }
        let level = (usize::BITS - 1 - range.len().leading_zeros()) as usize;
        let span = 1 << level;
        let lo = self.low[level][range.start].min(self.low[level][range.end - span]);
        let hi = self.high[level][range.start].max(self.high[level][range.end - span]);
        (lo != usize::MAX).then(|| (lo, hi - 1))
    }
}

/// Where points go: before the first unit of the next source word that has one, else after
/// the last unit of the previous one; at the end after the last word. Precomputed for every
/// source word, so that many points cost no more than many words.
struct PointPlaces {
    /// Per source word: the first unit of it or of the next word that has units.
    next: Vec<Option<usize>>,
    /// Per source word: the last unit of the closest earlier word that has units, plus one.
    previous: Vec<Option<usize>>,
}

impl PointPlaces {
    fn new(by_source: &[Vec<usize>]) -> Self {
        let n = by_source.len();
        let mut next = vec![None; n + 1];
        for w in (0..n).rev() {
            next[w] = by_source[w].iter().copied().min().or(next[w + 1]);
        }
        let mut previous = vec![None; n + 1];
        for w in 1..=n {
            previous[w] = by_source[w - 1]
                .iter()
                .map(|&u| u + 1)
                .max()
                .or(previous[w - 1]);
        }
        PointPlaces { next, previous }
    }

    /// A point before source word `next_word`: its units and whether the alignment placed it.
    fn place(
        &self,
        next_word: usize,
        units: usize,
        proportional: impl Fn(f64) -> usize,
    ) -> (Range<usize>, bool) {
        if next_word + 1 >= self.next.len() {
            return (units..units, true);
        }
        if let Some(u) = self.next[next_word].or(self.previous[next_word]) {
            return (u..u, true);
        }
        let u = proportional(next_word as f64);
        (u..u, false)
    }
}

/// Give `kids` (in placing order) units inside `range`: each at least its need, none
/// overlapping, each as near its wish as the others' needs allow.
fn allocate(
    kids: &[usize],
    range: Range<usize>,
    need: &[usize],
    desired: &[(Range<usize>, bool)],
    allocated: &mut [Range<usize>],
) {
    let mut rest: usize = kids.iter().map(|&k| need[k]).sum();
    let mut cursor = range.start;
    for &k in kids {
        rest -= need[k];
        let wish = &desired[k].0;
        let latest = range.end.saturating_sub(rest + need[k]).max(cursor);
        let start = wish.start.clamp(cursor, latest);
        let widest = range.end.saturating_sub(rest).max(start + need[k]);
        let end = wish
            .end
            .clamp(start + need[k], widest)
            .min(range.end.max(start));
        allocated[k] = start..end;
        cursor = end;
    }
}

/// Runs cover their parent: each non-point child reaches to the next one's start (the first
/// from the parent's start, the last to its end); points sit on a boundary.
fn tile_children(
    kids: &[usize],
    spans: &[super::inline::Span],
    allocated: &mut [Range<usize>],
    parent: &Range<usize>,
) {
    let runs: Vec<usize> = kids
        .iter()
        .copied()
        .filter(|&k| !zero_width(&spans[k]))
        .collect();
    for (i, &k) in runs.iter().enumerate() {
        let start = if i == 0 {
            parent.start
        } else {
            allocated[k].start
        };
        let end = runs
            .get(i + 1)
            .map_or(parent.end, |&next| allocated[next].start);
        allocated[k] = start..end.max(start);
    }
    for &k in kids.iter().filter(|&&k| zero_width(&spans[k])) {
        let at = allocated[k].start;
        let boundary = runs
            .iter()
            .map(|&r| allocated[r].start)
            .chain([parent.end])
            .min_by_key(|&b| b.abs_diff(at))
            .unwrap_or(at);
        allocated[k] = boundary..boundary;
    }
}

/// A point that separates words is moved to the nearest word boundary among its siblings' gaps
/// (in a translation cut into characters, it could fall inside a word); the parent's end, if
/// none.
fn keep_breaks_between_words(
    kids: &[usize],
    spans: &[super::inline::Span],
    allocated: &mut [Range<usize>],
    parent: &Range<usize>,
    word_starts: &[bool],
) {
    let boundary = |u: usize| u >= word_starts.len() || word_starts[u];
    if kids
        .iter()
        .all(|&k| !spans[k].breaks || boundary(allocated[k].start))
    {
        return;
    }
    // Positions strictly inside a sibling element are taken (a difference array over units).
    let width = parent.end - parent.start + 1;
    let mut inside = vec![0i32; width + 1];
    for &o in kids.iter().filter(|&&o| !spans[o].point) {
        let r = &allocated[o];
        if r.end > r.start + 1 {
            inside[r.start + 1 - parent.start] += 1;
            inside[r.end - parent.start] -= 1;
        }
    }
    let mut depth = 0;
    let mut free = Vec::new();
    for (i, d) in inside.iter().take(width).enumerate() {
        depth += d;
        if depth == 0 && boundary(parent.start + i) {
            free.push(parent.start + i);
        }
    }
    for &k in kids.iter().filter(|&&k| spans[k].breaks) {
        let at = allocated[k].start;
        if boundary(at) {
            continue;
        }
        let i = free.partition_point(|&u| u < at);
        let best = [i.checked_sub(1), Some(i)]
            .into_iter()
            .flatten()
            .filter_map(|i| free.get(i).copied())
            .min_by_key(|&u| u.abs_diff(at))
            .unwrap_or(parent.end);
        allocated[k] = best..best;
    }
}

/// Units to bytes of the translation: an element from its first unit's start to its last
/// unit's end (tiled: to the next unit's start, so the spaces between runs belong to a run);
/// the block and its edges take the whole text.
fn to_bytes(
    block: &InlineText,
    children: &[Vec<usize>],
    allocated: &[Range<usize>],
    units: &[Range<usize>],
    len: usize,
    tile: bool,
) -> Vec<Range<usize>> {
    let n = block.spans.len();
    let mut bytes = vec![0..0; n];
    let mut todo = vec![(n, 0..units.len(), 0..len)];
    while let Some((node, unit_range, byte_range)) = todo.pop() {
        let at = |u: usize| -> usize {
            if tile && u == unit_range.start {
                return byte_range.start;
            }
            if u >= unit_range.end {
                return byte_range.end;
            }
            units[u].start.clamp(byte_range.start, byte_range.end)
        };
        for &c in &children[node] {
            let r = &allocated[c];
            let start = at(r.start);
            let end = if r.end <= r.start {
                start
            } else if tile {
                at(r.end)
            } else {
                units[r.end - 1].end.clamp(start, byte_range.end)
            };
            bytes[c] = start..end.max(start);
            todo.push((c, r.clone(), bytes[c].clone()));
        }
    }
    bytes
}

#[cfg(test)]
mod tests;

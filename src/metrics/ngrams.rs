//! Exact, allocation-light n-gram counting shared by BLEU and chrF.
//!
//! An n-gram of up to four words (32-bit ids) or six characters (21-bit scalars) is packed into
//! one `u128`, each symbol stored plus one; an unknown hypothesis word is stored as 0, so its
//! n-grams can match no reference n-gram (whose lanes are all non-zero). Keys of order n are
//! rolled from those of order n − 1. A reference's n-grams live in a hash table of integers, and
//! clipped matches are counted without counting the hypothesis first: each hypothesis n-gram
//! found in the table takes one of that n-gram's reference occurrences while any are left, which
//! sums to min(hypothesis count, reference count). Orders that do not fit take the metrics'
//! general path.

use rustc_hash::FxHashMap;

/// Most words in one packed n-gram.
pub const MAX_PACKED_WORDS: usize = 4;
/// Most characters in one packed n-gram (6 × 21 bits).
pub const MAX_PACKED_CHARS: usize = 6;
/// Bits per symbol.
pub const WORD_BITS: u32 = 32;
pub const CHAR_BITS: u32 = 21;

/// Symbol codes of characters (`c + 1`).
pub fn char_codes(chars: impl Iterator<Item = char>) -> Vec<u128> {
    chars.map(|c| u128::from(c as u32 + 1)).collect()
}

/// Call `visit(n, keys)` with the keys of every window of order `n`, for n in 1..=max_order.
pub fn for_each_order(
    codes: &[u128],
    bits: u32,
    max_order: usize,
    mut visit: impl FnMut(usize, &[u128]),
) {
    let mut keys = codes.to_vec();
    for n in 1..=max_order {
        if n > 1 {
            let len = (codes.len() + 1).saturating_sub(n);
            for i in 0..len {
                keys[i] = (keys[i] << bits) | codes[i + n - 1];
            }
            keys.truncate(len);
        }
        visit(n, &keys);
    }
}

/// The n-grams of one order of a reference: count and a slot index for each.
#[derive(Debug, Default, Clone)]
pub struct NgramTable {
    map: FxHashMap<u128, (u32, u32)>,
    total: u64,
}

impl NgramTable {
    pub fn from_keys(keys: &[u128]) -> Self {
        let mut table = NgramTable::default();
        for &k in keys {
            table.add(k, 1);
        }
        table
    }

    fn add(&mut self, key: u128, count: u32) {
        let slot = self.map.len() as u32;
        self.map.entry(key).or_insert((0, slot)).0 += count;
        self.total += u64::from(count);
    }

    /// Keep, for each n-gram, the larger of the two counts (BLEU's multi-reference clipping).
    pub fn merge_max(&mut self, other: &NgramTable) {
        for (&key, &(count, _)) in &other.map {
            match self.map.get_mut(&key) {
                Some(entry) => {
                    if count > entry.0 {
                        self.total += u64::from(count - entry.0);
                        entry.0 = count;
                    }
                }
                None => self.add(key, count),
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Number of n-gram occurrences.
    pub fn total(&self) -> u64 {
        self.total
    }
}

/// Scratch space for counting clipped matches.
#[derive(Default)]
pub struct Clipper {
    used: Vec<u32>,
}

impl Clipper {
    /// Sum over n-grams of min(count in `keys`, count in `table`).
    pub fn matches(&mut self, table: &NgramTable, keys: &[u128]) -> u64 {
        self.used.clear();
        self.used.resize(table.map.len(), 0);
        let mut matched = 0;
        for key in keys {
            if let Some(&(count, slot)) = table.map.get(key) {
                let used = &mut self.used[slot as usize];
                if *used < count {
                    *used += 1;
                    matched += 1;
                }
            }
        }
        matched
    }
}

/// Word ids for one segment's references; hypothesis words absent from it match nothing.
#[derive(Default)]
pub struct SegmentVocab {
    ids: FxHashMap<Box<str>, u32>,
}

impl SegmentVocab {
    /// The code of a reference word (ids start at 1).
    pub fn intern(&mut self, word: &str) -> u128 {
        if let Some(&id) = self.ids.get(word) {
            return u128::from(id);
        }
        let id = self.ids.len() as u32 + 1;
        self.ids.insert(word.into(), id);
        u128::from(id)
    }

    /// The code of a hypothesis word: 0 when no reference has it.
    pub fn code(&self, word: &str) -> u128 {
        self.ids.get(word).map_or(0, |&id| u128::from(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rolling_keys_and_clipping() {
        let reference = char_codes("aab".chars());
        let hyp = char_codes("aaab".chars());
        let mut tables = Vec::new();
        for_each_order(&reference, CHAR_BITS, 2, |_, keys| {
            tables.push(NgramTable::from_keys(keys))
        });
        let mut clipper = Clipper::default();
        let mut matched = Vec::new();
        for_each_order(&hyp, CHAR_BITS, 2, |n, keys| {
            matched.push(clipper.matches(&tables[n - 1], keys))
        });
        // unigrams: a×3 vs a×2 → 2, b → 1; bigrams: aa×2 vs 1 → 1, ab → 1
        assert_eq!(matched, [3, 2]);
        assert_eq!(tables[0].total(), 3);
    }

    #[test]
    fn unknown_words_never_match() {
        let mut vocab = SegmentVocab::default();
        let reference: Vec<u128> = ["a", "b"].iter().map(|w| vocab.intern(w)).collect();
        let hyp: Vec<u128> = ["zz", "b"].iter().map(|w| vocab.code(w)).collect();
        let mut tables = Vec::new();
        for_each_order(&reference, WORD_BITS, 2, |_, k| {
            tables.push(NgramTable::from_keys(k))
        });
        let mut clipper = Clipper::default();
        let mut matched = Vec::new();
        for_each_order(&hyp, WORD_BITS, 2, |n, k| {
            matched.push(clipper.matches(&tables[n - 1], k))
        });
        assert_eq!(matched, [1, 0]);
    }
}

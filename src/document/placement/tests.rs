//! Placement with fixed alignments: the issue's sentence, reordering, no alignment at all, more
//! elements than words, runs that tile, and random blocks that must always come out nested,
//! apart and non-empty.

use proptest::prelude::*;

use super::place;
use crate::document::inline::{render, InlineText, Lifter, Piece};

/// A block from a tiny markup: `<` opens an element, `>` closes one, `|` is a point.
fn block(markup: &str) -> InlineText {
    let mut l = Lifter::new();
    let mut text = String::new();
    for c in markup.chars() {
        if "<>|".contains(c) {
            l.text(&text);
            text.clear();
        }
        match c {
            '<' => {
                l.open();
            }
            '>' => {
                l.close();
            }
            '|' => {
                l.point();
            }
            _ => text.push(c),
        }
    }
    l.text(&text);
    l.finish()
}

/// The translation written back in the same tiny markup.
fn written(b: &InlineText, target: &str, align: &[Option<usize>], tile: bool) -> String {
    let p = place(b, target, align, tile);
    render(target, b, &p.ranges, &p.rank, true)
        .iter()
        .map(|piece| match piece {
            Piece::Text(t) => t.to_string(),
            Piece::Open(_) => "<".into(),
            Piece::Close(_) => ">".into(),
            Piece::Point(_) => "|".into(),
        })
        .collect()
}

#[test]
fn the_issue_sentence_keeps_bold_and_link_on_their_words() {
    let b = block("Le <président> a annoncé une <réforme> mardi.");
    let target = "The president announced a reform on Tuesday.";
    // The → Le, president → président, announced → annoncé, a → une, reform → réforme,
    // on → (none), Tuesday. → mardi.
    let align = [Some(0), Some(1), Some(3), Some(4), Some(5), None, Some(6)];
    assert_eq!(
        written(&b, target, &align, false),
        "The <president> announced a <reform> on Tuesday."
    );
}

#[test]
fn elements_follow_their_words_when_the_order_changes() {
    let b = block("une réforme <importante> et <urgente>");
    let target = "an important and urgent reform";
    let align = [Some(0), Some(2), Some(3), Some(4), Some(1)];
    assert_eq!(
        written(&b, target, &align, false),
        "an <important> and <urgent> reform"
    );
    // Siblings swap places when their words do.
    let b = block("<rouge> et <bleu>");
    assert_eq!(
        written(&b, "blue and red", &[Some(2), Some(1), Some(0)], false),
        "<blue> and <red>"
    );
}

#[test]
fn without_alignment_elements_take_their_proportional_place() {
    let b = block("un <deux> trois <quatre>");
    let target = "one two three four";
    assert_eq!(
        written(&b, target, &[None; 4], false),
        "one <two> three <four>"
    );
    // An alignment of the wrong length is no alignment.
    assert_eq!(
        written(&b, target, &[Some(0)], false),
        "one <two> three <four>"
    );
}

#[test]
fn scattered_alignments_still_nest() {
    let b = block("<a <b> c> d");
    // b's word became the last word, a's others the first and third: a wraps the hull of its
    // words (d's word among them), b stays inside it.
    let out = written(&b, "w x y z", &[Some(0), Some(3), Some(2), Some(1)], false);
    assert_eq!(out, "<w x y <z>>");
    // Two siblings aligned to the same word: the second takes the next word, inside the parent.
    let b = block("<<un> <deux>> trois");
    let out = written(&b, "one two three", &[Some(0), Some(0), Some(2)], false);
    assert_eq!(out, "<<one> <two>> three");
}

#[test]
fn more_elements_than_words_wrap_characters() {
    let b = block("<un> <deux> <trois>");
    let out = written(&b, "abc", &[Some(0)], false);
    assert_eq!(out, "<a><b><c>");
    let out = written(&b, "ab cd", &[Some(0), Some(2)], false);
    assert_eq!(out.matches('<').count(), 3);
    assert!(!out.contains("<>"), "{out}");
}

#[test]
fn points_go_before_the_word_their_next_word_became() {
    let b = block("Bonjour |le monde");
    assert_eq!(
        written(&b, "Hello world", &[Some(0), Some(2)], false),
        "Hello |world"
    );
    let b = block("fin|");
    assert_eq!(written(&b, "end", &[Some(0)], false), "end|");
}

#[test]
fn a_line_break_never_goes_inside_a_word() {
    // Three runs and a tab over a one-word translation: units are characters, but the tab
    // stays at a word boundary (here the end), in both layouts.
    let mut l = Lifter::new();
    l.open();
    l.text("Nom");
    l.close();
    l.break_point();
    l.open();
    l.text("Prénom");
    l.close();
    l.open();
    l.text("fonction");
    l.close();
    let b = l.finish();
    for tile in [false, true] {
        for align in [Some(0), Some(1), Some(2), None] {
            let p = place(&b, "abcdef", &[align], tile);
            let tab = p.ranges[1].start;
            assert!(tab == 0 || tab == 6, "tile {tile}: the tab at byte {tab}");
            // And it is written there: before every run when at the start.
            let out: String = render("abcdef", &b, &p.ranges, &p.rank, false)
                .iter()
                .map(|x| match x {
                    Piece::Text(t) => t.to_string(),
                    Piece::Point(_) => "|".into(),
                    _ => String::new(),
                })
                .collect();
            assert!(
                out == "|abcdef" || out == "abcdef|",
                "tile {tile} {align:?}: {out}"
            );
        }
    }
}

#[test]
fn an_element_that_wrapped_no_text_comes_back_empty() {
    // An icon and a link around an image only: neither takes a word of the translation.
    let b = block("<>Le <|> chat");
    let out = written(&b, "The cat", &[Some(0), Some(2)], false);
    assert_eq!(out, "<>The <|> cat");
}

#[test]
fn runs_tile_the_paragraph() {
    let b = block("<Le ><président ><a annoncé>");
    let out = written(
        &b,
        "The president announced",
        &[Some(0), Some(1), Some(3)],
        true,
    );
    assert_eq!(out, "<The ><president ><announced>");
}

/// A random block: up to 8 elements over up to 8 words, nesting at random.
fn random_block() -> impl Strategy<Value = String> {
    proptest::collection::vec(0u8..6, 1..24).prop_map(|ops| {
        let mut s = String::new();
        let mut open = 0;
        for op in ops {
            match op {
                0 | 1 => {
                    s.push('<');
                    open += 1;
                }
                2 if open > 0 => {
                    s.push_str("w>");
                    open -= 1;
                }
                3 => s.push('|'),
                _ => s.push_str(" w "),
            }
        }
        s.push_str(" w");
        s.push_str(&">".repeat(open));
        s
    })
}

proptest! {
    #[test]
    fn every_element_comes_back_once_nested_and_non_empty(
        markup in random_block(),
        target_words in 1usize..12,
        seed in proptest::collection::vec(proptest::option::of(0usize..10), 12),
        tile in any::<bool>(),
    ) {
        let b = block(&markup);
        let target: Vec<String> = (0..target_words).map(|i| format!("t{i}")).collect();
        let target = target.join(" ");
        let align: Vec<Option<usize>> = seed[..target_words].to_vec();
        let p = place(&b, &target, &align, tile);
        let pieces = render(&target, &b, &p.ranges, &p.rank, true);
        // The text comes back whole, in order (spaces beside points aside).
        let text: String = pieces.iter().filter_map(|x| match x {
            Piece::Text(t) => Some(*t),
            _ => None,
        }).collect();
        prop_assert_eq!(text.split_whitespace().collect::<Vec<_>>().join(" "), target.clone());
        // Every element once, opened before it is closed, closed in nesting order.
        let mut stack = Vec::new();
        let mut seen = vec![0; b.spans.len()];
        let mut content = vec![String::new(); b.spans.len()];
        for piece in &pieces {
            match piece {
                Piece::Open(i) => {
                    // Each element sits in the element it sat in.
                    prop_assert_eq!(stack.last().copied(), b.spans[*i].parent);
                    seen[*i] += 1;
                    stack.push(*i);
                }
                Piece::Close(i) => prop_assert_eq!(stack.pop(), Some(*i)),
                Piece::Point(i) => {
                    seen[*i] += 1;
                    prop_assert_eq!(stack.last().copied(), b.spans[*i].parent);
                }
                Piece::Text(t) => for &open in &stack { content[open].push_str(t); },
            }
        }
        prop_assert!(stack.is_empty());
        prop_assert!(seen.iter().all(|&s| s == 1), "{:?}", seen);
        let chars = target.chars().filter(|c| !c.is_whitespace()).count();
        let elements = b.spans.iter().filter(|s| !s.point).count();
        for (i, span) in b.spans.iter().enumerate() {
            if !span.point && span.start < span.end && elements <= chars {
                prop_assert!(!content[i].trim().is_empty(), "{} empty in {:?}", i, pieces);
            }
        }
    }
}

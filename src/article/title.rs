//! The headline as the page shows it and the standfirst under it. The headline is the `<h1>`
//! that agrees with what the page's metadata calls its title (`og:title`, JSON-LD `headline`,
//! `<title>`), not `<title>` itself, which usually carries the site's name; the standfirst is
//! the element named as one (`standfirst`, `chapo`, `dek`, `subtitle`, …) before the article's
//! text, or the page's description where the page shows it outside the body.

use std::collections::HashSet;

use super::block::{Block, BlockKind};
use super::dom::Dom;
use super::metadata::Metadata;
use super::names::Names;

fn words(text: &str) -> HashSet<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// The share of `a`'s words that `b` has.
fn overlap(a: &str, b: &str) -> f64 {
    let (a, b) = (words(a), words(b));
    if a.is_empty() {
        return 0.0;
    }
    a.intersection(&b).count() as f64 / a.len() as f64
}

/// The headline.
pub fn headline(dom: &Dom, meta: &Metadata) -> Option<String> {
    let references: Vec<&str> = [meta.title.as_deref(), meta.document_title.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    let h1s: Vec<String> = dom
        .find_all("h1")
        .map(|h| dom.text_of(h, &|_| false))
        .filter(|t| t.split_whitespace().count() >= 2)
        .collect();
    let best = h1s
        .iter()
        .map(|h| {
            let agreement = references
                .iter()
                .map(|r| overlap(h, r))
                .fold(0.0f64, f64::max);
            (agreement, h)
        })
        .max_by(|a, b| a.0.total_cmp(&b.0));
    match best {
        Some((agreement, h)) if agreement >= 0.6 || references.is_empty() => Some(h.clone()),
        // A page with a single headline shows it as the headline even when its metadata words
        // the title otherwise (`<title>Le budget – Le Journal</title>` over a longer `<h1>`).
        _ if meta.title.is_none() && h1s.len() == 1 => Some(h1s[0].clone()),
        _ => meta.title.clone().or_else(|| {
            meta.document_title
                .as_deref()
                .map(|t| without_site_name(t, meta.site.as_deref()))
        }),
    }
}

/// `<title>` without the site's name: the parts between separators that are not the site's
/// name, the longest of them.
fn without_site_name(title: &str, site: Option<&str>) -> String {
    let mut parts = vec![title];
    for separator in [" | ", " - ", " – ", " — ", " :: ", " · "] {
        parts = parts.iter().flat_map(|p| p.split(separator)).collect();
    }
    let is_site = |part: &str| site.is_some_and(|s| part.trim().eq_ignore_ascii_case(s.trim()));
    parts
        .into_iter()
        .filter(|p| !is_site(p))
        .max_by_key(|p| p.chars().count())
        .unwrap_or(title)
        .trim()
        .to_string()
}

/// The standfirst: an element named as one before the article's first container, or the
/// description where the page shows it outside the body. A standfirst block at the top of the
/// body is retyped as the lead.
pub fn standfirst(
    dom: &Dom,
    meta: &Metadata,
    containers: &[u32],
    blocks: &mut [Block],
) -> Option<String> {
    let first_container = containers.first().copied().unwrap_or(u32::MAX);
    let inside = |at: u32| containers.iter().any(|&c| dom.contains(c, at));
    for at in 0..dom.nodes.len() as u32 {
        if at >= first_container && !inside(at) {
            break;
        }
        let Some(e) = dom.element(at) else { continue };
        if !matches!(e.tag(), "p" | "div" | "h2" | "h3" | "span" | "section")
            || small_subtree(dom, at).is_none()
        {
            continue;
        }
        if !e.names.has(Names::LEAD) {
            continue;
        }
        let text = dom.text_of(at, &|_| false);
        let length = text.chars().count();
        if !(30..=800).contains(&length) || link_share(dom, at) > 0.3 {
            continue;
        }
        // The same text at the top of the body (a page may show it twice) is the lead.
        if let Some(b) = blocks.iter_mut().take(3).find(|b| b.text == text) {
            b.kind = BlockKind::Lead;
        }
        return Some(text);
    }
    let description = meta.description.as_deref()?;
    let shown_outside = (0..dom.nodes.len() as u32)
        .filter(|&at| matches!(dom.tag(at), "p" | "h2" | "div" | "span"))
        .filter(|&at| small_subtree(dom, at).is_some() && !inside(at))
        .any(|at| {
            let text = dom.text_of(at, &|_| false);
            text.chars().count() <= 800 && text == description
        });
    shown_outside.then(|| description.to_string())
}

/// The share of an element's text that is inside links (a menu is not a standfirst).
fn link_share(dom: &Dom, at: u32) -> f64 {
    let (mut all, mut linked) = (0usize, 0usize);
    for i in dom.subtree(at) {
        if dom.text(i).is_some() {
            let chars = dom.nodes[i as usize].chars as usize;
            all += chars;
            if dom
                .ancestors(i)
                .take_while(|&a| a != at)
                .any(|a| dom.tag(a) == "a")
            {
                linked += chars;
            }
        }
    }
    linked as f64 / all.max(1) as f64
}

/// `at`'s subtree, when it is small enough to be one block (reading the text of every large
/// container would cost the square of the page's depth).
fn small_subtree(dom: &Dom, at: u32) -> Option<std::ops::Range<u32>> {
    let range = dom.subtree(at);
    (range.len() <= 64).then_some(range)
}

/// Put the headline and the standfirst at the top of the blocks, where a reader (and the
/// translator) meets them: a heading or paragraph that repeats the headline near the top is
/// that headline, and a standfirst found outside the body joins it.
pub fn place_headline(title: Option<&str>, lead: Option<&str>, blocks: &mut Vec<Block>) {
    if let Some(lead) = lead {
        if !blocks.iter().any(|b| b.kind == BlockKind::Lead) {
            match blocks.iter().position(|b| b.text == lead) {
                Some(at) if at < 4 => blocks[at].kind = BlockKind::Lead,
                // Already in the body, further down: it is not shown twice.
                Some(_) => {}
                None => blocks.insert(0, Block::new(BlockKind::Lead, lead)),
            }
        }
    }
    let Some(title) = title else { return };
    if let Some(at) = blocks.iter().take(4).position(|b| {
        b.kind.is_prose() && overlap(&b.text, title) >= 0.9 && overlap(title, &b.text) >= 0.9
    }) {
        blocks.remove(at);
    }
    blocks.insert(0, Block::new(BlockKind::Title, title));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_headline_is_the_h1_that_agrees_with_the_metadata() {
        let page = "<title>La Russie et la Chine s'opposent à l'OTAN - Le Journal</title>\
                    <h1>Le Journal</h1><h1>La Russie et la Chine s'opposent à l'OTAN</h1>";
        let dom = Dom::parse(page);
        let meta = super::super::metadata::read(&dom);
        assert_eq!(
            headline(&dom, &meta).as_deref(),
            Some("La Russie et la Chine s'opposent à l'OTAN")
        );
        let dom = Dom::parse("<title>Un titre sans h1 | Le Journal</title><p>x</p>");
        let meta = super::super::metadata::read(&dom);
        assert_eq!(headline(&dom, &meta).as_deref(), Some("Un titre sans h1"));
    }

    #[test]
    fn a_single_h1_is_the_headline_and_the_site_name_is_never_one() {
        let page = r#"<title>Le budget – Le Journal</title><meta property="og:site_name"
            content="Le Journal"><h1>Le conseil vote le budget</h1>"#;
        let dom = Dom::parse(page);
        let meta = super::super::metadata::read(&dom);
        assert_eq!(
            headline(&dom, &meta).as_deref(),
            Some("Le conseil vote le budget")
        );
        let page = r#"<title>Le budget – Le Journal</title><meta property="og:site_name"
            content="Le Journal"><p>x</p>"#;
        let dom = Dom::parse(page);
        let meta = super::super::metadata::read(&dom);
        assert_eq!(headline(&dom, &meta).as_deref(), Some("Le budget"));
    }

    #[test]
    fn the_headline_and_standfirst_open_the_blocks_once() {
        let para = |t: &str| Block::new(BlockKind::Paragraph, t);
        let mut blocks = vec![para("Le conseil vote le budget"), para("Le texte.")];
        place_headline(
            Some("Le conseil vote le budget"),
            Some("Un chapô."),
            &mut blocks,
        );
        let kinds: Vec<_> = blocks.iter().map(|b| (b.kind, b.text.as_str())).collect();
        assert_eq!(
            kinds,
            [
                (BlockKind::Title, "Le conseil vote le budget"),
                (BlockKind::Lead, "Un chapô."),
                (BlockKind::Paragraph, "Le texte.")
            ]
        );
        let mut blocks = vec![
            para("a"),
            para("b"),
            para("c"),
            para("d"),
            para("Un chapô."),
        ];
        place_headline(None, Some("Un chapô."), &mut blocks);
        assert_eq!(
            blocks.len(),
            5,
            "a standfirst already in the body is not repeated"
        );
        assert_eq!(blocks[4].kind, BlockKind::Paragraph);
    }
}

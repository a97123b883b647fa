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

/// The words of a text for comparing headlines: runs of letters and digits, and each character
/// of a script written without spaces (Chinese, Japanese, Thai), so that a headline in those
/// scripts is compared by its characters rather than as one word.
fn words(text: &str) -> HashSet<String> {
    let mut words = HashSet::new();
    let mut word = String::new();
    for c in text.chars() {
        if c.is_alphanumeric() && !super::kinds::unspaced_script(c) {
            word.extend(c.to_lowercase());
            continue;
        }
        if !word.is_empty() {
            words.insert(std::mem::take(&mut word));
        }
        if c.is_alphanumeric() {
            words.insert(c.to_string());
        }
    }
    if !word.is_empty() {
        words.insert(word);
    }
    words
}

/// The share of `a`'s words that `b` has.
fn overlap(a: &str, b: &str) -> f64 {
    let (a, b) = (words(a), words(b));
    if a.is_empty() {
        return 0.0;
    }
    a.intersection(&b).count() as f64 / a.len() as f64
}

/// Whether a text names the site rather than an article: the site's name, or its host's name
/// ("LuccaAM" on luccaam.com).
fn names_the_site(text: &str, meta: &Metadata) -> bool {
    let squeeze = |s: &str| -> String {
        s.chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect()
    };
    let text = squeeze(text);
    if text.is_empty() {
        return false;
    }
    let site = meta.site.as_deref().map(squeeze);
    let host = meta
        .url
        .as_deref()
        .and_then(super::metadata::host_of)
        .and_then(|host| {
            let labels: Vec<&str> = host.split('.').collect();
            let name = labels.iter().rev().nth(1).or(labels.first())?;
            Some(squeeze(name))
        });
    site.is_some_and(|s| s == text) || host.is_some_and(|h| h.len() >= 3 && h == text)
}

/// The page's `<h1>`s that may be its headline: not the site's logo (a heading that is a link,
/// or inside the navigation or a footer), not the site's name.
fn headline_candidates(dom: &Dom, meta: &Metadata) -> Vec<String> {
    dom.find_all("h1")
        .filter(|&h| {
            !dom.ancestors(h)
                .any(|a| matches!(dom.tag(a), "a" | "nav" | "footer" | "aside"))
        })
        .map(|h| (h, dom.text_of(h, &|_| false)))
        .filter(|(h, text)| {
            !dom.subtree(*h)
                .any(|i| dom.tag(i) == "a" && dom.text_of(i, &|_| false) == *text)
        })
        .map(|(_, text)| text)
        .filter(|t| words(t).len() >= 2 && !names_the_site(t, meta))
        .collect()
}

/// The headline.
pub fn headline(dom: &Dom, meta: &Metadata) -> Option<String> {
    let references: Vec<&str> = [meta.title.as_deref(), meta.document_title.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    let h1s = headline_candidates(dom, meta);
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
    let h1 = match best {
        Some((agreement, h)) if agreement >= 0.6 || references.is_empty() => Some(h.clone()),
        // A page with a single headline shows it as the headline even when its metadata words
        // the title otherwise (`<title>Le budget – Le Journal</title>` over a longer `<h1>`).
        // Unless it reads as something else: a prompt ("Share the post"), the lead-in to a
        // box ("A message from our founder:"), a label, or a description too long for one.
        _ if h1s.len() == 1 && reads_as_a_headline(&h1s[0]) => Some(h1s[0].clone()),
        _ => None,
    };
    let titled = match (&meta.title, &meta.document_title) {
        (Some(title), _) => Some(without_trailing_site_name(title, meta)),
        (None, Some(title)) => Some(without_site_name(title, meta)),
        (None, None) => None,
    };
    match (h1, titled) {
        // Capitals throughout are the heading's style, not how the headline is written: the
        // metadata's title, where it says much the same, has the words as written.
        (Some(h), Some(t)) if all_capitals(&h) && !all_capitals(&t) && overlap(&h, &t) >= 0.6 => {
            Some(t)
        }
        (Some(h), _) => Some(without_trailing_site_name(&h, meta)),
        (None, t) => t,
    }
}

/// Whether a lone `<h1>` the metadata does not bear out can still be the headline: not
/// furniture by its words, not ending with a colon, not longer than a headline runs, and more
/// than a section's label of one or two words ("Our BLOG", "Webcams").
fn reads_as_a_headline(h1: &str) -> bool {
    super::kinds::furniture_kind(h1).is_none()
        && !h1.trim_end().ends_with(':')
        && h1.chars().count() <= super::kinds::MAX_HEADLINE_CHARS
        && words(h1).len() > 2
}

/// Whether a text's letters (four or more of them) are all capitals.
fn all_capitals(text: &str) -> bool {
    let letters = text.chars().filter(|c| c.is_alphabetic());
    letters.clone().count() >= 4 && letters.clone().all(char::is_uppercase)
}

/// The separators between a title and the site's name.
const TITLE_SEPARATORS: &[&str] = &[" | ", " - ", " – ", " — ", " :: ", " · ", "|", "_", "｜"];

/// A metadata title (`og:title`, JSON-LD) or an `<h1>` without what a site adds after a
/// separator: its own name (which may hold a separator itself), or a short label after a bar.
/// Such titles usually are the headline alone, so nothing else goes.
fn without_trailing_site_name(title: &str, meta: &Metadata) -> String {
    // The site's name may itself hold a separator ("Mark Denney | Landscape Photography").
    let site_cut = TITLE_SEPARATORS
        .iter()
        .flat_map(|s| title.match_indices(s).map(|(at, _)| (at, at + s.len())))
        .filter(|&(at, after)| at > 0 && names_the_site(&title[after..], meta))
        .max();
    if let Some((at, _)) = site_cut {
        return title[..at].trim().to_string();
    }
    let cut = TITLE_SEPARATORS
        .iter()
        .filter_map(|s| title.rfind(s).map(|at| (at, at + s.len())))
        .max();
    match cut {
        // A short part after a bar is a label the site adds (its brand, the section), never
        // the headline's own: "… | GDevelop", "… | Opinion".
        Some((at, after))
            if at > 0 && title[at..after].trim() == "|" && words(&title[after..]).len() <= 3 =>
        {
            title[..at].trim().to_string()
        }
        _ => title.trim().to_string(),
    }
}

/// A document title without the site's name: the parts between separators that do not name the site,
/// the longest of them.
fn without_site_name(title: &str, meta: &Metadata) -> String {
    let mut parts = vec![title];
    for separator in TITLE_SEPARATORS {
        parts = parts.iter().flat_map(|p| p.split(separator)).collect();
    }
    if parts.len() == 1 {
        return title.trim().to_string();
    }
    parts
        .into_iter()
        .filter(|p| !names_the_site(p, meta))
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
        if !e.names.has(Names::LEAD) || class_repeats(dom, at) {
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
    // An element's collapsed length (as the arena counts its text) near the description's,
    // before its text is read.
    let wanted = super::dom::collapsed_chars(description) as usize;
    let near = |at: u32| {
        let range = small_subtree(dom, at)?;
        let chars: usize = range.map(|i| dom.nodes[i as usize].chars as usize).sum();
        Some(chars.abs_diff(wanted) <= wanted / 10 + 4)
    };
    let shown_outside = (0..dom.nodes.len() as u32)
        .filter(|&at| matches!(dom.tag(at), "p" | "h2" | "div" | "span"))
        .filter(|&at| near(at) == Some(true) && !inside(at))
        .any(|at| {
            let text = dom.text_of(at, &|_| false);
            text.chars().count() <= 800 && text == description
        });
    shown_outside.then(|| description.to_string())
}

/// Whether another element of the page has the same class as `at`: a standfirst is shown
/// once, so a class the article's paragraphs share ("text-description" on each of six) is a
/// paragraph style, whatever it says.
fn class_repeats(dom: &Dom, at: u32) -> bool {
    let Some(class) = dom.element(at).map(|e| e.class()).filter(|c| !c.is_empty()) else {
        return false;
    };
    (0..dom.nodes.len() as u32)
        .filter(|&i| i != at)
        .any(|i| dom.element(i).is_some_and(|e| e.class() == class))
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
    fn headlines_in_scripts_without_spaces_and_beside_a_logo() {
        // A Chinese headline is one run of characters: it is compared by its characters.
        let page = "<title>港特首梁振英就住宅违建事件道歉_新闻_网站</title>\
                    <h1><a href='/'>网站</a></h1><h1>港特首梁振英就住宅违建事件道歉</h1>";
        let dom = Dom::parse(page);
        let meta = super::super::metadata::read(&dom);
        assert_eq!(
            headline(&dom, &meta).as_deref(),
            Some("港特首梁振英就住宅违建事件道歉")
        );
        // The logo's heading is a link: the one other h1 is the headline, whatever og:title says.
        let page = r#"<meta property="og:title" content="Ten tips | Example">
            <h1><a href="/">Example Blog</a></h1><h1>Ten tips for a better garden</h1>"#;
        let dom = Dom::parse(page);
        let meta = super::super::metadata::read(&dom);
        assert_eq!(
            headline(&dom, &meta).as_deref(),
            Some("Ten tips for a better garden")
        );
        // No h1: og:title loses the site's name after its last separator, and only that.
        let page = r#"<meta property="og:site_name" content="Example"><meta property="og:title"
            content="Covid-19 - what we know | Example"><p>x</p>"#;
        let dom = Dom::parse(page);
        let meta = super::super::metadata::read(&dom);
        assert_eq!(
            headline(&dom, &meta).as_deref(),
            Some("Covid-19 - what we know")
        );
    }

    #[test]
    fn a_lone_h1_that_is_a_prompt_a_label_or_a_description_gives_way_to_the_metadata() {
        let read = |h1: &str| {
            let page = format!(
                r#"<meta property="og:title" content="Le conseil vote le budget de la ville">
                <h1>{h1}</h1>"#
            );
            let dom = Dom::parse(&page);
            headline(&dom, &super::super::metadata::read(&dom))
        };
        let long = "Découvrez quels travaux rapportent le plus. ".repeat(5);
        for h1 in [
            "Partager l'article",
            "Un message de notre fondateur :",
            "Notre BLOG",
            long.trim(),
        ] {
            assert_eq!(
                read(h1).as_deref(),
                Some("Le conseil vote le budget de la ville"),
                "{h1}"
            );
        }
        // A headline worded otherwise than the metadata's title is still the headline.
        assert_eq!(
            read("Municipales : le budget adopté").as_deref(),
            Some("Municipales : le budget adopté")
        );
    }

    #[test]
    fn capitals_and_labels_after_a_bar_are_the_sites_styling() {
        let read = |page: &str| {
            let dom = Dom::parse(page);
            headline(&dom, &super::super::metadata::read(&dom))
        };
        // An h1 in capitals throughout: the metadata's title has the words as written.
        let page = r#"<meta property="og:title" content="Tips for Online Success">
            <h1>TIPS FOR ONLINE SUCCESS</h1>"#;
        assert_eq!(read(page).as_deref(), Some("Tips for Online Success"));
        // … but not a metadata title that says something else.
        let page = r#"<meta property="og:title" content="Ten tips">
            <h1>TIPS FOR ONLINE SUCCESS</h1>"#;
        assert_eq!(read(page).as_deref(), Some("TIPS FOR ONLINE SUCCESS"));
        // A short label after a bar goes, from og:title and from the h1; a long part stays.
        let page = r#"<meta property="og:title" content="How to make a good game | GDevelop">"#;
        assert_eq!(read(page).as_deref(), Some("How to make a good game"));
        let page = "<title>x</title><h1>Best movers in NYC 2025 | Top 19 Companies</h1>";
        assert_eq!(read(page).as_deref(), Some("Best movers in NYC 2025"));
        let page = r#"<meta property="og:title" content="Ceasefire | what the two sides agreed to and when">"#;
        assert_eq!(
            read(page).as_deref(),
            Some("Ceasefire | what the two sides agreed to and when")
        );
        // A site's name holding a separator itself goes whole.
        let page = r#"<meta property="og:site_name" content="Mark Denney | Landscape Photography">
            <meta property="og:title" content="Composition: a four-step process — Mark Denney | Landscape Photography">"#;
        assert_eq!(
            read(page).as_deref(),
            Some("Composition: a four-step process")
        );
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

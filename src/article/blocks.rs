//! The article's containers as blocks in reading order: each run of text between block
//! boundaries is a block, typed by the element that holds it (a heading, a list item, a quote, a
//! caption, a table row, a paragraph), then by its text where it is the page's furniture
//! ([`super::kinds`]); runs that are mostly link text are link lists, and a caption's trailing
//! credit becomes a block of its own.

use super::block::{Block, BlockKind};
use super::dom::{push_collapsed, push_space, Dom, NONE};
use super::kinds;
use super::names::Names;

/// A container larger than this (characters of text) is not a caption's, whatever its name.
const MAX_HINTED_CHARS: usize = 1200;

/// What the class names of a node and its ancestors say of its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hint {
    None,
    Caption,
    Credit,
}

fn hints(dom: &Dom, dead: &[bool]) -> Vec<Hint> {
    let sizes = super::prune::text_sizes(dom, dead);
    let mut hints = vec![Hint::None; dom.nodes.len()];
    for i in 0..dom.nodes.len() {
        let parent = dom.nodes[i].parent;
        let inherited = if parent == NONE {
            Hint::None
        } else {
            hints[parent as usize]
        };
        hints[i] = match dom.element(i as u32) {
            Some(e) if sizes[i] <= MAX_HINTED_CHARS => {
                if e.names.has(Names::CREDIT) {
                    Hint::Credit
                } else if e.names.has(Names::CAPTION) {
                    Hint::Caption
                } else {
                    inherited
                }
            }
            _ => inherited,
        };
    }
    hints
}

/// Elements that start and end a block.
fn is_block_tag(tag: &str) -> bool {
    matches!(
        tag,
        "p" | "div"
            | "section"
            | "article"
            | "main"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "ul"
            | "ol"
            | "li"
            | "dl"
            | "dt"
            | "dd"
            | "blockquote"
            | "figure"
            | "figcaption"
            | "table"
            | "tr"
            | "pre"
            | "br"
            | "hr"
            | "address"
            | "center"
            | "details"
            | "summary"
            | "caption"
    )
}

/// The kind a block gets from the elements around its text.
fn kind_of(open: &[&str]) -> BlockKind {
    // A figure's own text is its caption, but a table set in a figure (as WordPress wraps
    // every table) is the table.
    if open.iter().any(|t| matches!(*t, "figcaption" | "caption"))
        || open.contains(&"figure") && !open.contains(&"table")
    {
        return BlockKind::Caption;
    }
    if open.contains(&"blockquote") {
        return BlockKind::Quote;
    }
    match open.iter().rev().find(|t| is_block_tag(t)).copied() {
        Some("h1" | "h2" | "h3" | "h4" | "h5" | "h6") => BlockKind::Heading,
        Some("li" | "dd" | "dt") => BlockKind::List,
        _ => {
            if open
                .iter()
                .any(|t| matches!(*t, "h1" | "h2" | "h3" | "h4" | "h5" | "h6"))
            {
                BlockKind::Heading
            } else {
                BlockKind::Paragraph
            }
        }
    }
}

/// A block being gathered.
#[derive(Default)]
struct Pending {
    text: String,
    link_chars: usize,
    kind: Option<BlockKind>,
    /// The list (`ul`/`ol`) the text is in.
    list: Option<u32>,
    /// Links to other sites (sources cited, not the site's own articles).
    external_links: usize,
    links: usize,
}

/// A block with what typing needs to know of it.
struct Raw {
    kind: BlockKind,
    text: String,
    link_chars: usize,
    list: Option<u32>,
    external_links: usize,
    links: usize,
}

/// The blocks of `containers` (in document order), skipping `dead` subtrees.
pub fn blocks_of(dom: &Dom, containers: &[u32], dead: &[bool], host: Option<&str>) -> Vec<Block> {
    let mut raw = gather(dom, containers, dead, host);
    mark_link_lists(&mut raw);
    let mut blocks = Vec::with_capacity(raw.len());
    // A caption, quote or heading the page repeats (a gallery's captions, a pull quote) is kept
    // once; a paragraph written twice is the text's own (a refrain, a repeated instruction).
    let mut seen: rustc_hash::FxHashSet<String> = Default::default();
    for r in raw {
        if r.kind != BlockKind::Paragraph
            && r.text.chars().count() >= 20
            && !seen.insert(r.text.clone())
        {
            continue;
        }
        typed(r, &mut blocks);
    }
    label_followers(&mut blocks);
    teaser_summaries(&mut blocks);
    gallery_slides(&mut blocks);
    blocks
}

/// The counter a gallery's slide opens with ("3/50 …"): its number and the gallery's size.
fn slide_counter(text: &str) -> Option<(usize, usize)> {
    let (number, rest) = text.split_once('/')?;
    let total: String = rest.chars().take_while(char::is_ascii_digit).collect();
    Some((number.trim().parse().ok()?, total.parse().ok()?))
}

/// A gallery shown as slides ("1/50 United goin down", its text, its credit, "2/50 …"):
/// three or more counters of one gallery in order — the slides' headings and text are
/// captions, not the article's.
fn gallery_slides(blocks: &mut [Block]) {
    let counters: Vec<(usize, (usize, usize))> = blocks
        .iter()
        .enumerate()
        .filter(|(_, b)| b.kind.is_body())
        .filter_map(|(i, b)| slide_counter(&b.text).map(|c| (i, c)))
        .collect();
    let mut run_start = 0;
    for k in 1..=counters.len() {
        let continues = k < counters.len() && {
            let ((_, (n0, t0)), (_, (n1, t1))) = (counters[k - 1], counters[k]);
            t0 == t1 && n1 == n0 + 1 && t0 >= 3
        };
        if continues {
            continue;
        }
        if k - run_start >= 3 {
            let first = counters[run_start].0;
            let last = counters[k - 1].0;
            // The last slide's text: the (at most two) blocks after its counter, short of a
            // heading.
            let end = (last + 1..blocks.len().min(last + 3))
                .take_while(|&i| blocks[i].kind != BlockKind::Heading)
                .last()
                .map_or(last + 1, |i| i + 1);
            for block in &mut blocks[first..end] {
                if block.kind.is_body() {
                    block.kind = BlockKind::Caption;
                }
            }
        }
        run_start = k;
    }
}

/// Under a teaser heading ("Recommended for You", "Lire aussi"), a run of linked headlines each
/// followed by one short paragraph is other articles with their summaries: the summaries are
/// teasers too. The run ends at the first paragraph that no headline link introduces.
fn teaser_summaries(blocks: &mut [Block]) {
    let mut i = 0;
    while i < blocks.len() {
        if blocks[i].kind != BlockKind::Teaser || blocks[i].text.chars().count() > 60 {
            i += 1;
            continue;
        }
        // The run: (linked headline, summary) pairs from i + 1 to k.
        let mut k = i + 1;
        while k + 1 < blocks.len()
            && blocks[k].kind == BlockKind::Links
            && blocks[k + 1].kind == BlockKind::Paragraph
            && blocks[k + 1].text.chars().count() <= kinds::MAX_SUMMARY_CHARS
        {
            k += 2;
        }
        if k - (i + 1) >= 4 {
            for summary in (i + 2..k).step_by(2) {
                blocks[summary].kind = BlockKind::Teaser;
            }
        }
        i = k;
    }
}

/// The runs of text of `containers` with the kind their elements give them.
fn gather(dom: &Dom, containers: &[u32], dead: &[bool], host: Option<&str>) -> Vec<Raw> {
    let hints = hints(dom, dead);
    let mut blocks = Vec::new();
    for &container in containers {
        let mut pending = Pending::default();
        // Open elements: (tag, the node after its subtree).
        let mut open: Vec<(&str, u32)> = Vec::new();
        // Open lists: (node, the node after its subtree).
        let mut lists: Vec<(u32, u32)> = Vec::new();
        let mut i = container;
        let end = dom.nodes[container as usize].end;
        while i < end {
            while lists.last().is_some_and(|&(_, until)| until <= i) {
                lists.pop();
            }
            while open.last().is_some_and(|&(_, until)| until <= i) {
                let (tag, _) = open.pop().expect("an open element");
                if is_block_tag(tag) {
                    flush(&mut pending, &mut blocks);
                }
            }
            if dead[i as usize] {
                i = dom.nodes[i as usize].end;
                continue;
            }
            match (dom.element(i), dom.text(i)) {
                (Some(e), _) => {
                    if is_block_tag(e.tag()) {
                        flush(&mut pending, &mut blocks);
                    } else if matches!(e.tag(), "td" | "th") {
                        push_space(&mut pending.text);
                    }
                    if matches!(e.tag(), "ul" | "ol") {
                        lists.push((i, dom.nodes[i as usize].end));
                    }
                    if e.tag() == "a" {
                        pending.links += 1;
                        if e.attr("href").is_some_and(|h| is_external(h, host)) {
                            pending.external_links += 1;
                        }
                    }
                    open.push((e.tag(), dom.nodes[i as usize].end));
                }
                (None, Some(t)) => {
                    // Only what this text adds is counted (a paragraph of many inline runs
                    // would otherwise be counted again at each of them).
                    let before = pending.text.len();
                    push_collapsed(&mut pending.text, t);
                    if open.iter().any(|&(tag, _)| tag == "a") {
                        pending.link_chars += pending.text[before..].chars().count();
                    }
                    if pending.kind.is_none() && !t.trim().is_empty() {
                        let tags: Vec<&str> = open.iter().map(|(t, _)| *t).collect();
                        pending.kind = Some(match hints[i as usize] {
                            Hint::Caption => BlockKind::Caption,
                            Hint::Credit => BlockKind::Credit,
                            Hint::None => kind_of(&tags),
                        });
                        pending.list = lists.last().map(|l| l.0);
                    }
                }
                (None, None) => {}
            }
            i += 1;
        }
        flush(&mut pending, &mut blocks);
    }
    blocks
}

/// End the pending block.
fn flush(pending: &mut Pending, blocks: &mut Vec<Raw>) {
    let Pending {
        text,
        link_chars,
        kind,
        list,
        external_links,
        links,
    } = std::mem::take(pending);
    let text = text.trim();
    if text.is_empty() || !text.chars().any(char::is_alphanumeric) {
        return;
    }
    blocks.push(Raw {
        kind: kind.unwrap_or(BlockKind::Paragraph),
        text: text.to_string(),
        link_chars,
        list,
        external_links,
        links,
    });
}

/// Whether a link goes to another site than `host` (unknown host: nothing is external).
fn is_external(href: &str, host: Option<&str>) -> bool {
    let Some(host) = host else {
        return false;
    };
    let Some(rest) = href
        .strip_prefix("https://")
        .or_else(|| href.strip_prefix("http://"))
        .or_else(|| href.strip_prefix("//"))
    else {
        return false;
    };
    let target = rest.split(['/', '?', '#', ':']).next().unwrap_or("");
    let root = |h: &str| {
        let parts: Vec<&str> = h.rsplitn(3, '.').collect();
        parts
            .iter()
            .take(2)
            .rev()
            .copied()
            .collect::<Vec<_>>()
            .join(".")
    };
    root(&target.to_ascii_lowercase()) != root(&host.to_ascii_lowercase())
}

/// Lists of links — three items or more, nearly all with a link, a third of their text linked,
/// headline-long ("More stories", "Related") — are link lists, and the short line that introduces one is a
/// teaser.
fn mark_link_lists(raw: &mut [Raw]) {
    let mut i = 0;
    while i < raw.len() {
        let Some(list) = raw[i].list.filter(|_| raw[i].kind == BlockKind::List) else {
            i += 1;
            continue;
        };
        let end = raw[i..]
            .iter()
            .position(|r| r.list != Some(list))
            .map_or(raw.len(), |p| i + p);
        let items = &raw[i..end];
        let linked = items.iter().filter(|r| r.link_chars > 0).count();
        let chars: usize = items.iter().map(|r| r.text.chars().count()).sum();
        let link_chars: usize = items.iter().map(|r| r.link_chars).sum();
        let headline_length = chars <= 150 * items.len();
        // Links mostly to other sites: the sources the article cites, not the site's own.
        let links: usize = items.iter().map(|r| r.links).sum();
        let external: usize = items.iter().map(|r| r.external_links).sum();
        let dated = items
            .iter()
            .filter(|r| kinds::starts_with_date(&r.text))
            .count();
        let citations = external * 2 > links || dated * 2 > items.len();
        if items.len() >= 3
            && !citations
            && headline_length
            && linked * 10 >= items.len() * 8
            && link_chars * 3 >= chars
        {
            for r in &mut raw[i..end] {
                r.kind = BlockKind::Links;
            }
            if let Some(intro) = i.checked_sub(1).map(|p| &mut raw[p]) {
                if intro.text.chars().count() <= 80 && !intro.text.ends_with('.') {
                    intro.kind = BlockKind::Teaser;
                }
            }
        }
        i = end;
    }
}

/// The block after a bare "Tags" or "Mots-clés" label is the list of tags.
fn label_followers(blocks: &mut [Block]) {
    for i in 1..blocks.len() {
        let label = &blocks[i - 1];
        if label.kind == BlockKind::Tags
            && label.text.split_whitespace().count() <= 2
            && blocks[i].kind.is_prose()
            && blocks[i].text.chars().count() <= 400
        {
            blocks[i].kind = BlockKind::Tags;
        }
    }
}

/// The block typed by its text, and split where a caption ends with a credit.
fn typed(raw: Raw, blocks: &mut Vec<Block>) {
    let Raw {
        kind,
        text,
        link_chars,
        ..
    } = raw;
    let chars = text.chars().count();
    let mut kind = kind;
    if let Some(furniture) = kinds::furniture_kind(&text) {
        kind = furniture;
    } else if kind != BlockKind::Links
        && !(kind == BlockKind::List && kinds::starts_with_date(&text))
        && link_chars * 2 > chars
        && chars < 200
        && text.contains(char::is_whitespace)
    {
        // One linked token (an address, a URL) is data the text gives, not a link list.
        kind = BlockKind::Links;
    }
    if kind == BlockKind::Caption {
        if let Some((caption, credit)) = kinds::split_trailing_credit(&text) {
            blocks.push(Block::new(BlockKind::Caption, caption));
            blocks.push(Block::new(BlockKind::Credit, credit));
            return;
        }
    }
    blocks.push(Block::new(kind, text));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::article::prune::dead_nodes;

    fn blocks(page: &str) -> Vec<(BlockKind, String)> {
        let dom = Dom::parse(page);
        let dead = dead_nodes(&dom);
        let body = dom.find_all("body").next().unwrap();
        blocks_of(&dom, &[body], &dead, None)
            .into_iter()
            .map(|b| (b.kind, b.text))
            .collect()
    }

    #[test]
    fn blocks_are_typed_by_their_element_and_their_text() {
        let got = blocks(
            "<body><h2>Un <em>titre</em></h2><p>Un paragraphe, <a href=x>un lien</a> et la suite.</p>\
             <ul><li>premier</li><li>second</li></ul><blockquote><p>« Citation. »</p></blockquote>\
             <figure><img src=a><figcaption>Des manifestants à Paris, samedi. STEPHANE DE SAKUTIN / AFP</figcaption></figure>\
             <p><a href=1>Autre article</a> <a href=2>Encore un</a></p><p>Lire aussi : la suite</p>\
             <table><tr><td>a</td><td>b</td></tr></table></body>",
        );
        use BlockKind::*;
        let expected = [
            (Heading, "Un titre"),
            (Paragraph, "Un paragraphe, un lien et la suite."),
            (List, "premier"),
            (List, "second"),
            (Quote, "« Citation. »"),
            (Caption, "Des manifestants à Paris, samedi."),
            (Credit, "STEPHANE DE SAKUTIN / AFP"),
            (Links, "Autre article Encore un"),
            (Teaser, "Lire aussi : la suite"),
            (Paragraph, "a b"),
        ];
        let got: Vec<(BlockKind, &str)> = got.iter().map(|(k, t)| (*k, t.as_str())).collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn a_table_set_in_a_figure_is_the_table_and_its_caption_a_caption() {
        let got = blocks(
            "<body><figure class='wp-block-table'><table><tr><td>1</td><td>State Farm Group</td>\
             <td>107,764,591</td></tr></table><figcaption>Premiums written in 2024</figcaption>\
             </figure><figure><img src=a><p>A figure's own text</p></figure></body>",
        );
        use BlockKind::*;
        let got: Vec<(BlockKind, &str)> = got.iter().map(|(k, t)| (*k, t.as_str())).collect();
        assert_eq!(
            got,
            [
                (Paragraph, "1 State Farm Group 107,764,591"),
                (Caption, "Premiums written in 2024"),
                (Caption, "A figure's own text"),
            ]
        );
    }

    #[test]
    fn summaries_under_a_teaser_heading_are_teasers_until_the_text_resumes() {
        let teaser = |n: usize| {
            format!(
                "<h3><a href='/a{n}'>Un autre article numéro {n} sur la ville</a></h3>\
                 <p>Le résumé de cet autre article, en une phrase ou deux.</p>"
            )
        };
        let got = blocks(&format!(
            "<body><p>Le texte de l'article, qui parle du budget.</p><h2>Recommandé pour vous</h2>\
             {}{}<p>Un paragraphe que rien n'annonce.</p></body>",
            teaser(1),
            teaser(2)
        ));
        use BlockKind::*;
        let kinds: Vec<BlockKind> = got.iter().map(|(k, _)| *k).collect();
        assert_eq!(
            kinds,
            [Paragraph, Teaser, Links, Teaser, Links, Teaser, Paragraph],
            "{got:?}"
        );
    }

    #[test]
    fn a_gallery_shown_as_numbered_slides_is_captions() {
        let slide = |n: usize| {
            format!(
                "<h3>{n}/4 Le marché de Noël</h3><p>Les chalets ouvrent samedi sur la place, \
                 avec des artisans venus de toute la région.</p><p>AFP</p>"
            )
        };
        let slides: String = (1..=4).map(slide).collect();
        let got = blocks(&format!(
            "<body><p>Le texte de l'article, qui parle du budget.</p>{slides}\
             <h2>La suite</h2><p>Le texte reprend ici.</p><p>1/2 n'est pas une galerie.</p></body>"
        ));
        use BlockKind::*;
        let kinds: Vec<BlockKind> = got.iter().map(|(k, _)| *k).collect();
        let mut expected = vec![Paragraph];
        for _ in 0..4 {
            expected.extend([Caption, Caption, Credit]);
        }
        expected.extend([Heading, Paragraph, Paragraph]);
        assert_eq!(kinds, expected, "{got:?}");
    }
}

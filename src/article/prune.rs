//! What a page holds that is never article text: elements that carry no prose (scripts, forms'
//! controls, embedded media, navigation, page headers and footers, asides), hidden elements, and
//! containers whose class or id names them as the page's furniture (share bars, related
//! articles, comments, newsletters, ads, cookie banners). A container that holds most of the
//! page's text is kept whatever its name (a `<body class="has-sidebar">`), except comments.

use super::dom::{Dom, NONE};
use super::names::Names;

/// Elements whose whole subtree is dropped (`rt`/`rp`: a ruby's reading aid, furigana over
/// Japanese kanji, which is not the text).
const DROP_TAGS: &[&str] = &[
    "head", "script", "style", "noscript", "template", "svg", "math", "canvas", "iframe", "object",
    "embed", "video", "audio", "source", "track", "map", "button", "select", "input", "textarea",
    "option", "optgroup", "datalist", "label", "nav", "dialog", "menu", "menuitem", "link", "meta",
    "title", "base", "rt", "rp",
];

/// Elements that are the page's furniture unless they hold the article (a site built with
/// `<header class="blog-post-content">` wraps its text in one).
const FURNITURE_TAGS: &[&str] = &["header", "footer", "aside"];

/// Tags never removed for their class or id.
const STRUCTURAL_TAGS: &[&str] = &["html", "body", "main", "article", "#document"];

/// Which nodes are outside the article's possible text: `dead[i]` for node i and its subtree.
pub fn dead_nodes(dom: &Dom) -> Vec<bool> {
    dead_nodes_by(dom, true)
}

/// [`dead_nodes`] without judging containers by their class or id (hidden elements and the
/// tags that never hold text still go): the second reading of a page whose names left no
/// article at all (its story in a `content-nav-section`).
pub fn dead_nodes_unnamed(dom: &Dom) -> Vec<bool> {
    dead_nodes_by(dom, false)
}

fn dead_nodes_by(dom: &Dom, by_name: bool) -> Vec<bool> {
    let n = dom.nodes.len();
    let mut dead = vec![false; n];
    for i in 0..n {
        let parent = dom.nodes[i].parent;
        if parent != NONE && dead[parent as usize] {
            dead[i] = true;
            continue;
        }
        if let Some(e) = dom.element(i as u32) {
            dead[i] = DROP_TAGS.contains(&e.tag());
        }
    }
    // Furniture by name, and hidden elements, unless they hold most of the text or of its long
    // paragraphs (a blog's post sits in a "widget" on some platforms; pages streamed by React
    // render the article into a hidden element a script then reveals).
    let text = text_sizes(dom, &dead);
    let total = text[0].max(1);
    let prose = long_paragraph_text(dom, &dead, &text);
    let total_prose = prose[0].max(1);
    let marked = marked_articles_within(dom, &dead, &prose);
    let siblings = same_named_siblings_prose(dom, &dead, &prose);
    let mut furniture = vec![false; n];
    for (i, flag) in furniture.iter_mut().enumerate() {
        if dead[i] {
            continue;
        }
        let Some(e) = dom.element(i as u32) else {
            continue;
        };
        if STRUCTURAL_TAGS.contains(&e.tag()) {
            continue;
        }
        let live = e.names.has(Names::LIVE);
        let always = by_name && e.names.has(Names::ALWAYS_REMOVED) && !live;
        let named = always
            || by_name && e.names.has(Names::FURNITURE) && !live
            || is_hidden(e)
            || FURNITURE_TAGS.contains(&e.tag());
        let holds_the_article = text[i] * 10 >= total * 4
            || prose[i] * 2 >= total_prose && prose[i] >= MIN_ARTICLE_PROSE
            || marked[i] > 0
            || siblings[i] * 2 >= total_prose && siblings[i] >= MIN_ARTICLE_PROSE;
        *flag = named && (always || !holds_the_article);
    }
    for i in 0..n {
        let parent = dom.nodes[i].parent;
        if furniture[i] || (parent != NONE && dead[parent as usize]) {
            dead[i] = true;
        }
    }
    dead
}

/// How many `<article>` or `<main>` elements with an article's prose each element holds: the
/// page's own markup of where its article is outweighs a class name on a wrapper around it (a
/// news site that shows its story in a `render-target-modal`).
fn marked_articles_within(dom: &Dom, dead: &[bool], prose: &[usize]) -> Vec<usize> {
    let marked = |i: usize| {
        let tag = dom.tag(i as u32);
        ((tag == "article" || tag == "main") && prose[i] >= MIN_ARTICLE_PROSE).then_some(1)
    };
    subtree_sums(dom, dead, marked)
}

/// The long-paragraph prose of each element together with its siblings of the same class: an
/// article cut into sections of one class (`skip-item` for each topic) holds the article as a
/// whole, not in any one of them.
fn same_named_siblings_prose(dom: &Dom, dead: &[bool], prose: &[usize]) -> Vec<usize> {
    let mut groups: std::collections::HashMap<(u32, &str), usize> = Default::default();
    let named = |i: usize| {
        let e = dom.element(i as u32)?;
        let parent = dom.nodes[i].parent;
        // Only furniture names are in question (and siblings of one class share their names).
        let furniture = e.names.has(Names::FURNITURE) || e.names.has(Names::ALWAYS_REMOVED);
        (furniture && !dead[i] && parent != NONE && !e.class().is_empty())
            .then(|| (parent, e.class()))
    };
    for (i, &mass) in prose.iter().enumerate() {
        if let Some(key) = named(i) {
            *groups.entry(key).or_default() += mass;
        }
    }
    (0..dom.nodes.len())
        .map(|i| named(i).map_or(prose[i], |key| groups[&key]))
        .collect()
}

/// Long paragraphs a container must hold, at the least, to be kept as the article whatever
/// its name (a footer's one long "about us" paragraph can be half the long prose of a page).
const MIN_ARTICLE_PROSE: usize = 600;

/// Paragraphs this long are article text wherever they sit.
const LONG_PARAGRAPH_CHARS: usize = 150;

/// Characters of long paragraphs (`<p>` of [`LONG_PARAGRAPH_CHARS`] or more) in each subtree.
fn long_paragraph_text(dom: &Dom, dead: &[bool], text: &[usize]) -> Vec<usize> {
    let long =
        |i: usize| (dom.tag(i as u32) == "p" && text[i] >= LONG_PARAGRAPH_CHARS).then_some(text[i]);
    subtree_sums(dom, dead, long)
}

/// Each live node's `own` value where it has one (what its subtree summed is then replaced),
/// else the sum of its children's; dead subtrees count nothing.
fn subtree_sums(dom: &Dom, dead: &[bool], own: impl Fn(usize) -> Option<usize>) -> Vec<usize> {
    let mut sums = vec![0usize; dom.nodes.len()];
    for i in (0..dom.nodes.len()).rev() {
        if dead[i] {
            continue;
        }
        if let Some(value) = own(i) {
            sums[i] = value;
        }
        let parent = dom.nodes[i].parent;
        if parent != NONE {
            sums[parent as usize] += sums[i];
        }
    }
    sums
}

/// Elements a browser would not show.
fn is_hidden(e: &super::dom::Element) -> bool {
    if e.attr("hidden").is_some() || e.attr("aria-hidden") == Some("true") {
        return true;
    }
    e.attr("style").is_some_and(|s| {
        let s: String = s
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase();
        s.contains("display:none") || s.contains("visibility:hidden")
    })
}

/// Characters of live text in each node's subtree (whitespace runs counted once).
pub fn text_sizes(dom: &Dom, dead: &[bool]) -> Vec<usize> {
    let chars = |i: usize| dom.text(i as u32).map(|_| dom.nodes[i].chars as usize);
    subtree_sums(dom, dead, chars)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live_text(page: &str) -> String {
        let dom = Dom::parse(page);
        let dead = dead_nodes(&dom);
        let body = dom.find_all("body").next().unwrap();
        dom.text_of(body, &|i| dead[i as usize])
    }

    #[test]
    fn furniture_and_hidden_elements_are_dropped() {
        let text = live_text(
            "<body><nav>Accueil Monde</nav><div class='share-buttons'>Partager</div>\
             <p>Le texte de l'article, assez long pour compter comme l'essentiel de la page entière.</p>\
             <p style='display: none'>caché</p><div id='comments'>Un commentaire</div>\
             <script>var x = 1;</script><footer>Mentions légales</footer></body>",
        );
        assert_eq!(
            text,
            "Le texte de l'article, assez long pour compter comme l'essentiel de la page entière."
        );
    }

    /// A paragraph long enough to count as prose (three sentences of "Une phrase").
    fn long_paragraph() -> String {
        "Une phrase de l'article, assez longue pour en faire un vrai paragraphe de prose. "
            .repeat(3)
    }

    #[test]
    fn an_article_element_outweighs_its_wrappers_name() {
        // The story sits in a "modal" (a news site's story view), beside a longer stream of
        // teasers: the <article> holding long paragraphs keeps its wrappers.
        let para = long_paragraph();
        let teasers = format!("<p>{para}</p>").repeat(4);
        let page = format!(
            "<body><div class='render-target-modal'><article><p>{para}</p><p>{para}</p>\
             <p>{para}</p></article></div><div class='modal'><p>{para}</p></div>\
             <div class='stream'>{teasers}</div></body>"
        );
        let text = live_text(&page);
        assert_eq!(text.matches("Une phrase").count(), 3 * 3 + 4 * 3, "{text}");
        // Without the <article>, the "modal" goes as before.
        let text = live_text(&page.replace("article>", "section>"));
        assert_eq!(text.matches("Une phrase").count(), 4 * 3, "{text}");
    }

    #[test]
    fn an_article_cut_into_sections_of_one_furniture_class_is_kept() {
        // Each topic of the article in its own "skip-item" (a furniture word), none holding
        // half of the page's prose, all of them together most of it.
        let para = long_paragraph();
        let topics = format!("<div class='skip-item'><p>{para}</p><p>{para}</p></div>").repeat(3);
        let page = format!(
            "<body><div class='post'>{topics}</div><div class='skip-link'><p>{para}</p></div>\
             <div class='other'><p>{para}</p></div></body>"
        );
        let text = live_text(&page);
        assert_eq!(text.matches("Une phrase").count(), 3 * 2 * 3 + 3, "{text}");
    }

    #[test]
    fn a_wrapper_holding_most_of_the_text_is_kept_whatever_its_name() {
        let text = live_text(
            "<body><div class='layout-with-sidebar'><p>Tout le texte de l'article est ici.</p></div>\
             <div class='sidebar'>Les plus lus</div></body>",
        );
        assert_eq!(text, "Tout le texte de l'article est ici.");
    }
}

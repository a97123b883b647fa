//! Where the article is on the page: every paragraph of live text scores its ancestors (longer
//! paragraphs with more commas score more, and the score fades with the distance, as in
//! Readability); a container's score is weighed by its tag, its class and id words and its link
//! density; the best container is taken with those of its siblings that score nearly as well or
//! hold clean paragraphs of their own (articles split into several containers). Structured
//! hints (`itemprop="articleBody"`) win when they hold real text.

use super::dom::{Dom, NONE};
use super::names::Names;

/// Paragraphs shorter than this (characters) do not vote.
const MIN_PARAGRAPH_CHARS: usize = 25;

/// Commas in the scripts a page may be written in (Latin, CJK full-width and enumeration,
/// Arabic), each a vote that a paragraph is prose.
const COMMAS: [char; 4] = [',', '，', '、', '،'];

/// Elements whose text is a paragraph for scoring.
const PARAGRAPH_TAGS: &[&str] = &["p", "pre", "td", "blockquote", "li", "dd"];

/// The article's containers, in document order (one, or siblings that hold its parts).
pub fn containers(dom: &Dom, dead: &[bool]) -> Vec<u32> {
    let stats = Stats::compute(dom, dead);
    if let Some(hinted) = hinted_container(dom, dead, &stats) {
        return vec![hinted];
    }
    let scores = candidate_scores(dom, dead, &stats);
    let mut ranked: Vec<u32> = (0..dom.nodes.len() as u32)
        .filter(|&i| scores[i as usize] > 0.0)
        .collect();
    ranked.sort_by(|&a, &b| scores[b as usize].total_cmp(&scores[a as usize]));
    let Some(&top) = ranked.first() else {
        return Vec::new();
    };
    let top = common_container(dom, &scores, &ranked[..ranked.len().min(5)], top);
    let top = whole_article(dom, dead, &stats, top);
    let mut chosen = with_siblings(dom, dead, &stats, &scores, top);
    for part in parts_like(dom, &scores, &ranked, top) {
        if !chosen
            .iter()
            .any(|&c| dom.contains(c, part) || dom.contains(part, c))
        {
            chosen.push(part);
        }
    }
    chosen.sort_unstable();
    chosen
}

/// The other parts of an article cut into several containers of the same kind (the same tag
/// and class as the top one: "article__body", "post__content"), each scoring a sixth of the
/// top's at least.
fn parts_like(dom: &Dom, scores: &[f64], ranked: &[u32], top: u32) -> Vec<u32> {
    let Some(e) = dom.element(top) else {
        return Vec::new();
    };
    if e.class().trim().is_empty() {
        return Vec::new();
    }
    ranked
        .iter()
        .copied()
        .take_while(|&c| scores[c as usize] * 6.0 >= scores[top as usize])
        .filter(|&c| c != top && !dom.contains(c, top) && !dom.contains(top, c))
        .filter(|&c| {
            dom.element(c)
                .is_some_and(|o| o.tag() == e.tag() && o.class() == e.class())
        })
        .collect()
}

/// The article around the top container when the top is one section of it: an ancestor
/// ([`Tuning::levels`] up at most, never the body) that holds half again as much prose —
/// paragraphs with few links — and is itself mostly prose with few links. Articles written as a run of sections (a
/// heading and its paragraphs in each of a dozen `<div>`s) score each section apart, and the
/// best section alone is a fraction of the text.
fn whole_article(dom: &Dom, dead: &[bool], stats: &Stats, top: u32) -> u32 {
    let tuning = tuning();
    let prose = prose_mass(dom, dead, stats);
    let mut best = top;
    for a in dom.ancestors(top).take(tuning.levels) {
        if matches!(dom.tag(a), "body" | "html" | "#document") {
            break;
        }
        let (p, text) = (prose[a as usize] as f64, stats.text[a as usize] as f64);
        if p >= prose[best as usize] as f64 * tuning.growth
            && p >= text * tuning.prose_share
            && stats.link_density(a) < tuning.max_links
        {
            best = a;
        }
    }
    best
}

/// The settings of [`whole_article`]: chosen by leave-one-source-out over the extraction
/// benchmark's page sets (`eval-web --loso` tries others; the library never changes them).
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tuning {
    /// How much more prose an ancestor must hold than the container it replaces.
    pub growth: f64,
    /// The least share of an ancestor's text its prose must be.
    pub prose_share: f64,
    /// The most link density an ancestor may have.
    pub max_links: f64,
    /// How many levels up the article may be (page builders nest a post six deep).
    pub levels: usize,
}

impl Default for Tuning {
    fn default() -> Self {
        // What every leave-one-source-out fold chose (`eval-web --loso`, README).
        Tuning {
            growth: 1.5,
            prose_share: 0.7,
            max_links: 0.15,
            levels: 8,
        }
    }
}

static TUNING: std::sync::RwLock<Option<Tuning>> = std::sync::RwLock::new(None);

fn tuning() -> Tuning {
    TUNING
        .read()
        .map(|t| t.unwrap_or_default())
        .unwrap_or_default()
}

/// Extract with other settings from now on (the benchmark's leave-one-source-out search).
#[doc(hidden)]
pub fn set_tuning(tuning: Tuning) {
    if let Ok(mut t) = TUNING.write() {
        *t = Some(tuning);
    }
}

/// Whether a paragraph is long enough to vote and is the outermost of nested paragraphs (they
/// vote once, through the outermost).
fn votes(dom: &Dom, stats: &Stats, at: u32) -> bool {
    stats.text[at as usize] >= MIN_PARAGRAPH_CHARS
        && !dom
            .ancestors(at)
            .take(3)
            .any(|a| PARAGRAPH_TAGS.contains(&dom.tag(a)))
}

/// Characters of prose paragraphs in each subtree: voting paragraphs (as in
/// [`candidate_scores`]) with a link density under a quarter.
fn prose_mass(dom: &Dom, dead: &[bool], stats: &Stats) -> Vec<usize> {
    let n = dom.nodes.len();
    let mut mass = vec![0usize; n];
    for i in (0..n).rev() {
        if dead[i] {
            continue;
        }
        let at = i as u32;
        if is_paragraph(dom, stats, at) && votes(dom, stats, at) && stats.link_density(at) < 0.25 {
            // The paragraph's own text; what was summed from inside it is replaced.
            mass[i] = stats.text[i];
        }
        let parent = dom.nodes[i].parent;
        if parent != NONE {
            mass[parent as usize] += mass[i];
        }
    }
    mass
}

/// An article cut into parts scores several nearly equal containers: when another of the best
/// five scores within three quarters of the top and shares a near ancestor with it (three levels
/// up at most), that ancestor is the article (after Readability's promotion of the ancestor of
/// three such candidates).
fn common_container(dom: &Dom, scores: &[f64], best: &[u32], top: u32) -> u32 {
    let ancestors: Vec<u32> = dom.ancestors(top).take(3).collect();
    best.iter()
        .copied()
        .filter(|&c| {
            c != top
                && scores[c as usize] >= 0.75 * scores[top as usize]
                && !dom.contains(c, top)
                && !dom.contains(top, c)
        })
        .filter_map(|c| ancestors.iter().copied().find(|&a| dom.contains(a, c)))
        .filter(|&a| !matches!(dom.tag(a), "body" | "html" | "#document"))
        .min_by_key(|&a| std::cmp::Reverse(dom.nodes[a as usize].depth))
        .unwrap_or(top)
}

/// Per-node sizes: live text, text inside links, and characters of voting paragraphs.
pub struct Stats {
    pub text: Vec<usize>,
    pub link_text: Vec<usize>,
    /// Whether the subtree below the node holds a block element.
    pub has_block: Vec<bool>,
    /// Characters and commas of the node's own text children (text directly inside it).
    pub direct_text: Vec<usize>,
    pub direct_commas: Vec<usize>,
}

/// Elements that make their container more than a paragraph.
const BLOCK_TAGS: &[&str] = &[
    "p",
    "div",
    "section",
    "article",
    "table",
    "ul",
    "ol",
    "blockquote",
    "pre",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
];

impl Stats {
    pub fn compute(dom: &Dom, dead: &[bool]) -> Self {
        let n = dom.nodes.len();
        let mut text = vec![0usize; n];
        let mut link_text = vec![0usize; n];
        let mut has_block = vec![false; n];
        let mut direct_text = vec![0usize; n];
        let mut direct_commas = vec![0usize; n];
        for i in (0..n).rev() {
            if dead[i] {
                continue;
            }
            let parent = dom.nodes[i].parent;
            if let Some(t) = dom.text(i as u32) {
                text[i] = dom.nodes[i].chars as usize;
                if parent != NONE {
                    direct_text[parent as usize] += text[i];
                    direct_commas[parent as usize] += t.matches(COMMAS).count();
                }
            }
            if dom.tag(i as u32) == "a" {
                link_text[i] = text[i];
            }
            if parent != NONE {
                text[parent as usize] += text[i];
                link_text[parent as usize] += link_text[i];
                if has_block[i] || BLOCK_TAGS.contains(&dom.tag(i as u32)) {
                    has_block[parent as usize] = true;
                }
            }
        }
        Stats {
            text,
            link_text,
            has_block,
            direct_text,
            direct_commas,
        }
    }

    pub fn link_density(&self, at: u32) -> f64 {
        let at = at as usize;
        self.link_text[at] as f64 / self.text[at].max(1) as f64
    }
}

/// A container that says it is the article body and holds most of the page's paragraph text.
fn hinted_container(dom: &Dom, dead: &[bool], stats: &Stats) -> Option<u32> {
    let hinted: Vec<u32> = (0..dom.nodes.len() as u32)
        .filter(|&i| !dead[i as usize])
        .filter(|&i| {
            dom.element(i)
                .is_some_and(|e| e.attr("itemprop").is_some_and(|p| p == "articleBody"))
        })
        .collect();
    let best = hinted.into_iter().max_by_key(|&i| stats.text[i as usize])?;
    let body = dom.find_all("body").next().unwrap_or(0);
    let share = stats.text[best as usize] as f64 / stats.text[body as usize].max(1) as f64;
    (stats.text[best as usize] >= 200 && share >= 0.2 && stats.link_density(best) < 0.3)
        .then_some(best)
}

/// The class weight of an element: +25 for article words, −25 for furniture words.
fn class_weight(dom: &Dom, at: u32) -> f64 {
    let Some(e) = dom.element(at) else { return 0.0 };
    let mut weight = 0.0;
    if e.names.has(Names::CONTENT) {
        weight += 25.0;
    }
    if e.names.has(Names::OTHER) {
        weight -= 25.0;
    }
    if e.attr("itemprop") == Some("articleBody") || e.tag() == "article" || e.tag() == "main" {
        weight += 15.0;
    }
    weight
}

fn tag_weight(tag: &str) -> f64 {
    match tag {
        "div" | "article" | "main" | "section" => 5.0,
        "pre" | "td" | "blockquote" => 3.0,
        "address" | "ol" | "ul" | "dl" | "dd" | "dt" | "li" | "form" => -3.0,
        "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "th" => -5.0,
        _ => 0.0,
    }
}

/// Whether `at` counts as a paragraph: a paragraph tag, or a container whose own text (outside
/// child elements that are blocks) makes it one.
fn is_paragraph(dom: &Dom, stats: &Stats, at: u32) -> bool {
    let tag = dom.tag(at);
    // A div with no block inside it is a paragraph (Readability's div-to-p).
    PARAGRAPH_TAGS.contains(&tag)
        || matches!(tag, "div" | "section") && !stats.has_block[at as usize]
}

/// Readability's scores: each paragraph gives 1 + commas + (length / 100, at most 3) to its
/// parent, half to its grandparent, and a third of the level to the levels above (five at most);
/// each scored container starts from its tag and class weights and is scaled by
/// (1 − link density).
fn candidate_scores(dom: &Dom, dead: &[bool], stats: &Stats) -> Vec<f64> {
    let n = dom.nodes.len();
    let mut scores = vec![0.0f64; n];
    let mut touched = vec![false; n];
    let mut vote = |from: u32, chars: usize, commas: usize, first_level: usize| {
        let score = 1.0 + commas as f64 + (chars as f64 / 100.0).floor().min(3.0);
        let levels = std::iter::once(from)
            .filter(|_| first_level == 0)
            .chain(dom.ancestors(from));
        for (level, ancestor) in levels.take(5).enumerate() {
            let a = ancestor as usize;
            if dom.element(ancestor).is_none() || dom.tag(ancestor) == "#document" {
                break;
            }
            if !touched[a] {
                touched[a] = true;
                scores[a] = tag_weight(dom.tag(ancestor)) + class_weight(dom, ancestor);
            }
            let divider = match level {
                0 => 1.0,
                1 => 2.0,
                _ => level as f64 * 3.0,
            };
            scores[a] += score / divider;
        }
    };
    for i in 0..n as u32 {
        if dead[i as usize] {
            continue;
        }
        if is_paragraph(dom, stats, i) {
            if !votes(dom, stats, i) {
                continue;
            }
            // A list item under a linked headline is a teaser of another page (a stream of
            // them outscores a short article), not a paragraph of this one.
            if dom.tag(i) == "li"
                && stats.link_text[i as usize] >= 25
                && stats.link_density(i) >= 0.2
            {
                continue;
            }
            let text = dom.text_of(i, &|j| dead[j as usize]);
            let commas = text.matches(COMMAS).count();
            vote(i, text.chars().count(), commas, 1);
        } else if stats.direct_text[i as usize] >= MIN_PARAGRAPH_CHARS
            && matches!(
                dom.tag(i),
                "div" | "section" | "article" | "main" | "td" | "blockquote" | "center" | "form"
            )
        {
            // Text written straight into a container, between its blocks, is a paragraph of
            // that container (Readability wraps such runs in paragraphs).
            vote(
                i,
                stats.direct_text[i as usize],
                stats.direct_commas[i as usize],
                0,
            );
        }
    }
    for (i, score) in scores.iter_mut().enumerate() {
        if touched[i] {
            *score *= 1.0 - stats.link_density(i as u32);
        } else {
            *score = 0.0;
        }
    }
    scores
}

/// The top container and those of its siblings that belong to the article: a score of at
/// least a fifth of the top's (and 10), or a paragraph of clean text of its own.
fn with_siblings(dom: &Dom, dead: &[bool], stats: &Stats, scores: &[f64], top: u32) -> Vec<u32> {
    let parent = dom.nodes[top as usize].parent;
    if parent == NONE {
        return vec![top];
    }
    let threshold = (scores[top as usize] * 0.2).max(10.0);
    let top_class = dom
        .element(top)
        .map(|e| e.class().to_string())
        .unwrap_or_default();
    let mut chosen = Vec::new();
    let mut child = parent + 1;
    let end = dom.nodes[parent as usize].end;
    while child < end {
        let next = dom.nodes[child as usize].end;
        // Prose written straight into the parent, beside the container (an introduction).
        if !dead[child as usize]
            && dom.text(child).is_some_and(|t| {
                dom.nodes[child as usize].chars >= 80 && super::kinds::ends_like_a_sentence(t)
            })
        {
            chosen.push(child);
        }
        if !dead[child as usize] && dom.element(child).is_some() {
            let same_class =
                !top_class.is_empty() && dom.element(child).is_some_and(|e| e.class() == top_class);
            let bonus = if same_class {
                scores[top as usize] * 0.2
            } else {
                0.0
            };
            let keep = child == top
                || scores[child as usize] + bonus >= threshold
                || (is_paragraph(dom, stats, child) && clean_paragraph(dom, dead, stats, child));
            if keep {
                chosen.push(child);
            }
        }
        child = next;
    }
    chosen
}

/// A paragraph sibling worth keeping: long with few links, or a shorter sentence without any.
fn clean_paragraph(dom: &Dom, dead: &[bool], stats: &Stats, at: u32) -> bool {
    let length = stats.text[at as usize];
    let density = stats.link_density(at);
    if length > 80 {
        return density < 0.25;
    }
    let text = dom.text_of(at, &|j| dead[j as usize]);
    length > 0
        && density == 0.0
        && (text.contains(". ") || super::kinds::ends_like_a_sentence(&text))
}

/// How the article's container was chosen, for diagnosis: the best candidates with their
/// scores, then the containers taken.
pub fn explain(dom: &Dom, dead: &[bool]) -> String {
    let stats = Stats::compute(dom, dead);
    let scores = candidate_scores(dom, dead, &stats);
    let mut ranked: Vec<u32> = (0..dom.nodes.len() as u32)
        .filter(|&i| scores[i as usize] > 0.0)
        .collect();
    ranked.sort_by(|&a, &b| scores[b as usize].total_cmp(&scores[a as usize]));
    let name = |i: u32| {
        let (tag, class, id) = dom
            .element(i)
            .map_or(("", "", ""), |e| (e.tag(), e.class(), e.id()));
        format!(
            "{tag}.{class}#{id} (node {i}, text {}, links {:.2})",
            stats.text[i as usize],
            stats.link_density(i)
        )
    };
    let mut out = String::new();
    for &c in ranked.iter().take(12) {
        out.push_str(&format!("{:8.1} {}\n", scores[c as usize], name(c)));
    }
    out.push_str(&format!(
        "hinted: {:?}\n",
        hinted_container(dom, dead, &stats).map(name)
    ));
    let prose = prose_mass(dom, dead, &stats);
    for c in containers(dom, dead) {
        out.push_str(&format!("container: {}\n", name(c)));
        for a in dom.ancestors(c).take(tuning().levels) {
            out.push_str(&format!("  up: {} prose {}\n", name(a), prose[a as usize]));
        }
    }
    out
}

//! An article's metadata from what pages actually carry: JSON-LD (`NewsArticle`, `Article`,
//! `BlogPosting`, … at the top level, in a list or an `@graph`), OpenGraph and article
//! properties, `<meta>` names (author, description, Dublin Core, Parse.ly, Sailthru), `<time>`,
//! the canonical link and the document's language. JSON-LD wins where it speaks, then OpenGraph,
//! then plain `<meta>`; the headline as the page shows it is chosen by the content pass.

use serde_json::Value;

use super::dom::Dom;

/// What the page says about its article.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metadata {
    pub url: Option<String>,
    pub title: Option<String>,
    /// `<title>`, often with the site's name appended.
    pub document_title: Option<String>,
    pub description: Option<String>,
    pub date: Option<String>,
    pub authors: Vec<String>,
    pub site: Option<String>,
    pub lang: Option<String>,
    /// JSON-LD `articleBody`, when the page gives it.
    pub article_body: Option<String>,
}

/// The JSON-LD types that are articles.
const ARTICLE_TYPES: &[&str] = &[
    "NewsArticle",
    "Article",
    "BlogPosting",
    "ReportageNewsArticle",
    "AnalysisNewsArticle",
    "OpinionNewsArticle",
    "BackgroundNewsArticle",
    "ReviewNewsArticle",
    "LiveBlogPosting",
    "TechArticle",
    "ScholarlyArticle",
    "Report",
    "WebPage",
];

/// Read the metadata of a parsed page.
pub fn read(dom: &Dom) -> Metadata {
    let mut meta = Metadata::default();
    let mut jsonld = None;
    let mut named = Named::default();
    for at in 0..dom.nodes.len() as u32 {
        let Some(e) = dom.element(at) else { continue };
        match e.tag() {
            "script" if e.attr("type").is_some_and(|t| t.contains("ld+json")) => {
                let text: String = dom.subtree(at).filter_map(|i| dom.text(i)).collect();
                if jsonld.is_none() {
                    jsonld = serde_json::from_str::<Value>(text.trim())
                        .ok()
                        .and_then(|v| best_article(&v).cloned());
                }
            }
            "meta" => named.add(e.attr("property").or(e.attr("name")), e.attr("content")),
            "link"
                if e.attr("rel")
                    .is_some_and(|r| r.eq_ignore_ascii_case("canonical")) =>
            {
                named.canonical = named
                    .canonical
                    .take()
                    .or(e.attr("href").map(str::to_string));
            }
            "title" if meta.document_title.is_none() => {
                meta.document_title = nonempty(dom.text_of(at, &|_| false));
            }
            "html" => meta.lang = e.attr("lang").map(str::to_string).and_then(nonempty),
            "time" if named.time.is_none() => {
                named.time = e.attr("datetime").map(str::to_string).and_then(nonempty)
            }
            _ => {}
        }
    }
    if let Some(article) = &jsonld {
        from_jsonld(article, &mut meta);
    }
    named.fill(&mut meta);
    meta
}

fn nonempty(s: String) -> Option<String> {
    let s = s.trim().to_string();
    (!s.is_empty()).then_some(s)
}

/// Values of `<meta>` and `<link>` elements, by what they say.
#[derive(Default)]
struct Named {
    og_title: Option<String>,
    og_description: Option<String>,
    description: Option<String>,
    og_url: Option<String>,
    canonical: Option<String>,
    site: Option<String>,
    published: Option<String>,
    date: Option<String>,
    time: Option<String>,
    authors: Vec<String>,
    lang: Option<String>,
}

impl Named {
    fn add(&mut self, name: Option<&str>, content: Option<&str>) {
        let (Some(name), Some(content)) = (name, content) else {
            return;
        };
        let content = content.trim();
        if content.is_empty() {
            return;
        }
        let set = |slot: &mut Option<String>| {
            slot.get_or_insert_with(|| content.to_string());
        };
        match name.to_ascii_lowercase().as_str() {
            "og:title" | "twitter:title" => set(&mut self.og_title),
            "og:description" | "twitter:description" => set(&mut self.og_description),
            "description" | "dc.description" => set(&mut self.description),
            "og:url" => set(&mut self.og_url),
            "og:site_name" | "application-name" | "publisher" => set(&mut self.site),
            "article:published_time" | "og:article:published_time" | "datepublished" => {
                set(&mut self.published)
            }
            "date"
            | "dc.date"
            | "dc.date.issued"
            | "dcterms.date"
            | "parsely-pub-date"
            | "sailthru.date"
            | "pubdate"
            | "publish-date"
            | "article:modified_time" => set(&mut self.date),
            "author" | "article:author" | "dc.creator" | "parsely-author" | "sailthru.author"
            | "byl" => {
                let name = content.trim_start_matches("By ").trim_start_matches("Par ");
                if !name.starts_with("http") && !self.authors.iter().any(|a| a == name) {
                    self.authors.push(name.to_string());
                }
            }
            "og:locale" | "content-language" | "dc.language" => set(&mut self.lang),
            _ => {}
        }
    }

    fn fill(self, meta: &mut Metadata) {
        let or = |slot: &mut Option<String>, value: Option<String>| {
            if slot.is_none() {
                *slot = value;
            }
        };
        // A JSON-LD headline cut short (SEO plugins cut it at 110 characters) is the start
        // of og:title: the whole one is the title.
        let truncated = |title: &String, og: &String| {
            title.chars().count() >= 100
                && og.len() > title.len()
                && og.starts_with(title.trim_end())
        };
        if let (Some(title), Some(og)) = (&meta.title, &self.og_title) {
            if truncated(title, og) {
                meta.title = self.og_title.clone();
            }
        }
        or(&mut meta.title, self.og_title);
        or(
            &mut meta.description,
            self.og_description.or(self.description),
        );
        or(&mut meta.url, self.canonical.or(self.og_url));
        or(&mut meta.site, self.site);
        or(&mut meta.date, self.published.or(self.date).or(self.time));
        if meta.authors.is_empty() {
            meta.authors = self.authors;
        }
        or(
            &mut meta.lang,
            self.lang.map(|l| l.replace('_', "-").to_ascii_lowercase()),
        );
    }
}

/// The most article-like object of a JSON-LD document: the first whose `@type` is an article
/// type (articles before web pages), looking inside lists and `@graph`.
fn best_article(value: &Value) -> Option<&Value> {
    let mut found: Vec<&Value> = Vec::new();
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            Value::Array(items) => stack.extend(items.iter().rev()),
            Value::Object(map) => {
                if let Some(graph) = map.get("@graph") {
                    stack.push(graph);
                }
                if types(v).iter().any(|t| ARTICLE_TYPES.contains(&t.as_str())) {
                    found.push(v);
                }
            }
            _ => {}
        }
    }
    let rank = |v: &Value| {
        let t = types(v);
        ARTICLE_TYPES
            .iter()
            .position(|a| t.iter().any(|x| x == a))
            .unwrap_or(usize::MAX)
    };
    found.into_iter().min_by_key(|v| rank(v))
}

fn types(v: &Value) -> Vec<String> {
    match v.get("@type") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|t| t.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

/// A JSON-LD value as text: a string, or the `name` of an object (the first of a list).
fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => nonempty(s.clone()),
        // An `@id` alone is a link to a node elsewhere in the graph (a URL), never a name.
        Value::Object(m) => text(m.get("name")),
        Value::Array(a) => a.iter().find_map(|x| text(Some(x))),
        _ => None,
    }
}

fn from_jsonld(article: &Value, meta: &mut Metadata) {
    let set = |slot: &mut Option<String>, value: Option<String>| {
        if value.is_some() {
            *slot = value;
        }
    };
    set(
        &mut meta.title,
        text(article.get("headline")).or(text(article.get("name"))),
    );
    set(&mut meta.description, text(article.get("description")));
    set(
        &mut meta.date,
        text(article.get("datePublished")).or(text(article.get("dateCreated"))),
    );
    set(&mut meta.site, text(article.get("publisher")));
    set(
        &mut meta.url,
        text(article.get("url")).or(text(article.get("mainEntityOfPage"))),
    );
    set(&mut meta.lang, text(article.get("inLanguage")));
    set(&mut meta.article_body, text(article.get("articleBody")));
    let authors: Vec<String> = match article.get("author").or(article.get("creator")) {
        Some(Value::Array(list)) => list.iter().filter_map(|a| text(Some(a))).collect(),
        other => text(other).into_iter().collect(),
    };
    if !authors.is_empty() {
        meta.authors = authors;
    }
}

/// The host of an absolute URL.
pub(crate) fn host_of(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    rest.split(['/', '?', '#', ':'])
        .next()
        .filter(|h| !h.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jsonld_then_opengraph_then_meta() {
        let page = r#"<html lang="fr"><head><title>Titre – Le Site</title>
            <script type="application/ld+json">{"@context":"https://schema.org","@graph":[
              {"@type":"WebSite","name":"Le Site"},
              {"@type":"NewsArticle","headline":"Le vrai titre","datePublished":"2022-02-04T10:00:00+01:00",
               "author":[{"@type":"Person","name":"Jean Dupont"},{"@type":"Person","name":"Marie Curie"}],
               "publisher":{"@type":"Organization","name":"Le Site"}}]}</script>
            <meta property="og:title" content="Titre OG">
            <meta property="og:description" content="Le chapeau.">
            <link rel="canonical" href="https://exemple.fr/a">
            </head><body></body></html>"#;
        let meta = read(&Dom::parse(page));
        assert_eq!(meta.title.as_deref(), Some("Le vrai titre"));
        assert_eq!(meta.authors, ["Jean Dupont", "Marie Curie"]);
        assert_eq!(meta.date.as_deref(), Some("2022-02-04T10:00:00+01:00"));
        assert_eq!(meta.site.as_deref(), Some("Le Site"));
        assert_eq!(meta.description.as_deref(), Some("Le chapeau."));
        assert_eq!(meta.url.as_deref(), Some("https://exemple.fr/a"));
        assert_eq!(meta.lang.as_deref(), Some("fr"));
        assert_eq!(meta.document_title.as_deref(), Some("Titre – Le Site"));
    }

    #[test]
    fn a_cut_jsonld_headline_and_a_bare_id_are_not_taken() {
        let whole = "Fix It Friday: Struggling With How To Arrange Your Living Room? We Help 4 \
                     Readers Find Solutions (Including One Universal Trick That Works)";
        let cut = &whole[..whole.find("(Including").unwrap() + "(Including".len()];
        let page = format!(
            r#"<head><script type="application/ld+json">{{"@type":"Article","headline":"{cut}",
            "publisher":{{"@id":"https://example.com/#person"}}}}</script>
            <meta property="og:title" content="{whole} - Emily Henderson">
            <meta property="og:site_name" content="Emily Henderson"></head>"#
        );
        let meta = read(&Dom::parse(&page));
        assert_eq!(
            meta.title.as_deref(),
            Some(format!("{whole} - Emily Henderson").as_str())
        );
        assert_eq!(meta.site.as_deref(), Some("Emily Henderson"));
        // A short headline that og:title extends with the site's name stays the headline.
        let page = r#"<head><script type="application/ld+json">{"@type":"Article",
            "headline":"Le budget"}</script><meta property="og:title" content="Le budget - Le Site">
            </head>"#;
        assert_eq!(read(&Dom::parse(page)).title.as_deref(), Some("Le budget"));
    }

    #[test]
    fn broken_jsonld_falls_back_to_meta() {
        let page = r#"<head><script type="application/ld+json">{"@type": "NewsArticle", </script>
            <meta name="author" content="Par Paul Martin"><meta name="date" content="2020-01-14">
            </head><body><time datetime="2019-01-01">hier</time></body>"#;
        let meta = read(&Dom::parse(page));
        assert_eq!(meta.authors, ["Paul Martin"]);
        assert_eq!(meta.date.as_deref(), Some("2020-01-14"));
    }
}

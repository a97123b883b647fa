//! The page sets `eval-web` scores, each read from where its project publishes it: a page's
//! HTML with its reference body (F1 sets), its must-contain / must-not-contain snippets
//! (snippet sets) and its headline where the set gives one.
//!
//! Sources: scrapinghub's benchmark and trafilatura's 18 French pages (`../shared/eval/web`);
//! under `--sets DIR` (checkouts kept outside the repository): `wcxb/`
//! (Murrough-Foley/web-content-extraction-benchmark: `dev/` to tune on, `test/` held out),
//! `readability/` (mozilla/readability `test/test-pages`: `expected.html` as the body), `newspaper/` (codelucas/newspaper `tests/data`: its
//! expected texts — the library's own output, checked by its authors), `trafilatura/`
//! (adbar/trafilatura `tests/evaldata.json` over `tests/eval` and `tests/cache`: snippets).

use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// A set of pages with what each should give.
pub struct PageSet {
    pub name: &'static str,
    /// Whether entente's rules were written or tuned looking at this set.
    pub tuned_on: bool,
    pub pages: Vec<Page>,
}

pub struct Page {
    pub id: String,
    pub path: PathBuf,
    /// The reference body (F1 sets).
    pub body: Option<String>,
    /// The headline as the page shows it, where the set gives it.
    pub title: Option<String>,
    /// Snippets the text must contain / must not contain (snippet sets).
    pub with: Vec<String>,
    pub without: Vec<String>,
}

/// A page with nothing to compare yet.
pub fn page(id: String, path: PathBuf) -> Page {
    Page::new(id, path)
}

impl Page {
    fn new(id: String, path: PathBuf) -> Page {
        Page {
            id,
            path,
            body: None,
            title: None,
            with: Vec::new(),
            without: Vec::new(),
        }
    }
}

pub fn read_page(path: &Path) -> Vec<u8> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_end(&mut out)
            .expect("gzip");
        out
    } else {
        bytes
    }
}

pub fn json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str().map(str::to_string))
        .collect()
}

fn text(v: &Value) -> Option<String> {
    v.as_str()
        .map(str::to_string)
        .filter(|s| !s.trim().is_empty())
}

pub fn scrapinghub(data: &Path) -> PageSet {
    let truth = json(&data.join("scrapinghub/ground-truth.json"));
    let mut pages: Vec<Page> = truth
        .as_object()
        .expect("object")
        .iter()
        .map(|(k, v)| Page {
            body: text(&v["articleBody"]),
            ..Page::new(
                k.clone(),
                data.join(format!("scrapinghub/html/{k}.html.gz")),
            )
        })
        .collect();
    pages.sort_by(|a, b| a.id.cmp(&b.id));
    PageSet {
        name: "scrapinghub",
        tuned_on: true,
        pages,
    }
}

pub fn french(data: &Path) -> PageSet {
    let truth = json(&data.join("trafilatura-fr/evaldata-fr.json"));
    let mut pages: Vec<Page> = truth
        .as_object()
        .expect("object")
        .values()
        .map(|v| {
            let file = v["file"].as_str().expect("file");
            Page {
                title: text(&v["title"]),
                with: strings(&v["with"]),
                without: strings(&v["without"]),
                ..Page::new(
                    file.to_string(),
                    data.join("trafilatura-fr/pages").join(file),
                )
            }
        })
        .collect();
    pages.sort_by(|a, b| a.id.cmp(&b.id));
    PageSet {
        name: "trafilatura-fr",
        tuned_on: true,
        pages,
    }
}

/// WCXB's `split` (`dev` or `test`), its article pages.
pub fn wcxb(dir: &Path, split: &str) -> Option<PageSet> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join(split).join("ground-truth"))
        .ok()?
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    let mut pages = Vec::new();
    for file in files {
        let v = json(&file);
        if v["_internal"]["page_type"]["primary"] != "article" {
            continue;
        }
        let id = file.file_stem()?.to_string_lossy().into_owned();
        let truth = &v["ground_truth"];
        pages.push(Page {
            body: text(&truth["main_content"]),
            title: text(&truth["title"]),
            with: strings(&truth["with"]),
            without: strings(&truth["without"]),
            ..Page::new(id.clone(), dir.join(format!("{split}/html/{id}.html.gz")))
        });
    }
    Some(PageSet {
        name: if split == "dev" {
            "WCXB dev"
        } else {
            "WCXB test (held out)"
        },
        tuned_on: split == "dev",
        pages,
    })
}

/// Readability's test pages: the text of `expected.html`. Not their titles: Readability's
/// expected title is the document's `<title>`, site name included ("… | eHow"), not the
/// headline the page shows.
pub fn readability(dir: &Path) -> Option<PageSet> {
    let root = dir.join("test/test-pages");
    let mut names: Vec<String> = std::fs::read_dir(&root)
        .ok()?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect();
    names.sort();
    let pages = names
        .into_iter()
        .filter_map(|name| {
            let page = root.join(&name);
            let expected = std::fs::read_to_string(page.join("expected.html")).ok()?;
            Some(Page {
                body: Some(html_text(&expected)).filter(|b| !b.trim().is_empty()),
                ..Page::new(name, page.join("source.html"))
            })
        })
        .collect();
    Some(PageSet {
        name: "Readability test pages",
        tuned_on: false,
        pages,
    })
}

/// newspaper's fixtures: `html/NAME.html` (or `NAME_article.html`) with `text/NAME.txt`, the
/// library's own output: only those of 500 characters or more, a shorter one being mostly where
/// it failed (53 characters of a 4,000-character article).
pub fn newspaper(dir: &Path) -> Option<PageSet> {
    let root = dir.join("tests/data");
    let mut names: Vec<String> = std::fs::read_dir(root.join("text"))
        .ok()?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|n| n.strip_suffix(".txt").map(str::to_string))
        .collect();
    names.sort();
    let pages = names
        .into_iter()
        .filter_map(|name| {
            let html = [format!("{name}.html"), format!("{name}_article.html")]
                .into_iter()
                .map(|f| root.join("html").join(f))
                .find(|p| p.exists())?;
            let body = std::fs::read_to_string(root.join(format!("text/{name}.txt"))).ok()?;
            // Many fixtures hold a line or two where newspaper failed: not a reference.
            if body.chars().count() < 500 {
                return None;
            }
            Some(Page {
                body: Some(body),
                ..Page::new(name, html)
            })
        })
        .collect();
    Some(PageSet {
        name: "newspaper fixtures (its own output as reference)",
        tuned_on: false,
        pages,
    })
}

/// trafilatura's evaluation pages (snippets), those whose HTML the repository holds.
pub fn trafilatura_eval(dir: &Path) -> Option<PageSet> {
    let root = dir.join("tests");
    let truth = json(&root.join("evaldata.json"));
    let mut pages: Vec<Page> = truth
        .as_object()?
        .values()
        .filter_map(|v| {
            let file = v["file"].as_str()?;
            let path = [root.join("eval").join(file), root.join("cache").join(file)]
                .into_iter()
                .find(|p| p.exists())?;
            Some(Page {
                with: strings(&v["with"]),
                without: strings(&v["without"]),
                ..Page::new(file.to_string(), path)
            })
        })
        .collect();
    pages.sort_by(|a, b| a.id.cmp(&b.id));
    pages.dedup_by(|a, b| a.id == b.id);
    Some(PageSet {
        name: "trafilatura eval",
        tuned_on: false,
        pages,
    })
}

/// The text of an HTML fragment: tags dropped (block ends as line breaks), entities decoded.
pub fn html_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        out.push_str(&decode_entities(&rest[..open]));
        let Some(close) = rest[open..].find('>') else {
            rest = "";
            break;
        };
        let tag = rest[open + 1..open + close].trim_start_matches('/');
        let name: String = tag
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_lowercase();
        if matches!(
            name.as_str(),
            "p" | "div"
                | "br"
                | "li"
                | "h1"
                | "h2"
                | "h3"
                | "h4"
                | "h5"
                | "h6"
                | "tr"
                | "td"
                | "th"
                | "blockquote"
                | "pre"
                | "figcaption"
                | "section"
                | "article"
                | "dd"
                | "dt"
        ) {
            out.push('\n');
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(&decode_entities(rest));
    out
}

fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let end = rest.find(';').filter(|&end| end <= 12);
        let decoded = end.and_then(|end| {
            let name = &rest[1..end];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some('\u{a0}'),
                _ => name
                    .strip_prefix("#x")
                    .or_else(|| name.strip_prefix("#X"))
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .or_else(|| name.strip_prefix('#').and_then(|d| d.parse().ok()))
                    .and_then(char::from_u32),
            }?;
            Some((c, end + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

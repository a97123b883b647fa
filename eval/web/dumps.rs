//! Scraped text: naive dumps of article pages (`scripts/text_dumps.py`: the headline, then the
//! text of every block of the page's `<article>` — teasers, captions, credits, prompts
//! included — blocks separated by blank lines) read as `--input article` reads them, the prose
//! kept scored against the page's reference body (precision and recall by the shingle rule;
//! recall of what the dump holds of that body, as a dump may miss part of it), beside keeping
//! every line but the headline. Pages with snippets instead of a body (trafilatura's
//! evaluation pages, `<set>__<id>.snippets.json`) are scored by the snippets their dump holds:
//! must-contain ones kept, must-not-contain ones removed.

use std::collections::BTreeMap;
use std::path::Path;

use entente::article::Article;

use crate::report::{language_group, searchable};
use crate::scoring::{f1, matching_shingles, shingles};
use crate::sets::Page;

/// Print the table for the dumps in `dir`.
pub fn print(dir: &Path) {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|x| x == "txt") && !p.to_string_lossy().ends_with(".ref.txt")
        })
        .collect();
    files.sort();
    // (set, group) -> (entente's scores, every line's scores)
    type Scores = Vec<(f64, f64, f64)>;
    let mut rows: BTreeMap<(String, &'static str), (Scores, Scores)> = BTreeMap::new();
    let mut snippet_rows: BTreeMap<(String, &'static str), Snippets> = BTreeMap::new();
    for file in files {
        let dump = std::fs::read_to_string(&file).expect("dump");
        let name = file
            .file_stem()
            .expect("stem")
            .to_string_lossy()
            .into_owned();
        let set = name.split("__").next().unwrap_or("?").to_string();
        let kept = Article::from_text(&dump, &name).map_or(String::new(), |a| a.text());
        let every_line: String = dump.lines().skip(1).collect::<Vec<_>>().join("\n");
        let snippets = file.with_extension("snippets.json");
        if snippets.exists() {
            let page = snippet_page(name, &file, &snippets);
            for group in ["all", language_group(&page)] {
                let row = snippet_rows.entry((set.clone(), group)).or_default();
                row.add(&page, &dump, &kept, &every_line);
            }
            continue;
        }
        let reference = std::fs::read_to_string(file.with_extension("ref.txt")).expect("ref");
        let page = Page {
            body: Some(reference.clone()),
            ..crate::sets::page(name, file.clone())
        };
        for group in ["all", language_group(&page)] {
            let row = rows.entry((set.clone(), group)).or_default();
            row.0.push(matching_within(&reference, &dump, &kept));
            row.1.push(matching_within(&reference, &dump, &every_line));
        }
    }
    println!("| dumps | pages | entente P | R | F1 | every line P | R | F1 |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for ((set, group), (ours, all)) in &rows {
        // A group whose pages share nothing with their dumps has no figures to give.
        if ours.iter().all(|s| s.0 + s.1 + s.2 == 0.0) {
            continue;
        }
        let (p, r, f) = f1(ours);
        let (ap, ar, af) = f1(all);
        println!(
            "| {set} {group} | {} | {p:.3} | {r:.3} | {f:.3} | {ap:.3} | {ar:.3} | {af:.3} |",
            ours.len()
        );
    }
    print_snippets(&snippet_rows);
}

/// Snippets of the pages of a group that their dumps hold, and how many of them entente (and
/// keeping every line) kept or removed.
#[derive(Default)]
struct Snippets {
    pages: usize,
    with_in_dump: usize,
    with_kept: usize,
    with_kept_by_every_line: usize,
    without_in_dump: usize,
    without_removed: usize,
    without_removed_by_every_line: usize,
}

impl Snippets {
    fn add(&mut self, page: &Page, dump: &str, kept: &str, every_line: &str) {
        let [dump, kept, every_line] = [dump, kept, every_line].map(searchable);
        self.pages += 1;
        for s in page.with.iter().map(|s| searchable(s)) {
            if dump.contains(&s) {
                self.with_in_dump += 1;
                self.with_kept += usize::from(kept.contains(&s));
                self.with_kept_by_every_line += usize::from(every_line.contains(&s));
            }
        }
        for s in page.without.iter().map(|s| searchable(s)) {
            if dump.contains(&s) {
                self.without_in_dump += 1;
                self.without_removed += usize::from(!kept.contains(&s));
                self.without_removed_by_every_line += usize::from(!every_line.contains(&s));
            }
        }
    }
}

/// A page of a snippet set, its snippets read from `snippets` (`{"with": [...], "without":
/// [...]}`).
fn snippet_page(name: String, dump: &Path, snippets: &Path) -> Page {
    let json = crate::sets::json(snippets);
    Page {
        with: crate::sets::strings(&json["with"]),
        without: crate::sets::strings(&json["without"]),
        ..crate::sets::page(name, dump.to_path_buf())
    }
}

/// The snippet table: of the snippets each dump holds, the share kept (must-contain) and
/// removed (must-not-contain), by entente and by keeping every line.
fn print_snippets(rows: &BTreeMap<(String, &'static str), Snippets>) {
    if rows.is_empty() {
        return;
    }
    println!();
    println!("| dumps (snippets) | pages | entente: must-contain kept | must-not-contain removed | every line: kept | removed |");
    println!("|---|---:|---:|---:|---:|---:|");
    let share = |n: usize, of: usize| format!("{n} of {of} ({:.2})", n as f64 / of.max(1) as f64);
    for ((set, group), s) in rows {
        println!(
            "| {set} {group} | {} | {} | {} | {} | {} |",
            s.pages,
            share(s.with_kept, s.with_in_dump),
            share(s.without_removed, s.without_in_dump),
            share(s.with_kept_by_every_line, s.with_in_dump),
            share(s.without_removed_by_every_line, s.without_in_dump),
        );
    }
}

/// `scoring::matching` against the part of `truth` that `within` holds (shingle counts capped
/// by `within`'s): how much of what a source could give was found, and how much found is not
/// the truth. For scraped text, whose dump may miss part of the page's body.
fn matching_within(truth: &str, within: &str, pred: &str) -> (f64, f64, f64) {
    let w = shingles(within);
    matching_shingles(&shingles(truth), &shingles(pred), |k, count| {
        count.min(w.get(k).copied().unwrap_or(0))
    })
}

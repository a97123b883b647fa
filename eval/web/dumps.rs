//! Scraped text: naive dumps of article pages (`scripts/text_dumps.py`: the headline, then the
//! text of every block of the page's `<article>` — teasers, captions, credits, prompts
//! included — blocks separated by blank lines) read as `--input article` reads them, the prose
//! kept scored against the page's reference body (precision and recall by the shingle rule;
//! recall of what the dump holds of that body, as a dump may miss part of it), beside keeping
//! every line but the headline.

use std::collections::BTreeMap;
use std::path::Path;

use entente::article::Article;

use crate::report::language_group;
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
    for file in files {
        let dump = std::fs::read_to_string(&file).expect("dump");
        let reference = std::fs::read_to_string(file.with_extension("ref.txt")).expect("ref");
        let name = file
            .file_stem()
            .expect("stem")
            .to_string_lossy()
            .into_owned();
        let set = name.split("__").next().unwrap_or("?").to_string();
        let kept = Article::from_text(&dump, &name).map_or(String::new(), |a| a.text());
        let every_line: String = dump.lines().skip(1).collect::<Vec<_>>().join("\n");
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

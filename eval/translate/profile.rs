//! `bench-translate --profile`: where entente's decoding time goes, span by span
//! (`entente::profile`), for each of its engines and search modes, as a share of the worker
//! threads' time, with the time outside every span (tokenizing, detokenizing, batching, the
//! threads' idle ends) as its own row.

use std::collections::BTreeMap;

use serde_json::{json, Value};

/// The profile of a worker's run as JSON: per span, thread-seconds and calls; `wall` is the
/// translation's wall time and `threads` how many threads shared it.
pub fn to_json(report: &entente::profile::Report, wall: f64, threads: usize) -> Value {
    let spans: Vec<Value> = report
        .entries
        .iter()
        .map(|e| json!({"span": e.span.name(), "seconds": e.seconds, "calls": e.calls}))
        .collect();
    json!({"spans": spans, "total": report.total_seconds(), "thread_seconds": wall * threads as f64})
}

/// One table: a row per span, a column per run (`runs`: its label and its worker's JSON line).
pub fn print_table(runs: &[(String, Value)]) {
    if runs.is_empty() {
        return;
    }
    println!();
    println!(
        "Where entente's time goes (share of the worker threads' time; `entente::profile` spans)"
    );
    println!();
    let header: Vec<&str> = runs.iter().map(|(label, _)| label.as_str()).collect();
    println!("| span | {} |", header.join(" | "));
    println!("|---|{}", "---:|".repeat(runs.len()));
    // Spans in the order the first run that has them reports them.
    let mut order: Vec<String> = Vec::new();
    let mut shares: BTreeMap<(String, usize), f64> = BTreeMap::new();
    for (column, (_, v)) in runs.iter().enumerate() {
        let threads = v["profile"]["thread_seconds"].as_f64().unwrap_or(0.0);
        for span in v["profile"]["spans"].as_array().into_iter().flatten() {
            let name = span["span"].as_str().unwrap_or("?").to_string();
            if !order.contains(&name) {
                order.push(name.clone());
            }
            let seconds = span["seconds"].as_f64().unwrap_or(0.0);
            shares.insert((name, column), 100.0 * seconds / threads);
        }
        let outside = threads - v["profile"]["total"].as_f64().unwrap_or(0.0);
        shares.insert(
            ("outside the spans".into(), column),
            100.0 * outside / threads,
        );
    }
    order.push("outside the spans".into());
    for name in &order {
        let cells: Vec<String> = (0..runs.len())
            .map(|c| {
                shares
                    .get(&(name.clone(), c))
                    .map_or("-".into(), |s| format!("{s:.1}%"))
            })
            .collect();
        println!("| {name} | {} |", cells.join(" | "));
    }
}

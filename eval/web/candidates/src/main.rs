//! Candidate extraction crates for `eval-web --rust-peers`: rs-trafilatura and dom_smoothie (a
//! port of Mozilla's Readability) on the pages of a manifest, with the protocol of
//! `scripts/web_peers.py`: argv[1] is JSON `{"pages": {id: path to .html or .html.gz}}`; stdout
//! is JSON `{name: {"version", "seconds", "texts": {id: text}}}`, seconds being the time spent in
//! the extraction calls on one thread.

use std::io::Read;
use std::time::Instant;

use serde_json::{json, Map, Value};

fn read(path: &str) -> String {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let bytes = if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_end(&mut out)
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        out
    } else {
        bytes
    };
    String::from_utf8_lossy(&bytes).into_owned()
}

fn rs_trafilatura(html: &str) -> String {
    rs_trafilatura::extract(html)
        .map(|r| r.content_text)
        .unwrap_or_default()
}

fn dom_smoothie(html: &str) -> String {
    dom_smoothie::Readability::new(html, None, None)
        .ok()
        .and_then(|mut r| r.parse().ok())
        .map(|a| a.text_content.to_string())
        .unwrap_or_default()
}

fn main() {
    let manifest = std::env::args().nth(1).expect("usage: entente-web-candidates MANIFEST");
    let manifest: Value = serde_json::from_str(&std::fs::read_to_string(&manifest).unwrap()).unwrap();
    let pages: Vec<(String, String)> = manifest["pages"]
        .as_object()
        .expect("pages")
        .iter()
        .map(|(id, path)| (id.clone(), read(path.as_str().expect("a path"))))
        .collect();
    let candidates: [(&str, &str, fn(&str) -> String); 2] = [
        ("rs-trafilatura", "0.2.2", rs_trafilatura),
        ("dom_smoothie", "0.19.0", dom_smoothie),
    ];
    let mut out = Map::new();
    for (name, version, extract) in candidates {
        let start = Instant::now();
        let texts: Map<String, Value> = pages
            .iter()
            .map(|(id, html)| (id.clone(), Value::from(extract(html))))
            .collect();
        let seconds = start.elapsed().as_secs_f64();
        out.insert(
            name.to_string(),
            json!({"version": version, "seconds": seconds, "texts": texts}),
        );
    }
    println!("{}", Value::Object(out));
}

//! A running `entente serve` on a loopback port, for the tests that talk to it over HTTP.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

/// Search settings shared by the server and the CLI runs compared with it (short outputs keep
/// the tests fast).
pub const SEARCH: [&str; 4] = ["--beams", "2", "--max-new-tokens", "8"];

/// A running `entente serve`, killed when dropped.
pub struct Server {
    pub child: Child,
    pub base: String,
    pub stderr: Arc<Mutex<String>>,
}

impl Server {
    pub fn start(extra: &[&str]) -> Server {
        Self::start_with(extra, &[])
    }

    pub fn start_with(extra: &[&str], env: &[(&str, &str)]) -> Server {
        let model = super::selfcontained();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_entente"));
        cmd.args(["serve", "--model", model.to_str().unwrap(), "--port", "0"])
            .args(SEARCH)
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let mut seen = String::new();
        let base = loop {
            let Some(Ok(line)) = lines.next() else {
                panic!("the server exited before listening: {seen}");
            };
            seen.push_str(&line);
            seen.push('\n');
            if let Some(at) = line.find("http://") {
                let addr = line[at..].split_whitespace().next().unwrap().to_string();
                break addr;
            }
        };
        let stderr = Arc::new(Mutex::new(seen));
        let sink = Arc::clone(&stderr);
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                let mut s = sink.lock().unwrap();
                s.push_str(&line);
                s.push('\n');
            }
        });
        Server {
            child,
            base,
            stderr,
        }
    }

    /// POST `body` with `content_type`: status, Retry-After, body.
    pub fn post(
        &self,
        path: &str,
        content_type: &str,
        body: &[u8],
    ) -> (u16, Option<String>, String) {
        let request = ureq::post(&format!("{}{path}", self.base))
            .timeout(Duration::from_secs(120))
            .set("Content-Type", content_type);
        answer(request.send_bytes(body))
    }

    pub fn post_json(&self, path: &str, body: &Value) -> (u16, Value) {
        let (status, _, text) = self.post(path, "application/json", body.to_string().as_bytes());
        (
            status,
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}")),
        )
    }

    pub fn get(&self, path: &str) -> (u16, String) {
        let (status, _, text) = answer(ureq::get(&format!("{}{path}", self.base)).call());
        (status, text)
    }

    /// The value of a Prometheus sample, by its exact name and labels.
    pub fn metric(&self, sample: &str) -> f64 {
        let (_, text) = self.get("/metrics");
        text.lines()
            .find_map(|l| l.strip_prefix(sample)?.strip_prefix(' ')?.parse().ok())
            .unwrap_or(0.0)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn answer(result: Result<ureq::Response, ureq::Error>) -> (u16, Option<String>, String) {
    let response = match result {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("no HTTP answer: {e}"),
    };
    let status = response.status();
    let retry = response.header("Retry-After").map(str::to_string);
    (status, retry, response.into_string().unwrap())
}

/// `entente translate --input article` on `text`, with the server's model and search settings.
pub fn cli_article(text: &str) -> String {
    let model = super::selfcontained();
    let mut args = vec![
        "translate",
        "--model",
        model.to_str().unwrap(),
        "--input",
        "article",
    ];
    args.extend(SEARCH);
    let out = super::entente_in(None, &args, text.as_bytes(), &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `entente translate INPUT -o OUTPUT` (a document) with the server's model and search
/// settings; the bytes it wrote.
pub fn cli_translate_file(input: &std::path::Path, output: &std::path::Path) -> Vec<u8> {
    let model = super::selfcontained();
    let mut args = vec!["translate", "--model", model.to_str().unwrap()];
    args.extend(SEARCH);
    args.extend([input.to_str().unwrap(), "-o", output.to_str().unwrap()]);
    let out = super::entente_in(None, &args, b"", &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read(output).unwrap()
}

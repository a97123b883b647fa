//! Helpers shared by the end-to-end tests.

use std::io::{BufRead, Write};
use std::path::Path;
use std::process::{Command, Output, Stdio};

#[allow(dead_code)] // only the crates that drive a browser use it
pub mod browser;
#[allow(dead_code)] // only the crates that start a server use it
pub mod server;

/// Run the `entente` binary with `args`, feeding `stdin`, with extra environment variables and
/// an optional working directory.
#[allow(dead_code)] // not every test crate runs the binary
pub fn entente_in(dir: Option<&Path>, args: &[&str], stdin: &[u8], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_entente"));
    cmd.args(args)
        .env_remove("SACREBLEU_SEED")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(dir) = dir {
        cmd.current_dir(dir);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    // The command may exit before reading its input (an error): a closed pipe is fine.
    let _ = child.stdin.take().unwrap().write_all(stdin);
    child.wait_with_output().unwrap()
}

/// Put the files of test checkpoint `checkpoint` (models/test) and the real tokenizer files of
/// `tokenizer` (reference data, `models/<tokenizer>`) into `dir`, each placed by `place` (a copy,
/// or a link). None (and the test reported skipped) when the reference data is absent.
#[allow(dead_code)] // not every test crate builds a model directory
pub fn fill_model_dir(
    dir: &Path,
    checkpoint: &str,
    tokenizer: &str,
    place: fn(&Path, &Path) -> std::io::Result<()>,
) -> Option<()> {
    let tokenizer = entente::testdata::require(&format!("models/{tokenizer}"))?;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let checkpoint = root.join("models/test").join(checkpoint);
    for f in ["config.json", "generation_config.json", "model.safetensors"] {
        place(&checkpoint.join(f), &dir.join(f)).unwrap();
    }
    for f in [
        "source.spm",
        "target.spm",
        "vocab.json",
        "tokenizer_config.json",
    ] {
        place(&tokenizer.join(f), &dir.join(f)).unwrap();
    }
    Some(())
}

/// The self-contained test model (its own tokenizer; see scripts/make_selfcontained_model.py).
#[allow(dead_code)]
pub fn selfcontained() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("models/test/tiny-selfcontained")
}

/// Copy every file of the self-contained model into `dir`.
#[allow(dead_code)]
pub fn copy_selfcontained(dir: &Path) {
    for entry in std::fs::read_dir(selfcontained()).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.join(entry.file_name())).unwrap();
    }
}

/// A model directory for test checkpoint `name`: its files beside links to the real tokenizer
/// files of `tokenizer` (None, and the test skipped, when the reference data is absent), kept
/// alive by the returned temporary directory. The self-contained checkpoint is complete as it is.
#[allow(dead_code)]
pub fn model_dir(
    name: &str,
    tokenizer: &str,
) -> Option<(Option<tempfile::TempDir>, std::path::PathBuf)> {
    if name == tokenizer {
        return Some((
            None,
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("models/test")
                .join(name),
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    fill_model_dir(dir.path(), name, tokenizer, |from, to| {
        std::os::unix::fs::symlink(from, to)
    })?;
    let path = dir.path().to_path_buf();
    Some((Some(dir), path))
}

/// A loopback HTTP server answering each connection by `respond(path)`; its address.
#[allow(dead_code)] // only the crates that fetch pages use it
pub fn page_server(respond: fn(&str, &mut std::net::TcpStream)) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            std::thread::spawn(move || {
                let mut line = String::new();
                let mut reader = std::io::BufReader::new(stream.try_clone().unwrap());
                if reader.read_line(&mut line).is_err() {
                    return;
                }
                loop {
                    let mut header = String::new();
                    if reader.read_line(&mut header).is_err() || header.trim().is_empty() {
                        break;
                    }
                }
                let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
                respond(&path, &mut stream);
            });
        }
    });
    format!("http://{addr}")
}

/// The test checkpoint (or model directory) at `dir`, loaded on the CPU in float32.
#[allow(dead_code)] // only the crates that compare with transformers load one themselves
pub fn load_f32(dir: &Path) -> entente::translate::Translator {
    let files = entente::hub::resolve(dir.to_str().unwrap(), None, true).unwrap();
    entente::translate::Translator::load(
        &files,
        &files.dir,
        &candle_core::Device::Cpu,
        candle_core::DType::F32,
    )
    .unwrap()
}

//! Hostile input through the CLI, one test per case found by trying ~360 of them: each must end
//! in a clear error (naming the field, file, line or offset) with a non-zero exit, or in correct
//! output — never a panic, an abort, a hang, a clobbered file or a silently wrong result.
//! Everything runs on the self-contained test model, without reference data.

#[path = "../common/mod.rs"]
mod common;
mod texts;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

fn entente(args: &[&str], stdin: &[u8]) -> Output {
    common::entente_in(None, args, stdin, &[])
}

fn entente_env(args: &[&str], stdin: &[u8], env: &[(&str, &str)]) -> Output {
    common::entente_in(None, args, stdin, env)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A failure with a message, not a panic (101) or a signal.
fn assert_clean_failure(out: &Output, code: i32, needle: &str) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(code), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(err.contains(needle), "expected {needle:?} in: {err}");
}

/// A copy of the self-contained model with `edit` applied to one of its JSON files.
fn model_with(file: &str, edit: impl Fn(&mut serde_json::Value)) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    common::copy_selfcontained(dir.path());
    let path = dir.path().join(file);
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    edit(&mut v);
    std::fs::write(&path, v.to_string()).unwrap();
    dir
}

fn translate_with(dir: &Path, extra: &[&str], stdin: &[u8]) -> Output {
    let mut args = vec!["translate", "--model", dir.to_str().unwrap()];
    args.extend_from_slice(extra);
    entente(&args, stdin)
}

fn model() -> String {
    common::selfcontained().display().to_string()
}

#[test]
fn token_ids_outside_the_vocabulary_are_refused_by_name() {
    // The model's vocabulary has 320 tokens.
    for field in [
        "decoder_start_token_id",
        "pad_token_id",
        "eos_token_id",
        "forced_eos_token_id",
    ] {
        for file in ["config.json", "generation_config.json"] {
            let dir = model_with(file, |v| v[field] = serde_json::json!(320));
            let out = translate_with(dir.path(), &[], b"Bonjour.\n");
            assert_clean_failure(&out, 1, field);
            assert!(stderr(&out).contains(file), "{file}: {}", stderr(&out));
        }
    }
}

#[test]
fn absurd_sizes_in_the_config_are_refused_before_allocating() {
    for (field, value) in [
        ("max_position_embeddings", 1_000_000_000u64),
        ("max_position_embeddings", 0),
        ("d_model", 0),
        ("vocab_size", 0),
        ("decoder_layers", 100_000),
    ] {
        let dir = model_with("config.json", |v| v[field] = serde_json::json!(value));
        let out = translate_with(dir.path(), &[], b"Bonjour.\n");
        assert_clean_failure(&out, 1, field);
    }
}

#[test]
fn generation_config_values_are_validated() {
    for (field, value, needle) in [
        ("max_length", serde_json::json!(1), "max_length"),
        ("max_length", serde_json::json!(0), "max_length"),
        ("num_beams", serde_json::json!(0), "num_beams"),
        ("do_sample", serde_json::json!(true), "do_sample"),
        (
            "num_return_sequences",
            serde_json::json!(3),
            "num_return_sequences",
        ),
        (
            "repetition_penalty",
            serde_json::json!(-1.0),
            "repetition_penalty",
        ),
    ] {
        let dir = model_with("generation_config.json", |v| v[field] = value.clone());
        let out = translate_with(dir.path(), &[], b"Bonjour.\n");
        assert_clean_failure(&out, 1, needle);
    }
}

#[test]
fn the_test_model_translates_with_its_own_defaults() {
    // generation_config says max_length 512 but the model has 128 positions: lowered, noted.
    let out = entente(&["translate", "--model", &model()], b"Bonjour.\n");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("128 positions"), "{}", stderr(&out));
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 1);
}

#[test]
fn search_options_out_of_range_are_refused_by_clap() {
    for args in [
        &["--beams", "0"][..],
        &["--batch-size", "0"],
        &["--max-new-tokens", "0"],
        &["--length-penalty", "NaN"],
        &["--length-penalty", "inf"],
        &["--repetition-penalty", "nan"],
    ] {
        let mut all = vec!["translate", "--model", "/nonexistent"];
        all.extend_from_slice(args);
        let out = entente(&all, b"x\n");
        assert_clean_failure(&out, 2, args[0]);
    }
}

#[test]
fn beams_that_cannot_fit_in_memory_are_refused_up_front() {
    let out = entente(
        &["translate", "--model", &model(), "--beams", "300"],
        b"Bonjour.\n",
    );
    assert!(out.status.success(), "300 beams fit: {}", stderr(&out));
    let out = entente_env(
        &["translate", "--model", &model(), "--beams", "300"],
        b"Bonjour.\n",
        &[("ENTENTE_MEMORY_BUDGET", "1M")],
    );
    assert_clean_failure(&out, 1, "memory budget");
    let out = entente(
        &["translate", "--model", &model(), "--beams", "100000"],
        b"Bonjour.\n",
    );
    assert_clean_failure(&out, 1, "num_beams");
}

#[test]
fn huge_batch_sizes_are_lowered_to_the_memory_budget() {
    let input = "Bonjour.\nLe chat dort.\n".repeat(100);
    let small = entente(
        &["translate", "--model", &model(), "--beams", "1"],
        input.as_bytes(),
    );
    let out = entente_env(
        &[
            "translate",
            "--model",
            &model(),
            "--beams",
            "1",
            "--batch-size",
            "1000000",
        ],
        input.as_bytes(),
        &[("ENTENTE_MEMORY_BUDGET", "64M")],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("lowered"), "{}", stderr(&out));
    assert_eq!(
        out.stdout, small.stdout,
        "batching never changes the output"
    );
}

#[test]
fn a_huge_line_and_a_huge_word_are_translated_not_hung() {
    // Both used to take minutes to forever (re-tokenizing every prefix).
    let line = "Le chat dort sur le canapé, le chien aboie dans le jardin. ".repeat(1000);
    let word = "a".repeat(100_000);
    for input in [line, word] {
        let out = entente(
            &[
                "translate",
                "--model",
                &model(),
                "--beams",
                "1",
                "--max-new-tokens",
                "1",
            ],
            format!("{input}\n").as_bytes(),
        );
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 1);
    }
}

#[test]
fn model_paths_and_names_are_not_sent_to_the_hub() {
    for (model, needle) in [
        ("/tmp/entente-no-such-model-dir", "no model directory"),
        ("./no-such-dir", "no model directory"),
        ("Cargo.toml", "no model directory"),
        ("opus-mt-xx-yy", "unknown model"),
        ("", "empty"),
    ] {
        let out = entente(&["translate", "--model", model], b"x\n");
        assert_clean_failure(&out, 1, needle);
        assert!(!stderr(&out).contains("https://"), "{}", stderr(&out));
    }
}

#[test]
fn output_into_a_missing_directory_fails_before_any_work() {
    // The model does not even exist: the destination is checked first.
    let out = entente(
        &[
            "translate",
            "--model",
            "/nonexistent/model",
            "-o",
            "/nonexistent/dir/out.txt",
        ],
        b"x\n",
    );
    assert_clean_failure(&out, 1, "does not exist");
    for cmd in [
        &["segment", "-o", "/nonexistent/dir/out.txt"][..],
        &["bleu", "-r", "/dev/null", "-o", "/nonexistent/dir/out.txt"],
    ] {
        let out = entente(cmd, b"x\n");
        assert_clean_failure(&out, 1, "does not exist");
    }
}

#[test]
fn output_through_a_symlink_keeps_the_link_and_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("real.txt");
    std::fs::write(&target, "old").unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o640)).unwrap();
    let link = dir.path().join("link.txt");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let out = entente(
        &["segment", "-o", link.to_str().unwrap()],
        b"Une phrase. Deux.\n",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(
        std::fs::read_to_string(&target).unwrap(),
        "Une phrase.\nDeux.\n"
    );
    let mode = std::fs::metadata(&target).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o640);
    // And /dev/null stays a device.
    let out = entente(&["segment", "-o", "/dev/null"], b"x\n");
    assert!(out.status.success(), "{}", stderr(&out));
    use std::os::unix::fs::FileTypeExt;
    assert!(std::fs::metadata("/dev/null")
        .unwrap()
        .file_type()
        .is_char_device());
}

#[test]
fn translate_streams_its_output_as_batches_finish() {
    // Feed a first window of lines and keep standard input open: the first translations must
    // come out before the input ends (they used to be held until the very end).
    let mut child = Command::new(env!("CARGO_BIN_EXE_entente"))
        .args([
            "translate",
            "--model",
            &model(),
            "--beams",
            "1",
            "--batch-size",
            "4",
        ])
        .env("ENTENTE_MEMORY_BUDGET", "4G")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all("Bonjour.\n".repeat(2000).as_bytes())
        .unwrap();
    stdin.flush().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut first = String::new();
        let mut reader = BufReader::new(stdout);
        reader.read_line(&mut first).unwrap();
        tx.send(first).unwrap();
        // Keep reading so the process is never blocked on a full pipe.
        std::io::copy(&mut reader, &mut std::io::sink()).unwrap();
    });
    let first = rx.recv_timeout(Duration::from_secs(120));
    drop(stdin); // end of input: the process finishes
    let status = child.wait().unwrap();
    assert!(first.is_ok(), "no output before the end of the input");
    assert!(status.success());
}

#[test]
fn a_closed_pipe_stops_translation_quietly() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_entente"))
        .args(["translate", "--model", &model(), "--beams", "1"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        // The process may stop reading early: a broken pipe here is expected.
        let _ = stdin.write_all("Bonjour.\n".repeat(20_000).as_bytes());
    });
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    // `| head -1`: the reader goes away.
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(!first.is_empty());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn ctrl_c_during_a_write_leaves_no_temporary_file_and_the_old_output() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("out.txt");
    std::fs::write(&target, "previous run").unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_entente"))
        .args([
            "translate",
            "--model",
            &model(),
            "--beams",
            "1",
            "-o",
            target.to_str().unwrap(),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"Bonjour.\n").unwrap();
    // Wait until the temporary output exists, then interrupt.
    let temp_exists = || std::fs::read_dir(dir.path()).unwrap().count() > 1;
    for _ in 0..600 {
        if temp_exists() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(temp_exists(), "the temporary output never appeared");
    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap()
        .success());
    let status = child.wait().unwrap();
    drop(stdin);
    assert_eq!(status.code(), Some(130));
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["out.txt"]);
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "previous run");
}

#[test]
fn ids_beyond_32_bits_are_out_of_range_not_malformed() {
    let m = model();
    let out = entente(
        &["tokenize", "--model", &m, "--decode"],
        b"5 6\n1099511627776\n",
    );
    assert_clean_failure(&out, 1, "<stdin>:2: id 1099511627776 is out of range");
    let out = entente(&["tokenize", "--model", &m, "--decode"], b"5 x\n");
    assert_clean_failure(&out, 1, "\"x\" is not a token id");
}

#[test]
fn the_pieces_of_one_huge_line_stay_within_the_memory_budget() {
    // A 600 kB line splits into ~2,000 pieces; they used to go through search as one batch
    // whatever the budget (about 600 MB here, gigabytes for a 50 MB line).
    let dir = tempfile::tempdir().unwrap();
    let words = ["le", "chat", "dort", "sur", "canapé", "mais", "la", "pluie"];
    let line: Vec<&str> = (0..120_000)
        .map(|i| words[(i * 7 + i / 3) % words.len()])
        .collect();
    let input = dir.path().join("line.txt");
    std::fs::write(&input, line.join(" ") + "\n").unwrap();
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "ulimit -v 900000 && exec {} translate --model {} --beams 1 --max-new-tokens 2 {}",
            env!("CARGO_BIN_EXE_entente"),
            model(),
            input.display()
        ))
        .env("ENTENTE_MEMORY_BUDGET", "64M")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 1);
}

//! Threads and the memory budget from the command line, the environment and the machine, as
//! `translate`, `pipeline` and `serve` say them: the start line on stderr (terminal or not),
//! `run.json`, `/v1/settings`; and the settings that cannot work refused with a clear message.

mod common;

use std::process::Output;

use common::server::Server;

fn model() -> String {
    common::selfcontained().to_str().unwrap().to_string()
}

fn translate(extra: &[&str], env: &[(&str, &str)]) -> Output {
    let model = model();
    let mut args = vec![
        "translate",
        "--model",
        &model,
        "--beams",
        "1",
        "--max-new-tokens",
        "8",
    ];
    args.extend_from_slice(extra);
    common::entente_in(None, &args, b"Bonjour.\nLe chat dort.\n", env)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The one start line (`entente: threads …`) of a run's stderr.
fn start_line(out: &Output) -> String {
    let err = stderr(out);
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("entente: threads "))
        .collect();
    assert_eq!(lines.len(), 1, "one start line: {err}");
    lines[0].to_string()
}

#[test]
fn the_start_line_says_what_was_chosen_and_where_from() {
    // Not a terminal (stderr is a pipe here): the line is said all the same.
    let out = translate(&["--threads", "3", "--memory-budget", "2G"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let line = start_line(&out);
    assert!(line.contains("threads 3 (--threads)"), "{line}");
    assert!(
        line.contains("memory budget 2.0 GiB (--memory-budget)"),
        "{line}"
    );
    assert!(line.contains("batch 16"), "{line}");
    assert!(!line.contains("lowered"), "nothing was lowered: {line}");

    // The environment is the default the options override.
    let env = [("ENTENTE_THREADS", "5"), ("ENTENTE_MEMORY_BUDGET", "1G")];
    let line = start_line(&translate(&[], &env));
    assert!(line.contains("threads 5 (ENTENTE_THREADS)"), "{line}");
    assert!(
        line.contains("memory budget 1.0 GiB (ENTENTE_MEMORY_BUDGET)"),
        "{line}"
    );
    let line = start_line(&translate(&["--threads", "2"], &env));
    assert!(line.contains("threads 2 (--threads)"), "{line}");

    // Neither: the machine decides, and the line says so.
    let cores = std::thread::available_parallelism().unwrap().get();
    let line = start_line(&translate(&[], &[]));
    assert!(
        line.contains(&format!("threads {cores} (the {cores} cores available)")),
        "{line}"
    );
    assert!(line.contains("% of the "), "{line}");
}

#[test]
fn the_same_translations_whatever_the_threads() {
    let one = translate(&["--threads", "1"], &[]);
    let many = translate(&["--threads", "7", "--batch-size", "1"], &[]);
    assert!(one.status.success() && many.status.success());
    assert_eq!(one.stdout, many.stdout);
}

#[test]
fn a_budget_too_small_for_a_full_batch_says_lowered_to() {
    // The tiny model's sentence of 128 source tokens needs ~0.5 MB: 2 MiB hold 4 of them.
    let out = translate(&["--memory-budget", "2M", "--threads", "1"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let line = start_line(&out);
    assert!(
        line.contains("batch 16 lowered to 4 for sources over "),
        "{line}"
    );
    // The same translations as with room to spare.
    let roomy = translate(&["--memory-budget", "1G", "--threads", "1"], &[]);
    assert_eq!(out.stdout, roomy.stdout);
}

#[test]
fn settings_that_cannot_work_are_refused() {
    let out = translate(&["--threads", "0"], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--threads"), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("1..="),
        "says what is allowed: {}",
        stderr(&out)
    );

    let out = translate(&["--memory-budget", "0"], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("more than 0 bytes"),
        "{}",
        stderr(&out)
    );

    let out = translate(&["--memory-budget", "lots"], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("K, M, G or T"), "{}", stderr(&out));

    // Too small for one sentence: the error names what one sentence needs.
    let out = translate(&["--memory-budget", "1K"], &[]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("for one sentence"), "{err}");
    assert!(
        err.contains("memory budget of 1 KiB (--memory-budget)"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");

    let out = translate(&[], &[("ENTENTE_THREADS", "many")]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("ENTENTE_THREADS"), "{}", stderr(&out));
}

#[test]
fn a_budget_larger_than_the_machine_gets_a_note() {
    let out = translate(&["--memory-budget", "1000T"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("note: --memory-budget 1024000.0 GiB is more than the "),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_pipeline_records_its_sizing_in_run_json() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("doc.txt");
    std::fs::write(&input, "Le chat dort. Le chien aboie.\n").unwrap();
    let out_dir = dir.path().join("out");
    let model = model();
    let out = common::entente_in(
        None,
        &[
            "pipeline",
            "--model",
            &model,
            "--beams",
            "1",
            "--max-new-tokens",
            "8",
            "--threads",
            "3",
            "--memory-budget",
            "1G",
            input.to_str().unwrap(),
            "-o",
            out_dir.to_str().unwrap(),
        ],
        b"",
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(start_line(&out).contains("threads 3 (--threads)"));
    let run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("run.json")).unwrap()).unwrap();
    let engine = &run["engine"];
    assert_eq!(engine["resources"]["threads"], 3, "{run}");
    assert_eq!(engine["resources"]["threads_from"], "--threads");
    assert_eq!(engine["resources"]["memory_budget"], 1u64 << 30);
    assert_eq!(engine["batch"], "batch 16");
}

#[test]
fn the_server_says_its_sizing_at_start_and_in_v1_settings() {
    let server = Server::start(&["--threads", "2", "--memory-budget", "512M"]);
    let (status, body) = server.get("/v1/settings");
    assert_eq!(status, 200);
    let settings: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(settings["threads"], 2, "{settings}");
    assert_eq!(settings["resources"]["memory_budget"], 512u64 << 20);
    assert_eq!(
        settings["resources"]["memory_budget_from"],
        "--memory-budget"
    );
    assert_eq!(settings["batch_size"], 16);
    let said = server.stderr.lock().unwrap().clone();
    assert!(
        said.contains("entente: threads 2 (--threads), batch 16"),
        "{said}"
    );
}

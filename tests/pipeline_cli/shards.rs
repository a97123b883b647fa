//! Sharded runs: three shards merged equal one run byte for byte, and the scheduler's
//! environment read by `--shard auto`.

use super::*;

#[test]
fn three_shards_merged_equal_one_run_byte_for_byte() {
    let root = tempfile::tempdir().unwrap();
    let input = corpus(root.path());
    // Shared sentences across documents, for dedup across shards.
    for i in 0..40 {
        write(
            &input.join(format!("extra/e{i:02}.txt")),
            format!(
                "Le chat dort. Phrase propre au document {i}. Et une autre, numéro {}.\n",
                i * 7
            )
            .as_bytes(),
        );
    }
    let filters = ["--dedup", "--min-chars", "3", "--max-length-ratio", "40"];
    let mut args = vec![input.to_str().unwrap()];
    args.extend_from_slice(&filters);
    let single = root.path().join("single");
    assert_eq!(
        pipeline_tokens(&args, &single, b"", "120").status.code(),
        Some(3)
    );
    let mut shard_dirs = Vec::new();
    for k in 0..3 {
        let dir = root.path().join(format!("shard-{k}"));
        let spec = format!("{k}/3");
        let mut shard_args = args.clone();
        shard_args.extend_from_slice(&["--shard", &spec]);
        let run = pipeline_tokens(&shard_args, &dir, b"", "120");
        assert!(
            matches!(run.status.code(), Some(0 | 3)),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        shard_dirs.push(dir);
    }
    let merged = root.path().join("merged");
    let mut merge_args = vec!["merge", "-o", merged.to_str().unwrap()];
    merge_args.extend(shard_dirs.iter().map(|d| d.to_str().unwrap()));
    let run = common::entente_in(None, &merge_args, b"", &[]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert_same_files(&merged, &single);

    // Dedup and filters are counted; the shared sentence is kept once with its provenance.
    let report: serde_json::Value =
        serde_json::from_str(&read(&single.join("report.json"))).unwrap();
    assert!(
        report["filters"]["dedup"]["removed"].as_u64().unwrap() >= 8,
        "{}",
        report["filters"]
    );
    assert!(report["filters"]["min_chars"]["removed"].is_u64());
    let pairs = json_lines(&single.join("pairs.jsonl"));
    let cat: Vec<_> = pairs
        .iter()
        .filter(|p| p["fr"] == "Le chat dort.")
        .collect();
    assert_eq!(cat.len(), 1);
    assert!(cat[0]["also_in"].as_array().unwrap().len() >= 39);
    assert!(pairs.iter().all(|p| p["flags"].is_array()));
}

#[test]
fn shard_auto_reads_the_scheduler_environment() {
    let root = tempfile::tempdir().unwrap();
    let input = corpus(root.path());
    let m = model();
    let run = |env: &[(&str, &str)], extra: &[&str]| {
        let out = root.path().join("out");
        let mut args = vec![
            "pipeline",
            input.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--model",
            &m,
            "--shard",
            "auto",
        ];
        args.extend_from_slice(extra);
        common::entente_in(None, &args, b"", env)
    };
    let slurm = run(
        &[
            ("SLURM_ARRAY_TASK_ID", "1"),
            ("SLURM_ARRAY_TASK_COUNT", "2"),
        ],
        &[],
    );
    assert!(String::from_utf8_lossy(&slurm.stderr).contains("shard 1 of 2"));
    let k8s = run(&[("JOB_COMPLETION_INDEX", "2")], &["--shard-count", "4"]);
    assert!(String::from_utf8_lossy(&k8s.stderr).contains("shard 2 of 4"));
    let missing = run(&[("JOB_COMPLETION_INDEX", "2")], &[]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("--shard-count"));
}

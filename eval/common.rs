//! What the evaluation harnesses share: finding the Python that runs the peers.

/// The Python for the peer scripts: `--python PATH`, else `$ENTENTE_PYTHON`, else `python3`.
pub fn python(args: &[String]) -> String {
    args.iter()
        .position(|a| a == "--python")
        .and_then(|i| args.get(i + 1).cloned())
        .or_else(|| std::env::var("ENTENTE_PYTHON").ok())
        .unwrap_or_else(|| "python3".to_string())
}

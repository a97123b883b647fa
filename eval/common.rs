//! What the evaluation harnesses share: reading `--flag VALUE` arguments, and finding the
//! Python that runs the peers.

/// The value after `flag` in `args`, if any.
pub fn arg(args: &[String], flag: &str) -> Option<String> {
    args.iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1).cloned())
}

/// The Python for the peer scripts: `--python PATH`, else `$ENTENTE_PYTHON`, else `python3`.
pub fn python(args: &[String]) -> String {
    arg(args, "--python")
        .or_else(|| std::env::var("ENTENTE_PYTHON").ok())
        .unwrap_or_else(|| "python3".to_string())
}

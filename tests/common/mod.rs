//! Helpers shared by the end-to-end tests.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// Run the `entente` binary with `args`, feeding `stdin`, with extra environment variables and
/// an optional working directory.
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

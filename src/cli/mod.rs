//! Subcommand implementations: argument structs and the glue from arguments to the library.

pub mod align;
pub mod bleu;
pub mod segment;
pub mod tokenize;
pub mod translate;

use std::io::{self, Write};
use std::path::Path;
use std::process::ExitCode;

use clap::Args;
use entente::input::{self, InputError};

/// Which model to use: shared by the commands that load one.
#[derive(Args)]
pub struct ModelArgs {
    /// Model: a local directory, a registry name (opus-mt-fr-en, tc-big) or a Hub id.
    #[arg(long, default_value_t = entente::hub::default_model())]
    pub model: String,
    /// Hub revision (branch, tag or commit) for a Hub id.
    #[arg(long)]
    pub revision: Option<String>,
}

/// Exit status for input the user must fix (invalid UTF-8, mismatched files).
const EXIT_BAD_INPUT: u8 = 2;

/// Print an error with its chain of causes and choose the exit status.
pub fn report(err: &anyhow::Error) -> ExitCode {
    let mut message = format!("error: {err}");
    for cause in err.chain().skip(1) {
        message.push_str(&format!("\n  caused by: {cause}"));
    }
    eprintln!("{message}");
    let bad_input = err.chain().any(|e| {
        matches!(
            e.downcast_ref::<InputError>(),
            Some(InputError::InvalidUtf8 { .. })
        )
    });
    ExitCode::from(if bad_input { EXIT_BAD_INPUT } else { 1 })
}

/// Send finished output to a file (atomically) or to standard output.
pub fn emit(output: Option<&Path>, contents: &[u8]) -> anyhow::Result<()> {
    match output {
        Some(path) => input::write_atomic(path, contents)?,
        None => {
            let mut stdout = io::stdout().lock();
            match stdout.write_all(contents).and_then(|()| stdout.flush()) {
                Ok(()) => {}
                // A closed pipe (`entente … | head`) is the reader's choice, not an error.
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(())
}

//! Subcommand implementations: argument structs and the glue from arguments to the library.

pub mod align;
pub mod bleu;
pub mod document;
pub mod extract;
pub mod pipeline;
pub mod segment;
pub mod serve;
pub mod tokenize;
pub mod translate;

use std::io::{self, Write};
use std::path::Path;
use std::process::ExitCode;

use clap::Args;
use entente::input::InputError;
use entente::output;

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

/// A clap parser for a count between `min` and `max`, refused with clap's message otherwise.
pub fn count_in(min: u64, max: u64) -> clap::builder::RangedU64ValueParser<usize> {
    clap::builder::RangedU64ValueParser::<usize>::new().range(min..=max)
}

/// A clap parser for a memory size (bytes, or a number with K, M, G or T), more than 0.
pub fn memory_size(text: &str) -> Result<u64, String> {
    match entente::translate::parse_size(text, "the size") {
        Ok(0) => {
            Err("must be more than 0 bytes: bytes, or a number with K, M, G or T (e.g. 8G)".into())
        }
        Ok(n) => Ok(n),
        Err(_) => Err("not a size: use bytes, or a number with K, M, G or T (e.g. 8G)".into()),
    }
}

/// A clap parser for a finite number (no NaN or infinity).
pub fn finite(text: &str) -> Result<f32, String> {
    match text.parse::<f32>() {
        Ok(x) if x.is_finite() => Ok(x),
        Ok(_) => Err("must be a finite number".into()),
        Err(e) => Err(e.to_string()),
    }
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

/// Where a command's output goes: a checked file (written to a temporary sibling and put in
/// place by [`Out::finish`]) or standard output. Opened before the work starts, so a bad `-o`
/// fails at once; dropped without `finish` (an error, Ctrl-C), the file is left untouched.
pub struct Out {
    file: Option<output::OutputWriter>,
    stdout: Option<io::Stdout>,
    /// The reader of standard output went away (`entente … | head`): further output is dropped.
    closed: bool,
}

impl Out {
    /// Check `-o` (before the work starts) and open it, or standard output without one.
    pub fn open(path: Option<&Path>) -> anyhow::Result<Self> {
        Ok(match path {
            Some(path) => Out {
                file: Some(output::Destination::check(path)?.create()?),
                stdout: None,
                closed: false,
            },
            None => Out {
                file: None,
                stdout: Some(io::stdout()),
                closed: false,
            },
        })
    }

    /// Has standard output's reader gone away? Streaming commands stop early then.
    pub fn closed(&self) -> bool {
        self.closed
    }

    /// Write (and, for standard output, flush) a chunk of output.
    pub fn send(&mut self, bytes: &[u8]) -> anyhow::Result<()> {
        if self.closed {
            return Ok(());
        }
        let result = match (&mut self.file, &self.stdout) {
            (Some(file), _) => file.write_all(bytes),
            (None, Some(stdout)) => {
                let mut lock = stdout.lock();
                lock.write_all(bytes).and_then(|()| lock.flush())
            }
            (None, None) => Ok(()),
        };
        match result {
            Ok(()) => Ok(()),
            // A closed pipe is the reader's choice, not an error.
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe && self.stdout.is_some() => {
                self.closed = true;
                Ok(())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Complete the output: the file appears whole.
    pub fn finish(self) -> anyhow::Result<()> {
        if let Some(file) = self.file {
            file.commit()?;
        }
        Ok(())
    }
}

/// Send finished output to an opened [`Out`] and complete it.
pub fn emit(mut out: Out, contents: &[u8]) -> anyhow::Result<()> {
    out.send(contents)?;
    out.finish()
}

//! The `entente` command line: parses arguments, calls the library, prints results.

mod cli;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// entente — French→English machine translation toolkit: sentence segmentation, translation with
/// opus-mt Marian models, bilingual alignment and sacreBLEU-exact scoring.
#[derive(Parser)]
#[command(name = "entente", version, about, long_about = None, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Segment(cli::segment::SegmentArgs),
    Translate(cli::translate::TranslateArgs),
    Tokenize(cli::tokenize::TokenizeArgs),
    Align(cli::align::AlignArgs),
    Bleu(cli::bleu::BleuArgs),
    Extract(cli::extract::ExtractArgs),
    Pipeline(cli::pipeline::PipelineArgs),
    Merge(cli::pipeline::MergeArgs),
    Serve(cli::serve::ServeArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Ctrl-C, SIGTERM or SIGHUP: remove the temporary files of outputs being written (the
    // destinations keep their old contents), then exit as a shell expects (128 + SIGINT). The
    // server handles its own signals: it shuts down gracefully.
    if !matches!(cli.command, Command::Serve(_)) {
        let _ = ctrlc::set_handler(|| {
            entente::output::remove_unfinished();
            std::process::exit(130);
        });
    }
    let result = match cli.command {
        Command::Segment(args) => cli::segment::run(args).map(|()| ExitCode::SUCCESS),
        Command::Translate(args) => cli::translate::run(args).map(|()| ExitCode::SUCCESS),
        Command::Tokenize(args) => cli::tokenize::run(args).map(|()| ExitCode::SUCCESS),
        Command::Align(args) => cli::align::run(args).map(|()| ExitCode::SUCCESS),
        Command::Bleu(args) => cli::bleu::run(args).map(|()| ExitCode::SUCCESS),
        Command::Extract(args) => cli::extract::run(args),
        Command::Pipeline(args) => cli::pipeline::run(args),
        Command::Merge(args) => cli::pipeline::merge(args),
        Command::Serve(args) => cli::serve::run(args).map(|()| ExitCode::SUCCESS),
    };
    match result {
        Ok(code) => code,
        Err(err) => cli::report(&err),
    }
}

//! The `modelvet` binary: parse, set up logging, run, map the outcome to an exit code.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = modelvet::cli::Cli::parse();
    modelvet::cli::init_logging(&cli);
    match modelvet::cli::run(cli) {
        Ok(outcome) => outcome.exit_code(),
        Err(err) => modelvet::cli::report_error(&err),
    }
}

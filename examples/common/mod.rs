//! What the command-line examples share: the values of their common options, reading their
//! input files, the exits for bad input, and writing a report to stdout.

// Each example uses a part of it.
#![allow(dead_code)]

use serde_json::Value;
use std::io::{self, Write};
use std::process::ExitCode;
use std::str::FromStr;
use tokenmint::token::Algorithm;

/// An example program: its name (the prefix of its messages) and its usage text.
pub(crate) struct Cli {
    pub(crate) name: &'static str,
    pub(crate) usage: &'static str,
}

impl Cli {
    /// Bad input: the message on stderr, exit status 2.
    pub(crate) fn fail(&self, msg: &str) -> ExitCode {
        let _ = writeln!(io::stderr(), "{}: {msg}", self.name);
        ExitCode::from(2)
    }

    /// Bad arguments: the message (none for `--help`) and the usage on stderr, exit status 2.
    pub(crate) fn usage_error(&self, msg: &str) -> ExitCode {
        let mut err = io::stderr();
        if !msg.is_empty() {
            let _ = writeln!(err, "{}: {msg}", self.name);
        }
        let _ = writeln!(err, "{}", self.usage);
        ExitCode::from(2)
    }

    /// Writes a report to stdout with `write`, then exits with `code`. A reader that went away
    /// (`… | head`) is not an error; any other write error is, saying what could not be
    /// written (`what`).
    pub(crate) fn report(
        &self,
        what: &str,
        code: ExitCode,
        write: impl FnOnce(&mut io::BufWriter<io::StdoutLock<'_>>) -> io::Result<()>,
    ) -> ExitCode {
        let stdout = io::stdout();
        let mut out = io::BufWriter::new(stdout.lock());
        match write(&mut out).and_then(|()| out.flush()) {
            Ok(()) => code,
            // The reader went away: nothing more to say.
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => code,
            Err(e) => self.fail(&format!("can't write the {what}: {e}")),
        }
    }
}

/// Reads an input file; the error names it.
pub(crate) fn read(path: &str) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("can't read {path}: {e}"))
}

/// The value of `--seed`.
pub(crate) fn seed(value: Option<String>) -> Result<u64, String> {
    let v = value.ok_or("--seed needs a number")?;
    v.parse::<u64>()
        .map_err(|_| format!("--seed: {v:?} is not a non-negative integer"))
}

/// The value of `--alg`.
pub(crate) fn alg(value: Option<String>) -> Result<Algorithm, String> {
    let v = value.ok_or("--alg needs an algorithm")?;
    Algorithm::from_str(&v).map_err(|_| {
        let names: Vec<&str> = Algorithm::ALL.iter().map(|a| a.name()).collect();
        format!(
            "--alg: unsupported algorithm {v:?}; use one of {}",
            names.join(", ")
        )
    })
}

/// `v` as pretty-printed JSON.
pub(crate) fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_else(|e| format!("(unprintable: {e})"))
}

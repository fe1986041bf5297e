//! Error types.

use crate::config::Diagnostic;
use std::fmt;

/// A configuration that can't be loaded or compiled, with every problem found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The problems, errors first, each located by a JSON pointer. Warnings found alongside
    /// the errors are included too.
    pub diagnostics: Vec<Diagnostic>,
}

impl ConfigError {
    pub(crate) fn new(mut diagnostics: Vec<Diagnostic>) -> Self {
        // Errors before warnings; otherwise keep document order.
        diagnostics.sort_by_key(|d| std::cmp::Reverse(d.severity));
        ConfigError { diagnostics }
    }

    /// Only the errors.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| d.is_error())
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.errors().count();
        write!(
            f,
            "the configuration has {n} error{}",
            if n == 1 { "" } else { "s" }
        )?;
        for d in &self.diagnostics {
            write!(f, "\n  {d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

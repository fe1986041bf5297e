//! Located problems found in a configuration.

use serde::Serialize;
use std::fmt;

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Legal but probably not what was meant (a rule that can never match, an ignored field).
    Warning,
    /// The configuration can't be compiled.
    Error,
}

/// A byte range inside the string value at a diagnostic's path (an expression), with the
/// 1-based line and column of its start.
use crate::el::Span;

/// One problem in a configuration, located by a JSON pointer (RFC 6901) into the
/// [`ServerConfig`](crate::ServerConfig) JSON, e.g. `/claims/3/name`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// A stable identifier of the check, e.g. `scope.name.charset`.
    pub code: &'static str,
    /// JSON pointer to the offending value.
    pub path: String,
    /// What is wrong.
    pub message: String,
    /// How to fix it, where that helps.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// Where inside an expression string, for expression problems.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub span: Option<Span>,
}

impl Diagnostic {
    /// An error at `path`.
    pub fn error(code: &'static str, path: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            path: path.into(),
            message: message.into(),
            hint: None,
            span: None,
        }
    }

    /// A warning at `path`.
    pub fn warning(
        code: &'static str,
        path: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, path, message)
        }
    }

    /// Adds a hint.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Adds a span inside the expression at the path.
    pub fn with_span(mut self, span: Span) -> Self {
        self.span = Some(span);
        self
    }

    /// Whether this is an error (not a warning).
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let path = if self.path.is_empty() {
            "/"
        } else {
            &self.path
        };
        write!(f, "{sev}[{}] at {path}", self.code)?;
        if let Some(span) = &self.span {
            write!(f, " (line {}, column {})", span.line, span.column)?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, " (hint: {hint})")?;
        }
        Ok(())
    }
}

/// A name as a message quotes it: its first 64 characters, then `…` if there are more (a name
/// is repeated in every diagnostic about its object and in others that point at it, so its
/// full length must not multiply).
pub(crate) struct Quoted<'a>(pub(crate) &'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.char_indices().nth(64) {
            None => write!(f, "{:?}", self.0),
            Some((end, _)) => write!(f, "{:?}…", self.0.get(..end).unwrap_or_default()),
        }
    }
}

/// Appends one reference token to a JSON pointer, escaping `~` and `/` (RFC 6901).
pub(crate) fn pointer(base: &str, token: impl fmt::Display) -> String {
    let token = token.to_string().replace('~', "~0").replace('/', "~1");
    format!("{base}/{token}")
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointer_escapes_tilde_and_slash() {
        assert_eq!(pointer("/scopes", 3), "/scopes/3");
        assert_eq!(pointer("", "a/b~c"), "/a~1b~0c");
    }

    #[test]
    fn span_line_and_column() {
        let text = "ab\ncdé f";
        assert_eq!(Span::new(text, 0, 1).line, 1);
        let s = Span::new(text, 7, 8);
        assert_eq!((s.line, s.column), (2, 4), "columns count characters");
        let past = Span::new(text, 99, 3);
        assert_eq!(past.start, text.len());
        assert!(past.end >= past.start);
    }

    #[test]
    fn long_names_are_quoted_short() {
        assert_eq!(Quoted("a\"b").to_string(), "\"a\\\"b\"");
        let long = "é".repeat(100);
        assert_eq!(Quoted(&long).to_string(), format!("{:?}…", "é".repeat(64)));
        assert_eq!(
            Quoted(&"x".repeat(64)).to_string(),
            format!("{:?}", "x".repeat(64))
        );
    }

    #[test]
    fn display_has_everything() {
        let d = Diagnostic::error("c.x", "/a", "broken")
            .with_hint("fix it")
            .with_span(Span::new("x", 0, 1));
        assert_eq!(
            d.to_string(),
            "error[c.x] at /a (line 1, column 1): broken (hint: fix it)"
        );
        assert_eq!(
            Diagnostic::warning("w", "", "odd").to_string(),
            "warning[w] at /: odd"
        );
    }
}

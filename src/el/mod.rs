//! The Okta Expression Language engine (Classic dialect plus SpEL core syntax).
//!
//! Compile once, evaluate many times:
//!
//! ```
//! use tokenmint::el::{self, Context, Limits};
//!
//! let program = el::compile("user.firstName + '.' + toLowerCase(user.lastName)", &Limits::default())
//!     .unwrap();
//! let ctx = Context::from_json(&serde_json::json!({
//!     "user": {"id": "00u1", "profile": {"firstName": "Winston", "lastName": "Churchill"}}
//! })).unwrap();
//! assert_eq!(program.eval(&ctx).unwrap().to_json(), "Winston.churchill");
//! ```
//!
//! [`compile`] pre-scans the source (length, nesting depth, constructs Okta forbids), parses it
//! with a pest grammar, resolves every root, function and method name to an enum, checks arities
//! and literal argument types, and compiles literal regular expressions. [`Program::eval`]
//! walks the resolved tree against a [`Context`] built once per request.
//!
//! # Semantics
//!
//! SpEL's, wherever Okta documents nothing else: `Int` (32-bit, wrapping), `Long` and `Double`
//! with SpEL's promotion; integer division truncates; division by zero is an error (for
//! doubles too, since a claim cannot carry Infinity); `+` with a string operand concatenates
//! and renders null as `"null"`; `==` compares numbers by value and never coerces between
//! kinds; null sorts before everything; null (or a non-boolean) in a boolean position is an
//! error; `and`/`or` short-circuit; Elvis treats `""` like null; `matches` must match the
//! whole string. Okta-specific points (documented or decided) are commented next to their
//! code in [`functions`] and pinned by `tests/el/*.jsonl`. The main decisions:
//!
//! * Regular expressions run on the linear-time `regex` crate. Literal patterns compile with
//!   the program; Java-only constructs are compile errors. Patterns that come from data are
//!   compiled when evaluated, through a small bounded per-program cache.
//! * A bare name other than a known root (`user`, `appuser`, `app`, `org`, `access`,
//!   `idpuser`, `session`, `source`, ...) is a root the context must bind (profile-mapping
//!   sources, the conditional samples' bare attributes); a name one or two edits away from a
//!   known root or namespace is a compile error with a hint.
//! * Group limits outside 1–100, or more matching groups than the limit, are errors.
//! * Classic string helpers are null-safe (null in, null out; `String.len(null)` is 0) and
//!   clamp out-of-range `substring` indexes; the string *methods* follow Java and fail.
//! * Time functions read the context's `now`; `EST`/`MST`/`HST` observe daylight saving, as
//!   Okta's `Time.now("EST")` example shows.

mod ast;
mod compile;
mod context;
mod eval;
pub mod functions;
mod limits;
mod parse;
mod scan;
mod user;
mod value;

use std::fmt;
use std::sync::Arc;

pub use ast::Span;
pub use context::Context;
pub use limits::Limits;
pub(crate) use context::KnownRoot;
pub use user::User;
pub use value::{Map, Value, java_double};
pub(crate) use value::{key, map_from_json};

/// An expression that could not be compiled.
///
/// Displays as `line:column: message`; the alternate form (`{:#}`) appends the hint in
/// parentheses: `1:1: unknown name 'usr' (did you mean 'user'?)`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct CompileError {
    /// What is wrong.
    pub message: String,
    /// A suggestion (for example "did you mean 'String.len'?").
    pub hint: Option<String>,
    /// Where in the source.
    pub span: Span,
}

impl fmt::Display for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: {}",
            self.span.line, self.span.column, self.message
        )?;
        if f.alternate()
            && let Some(h) = &self.hint
        {
            write!(f, " ({h})")?;
        }
        Ok(())
    }
}

impl CompileError {
    pub(crate) fn new(message: impl Into<String>, span: Span, hint: Option<String>) -> Self {
        CompileError {
            message: message.into(),
            hint,
            span,
        }
    }
}

/// The kind of an [`EvalError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EvalErrorKind {
    /// null where a boolean is needed (`!null`, `null and x`, `null ? a : b`).
    NullBoolean,
    /// null where a value is needed (`null.x`, `null[0]`, a null function argument that may
    /// not be null).
    NullValue,
    /// An operand or argument of the wrong type.
    Type,
    /// Integer division or remainder by zero.
    DivideByZero,
    /// An index outside a list or string.
    IndexOutOfBounds,
    /// A string that is not a number (`'abc'.toInteger()`).
    NumberFormat,
    /// A group function's limit is outside 1–100, or more groups match than the limit.
    GroupLimit,
    /// A produced string or list, or the evaluation itself, exceeded a [`Limits`] bound.
    Limit,
    /// A regular expression or a group expression given at evaluation time is invalid.
    InvalidPattern,
    /// A name the context does not hold, or context data in the wrong shape.
    Context,
    /// A value outside what a function accepts (unknown country code, bad date text, ...).
    Argument,
}

/// An expression that failed while evaluating.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct EvalError {
    /// The kind of failure.
    pub kind: EvalErrorKind,
    /// What went wrong.
    pub message: String,
    /// Where in the source, when known.
    pub span: Option<Span>,
}

impl fmt::Display for EvalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.span {
            Some(s) => write!(f, "{}:{}: {}", s.line, s.column, self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl EvalError {
    pub(crate) fn new(kind: EvalErrorKind, message: impl Into<String>) -> Self {
        EvalError {
            kind,
            message: message.into(),
            span: None,
        }
    }

    /// Attaches a span unless the error already has one.
    pub(crate) fn at(mut self, span: Span) -> Self {
        if self.span.is_none() {
            self.span = Some(span);
        }
        self
    }
}

/// A compiled expression: cheap to clone and share between threads.
#[derive(Clone)]
pub struct Program {
    inner: Arc<ProgramInner>,
}

struct ProgramInner {
    source: String,
    ast: ast::Expr,
    node: compile::Node,
    limits: Limits,
    reads_user: bool,
}

impl fmt::Debug for Program {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Program")
            .field("source", &self.inner.source)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for Program {
    /// A normalised rendering of the expression that compiles to the same program.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.inner.ast)
    }
}

impl Program {
    /// The source text this program was compiled from.
    pub fn source(&self) -> &str {
        &self.inner.source
    }

    /// Whether the expression reads the user: the `user` or `appuser` root, or a function that
    /// reads the user's groups, manager, assistant or directory assignments. (In a token issued
    /// without a user, minting leaves out such a claim when its evaluation fails.)
    pub fn reads_user(&self) -> bool {
        self.inner.reads_user
    }

    /// Evaluates the program against a context.
    pub fn eval(&self, ctx: &Context) -> Result<Value, EvalError> {
        eval::eval_program(&self.inner.node, ctx, &self.inner.limits)
    }
}

/// Compiles an expression under the given limits.
pub fn compile(source: &str, limits: &Limits) -> Result<Program, CompileError> {
    compile_with(source, limits, compile::Scope::Top)
}

pub(crate) fn compile_with(
    source: &str,
    limits: &Limits,
    scope: compile::Scope,
) -> Result<Program, CompileError> {
    let depth = scan::prescan(source, limits)?;
    let (ast, (node, reads_user)) = if depth <= INLINE_DEPTH {
        build(source, limits, scope)?
    } else {
        // The recursive-descent parser needs stack in proportion to the nesting depth (much
        // more in unoptimised builds), so deeply nested sources are compiled on a helper
        // thread whose stack is sized from the depth the pre-scan measured.
        let stack = 1 << 20 | depth.saturating_mul(STACK_PER_LEVEL);
        let src = source.to_owned();
        let lim = limits.clone();
        let spawned = std::thread::Builder::new()
            .name("el-compile".into())
            .stack_size(stack)
            .spawn(move || build(&src, &lim, scope));
        match spawned {
            Ok(h) => h.join().unwrap_or_else(|_| {
                Err(CompileError::new(
                    "the expression could not be compiled",
                    Span::default(),
                    None,
                ))
            })?,
            Err(_) => build(source, limits, scope)?,
        }
    };
    Ok(Program {
        inner: Arc::new(ProgramInner {
            source: source.to_owned(),
            ast,
            node,
            limits: limits.clone(),
            reads_user,
        }),
    })
}

/// Nesting depth up to which compiling runs on the caller's stack.
const INLINE_DEPTH: usize = 8;
/// Stack reserved per nesting level on the helper thread (generous for debug builds).
const STACK_PER_LEVEL: usize = 256 << 10;

fn build(
    source: &str,
    limits: &Limits,
    scope: compile::Scope,
) -> Result<(ast::Expr, (compile::Node, bool)), CompileError> {
    let ast = parse::parse(source)?;
    let node = compile::compile_ast(&ast, source, limits, scope)?;
    Ok((ast, node))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync + Clone + fmt::Debug>() {}

    #[test]
    fn program_is_send_sync() {
        assert_send_sync::<Program>();
        assert_send_sync::<Context>();
        assert_send_sync::<Value>();
    }
}

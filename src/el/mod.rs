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
//! (a hand-written parser for typical expressions, the pest grammar for the rest and for every
//! error; both build the same tree), resolves every root to a slot and every function and method to its
//! record (one per function: name, call style, arity, argument kinds, whether it reads the
//! user, cost, implementation), checks arities and literal argument types, compiles literal
//! regular expressions, and evaluates the subexpressions that read nothing of the request
//! (`60 * 60 * 24`, `'sales'.toUpperCase()`, `{'Admins', 'Sales' + 'Ops'}`) once, keeping their
//! values. [`Program::eval`] walks the resolved tree against a [`Context`] built once per
//! request.
//!
//! # Parsing, nesting and stack
//!
//! Compiling runs on the caller's thread from start to end: it never spawns a thread and keeps
//! no global state. The pre-scan is one linear pass that refuses an expression nested deeper
//! than [`Limits::max_depth`] (brackets of every kind, call arguments and ternary/Elvis
//! operators count) before anything recurses. Expressions nested at most 6 levels are parsed by
//! a hand-written recursive-descent parser when at least 128 KiB of stack is left (its deepest
//! recursion takes less than half of that, unoptimized); everything else by the pest grammar,
//! as follows. The grammar reads the operators of an expression
//! as a flat sequence; the parser applies precedence to it with an operator stack and builds the
//! tree from a heap-allocated stack of frames, so chains of operators, runs of prefix operators
//! (`!!!!x`) and of postfix steps (`a.b[0].c()`) need no stack in proportion to their length.
//! Only brackets make the pest parser recurse: about 1–1.5 KiB of stack per level in release
//! builds (6–13 KiB unoptimized), and pest refuses to go on with an error, not an overflow,
//! when less than 64 KiB of stack is left. The passes after parsing walk the tree recursively,
//! a few KiB per nesting level.
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
//! code in `src/el/functions/` and pinned by `tests/el/*.jsonl`. The main decisions:
//!
//! * Regular expressions run on linear-time DFAs (from `regex-automata`, the engine of the
//!   `regex` crate): built in full with the program when they fit, lazily otherwise. Literal patterns compile with the program; Java-only
//!   constructs are compile errors. Patterns that come from data are compiled when evaluated,
//!   through a bounded per-call-site cache. Replacements follow Java (`$1`, `${name}`, `\$`).
//! * A bare name other than a known root (`user`, `appuser`, `app`, `org`, `access`,
//!   `idpuser`, `session`, `source`, ...) is a root the context must bind (profile-mapping
//!   sources, the conditional samples' bare attributes); a name one or two edits away from a
//!   known root or namespace is a compile error with a hint.
//! * Group limits outside 1–100, or more matching groups than the limit, are errors.
//! * Classic string helpers are null-safe (null in, null out; `String.len(null)` is 0) and
//!   clamp out-of-range `substring` indexes; the string *methods* follow Java and fail.
//! * Time functions read the context's `now`; `EST`/`MST`/`HST` observe daylight saving, as
//!   Okta's `Time.now("EST")` example shows. Dates outside chrono's range (about ±262,000
//!   years) are errors.
//!
//! # Limits and the cost model
//!
//! Expressions may come from tenants and data from end users, so nothing an expression does
//! may take the host down. [`Limits`] (per engine instance; [`Options`](crate::Options) carries
//! one per server) bound:
//!
//! * at compile time, the length of the source (1024 characters, Okta's limit) and its nesting
//!   depth (64), checked by a linear pre-scan; and the compiled size of each regular
//!   expression (1 MiB);
//! * at evaluation time, a **budget** per evaluation: every operator, function and method
//!   charges it for the work it does and the bytes it will produce *before* doing the work or
//!   building the result. One cost unit is charged per node visited and per list element
//!   touched, one per 16 bytes scanned, copied or produced; a regular-expression search is
//!   charged for every byte it scans and every DFA state it builds; compiling a pattern or a
//!   group expression at evaluation time is charged by its size. The default budget,
//!   10,000,000 units, is at most about 0.15 s of work in a release build on the reference
//!   machine (the calibration is documented in `src/el/cost.rs`); the most expensive
//!   documented Okta example costs 26,000 units.
//! * the **bytes** one evaluation allocates for the strings, lists and maps it produces (32 MiB
//!   in total by default; a conservative bound on what is live at once), each string
//!   (1 MiB) and each list or map (100,000 elements).
//!
//! A result whose size can't be known in advance (Unicode case mapping, which can triple a
//! string; a regex replacement with group references; a date pattern; a value rendered as
//! text) is built into a string that refuses to grow past what the limits still allow.
//! Exceeding a limit is an [`EvalError`] of kind [`EvalErrorKind::Limit`]; what an evaluation
//! costs depends only on the program and the context (regex caches are per evaluation), so the
//! same inputs always give the same answer. [`Program::eval_metered`] reports what an
//! evaluation used.
//!
//! A constant subexpression folded at compile time is charged, when evaluated, exactly what
//! evaluating it would charge, in one step; if that doesn't fit in what is left of the budget,
//! the subexpression is evaluated after all and runs out where it would have. So folding
//! changes no value, no error and no [`Usage`]; it is bounded by [`Limits::max_fold_cost`]
//! (256 units of work per expression by default, 0 to turn it off), and a subexpression is
//! folded only if its evaluation succeeded, read nothing of the request (its user, groups,
//! directories or clock), searched no regular expression and charged without asking how much
//! room was left (`tests/el_fold.rs` runs every corpus expression both ways, on full and on cut
//! budgets).

mod ast;
mod compile;
mod context;
mod cost;
mod datetime;
mod eval;
mod fastparse;
mod fold;
pub(crate) mod functions;
mod limits;
pub(crate) mod model;
mod parse;
mod pattern;
mod scan;
mod user;
mod value;

use std::fmt;
use std::sync::Arc;

pub use ast::Span;
pub use context::Context;
pub(crate) use context::KnownRoot;
pub use datetime::{Zdt, Zone};
pub use limits::Limits;
pub(crate) use pattern::{GroupNameRegex, PatternError};
pub use user::UserView;
pub use value::{Country, Map, Value};
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
}

/// An evaluation error on its way out of the evaluator: boxed, so that the result of every
/// evaluation step stays small (a few words) and only a failing evaluation pays for the error.
/// Converted to an [`EvalError`] where it leaves the engine.
#[derive(Debug, Clone)]
pub(crate) struct Fail(Box<EvalError>);

impl Fail {
    #[cold]
    pub(crate) fn new(kind: EvalErrorKind, message: impl Into<String>) -> Fail {
        Fail(Box::new(EvalError::new(kind, message)))
    }

    /// Attaches a span unless the error already has one.
    pub(crate) fn at(mut self, span: Span) -> Fail {
        if self.0.span.is_none() {
            self.0.span = Some(span);
        }
        self
    }

    /// The error as the engine reports it.
    pub(crate) fn into_error(self) -> EvalError {
        *self.0
    }
}

impl std::ops::Deref for Fail {
    type Target = EvalError;

    fn deref(&self) -> &EvalError {
        &self.0
    }
}

impl fmt::Display for Fail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl From<Fail> for EvalError {
    fn from(f: Fail) -> EvalError {
        f.into_error()
    }
}

impl From<EvalError> for Fail {
    fn from(e: EvalError) -> Fail {
        Fail(Box::new(e))
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

    /// Evaluates the program against a context, within the cost and memory budget of its
    /// [`Limits`].
    pub fn eval(&self, ctx: &Context) -> Result<Value, EvalError> {
        let budget = cost::Budget::new(&self.inner.limits);
        eval::eval_program(&self.inner.node, ctx, &self.inner.limits, &budget)
    }

    /// Evaluates the program and reports what the evaluation used of its budget (whether it
    /// succeeded or not): for logging, and for choosing [`Limits`].
    ///
    /// ```
    /// use tokenmint::el::{self, Context, Limits};
    ///
    /// let p = el::compile("'ab' * 1000", &Limits::default()).unwrap();
    /// let (value, usage) = p.eval_metered(&Context::new());
    /// assert_eq!(value.unwrap().as_str().map(str::len), Some(2000));
    /// assert!(usage.bytes >= 2000);
    /// assert!(usage.cost > 0);
    /// ```
    pub fn eval_metered(&self, ctx: &Context) -> (Result<Value, EvalError>, Usage) {
        let budget = cost::Budget::new(&self.inner.limits);
        let r = eval::eval_program(&self.inner.node, ctx, &self.inner.limits, &budget);
        let usage = Usage {
            cost: budget.cost(),
            bytes: budget.bytes(),
        };
        (r, usage)
    }
}

/// What one evaluation used of its budget (see [`Program::eval_metered`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Usage {
    /// Cost units charged (bounded by [`Limits::max_cost`]).
    pub cost: u64,
    /// Bytes of strings, lists and maps produced (bounded by [`Limits::max_total_bytes`]).
    pub bytes: u64,
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
    // The pre-scan bounds the nesting depth, so everything runs on the caller's thread (see
    // "Parsing, nesting and stack" in the module documentation): no helper thread, whatever the
    // input.
    #[cfg(test)]
    compile_counts::EXPRESSIONS.with(|n| n.set(n.get() + 1));
    let depth = scan::prescan(source, limits)?;
    let (ast, (node, reads_user)) = build(source, depth, limits, scope)?;
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

fn build(
    source: &str,
    depth: usize,
    limits: &Limits,
    scope: compile::Scope,
) -> Result<(ast::Expr, (compile::Node, bool)), CompileError> {
    let ast = parse::parse(source, depth)?;
    let (mut node, reads_user) = compile::compile_ast(&ast, source, limits, scope)?;
    // a group expression compiled at evaluation time is charged to that evaluation, by the
    // byte: no work beyond that
    if scope != compile::Scope::GroupAtEval {
        fold::fold(&mut node, limits);
    }
    Ok((ast, (node, reads_user)))
}

/// How many expressions and GROUPS filter regexes this thread compiled: what the crate's tests
/// read to prove that loading a configuration compiles each once. Test builds only.
#[cfg(test)]
pub(crate) mod compile_counts {
    use std::cell::Cell;

    thread_local! {
        /// Calls of [`compile_with`](super::compile_with).
        pub(crate) static EXPRESSIONS: Cell<usize> = const { Cell::new(0) };
        /// Calls of [`GroupNameRegex::new`](super::GroupNameRegex::new).
        pub(crate) static GROUP_REGEXES: Cell<usize> = const { Cell::new(0) };
    }

    /// The two counts, then both reset.
    pub(crate) fn take() -> (usize, usize) {
        (EXPRESSIONS.take(), GROUP_REGEXES.take())
    }
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

//! Syntax tree of an expression, with source spans, and a printer that re-parses.
//!
//! Chains of the same precedence level (`a + b - c`, `a and b and c`) and postfix chains
//! (`a.b[0].c()`) are stored flat, so the depth of the tree equals the nesting depth of the
//! source (parentheses, brackets, ternaries) that the pre-scan has already bounded.

use std::fmt;

/// A byte range of the source, with the 1-based line and column of its start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Span {
    /// Byte offset of the first character.
    pub start: usize,
    /// Byte offset one past the last character.
    pub end: usize,
    /// 1-based line of `start`.
    pub line: usize,
    /// 1-based column (in characters) of `start`.
    pub column: usize,
}

impl Span {
    /// The span of `start..end` in `source`, with line and column computed.
    ///
    /// Offsets are clamped to the source and snapped outwards to character boundaries: `start`
    /// back to the beginning of the character it falls in, `end` forward to the end of its
    /// character, so a span never splits a character (`&source[span.start..span.end]` is always
    /// valid) and an `end` before `start` becomes `start`.
    ///
    /// ```
    /// use tokenmint::el::Span;
    ///
    /// let s = Span::new("a + é", 5, 6); // inside the two bytes of 'é'
    /// assert_eq!((s.start, s.end, s.column), (4, 6, 5));
    /// ```
    pub fn new(source: &str, start: usize, end: usize) -> Span {
        let mut start = start.min(source.len());
        while !source.is_char_boundary(start) {
            start -= 1;
        }
        let mut end = end.clamp(start, source.len());
        while !source.is_char_boundary(end) {
            end += 1;
        }
        let before = source.get(..start).unwrap_or_default();
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before.get(line_start..).unwrap_or_default().chars().count() + 1;
        Span {
            start,
            end,
            line,
            column,
        }
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// Binary operators, grouped by precedence level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BinOp {
    /// `or`, `||`
    Or,
    /// `and`, `&&`
    And,
    /// `==`, `eq`
    Eq,
    /// `!=`, `ne`
    Ne,
    /// `<`, `lt`
    Lt,
    /// `<=`, `le`
    Le,
    /// `>`, `gt`
    Gt,
    /// `>=`, `ge`
    Ge,
    /// `matches`
    Matches,
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`, `div`
    Div,
    /// `%`, `mod`
    Mod,
    /// `^`
    Pow,
}

impl BinOp {
    /// The operator's canonical spelling.
    pub(crate) fn symbol(self) -> &'static str {
        match self {
            BinOp::Or => "or",
            BinOp::And => "and",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Matches => "matches",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Mod => "%",
            BinOp::Pow => "^",
        }
    }
}

/// Prefix operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UnOp {
    /// `!`, `not`
    Not,
    /// `-`
    Neg,
    /// `+`
    Plus,
}

/// Selection kinds: `.?[ ]` all, `.^[ ]` first, `.$[ ]` last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SelectKind {
    /// `?[`
    All,
    /// `^[`
    First,
    /// `$[`
    Last,
}

/// A literal value.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Literal {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// 32-bit int
    Int(i32),
    /// 64-bit long (`L` suffix)
    Long(i64),
    /// double (also `f`/`F` floats, kept as doubles)
    Double(f64),
    /// string, with doubled quotes already collapsed
    Str(String),
}

/// One postfix step of a chain.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Postfix {
    /// `.name` or `?.name`
    Property {
        /// property name
        name: String,
        /// `?.`
        safe: bool,
        /// span of the name
        span: Span,
    },
    /// `.name(args)` or `?.name(args)`
    Method {
        /// method name
        name: String,
        /// arguments
        args: Vec<Expr>,
        /// `?.`
        safe: bool,
        /// span of the call
        span: Span,
    },
    /// `[index]`
    Index {
        /// index expression
        index: Box<Expr>,
        /// span
        span: Span,
    },
    /// `.![expr]`
    Project {
        /// per-element expression
        expr: Box<Expr>,
        /// `?.`
        safe: bool,
        /// span
        span: Span,
    },
    /// `.?[expr]`, `.^[expr]`, `.$[expr]`
    Select {
        /// kind
        kind: SelectKind,
        /// predicate
        expr: Box<Expr>,
        /// `?.`
        safe: bool,
        /// span
        span: Span,
    },
}

/// An expression node.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Expr {
    /// A literal.
    Lit(Literal, Span),
    /// A bare identifier (root object, or property of the element inside a projection).
    Ident(String, Span),
    /// A bare call `name(args)`.
    Call(String, Vec<Expr>, Span),
    /// `{a, b}`
    List(Vec<Expr>, Span),
    /// `{k: v}`
    Map(Vec<(Expr, Expr)>, Span),
    /// A start node followed by postfix steps.
    Chain(Box<Expr>, Vec<Postfix>),
    /// Prefix operators (outermost first) applied to an operand.
    Unary(Vec<(UnOp, Span)>, Box<Expr>),
    /// A left-associative chain of one precedence level: `first op e1 op e2 ...`.
    Binary(Box<Expr>, Vec<(BinOp, Span, Expr)>),
    /// `c ? a : b`
    Ternary(Box<Expr>, Box<Expr>, Box<Expr>, Span),
    /// `a ?: b`
    Elvis(Box<Expr>, Box<Expr>, Span),
    /// `( e )` — kept so the printer reproduces grouping.
    Paren(Box<Expr>, Span),
}

impl Expr {
    /// The span of the expression's first token.
    pub(super) fn span(&self) -> Span {
        match self {
            Expr::Lit(_, s)
            | Expr::Ident(_, s)
            | Expr::Call(_, _, s)
            | Expr::List(_, s)
            | Expr::Map(_, s)
            | Expr::Ternary(_, _, _, s)
            | Expr::Elvis(_, _, s)
            | Expr::Paren(_, s) => *s,
            Expr::Chain(e, _) => e.span(),
            Expr::Unary(ops, e) => ops.first().map_or_else(|| e.span(), |o| o.1),
            Expr::Binary(e, _) => e.span(),
        }
    }
}

fn write_str_lit(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    write!(f, "'{}'", s.replace('\'', "''"))
}

fn write_args(f: &mut fmt::Formatter<'_>, args: &[Expr]) -> fmt::Result {
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{a}")?;
    }
    Ok(())
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Null => f.write_str("null"),
            Literal::Bool(b) => write!(f, "{b}"),
            Literal::Int(i) => write!(f, "{i}"),
            Literal::Long(i) => write!(f, "{i}L"),
            Literal::Double(d) => {
                if d.is_finite() {
                    // `{:?}` always has a `.` or an exponent, so it re-parses as a real.
                    let s = format!("{d:?}");
                    if s.contains('.') || s.contains('e') {
                        f.write_str(&s)
                    } else {
                        write!(f, "{s}.0")
                    }
                } else {
                    write!(f, "{d}")
                }
            }
            Literal::Str(s) => write_str_lit(f, s),
        }
    }
}

impl fmt::Display for Postfix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dot = |safe: bool| if safe { "?." } else { "." };
        match self {
            Postfix::Property { name, safe, .. } => write!(f, "{}{name}", dot(*safe)),
            Postfix::Method {
                name, args, safe, ..
            } => {
                write!(f, "{}{name}(", dot(*safe))?;
                write_args(f, args)?;
                f.write_str(")")
            }
            Postfix::Index { index, .. } => write!(f, "[{index}]"),
            Postfix::Project { expr, safe, .. } => write!(f, "{}![{expr}]", dot(*safe)),
            Postfix::Select {
                kind, expr, safe, ..
            } => {
                let k = match kind {
                    SelectKind::All => "?[",
                    SelectKind::First => "^[",
                    SelectKind::Last => "$[",
                };
                write!(f, "{}{k}{expr}]", dot(*safe))
            }
        }
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Lit(l, _) => write!(f, "{l}"),
            Expr::Ident(n, _) => f.write_str(n),
            Expr::Call(n, args, _) => {
                write!(f, "{n}(")?;
                write_args(f, args)?;
                f.write_str(")")
            }
            Expr::List(items, _) => {
                f.write_str("{")?;
                write_args(f, items)?;
                f.write_str("}")
            }
            Expr::Map(entries, _) => {
                if entries.is_empty() {
                    return f.write_str("{:}");
                }
                f.write_str("{")?;
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k}: {v}")?;
                }
                f.write_str("}")
            }
            Expr::Chain(start, steps) => {
                write!(f, "{start}")?;
                for s in steps {
                    write!(f, "{s}")?;
                }
                Ok(())
            }
            Expr::Unary(ops, e) => {
                for (op, _) in ops {
                    f.write_str(match op {
                        UnOp::Not => "!",
                        UnOp::Neg => "-",
                        UnOp::Plus => "+",
                    })?;
                    // keep `- -x` from printing as the forbidden `--x`
                    f.write_str(" ")?;
                }
                write!(f, "{e}")
            }
            Expr::Binary(first, rest) => {
                write!(f, "{first}")?;
                for (op, _, e) in rest {
                    write!(f, " {} {e}", op.symbol())?;
                }
                Ok(())
            }
            Expr::Ternary(c, a, b, _) => write!(f, "{c} ? {a} : {b}"),
            Expr::Elvis(a, b, _) => write!(f, "{a} ?: {b}"),
            Expr::Paren(e, _) => write!(f, "({e})"),
        }
    }
}

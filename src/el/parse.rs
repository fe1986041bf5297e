//! Source → syntax tree: a hand-written fast path, and the pest grammar as the reference.
//!
//! # Fast path and reference
//!
//! [`parse`] first tries the fast parser of `fastparse.rs`, a recursive-descent parser that
//! follows `grammar.pest` rule by rule and builds the very tree the builder below builds from
//! pest's pairs (same shapes, spans, line and column, literal values), in about a tenth of the
//! time. It only ever says "here is the tree" or "not handled": on any syntax error, any
//! literal out of range, any construct it is unsure of, it hands the source to pest, which
//! stays the reference parser and the only one that reports errors. It is also not tried on
//! nesting deeper than a few levels (the pre-scan's depth), nor on a thread with less than
//! twice pest's stack reserve left. So:
//!
//! * every error message and error span is pest's, as before;
//! * every deeply nested expression is parsed by pest, with pest's stack guard, as before;
//! * every tree the fast path returns equals pest's: its tests run the test corpora, variants
//!   of them, random expressions and token soups through both parsers and compare.
//!
//! # pest pairs → syntax tree
//!
//! The grammar (`grammar.pest`) yields each `expr` as a flat sequence of operands and binary
//! operators; the builder applies precedence to it with an operator stack (operator-precedence
//! parsing), so same-level left-associative chains come out flat (`a + b - c` is one
//! [`Expr::Binary`] with two steps) and ternary and Elvis right-associative. The builder keeps
//! the constructs it is building on a heap-allocated stack of frames instead of recursing, so
//! its native stack use does not grow with nesting: the only recursion in parsing is pest's own
//! descent into brackets, which the pre-scan bounds and pest's stack guard checks.
//!
//! Nothing here panics: a pair sequence the grammar cannot produce is reported as an internal
//! parser error at its position rather than trusted.

use std::cell::Cell;

use pest::Parser as _;
use pest::iterators::{Pair, Pairs};
use pest_derive::Parser;

use super::CompileError;
use super::ast::{BinOp, Expr, Literal, Postfix, SelectKind, Span, UnOp};
use super::fastparse;

#[derive(Parser)]
#[grammar = "el/grammar.pest"]
struct ElParser;

/// The stack pest keeps in reserve: its guard stops the parse with an error when less is left.
const PEST_STACK_RESERVE: usize = 64 * 1024;

/// The stack that must be left for the fast path to run: twice pest's reserve, which is more
/// than the fast path's deepest recursion takes (measured in `fastparse`'s tests).
const FAST_PATH_STACK: usize = 2 * PEST_STACK_RESERVE;

/// Parses a pre-scanned source (whose nesting the pre-scan measured as `depth`) into a syntax
/// tree: with the fast parser when it handles the source, with the pest grammar otherwise (see
/// the module documentation).
pub(crate) fn parse(src: &str, depth: usize) -> Result<Expr, CompileError> {
    // The fast path runs only on shallow input and where pest's stack guard would let pest
    // start with room to spare: its recursion (at most `MAX_DEPTH` levels) takes less than
    // pest's reserve, so it never runs out of stack where pest would have reported an error.
    let fast = depth <= fastparse::MAX_DEPTH
        && pest_stack_guard::remaining_stack().is_none_or(|left| left >= FAST_PATH_STACK);
    match fast.then(|| fastparse::parse(src)).flatten() {
        Some(expr) => Ok(expr),
        None => parse_pest(src),
    }
}

/// Parses a source with the pest grammar: the reference parser, and the only one that reports
/// errors.
pub(super) fn parse_pest(src: &str) -> Result<Expr, CompileError> {
    let pairs = ElParser::parse(Rule::program, src).map_err(|e| pest_error(src, e))?;
    let builder = Builder {
        src,
        cursor: Cell::new((0, 1, 1)),
    };
    let expr = pairs
        .into_iter()
        .next()
        .and_then(|program| program.into_inner().next())
        .ok_or_else(|| builder.internal(0))?;
    builder.build(expr)
}

/// How a rule reads in "expected ..." lists. Only rules that pest reports at a failing position
/// are named: what may follow an operand, and a name after a dot. (A failed operand reports
/// the `operand` rule, unnamed, so "unexpected ')'" stands alone.)
fn rule_names(r: Rule) -> &'static [&'static str] {
    match r {
        Rule::EOI => &["end of expression"],
        Rule::name => &["a name"],
        Rule::rel_op => &["a comparison"],
        Rule::op_tail => &["'?'", "'?:'"],
        Rule::postfix => &["'.'", "'['"],
        _ => &[],
    }
}

fn pest_error(src: &str, e: pest::error::Error<Rule>) -> CompileError {
    use pest::error::{ErrorVariant, InputLocation};
    let pos = match e.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    let rest = src.get(pos..).unwrap_or("");
    let found = rest
        .chars()
        .next()
        .map_or_else(|| "end of expression".to_owned(), |c| format!("'{c}'"));
    let positives = match &e.variant {
        ErrorVariant::ParsingError { positives, .. } => positives,
        // pest's only custom error here is its native stack guard: the thread running the
        // compiler had too little stack left for the (pre-scan bounded) nesting.
        ErrorVariant::CustomError { .. } => {
            return CompileError::new(
                "the expression is nested too deeply for the stack this thread has left",
                Span::new(src, pos, pos + 1),
                Some("compile on a thread with more stack, or lower Limits::max_depth".to_owned()),
            );
        }
    };
    let mut msg = format!("unexpected {found}");
    let mut names: Vec<&str> = positives
        .iter()
        .flat_map(|r| rule_names(*r))
        .copied()
        .collect();
    names.sort_unstable();
    names.dedup();
    if !names.is_empty() {
        msg.push_str(", expected ");
        msg.push_str(&names.join(" or "));
    }
    let comparison = rest.starts_with(['<', '>', '=', '!'])
        || rest
            .get(..7)
            .is_some_and(|w| w.eq_ignore_ascii_case("matches"));
    let hint = comparison.then(|| "comparisons do not chain: write 'a < b and b < c'".to_owned());
    CompileError::new(msg, Span::new(src, pos, pos + 1), hint)
}

/// The text between the quotes of a string literal, with doubled quotes collapsed.
pub(super) fn unquote(raw: &str) -> Option<String> {
    let (quote, doubled) = match raw.as_bytes().first() {
        Some(b'\'') => ("'", "''"),
        Some(b'"') => ("\"", "\"\""),
        _ => return None,
    };
    let inner = raw.get(1..raw.len().checked_sub(1)?)?;
    Some(inner.replace(doubled, quote))
}

/// Binding strength of a binary operator (all left-associative).
pub(super) fn level(op: BinOp) -> u8 {
    match op {
        BinOp::Or => 1,
        BinOp::And => 2,
        BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge | BinOp::Matches => 3,
        BinOp::Add | BinOp::Sub => 4,
        BinOp::Mul | BinOp::Div | BinOp::Mod => 5,
        BinOp::Pow => 6,
    }
}

/// `lhs op rhs`, appended to `lhs` when it is a chain of the same level (`a + b` then `- c`).
/// A parenthesized chain is an [`Expr::Paren`], so it is never extended.
pub(super) fn combine(lhs: Expr, op: BinOp, span: Span, rhs: Expr) -> Expr {
    match lhs {
        Expr::Binary(first, mut rest) if rest.first().is_some_and(|s| level(s.0) == level(op)) => {
            rest.push((op, span, rhs));
            Expr::Binary(first, rest)
        }
        lhs => Expr::Binary(Box::new(lhs), vec![(op, span, rhs)]),
    }
}

/// A right-associative operator between two segments of an `expr`.
enum Tail {
    Elvis(Span),
    Cond(Expr, Span),
}

/// What a finished frame hands to the frame below it.
enum Done {
    Expr(Expr),
    Step(Postfix),
}

/// What a frame asks of the build loop after a step.
enum Action<'i> {
    /// Build this frame first, then hand its result back.
    Push(Frame<'i>),
    /// This frame is finished.
    Pop(Done),
}

/// A construct under construction. The build loop keeps these on a heap-allocated stack, so
/// nesting costs the builder no native stack.
enum Frame<'i> {
    Expr(ExprFrame<'i>),
    Operand(OperandFrame<'i>),
    Nest(NestFrame<'i>),
}

/// The items of an `expr`: segments of binary operations separated by `?:` and `? … :`.
struct ExprFrame<'i> {
    /// Where the `expr` ends: a ternary or Elvis operator's span runs to it.
    end: usize,
    items: Pairs<'i, Rule>,
    /// Finished segments, each with the operator that follows it.
    tails: Vec<(Expr, Tail)>,
    /// Operator precedence parsing: left operands whose operator binds less tightly than what
    /// follows (the grammar guarantees that operands and operators alternate).
    pending: Vec<(Expr, BinOp, Span)>,
    /// The last complete operand of the current segment; while `cond` is set, the finished
    /// segment before the `?`.
    cur: Option<Expr>,
    /// The span of a `?` whose middle operand is being built.
    cond: Option<Span>,
}

/// `prefix_op* primary postfix*`.
struct OperandFrame<'i> {
    items: Pairs<'i, Rule>,
    ops: Vec<(UnOp, Span)>,
    start: Option<Expr>,
    steps: Vec<Postfix>,
}

/// A bracketed construct waiting for its sub-expressions.
struct NestFrame<'i> {
    kind: Nest,
    /// The `expr` pairs still to build, in order.
    items: std::iter::Chain<std::option::IntoIter<Pair<'i, Rule>>, Pairs<'i, Rule>>,
    exprs: Vec<Expr>,
}

/// The bracketed constructs, with what they need besides their sub-expressions.
enum Nest {
    Paren(Span),
    List(Span),
    Map(Span),
    Call(String, Span),
    Method(String, bool, Span),
    Index(Span),
    Project(bool, Span),
    Select(SelectKind, bool, Span),
}

struct Builder<'s> {
    src: &'s str,
    /// (byte, line, column) of the last span computed: spans are mostly requested left to
    /// right, so each is found by scanning forward from the previous one (linear overall).
    cursor: Cell<(usize, usize, usize)>,
}

impl<'i> Builder<'i> {
    fn span_at(&self, start: usize, end: usize) -> Span {
        let (byte, line, col) = self.cursor.get();
        let ahead = match self.src.get(byte..start) {
            Some(ahead) if start >= byte => ahead,
            _ => {
                let span = Span::new(self.src, start, end);
                self.cursor.set((span.start, span.line, span.column));
                return span;
            }
        };
        let (mut line, mut col) = (line, col);
        for c in ahead.chars() {
            if c == '\n' {
                line += 1;
                col = 1;
            } else {
                col += 1;
            }
        }
        self.cursor.set((start, line, col));
        Span {
            start,
            end: end.max(start),
            line,
            column: col,
        }
    }

    fn span(&self, p: &Pair<'_, Rule>) -> Span {
        let s = p.as_span();
        self.span_at(s.start(), s.end())
    }

    fn err(&self, p: &Pair<'_, Rule>, msg: String) -> CompileError {
        CompileError::new(msg, self.span(p), None)
    }

    /// A pair sequence the grammar does not produce.
    #[cold]
    fn internal(&self, pos: usize) -> CompileError {
        CompileError::new(
            "internal parser error",
            Span::new(self.src, pos, pos + 1),
            None,
        )
    }

    /// Builds the tree of an `expr` pair: a loop over an explicit stack of frames, where each
    /// step either pushes the frame of a sub-construct or pops a finished one into its parent.
    fn build(&self, root: Pair<'i, Rule>) -> Result<Expr, CompileError> {
        let mut stack = Vec::with_capacity(8);
        stack.push(self.expr_frame(root)?);
        let mut input = None;
        while let Some(top) = stack.last_mut() {
            let action = match top {
                Frame::Expr(f) => self.step_expr(f, input.take())?,
                Frame::Operand(f) => self.step_operand(f, input.take())?,
                Frame::Nest(f) => self.step_nest(f, input.take())?,
            };
            match action {
                Action::Push(frame) => stack.push(frame),
                Action::Pop(done) => {
                    stack.pop();
                    if stack.is_empty() {
                        if let Done::Expr(e) = done {
                            return Ok(e);
                        }
                        break;
                    }
                    input = Some(done);
                }
            }
        }
        Err(self.internal(0))
    }

    fn expr_frame(&self, p: Pair<'i, Rule>) -> Result<Frame<'i>, CompileError> {
        if p.as_rule() != Rule::expr {
            return Err(self.internal(p.as_span().start()));
        }
        Ok(Frame::Expr(ExprFrame {
            end: p.as_span().end(),
            items: p.into_inner(),
            tails: Vec::new(),
            pending: Vec::new(),
            cur: None,
            cond: None,
        }))
    }

    fn nest(&self, kind: Nest, first: Option<Pair<'i, Rule>>, rest: Pairs<'i, Rule>) -> Frame<'i> {
        Frame::Nest(NestFrame {
            kind,
            items: first.into_iter().chain(rest),
            exprs: Vec::new(),
        })
    }

    /// Takes an operand (or a ternary's middle operand), then reads operators and operands
    /// until the next operand to build or the end of the `expr`.
    fn step_expr(
        &self,
        f: &mut ExprFrame<'i>,
        input: Option<Done>,
    ) -> Result<Action<'i>, CompileError> {
        match (input, f.cond.take(), f.cur.take()) {
            (None, None, cur) => f.cur = cur,
            (Some(Done::Expr(then)), Some(span), Some(lhs)) => {
                f.tails.push((lhs, Tail::Cond(then, span)));
            }
            (Some(Done::Expr(operand)), None, None) => f.cur = Some(operand),
            _ => return Err(self.internal(f.end)),
        }
        for item in f.items.by_ref() {
            let Some(operand) = f.cur.take() else {
                if item.as_rule() != Rule::operand {
                    return Err(self.internal(item.as_span().start()));
                }
                return Ok(Action::Push(Frame::Operand(OperandFrame {
                    items: item.into_inner(),
                    ops: Vec::new(),
                    start: None,
                    steps: Vec::new(),
                })));
            };
            if item.as_rule() == Rule::op_tail {
                let segment = reduce(&mut f.pending, operand);
                // The operator's span runs to the end of its right operand: the end of the
                // `expr`.
                let span = self.span_at(item.as_span().start(), f.end);
                let Some(then) = item.into_inner().next() else {
                    f.tails.push((segment, Tail::Elvis(span)));
                    continue;
                };
                f.cur = Some(segment);
                f.cond = Some(span);
                return Ok(Action::Push(self.expr_frame(then)?));
            }
            let op = binop(&item).ok_or_else(|| self.internal(item.as_span().start()))?;
            let span = self.span(&item);
            let mut operand = operand;
            while let Some((lhs, prev, pspan)) =
                f.pending.pop_if(|(_, prev, _)| level(*prev) >= level(op))
            {
                operand = combine(lhs, prev, pspan, operand);
            }
            f.pending.push((operand, op, span));
        }
        let operand = f.cur.take().ok_or_else(|| self.internal(f.end))?;
        // Right-associative: `a ? b : c ?: d` is `a ? b : (c ?: d)`.
        let mut acc = reduce(&mut f.pending, operand);
        while let Some((lhs, tail)) = f.tails.pop() {
            acc = match tail {
                Tail::Elvis(span) => Expr::Elvis(Box::new(lhs), Box::new(acc), span),
                Tail::Cond(then, span) => {
                    Expr::Ternary(Box::new(lhs), Box::new(then), Box::new(acc), span)
                }
            };
        }
        Ok(Action::Pop(Done::Expr(acc)))
    }

    /// Takes a bracketed primary or postfix step, then reads prefix operators, the primary and
    /// postfix steps until one needs building or the operand is complete.
    fn step_operand(
        &self,
        f: &mut OperandFrame<'i>,
        input: Option<Done>,
    ) -> Result<Action<'i>, CompileError> {
        match input {
            None => {}
            Some(Done::Expr(e)) if f.start.is_none() => f.start = Some(e),
            Some(Done::Step(s)) if f.start.is_some() => f.steps.push(s),
            Some(_) => return Err(self.internal(0)),
        }
        for q in f.items.by_ref() {
            if f.start.is_some() {
                if let Some(frame) = self.postfix(q, &mut f.steps)? {
                    return Ok(Action::Push(frame));
                }
            } else if q.as_rule() == Rule::prefix_op {
                let op = match q.as_str().as_bytes().first() {
                    Some(b'-') => UnOp::Neg,
                    Some(b'+') => UnOp::Plus,
                    _ => UnOp::Not,
                };
                f.ops.push((op, self.span(&q)));
            } else if let Some(frame) = self.primary(q, &mut f.start)? {
                return Ok(Action::Push(frame));
            }
        }
        let start = f.start.take().ok_or_else(|| self.internal(0))?;
        let chain = if f.steps.is_empty() {
            start
        } else {
            Expr::Chain(Box::new(start), std::mem::take(&mut f.steps))
        };
        Ok(Action::Pop(Done::Expr(if f.ops.is_empty() {
            chain
        } else {
            Expr::Unary(std::mem::take(&mut f.ops), Box::new(chain))
        })))
    }

    /// Takes a sub-expression, then asks for the next one or finishes the construct.
    fn step_nest(
        &self,
        f: &mut NestFrame<'i>,
        input: Option<Done>,
    ) -> Result<Action<'i>, CompileError> {
        match input {
            None => {}
            Some(Done::Expr(e)) => f.exprs.push(e),
            Some(Done::Step(_)) => return Err(self.internal(0)),
        }
        if let Some(q) = f.items.next() {
            return Ok(Action::Push(self.expr_frame(q)?));
        }
        let exprs = std::mem::take(&mut f.exprs);
        let one = |exprs: Vec<Expr>, span: Span| {
            let mut it = exprs.into_iter();
            match (it.next(), it.next()) {
                (Some(e), None) => Ok(Box::new(e)),
                _ => Err(self.internal(span.start)),
            }
        };
        let kind = std::mem::replace(&mut f.kind, Nest::Paren(Span::default()));
        Ok(Action::Pop(match kind {
            Nest::Paren(span) => Done::Expr(Expr::Paren(one(exprs, span)?, span)),
            Nest::List(span) => Done::Expr(Expr::List(exprs, span)),
            Nest::Map(span) => {
                let mut entries = Vec::with_capacity(exprs.len() / 2);
                let mut it = exprs.into_iter();
                while let Some(k) = it.next() {
                    let v = it.next().ok_or_else(|| self.internal(span.start))?;
                    entries.push((k, v));
                }
                Done::Expr(Expr::Map(entries, span))
            }
            Nest::Call(name, span) => Done::Expr(Expr::Call(name, exprs, span)),
            Nest::Method(name, safe, span) => Done::Step(Postfix::Method {
                name,
                args: exprs,
                safe,
                span,
            }),
            Nest::Index(span) => Done::Step(Postfix::Index {
                index: one(exprs, span)?,
                span,
            }),
            Nest::Project(safe, span) => Done::Step(Postfix::Project {
                expr: one(exprs, span)?,
                safe,
                span,
            }),
            Nest::Select(kind, safe, span) => Done::Step(Postfix::Select {
                kind,
                expr: one(exprs, span)?,
                safe,
                span,
            }),
        }))
    }

    /// A primary: a literal or bare name (into `start`), or the frame of a bracketed one.
    fn primary(
        &self,
        p: Pair<'i, Rule>,
        start: &mut Option<Expr>,
    ) -> Result<Option<Frame<'i>>, CompileError> {
        let span = self.span(&p);
        let whole = p.as_span();
        *start = Some(match p.as_rule() {
            Rule::paren => return Ok(Some(self.nest(Nest::Paren(span), None, p.into_inner()))),
            Rule::braces => {
                let mut it = p.into_inner();
                let first = it.next().ok_or_else(|| self.internal(whole.start()))?;
                match first.as_rule() {
                    Rule::empty_map => Expr::Map(Vec::new(), span),
                    Rule::empty_list => Expr::List(Vec::new(), span),
                    _ => {
                        let rest = it.next().ok_or_else(|| self.internal(whole.start()))?;
                        let kind = if rest.as_rule() == Rule::map_rest {
                            Nest::Map(span)
                        } else {
                            Nest::List(span)
                        };
                        return Ok(Some(self.nest(kind, Some(first), rest.into_inner())));
                    }
                }
            }
            Rule::member => match self.member(p)? {
                (name, Some(args)) => {
                    return Ok(Some(self.nest(Nest::Call(name, span), None, args)));
                }
                (name, None) => Expr::Ident(name, span),
            },
            _ => Expr::Lit(self.literal(&p)?, span),
        });
        Ok(None)
    }

    /// A postfix step: a property (onto `steps`), or the frame of a step with sub-expressions.
    fn postfix(
        &self,
        p: Pair<'i, Rule>,
        steps: &mut Vec<Postfix>,
    ) -> Result<Option<Frame<'i>>, CompileError> {
        let span = self.span(&p);
        let whole = p.as_span();
        let first = p.as_str().as_bytes().first().copied();
        let mut it = p.into_inner();
        let inner = it.next().ok_or_else(|| self.internal(whole.start()))?;
        if first == Some(b'[') {
            return Ok(Some(self.nest(Nest::Index(span), Some(inner), it)));
        }
        let safe = first == Some(b'?');
        let ispan = self.span(&inner);
        Ok(Some(match inner.as_rule() {
            Rule::projection => self.nest(Nest::Project(safe, ispan), None, inner.into_inner()),
            Rule::selection => {
                let mut it = inner.into_inner();
                let op = it.next().ok_or_else(|| self.internal(ispan.start))?;
                let kind = match op.as_str() {
                    "?[" => SelectKind::All,
                    "^[" => SelectKind::First,
                    _ => SelectKind::Last,
                };
                self.nest(Nest::Select(kind, safe, ispan), None, it)
            }
            _ => match self.member(inner)? {
                (name, Some(args)) => self.nest(Nest::Method(name, safe, ispan), None, args),
                (name, None) => {
                    steps.push(Postfix::Property {
                        name,
                        safe,
                        span: ispan,
                    });
                    return Ok(None);
                }
            },
        }))
    }

    /// A `member` or `method` pair: the name, and the argument pairs when it is called.
    fn member(&self, p: Pair<'i, Rule>) -> Result<(String, Option<Pairs<'i, Rule>>), CompileError> {
        let whole = p.as_span();
        let mut it = p.into_inner();
        let name = it.next().ok_or_else(|| self.internal(whole.start()))?;
        let name = name.as_str().to_owned();
        let Some(call) = it.next() else {
            return Ok((name, None));
        };
        let args = call.into_inner().next();
        let args = args.ok_or_else(|| self.internal(whole.start()))?;
        Ok((name, Some(args.into_inner())))
    }

    /// A number, string or keyword literal.
    fn literal(&self, p: &Pair<'_, Rule>) -> Result<Literal, CompileError> {
        let text = p.as_str();
        let number = |kind| number(kind, text).map_err(|msg| self.err(p, msg));
        Ok(match p.as_rule() {
            Rule::int => number(Number::Int)?,
            Rule::long => number(Number::Long)?,
            Rule::hex => number(Number::Hex)?,
            Rule::real => number(Number::Real)?,
            Rule::string => {
                Literal::Str(unquote(text).ok_or_else(|| self.internal(p.as_span().start()))?)
            }
            Rule::keyword => keyword(text),
            _ => return Err(self.internal(p.as_span().start())),
        })
    }
}

/// The grammar's number rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Number {
    /// `int`: decimal digits.
    Int,
    /// `long`: decimal digits and `L`.
    Long,
    /// `hex`: `0x`, hex digits, optionally `L`.
    Hex,
    /// `real`: fraction, exponent or `f`/`d` suffix.
    Real,
}

/// The value of a number literal matched by the grammar's rule `kind`, or the message of the
/// compile error it is. Both parsers convert numbers here, so their values are the same.
pub(super) fn number(kind: Number, text: &str) -> Result<Literal, String> {
    let long = |digits: Option<&str>, radix| {
        digits
            .and_then(|d| i64::from_str_radix(d, radix).ok())
            .ok_or_else(|| format!("the long {text} is out of range"))
    };
    Ok(match kind {
        Number::Int => Literal::Int(text.parse::<i32>().map_err(|_| {
            format!("the integer {text} is out of range; write {text}L for a long")
        })?),
        Number::Long => Literal::Long(long(text.get(..text.len().saturating_sub(1)), 10)?),
        Number::Hex => {
            let body = text.get(2..).unwrap_or("");
            match body.strip_suffix(['l', 'L']) {
                Some(digits) => Literal::Long(long(Some(digits), 16)?),
                None => Literal::Int(
                    i32::from_str_radix(body, 16)
                        .map_err(|_| format!("the integer {text} is out of range"))?,
                ),
            }
        }
        Number::Real => {
            let body = text.trim_end_matches(['f', 'F', 'd', 'D']);
            let v: f64 = body.parse().map_err(|_| format!("bad number {text}"))?;
            if !v.is_finite() {
                return Err(format!("the number {text} is out of range"));
            }
            Literal::Double(v)
        }
    })
}

/// The value of a `keyword` literal (`true`, `false` or `null`, in any case).
pub(super) fn keyword(text: &str) -> Literal {
    match text.as_bytes().first() {
        Some(b't' | b'T') => Literal::Bool(true),
        Some(b'f' | b'F') => Literal::Bool(false),
        _ => Literal::Null,
    }
}

/// Applies the operators still pending at the end of a segment.
fn reduce(pending: &mut Vec<(Expr, BinOp, Span)>, mut operand: Expr) -> Expr {
    while let Some((lhs, op, span)) = pending.pop() {
        operand = combine(lhs, op, span, operand);
    }
    operand
}

/// The operator of a `logic_op`, `rel_op`, `arith_op` or `op_pow` pair.
fn binop(op: &Pair<'_, Rule>) -> Option<BinOp> {
    let text = op.as_str();
    let word = |w: &str| text.eq_ignore_ascii_case(w);
    Some(match op.as_rule() {
        Rule::logic_op => match text {
            "||" => BinOp::Or,
            "&&" => BinOp::And,
            _ if word("or") => BinOp::Or,
            _ if word("and") => BinOp::And,
            _ => return None,
        },
        Rule::op_pow => BinOp::Pow,
        Rule::rel_op => match text {
            "==" => BinOp::Eq,
            "!=" => BinOp::Ne,
            "<=" => BinOp::Le,
            ">=" => BinOp::Ge,
            "<" => BinOp::Lt,
            ">" => BinOp::Gt,
            _ if word("eq") => BinOp::Eq,
            _ if word("ne") => BinOp::Ne,
            _ if word("le") => BinOp::Le,
            _ if word("ge") => BinOp::Ge,
            _ if word("lt") => BinOp::Lt,
            _ if word("gt") => BinOp::Gt,
            _ if word("matches") => BinOp::Matches,
            _ => return None,
        },
        Rule::arith_op => match text {
            "+" => BinOp::Add,
            "-" => BinOp::Sub,
            "*" => BinOp::Mul,
            "/" => BinOp::Div,
            "%" => BinOp::Mod,
            _ if word("div") => BinOp::Div,
            _ if word("mod") => BinOp::Mod,
            _ => return None,
        },
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fully bracketed rendering that shows the tree's shape: `[a + b - [c * d]]`.
    fn shape(e: &Expr) -> String {
        let list = |v: &[Expr]| v.iter().map(shape).collect::<Vec<_>>().join(", ");
        match e {
            Expr::Lit(l, _) => l.to_string(),
            Expr::Ident(n, _) => n.clone(),
            Expr::Call(n, a, _) => format!("{n}({})", list(a)),
            Expr::List(v, _) => format!("{{{}}}", list(v)),
            Expr::Map(v, _) => {
                let kv: Vec<_> = v
                    .iter()
                    .map(|(k, v)| format!("{}: {}", shape(k), shape(v)))
                    .collect();
                format!("{{{}}}", kv.join(", "))
            }
            Expr::Chain(s, steps) => {
                let steps: Vec<_> = steps.iter().map(|p| p.to_string()).collect();
                format!("{}{}", shape(s), steps.concat())
            }
            Expr::Unary(ops, e) => format!("<{}{}>", ops.len(), shape(e)),
            Expr::Binary(first, rest) => {
                let mut out = format!("[{}", shape(first));
                for (op, _, e) in rest {
                    out.push_str(&format!(" {} {}", op.symbol(), shape(e)));
                }
                out + "]"
            }
            Expr::Ternary(c, a, b, _) => format!("[{} ? {} : {}]", shape(c), shape(a), shape(b)),
            Expr::Elvis(a, b, _) => format!("[{} ?: {}]", shape(a), shape(b)),
            Expr::Paren(e, _) => format!("({})", shape(e)),
        }
    }

    fn parsed(src: &str) -> Expr {
        match parse_pest(src) {
            Ok(e) => e,
            Err(e) => panic!("{src}: {e:#}"),
        }
    }

    #[test]
    fn precedence_and_associativity() {
        for (src, want) in [
            ("a + b - c", "[a + b - c]"),
            ("a + b * c - d", "[a + [b * c] - d]"),
            ("a * b + c * d / e", "[[a * b] + [c * d / e]]"),
            ("a or b and c or d", "[a or [b and c] or d]"),
            ("a and b == c + d", "[a and [b == [c + d]]]"),
            ("a < b and c matches d", "[[a < b] and [c matches d]]"),
            ("-a ^ b * c", "[[<1a> ^ b] * c]"),
            ("a ^ -b", "[a ^ <1b>]"),
            ("!!a.b[0]", "<2a.b[0]>"),
            ("(a + b) + c", "[([a + b]) + c]"),
            ("a + (b + c)", "[a + ([b + c])]"),
            ("a ? b : c ? d : e", "[a ? b : [c ? d : e]]"),
            ("a ?: b ?: c", "[a ?: [b ?: c]]"),
            ("a ? b ? c : d : e", "[a ? [b ? c : d] : e]"),
            ("a or b ? c + d : e ?: f", "[[a or b] ? [c + d] : [e ?: f]]"),
            ("f(a, b + c).g(d ? e : f)", "f(a, [b + c]).g(d ? e : f)"),
            ("{a: b + c, d: {}}", "{a: [b + c], d: {}}"),
        ] {
            assert_eq!(shape(&parsed(src)), want, "{src}");
        }
    }

    #[test]
    fn operator_and_tail_spans() {
        // `^` and `!` spans keep the whitespace pest skips before their look-ahead.
        let Expr::Binary(_, rest) = parsed("2 ^  3") else {
            panic!()
        };
        assert_eq!((rest[0].1.start, rest[0].1.end), (2, 5));
        let Expr::Unary(ops, _) = parsed("! x") else {
            panic!()
        };
        assert_eq!((ops[0].1.start, ops[0].1.end), (0, 2));
        // A ternary or Elvis operator's span runs to the end of the expression (including the
        // whitespace pest skipped looking for another operator).
        let Expr::Ternary(_, _, b, span) = parsed("a ? b :\n c ?: d ") else {
            panic!()
        };
        assert_eq!(
            (span.start, span.end, span.line, span.column),
            (2, 16, 1, 3)
        );
        let Expr::Elvis(_, _, span) = *b else {
            panic!()
        };
        assert_eq!(
            (span.start, span.end, span.line, span.column),
            (11, 16, 2, 4)
        );
    }

    #[test]
    fn unquote_collapses_doubled_quotes_only() {
        assert_eq!(unquote("'it''s'").as_deref(), Some("it's"));
        assert_eq!(unquote("\"say \"\"hi\"\"\"").as_deref(), Some("say \"hi\""));
        assert_eq!(unquote("'a\"\"b'").as_deref(), Some("a\"\"b"));
        assert_eq!(unquote("'日本'").as_deref(), Some("日本"));
        assert_eq!(unquote("'"), None);
        assert_eq!(unquote("x"), None);
    }
}

//! The fast path of the parser: a hand-written recursive-descent parser for the grammar of
//! `grammar.pest`, used before the pest parser and never instead of it.
//!
//! # Design
//!
//! [`parse`] reads the source in one pass over its bytes, with no separate token stream: each
//! function below follows one rule (or one group of silent rules) of the grammar, with the
//! same ordered choices, the same greedy repetitions and the same places where whitespace may
//! stand, and builds the [`Expr`] the pest builder in `parse.rs` builds from that rule's pairs:
//! the same node shapes (same-level chains flat, ternary and Elvis right-associative, prefix
//! and postfix runs in one node), the same spans (including the whitespace that pest's
//! implicit skipping puts inside the spans of `^`, `!` and of ternary and Elvis operators) and
//! the same literal values (numbers are converted by the function the builder uses).
//! Binary operators are parsed with an operator stack shared by the whole parse, so a chain of
//! operators costs neither recursion nor an allocation of its own; line and column come from a
//! cursor that only moves forward, so locating every span costs one pass over the source (and
//! none for a one-line ASCII source, whose columns are byte offsets).
//!
//! # Why it is safe
//!
//! It is a fast path only: it returns `None` ("not handled") on anything it is not sure of —
//! every syntax error, any literal out of range, anything nested more than [`MAX_DEPTH`]
//! levels — and the caller then runs the pest parser, which stays the reference. So every
//! error message and error span, every deeply nested tree, and the stack behaviour on deep
//! input (pest's guard) are exactly what they were without the fast path. Its own recursion,
//! a few small frames per bracket level, is bounded by [`MAX_DEPTH`]; the caller does not even
//! try it on input the pre-scan found deeper, nor on a thread with less than twice pest's
//! 64 KiB stack reserve left, and its deepest recursion takes less than that reserve, in
//! unoptimized builds too (a test runs it on a thread smaller than the reserve). So it never
//! runs out of stack where pest would have stopped with an error. It never panics (no
//! indexing, no `unwrap`) and runs in time linear in the source.
//!
//! That it builds the very tree pest would is checked by the tests below: every expression of
//! the test corpora (the conformance, decision and SpEL golden files, the hostile-input and
//! configuration data, every string of every JSON file under `tests/`), variants of them, and
//! random expressions and token soups go through both parsers, which must give equal trees
//! whenever the fast one accepts, and the fast one must never accept what pest rejects.

use super::ast::{BinOp, Expr, Literal, Postfix, SelectKind, Span, UnOp};
use super::parse::{Number, combine, keyword, level, number, unquote};

/// Deepest bracket nesting (parentheses, brackets, braces, call arguments and ternary middle
/// operands; the top level counts as one) the fast path parses; deeper input goes to pest.
/// The expressions of the test corpora nest at most 5 levels; 6 levels of the fast path's
/// recursion take less than the 64 KiB pest keeps in reserve, in unoptimized builds too (see
/// the tests), and [`super::parse::parse`] runs it only with twice that reserve left.
pub(super) const MAX_DEPTH: usize = 6;

/// The syntax tree of `src`, or `None` when the fast path does not handle it (the pest parser
/// then decides, and reports any error).
pub(super) fn parse(src: &str) -> Option<Expr> {
    let mut p = Parser {
        src,
        b: src.as_bytes(),
        pos: 0,
        one_ascii_line: src.is_ascii() && !src.as_bytes().contains(&b'\n'),
        at: (0, 1, 1),
        pending: Vec::new(),
        tails: Vec::new(),
    };
    p.skip();
    let e = p.expr(1).ok()?;
    p.skip();
    (p.pos == p.b.len()).then_some(e)
}

/// "Not handled": the caller falls back to the pest parser.
struct Bail;

type R<T> = Result<T, Bail>;

/// A ternary or Elvis operator after a segment, with its span (whose end is set when the
/// `expr` ends).
enum Tail {
    Elvis(Span),
    Cond(Expr, Span),
}

/// A postfix step whose start [`Parser::postfix_start`] has read.
enum Step {
    /// `[`, with the span's start.
    Index(Span),
    /// `.` or `?.` (safe) before a name.
    Member(bool),
    /// `.![`, `.?[`, `.^[` or `.$[` (a projection when the kind is `None`), whether safe, and
    /// the span's start.
    Filter(Option<SelectKind>, bool, Span),
}

/// What a segment has seen so far, for the grammar's constraints (one comparison per
/// `relation`, one `^` per `power`) and for where pest ends it.
///
/// A pest rule that ends with a repetition or option that matched nothing ends after the
/// whitespace skipped before trying it; one whose repetition matched ends where the last match
/// does. So a segment ends exactly at its last token (not after the whitespace that follows)
/// only when every level ends with a match: the last operand has a postfix step, is the right
/// operand of `^`, whose power is in an `arith` with an operator, right of a comparison, in a
/// `logic` with an operator.
struct Segment {
    /// Where this segment's entries of `Parser::pending` start.
    base: usize,
    logic_op: bool,
    rel_op: bool,
    arith_after_rel: bool,
    last_pow: bool,
}

impl Segment {
    fn new(base: usize) -> Segment {
        Segment {
            base,
            logic_op: false,
            rel_op: false,
            arith_after_rel: false,
            last_pow: false,
        }
    }

    /// Whether every level above the last operand ends with a match.
    fn tight(&self) -> bool {
        self.last_pow && self.arith_after_rel && self.logic_op
    }
}

/// The word operators, matched in any case when followed by no identifier character.
const WORD_OPS: [(&str, BinOp); 11] = [
    ("or", BinOp::Or),
    ("and", BinOp::And),
    ("eq", BinOp::Eq),
    ("ne", BinOp::Ne),
    ("lt", BinOp::Lt),
    ("le", BinOp::Le),
    ("gt", BinOp::Gt),
    ("ge", BinOp::Ge),
    ("matches", BinOp::Matches),
    ("div", BinOp::Div),
    ("mod", BinOp::Mod),
];

/// An operand from its prefix operators, primary and postfix steps: the tree, the end of its
/// last token, and whether it has a postfix step.
fn finish_operand(
    ops: Vec<(UnOp, Span)>,
    start: Expr,
    steps: Vec<Postfix>,
    raw_end: usize,
) -> (Expr, usize, bool) {
    let postfix = !steps.is_empty();
    let chain = if postfix {
        Expr::Chain(Box::new(start), steps)
    } else {
        start
    };
    let e = if ops.is_empty() {
        chain
    } else {
        Expr::Unary(ops, Box::new(chain))
    };
    (e, raw_end, postfix)
}

struct Parser<'s> {
    src: &'s str,
    b: &'s [u8],
    /// The next byte to read.
    pos: usize,
    /// Whether the source is one line of ASCII, where a byte offset gives the column.
    one_ascii_line: bool,
    /// (byte, line, column) of the last position located: spans are located left to right.
    at: (usize, usize, usize),
    /// Left operands waiting for their operator's right operand, of every segment being
    /// parsed: each segment uses the entries above the length it found.
    pending: Vec<(Expr, BinOp, Span)>,
    /// Segments followed by a ternary or Elvis operator, of every `expr` being parsed (as
    /// `pending`).
    tails: Vec<(Expr, Tail)>,
}

/// `WHITESPACE` of the grammar.
fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r')
}

/// `ident_char` of the grammar.
fn is_ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'$'
}

impl Parser<'_> {
    fn byte(&self, i: usize) -> Option<u8> {
        self.b.get(i).copied()
    }

    fn cur(&self) -> Option<u8> {
        self.byte(self.pos)
    }

    /// The first position at or after `i` that is not whitespace.
    fn skip_from(&self, mut i: usize) -> usize {
        while self.byte(i).is_some_and(is_space) {
            i += 1;
        }
        i
    }

    fn skip(&mut self) {
        self.pos = self.skip_from(self.pos);
    }

    /// Consumes `c` (the grammar's implicit whitespace already skipped), or bails.
    fn expect(&mut self, c: u8) -> R<()> {
        if self.cur() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(Bail)
        }
    }

    /// The end of the run of identifier characters starting at `i`.
    fn word_end(&self, mut i: usize) -> usize {
        while self.byte(i).is_some_and(is_ident_char) {
            i += 1;
        }
        i
    }

    /// Whether an `ident` (or `name`) starts at `i`: a letter, `_`, or `$` not before `[`.
    fn ident_starts(&self, i: usize) -> bool {
        match self.byte(i) {
            Some(b'$') => self.byte(i + 1) != Some(b'['),
            Some(c) => c.is_ascii_alphabetic() || c == b'_',
            None => false,
        }
    }

    /// A span starting at `start` (line and column located now) and, until set, ending there.
    fn mark(&mut self, start: usize) -> Span {
        if self.one_ascii_line {
            return Span {
                start,
                end: start,
                line: 1,
                column: start + 1,
            };
        }
        let (byte, mut line, mut column) = self.at;
        match self.b.get(byte..start) {
            Some(ahead) => {
                for &c in ahead {
                    if c == b'\n' {
                        line += 1;
                        column = 1;
                    } else if c & 0xC0 != 0x80 {
                        // the first byte of a character (not a UTF-8 continuation byte)
                        column += 1;
                    }
                }
            }
            None => {
                let s = Span::new(self.src, start, start);
                (line, column) = (s.line, s.column);
            }
        }
        self.at = (start, line, column);
        Span {
            start,
            end: start,
            line,
            column,
        }
    }

    fn span(&mut self, start: usize, end: usize) -> Span {
        let mut s = self.mark(start);
        s.end = end;
        s
    }

    // The functions from here to `braces` recurse (one bracket level costs a call of `expr`,
    // `logic`, `operand`, one of `primary`, `postfix`, and one of `member`, `paren`, `braces`):
    // they keep few locals and leave the rest of the work to helpers that return before the
    // next level starts, so that a level costs little stack even in unoptimized builds.

    /// `expr = { logic ~ (op_tail ~ logic)* }`, with `op_tail = { "?:" | "?" ~ expr ~ ":" }`.
    fn expr(&mut self, depth: usize) -> R<Expr> {
        if depth > MAX_DEPTH {
            return Err(Bail);
        }
        let base = self.tails.len();
        loop {
            let (segment, end) = self.logic(depth)?;
            let Some((span, elvis)) = self.op_tail() else {
                return Ok(self.fold_tails(base, segment, end));
            };
            let tail = if elvis {
                Tail::Elvis(span)
            } else {
                let then = self.expr(depth + 1)?;
                self.close(b':')?;
                self.skip();
                Tail::Cond(then, span)
            };
            self.tails.push((segment, tail));
        }
    }

    /// One segment of an `expr`: the silent rules `logic`, `relation`, `arith` and `power`,
    /// parsed with an operator stack (see [`Segment`]). Returns the tree and where pest's
    /// `logic` ends.
    fn logic(&mut self, depth: usize) -> R<(Expr, usize)> {
        let mut seg = Segment::new(self.pending.len());
        loop {
            let operand = self.operand(depth)?;
            if let Some(done) = self.after_operand(&mut seg, operand)? {
                return Ok(done);
            }
        }
    }

    /// `operand = { prefix_op* ~ primary ~ postfix* }`: the tree, the end of its last token,
    /// and whether it has a postfix step.
    fn operand(&mut self, depth: usize) -> R<(Expr, usize, bool)> {
        let ops = self.prefix_ops()?;
        let start = self.primary(depth)?;
        let mut steps = Vec::new();
        let mut raw_end = self.pos;
        while let Some(step) = self.postfix_start(raw_end) {
            steps.push(self.postfix(step, depth)?);
            raw_end = self.pos;
        }
        self.pos = raw_end;
        Ok(finish_operand(ops, start, steps, raw_end))
    }

    /// A postfix step that [`Parser::postfix_start`] found.
    fn postfix(&mut self, step: Step, depth: usize) -> R<Postfix> {
        Ok(match step {
            Step::Index(mut span) => {
                let index = Box::new(self.bracketed(depth, b']')?);
                span.end = self.pos;
                Postfix::Index { index, span }
            }
            Step::Member(safe) => match self.member(depth)? {
                (name, None, span) => Postfix::Property { name, safe, span },
                (name, Some(args), span) => Postfix::Method {
                    name,
                    args,
                    safe,
                    span,
                },
            },
            Step::Filter(kind, safe, mut span) => {
                let expr = Box::new(self.bracketed(depth, b']')?);
                span.end = self.pos;
                match kind {
                    None => Postfix::Project { expr, safe, span },
                    Some(kind) => Postfix::Select {
                        kind,
                        expr,
                        safe,
                        span,
                    },
                }
            }
        })
    }

    /// After an opening bracket: `expr` then the closing `close`, with whitespace around.
    fn bracketed(&mut self, depth: usize, close: u8) -> R<Expr> {
        self.skip();
        let e = self.expr(depth + 1)?;
        self.close(close)?;
        Ok(e)
    }

    /// `member = ${ ident ~ (WHITESPACE* ~ call)? }` (and `method`, the same with `name`): the
    /// name, the arguments when called, and the span (to the `)` of a call).
    fn member(&mut self, depth: usize) -> R<(String, Option<Vec<Expr>>, Span)> {
        let (name, mut span) = self.name()?;
        let open = self.skip_from(self.pos);
        if self.byte(open) != Some(b'(') {
            return Ok((name, None, span));
        }
        // `call = !{ "(" ~ args ~ ")" }`, `args = { (expr ~ ("," ~ expr)*)? }`
        self.pos = open + 1;
        self.skip();
        let mut args = Vec::new();
        if self.cur() != Some(b')') {
            loop {
                args.push(self.expr(depth + 1)?);
                if !self.comma() {
                    break;
                }
            }
        }
        self.close(b')')?;
        span.end = self.pos;
        Ok((name, Some(args), span))
    }

    /// `primary = _{ &ASCII_DIGIT ~ number | keyword | member | string | paren | braces }`.
    fn primary(&mut self, depth: usize) -> R<Expr> {
        match self.cur() {
            Some(b'(') => self.paren(depth),
            Some(b'{') => self.braces(depth),
            _ => match self.literal()? {
                Some(lit) => Ok(lit),
                None => Ok(match self.member(depth)? {
                    (name, None, span) => Expr::Ident(name, span),
                    (name, Some(args), span) => Expr::Call(name, args, span),
                }),
            },
        }
    }

    /// `paren = { "(" ~ expr ~ ")" }`.
    fn paren(&mut self, depth: usize) -> R<Expr> {
        let mut span = self.mark(self.pos);
        self.pos += 1;
        let e = Box::new(self.bracketed(depth, b')')?);
        span.end = self.pos;
        Ok(Expr::Paren(e, span))
    }

    /// `braces = { "{" ~ (empty_map | empty_list | brace_body) }`, `brace_body = _{ expr ~
    /// (map_rest | list_rest) }`, `map_rest = { ":" ~ expr ~ ("," ~ expr ~ ":" ~ expr)* ~ "}" }`,
    /// `list_rest = { ("," ~ expr)* ~ "}" }`.
    fn braces(&mut self, depth: usize) -> R<Expr> {
        let span = self.mark(self.pos);
        self.pos += 1;
        self.skip();
        if let Some(empty) = self.empty_braces(span)? {
            return Ok(empty);
        }
        let first = self.expr(depth + 1)?;
        self.skip();
        if self.cur() != Some(b':') {
            let mut items = vec![first];
            while self.comma() {
                items.push(self.expr(depth + 1)?);
            }
            return self.close_braces(span, |span| Expr::List(items, span));
        }
        let mut entries = Vec::new();
        let mut key = first;
        loop {
            self.pos += 1; // the `:`
            self.skip();
            entries.push((key, self.expr(depth + 1)?));
            if !self.comma() {
                return self.close_braces(span, |span| Expr::Map(entries, span));
            }
            key = self.expr(depth + 1)?;
            self.skip();
            if self.cur() != Some(b':') {
                return Err(Bail);
            }
        }
    }

    // The helpers of the functions above: none of them recurses.

    /// Skips whitespace and consumes `c`, or bails.
    fn close(&mut self, c: u8) -> R<()> {
        self.skip();
        self.expect(c)
    }

    /// Skips whitespace and, when a `,` follows, consumes it and the whitespace after it.
    fn comma(&mut self) -> bool {
        self.skip();
        if self.cur() != Some(b',') {
            return false;
        }
        self.pos += 1;
        self.skip();
        true
    }

    /// `}` (after whitespace) closes a list or map: builds it with its span.
    fn close_braces(&mut self, mut span: Span, build: impl FnOnce(Span) -> Expr) -> R<Expr> {
        self.skip();
        self.expect(b'}')?;
        span.end = self.pos;
        Ok(build(span))
    }

    /// `empty_map = { ":" ~ "}" }` or `empty_list = { "}" }` after `{`, if one is there.
    fn empty_braces(&mut self, mut span: Span) -> R<Option<Expr>> {
        Ok(match self.cur() {
            Some(b':') => {
                self.pos += 1;
                self.skip();
                self.expect(b'}')?;
                span.end = self.pos;
                Some(Expr::Map(Vec::new(), span))
            }
            Some(b'}') => {
                self.pos += 1;
                span.end = self.pos;
                Some(Expr::List(Vec::new(), span))
            }
            _ => None,
        })
    }

    /// The `op_tail` after a segment, if one is there: its span (ending where it starts until
    /// the `expr` ends) and whether it is `?:`. Leaves the position after it and whitespace.
    fn op_tail(&mut self) -> Option<(Span, bool)> {
        self.skip();
        let start = self.pos;
        if self.cur() != Some(b'?') {
            return None;
        }
        let span = self.mark(start);
        let elvis = self.byte(start + 1) == Some(b':');
        self.pos = start + if elvis { 2 } else { 1 };
        self.skip();
        Some((span, elvis))
    }

    /// The end of an `expr`: the segments before ternary and Elvis operators folded into the
    /// last one, right-associatively. Each operator's span runs to the end of the `expr`: the
    /// end of its last segment as pest has it.
    fn fold_tails(&mut self, base: usize, mut acc: Expr, end: usize) -> Expr {
        while self.tails.len() > base {
            let Some((lhs, tail)) = self.tails.pop() else {
                break;
            };
            acc = match tail {
                Tail::Elvis(mut span) => {
                    span.end = end;
                    Expr::Elvis(Box::new(lhs), Box::new(acc), span)
                }
                Tail::Cond(then, mut span) => {
                    span.end = end;
                    Expr::Ternary(Box::new(lhs), Box::new(then), Box::new(acc), span)
                }
            };
        }
        acc
    }

    /// After an operand of a segment: reads the binary operator that follows (checking the
    /// grammar's constraints) and pushes the operand with it, or, when none follows, finishes
    /// the segment and returns it with its end.
    fn after_operand(
        &mut self,
        seg: &mut Segment,
        (mut operand, raw_end, postfix): (Expr, usize, bool),
    ) -> R<Option<(Expr, usize)>> {
        self.skip();
        let start = self.pos;
        let Some((op, len)) = self.binop() else {
            let end = if postfix && seg.tight() {
                raw_end
            } else {
                self.skip_from(raw_end)
            };
            while self.pending.len() > seg.base {
                let Some((lhs, op, span)) = self.pending.pop() else {
                    break;
                };
                operand = combine(lhs, op, span, operand);
            }
            return Ok(Some((operand, end)));
        };
        let end = match level(op) {
            // `op_pow = { "^" ~ !"[" }`: at most one per power; spans the whitespace after.
            6 => {
                let next = self.skip_from(start + len);
                if seg.last_pow || self.byte(next) == Some(b'[') {
                    return Err(Bail);
                }
                seg.last_pow = true;
                next
            }
            4 | 5 => {
                seg.last_pow = false;
                seg.arith_after_rel |= seg.rel_op;
                start + len
            }
            // a comparison is non-associative
            3 => {
                if seg.rel_op {
                    return Err(Bail);
                }
                (seg.rel_op, seg.arith_after_rel, seg.last_pow) = (true, false, false);
                start + len
            }
            _ => {
                seg.logic_op = true;
                (seg.rel_op, seg.arith_after_rel, seg.last_pow) = (false, false, false);
                start + len
            }
        };
        let span = self.span(start, end);
        self.pos = end;
        self.skip();
        while self.pending.len() > seg.base
            && self
                .pending
                .last()
                .is_some_and(|(_, prev, _)| level(*prev) >= level(op))
        {
            let Some((lhs, prev, pspan)) = self.pending.pop() else {
                break;
            };
            operand = combine(lhs, prev, pspan, operand);
        }
        self.pending.push((operand, op, span));
        Ok(None)
    }

    /// The binary operator at the current position and its length (`logic_op`, `rel_op`,
    /// `arith_op`, or the `^` of `op_pow`, whose look-ahead the caller checks).
    fn binop(&self) -> Option<(BinOp, usize)> {
        let next = self.byte(self.pos + 1);
        let op = match self.cur()? {
            b'|' if next == Some(b'|') => (BinOp::Or, 2),
            b'&' if next == Some(b'&') => (BinOp::And, 2),
            b'=' if next == Some(b'=') => (BinOp::Eq, 2),
            b'!' if next == Some(b'=') => (BinOp::Ne, 2),
            b'<' if next == Some(b'=') => (BinOp::Le, 2),
            b'>' if next == Some(b'=') => (BinOp::Ge, 2),
            b'<' => (BinOp::Lt, 1),
            b'>' => (BinOp::Gt, 1),
            b'+' => (BinOp::Add, 1),
            b'-' => (BinOp::Sub, 1),
            b'*' => (BinOp::Mul, 1),
            b'/' => (BinOp::Div, 1),
            b'%' => (BinOp::Mod, 1),
            b'^' => (BinOp::Pow, 1),
            c if c.is_ascii_alphabetic() => {
                // a word operator is the whole run of identifier characters
                let end = self.word_end(self.pos);
                let word = self.src.get(self.pos..end)?;
                let op = WORD_OPS
                    .iter()
                    .find(|(w, _)| word.eq_ignore_ascii_case(w))?
                    .1;
                (op, word.len())
            }
            _ => return None,
        };
        Some(op)
    }

    /// `prefix_op*`, with the whitespace after each.
    fn prefix_ops(&mut self) -> R<Vec<(UnOp, Span)>> {
        let mut ops = Vec::new();
        loop {
            let start = self.pos;
            let (op, end) = match self.cur() {
                // `"!" ~ !"="`: spans the whitespace before the look-ahead
                Some(b'!') => {
                    let next = self.skip_from(start + 1);
                    if self.byte(next) == Some(b'=') {
                        return Err(Bail);
                    }
                    (UnOp::Not, next)
                }
                Some(b'-') => (UnOp::Neg, start + 1),
                Some(b'+') => (UnOp::Plus, start + 1),
                // `kw_not = @{ ^"not" ~ !ident_char }`
                Some(b'n' | b'N')
                    if self
                        .src
                        .get(start..self.word_end(start))
                        .is_some_and(|w| w.eq_ignore_ascii_case("not")) =>
                {
                    (UnOp::Not, start + 3)
                }
                _ => return Ok(ops),
            };
            let span = self.span(start, end);
            ops.push((op, span));
            self.pos = end;
            self.skip();
        }
    }

    /// The postfix step that starts after whitespace at `from`, if one does: `postfix = { "."
    /// ~ dotted | "?." ~ dotted | "[" ~ expr ~ "]" }`, `dotted = _{ projection | selection |
    /// method }`. Leaves the position where the step's expression or name starts.
    fn postfix_start(&mut self, from: usize) -> Option<Step> {
        let p = self.skip_from(from);
        let safe = match (self.byte(p), self.byte(p + 1)) {
            (Some(b'['), _) => {
                let span = self.mark(p);
                self.pos = p + 1;
                return Some(Step::Index(span));
            }
            (Some(b'.'), _) => false,
            (Some(b'?'), Some(b'.')) => true,
            _ => return None,
        };
        self.pos = p + if safe { 2 } else { 1 };
        self.skip();
        let start = self.pos;
        let kind = match (self.cur(), self.byte(start + 1)) {
            (Some(b'!'), Some(b'[')) => None,
            (Some(b'?'), Some(b'[')) => Some(SelectKind::All),
            (Some(b'^'), Some(b'[')) => Some(SelectKind::First),
            (Some(b'$'), Some(b'[')) => Some(SelectKind::Last),
            _ => return Some(Step::Member(safe)),
        };
        let span = self.mark(start);
        self.pos = start + 2;
        Some(Step::Filter(kind, safe, span))
    }

    /// An `ident` (or `name`) at the current position, with its span; leaves the position
    /// after it.
    fn name(&mut self) -> R<(String, Span)> {
        let start = self.pos;
        if !self.ident_starts(start) {
            return Err(Bail);
        }
        let end = self.word_end(start + 1);
        let name = self.src.get(start..end).ok_or(Bail)?.to_owned();
        self.pos = end;
        Ok((name, self.span(start, end)))
    }

    /// A number, string or keyword literal at the current position, or `None` when the
    /// primary there is something else.
    fn literal(&mut self) -> R<Option<Expr>> {
        let start = self.pos;
        let (lit, end) = match self.cur().ok_or(Bail)? {
            b'0'..=b'9' => {
                let (kind, end) = self.number(start)?;
                let text = self.src.get(start..end).ok_or(Bail)?;
                (number(kind, text).map_err(|_| Bail)?, end)
            }
            quote @ (b'\'' | b'"') => {
                // `"'" ~ ("''" | (!"'" ~ ANY))* ~ "'"` (and the same with `"`)
                let mut i = start + 1;
                let mut doubled = false;
                loop {
                    match self.byte(i) {
                        None => return Err(Bail),
                        Some(c) if c == quote => {
                            if self.byte(i + 1) == Some(quote) {
                                doubled = true;
                                i += 2;
                            } else {
                                i += 1;
                                break;
                            }
                        }
                        Some(_) => i += 1,
                    }
                }
                let text = self.src.get(start..i).ok_or(Bail)?;
                let value = if doubled {
                    unquote(text).ok_or(Bail)?
                } else {
                    text.get(1..text.len().saturating_sub(1))
                        .ok_or(Bail)?
                        .to_owned()
                };
                (Literal::Str(value), i)
            }
            _ => {
                // `keyword = @{ (^"true" | ^"false" | ^"null") ~ !ident_char }`
                let end = self.word_end(start);
                let word = self.src.get(start..end).ok_or(Bail)?;
                if !["true", "false", "null"]
                    .iter()
                    .any(|k| word.eq_ignore_ascii_case(k))
                {
                    return Ok(None);
                }
                (keyword(word), end)
            }
        };
        self.pos = end;
        Ok(Some(Expr::Lit(lit, self.span(start, end))))
    }

    /// `number = _{ real | int | long | hex }` at `start` (a digit): the rule that matches and
    /// where it ends. Bails when an identifier character follows (pest would go on, to an
    /// error or to a word operator written against the number).
    fn number(&self, start: usize) -> R<(Number, usize)> {
        let digits = |mut i: usize| {
            while self.byte(i).is_some_and(|c| c.is_ascii_digit()) {
                i += 1;
            }
            i
        };
        // `exponent = @{ ("e" | "E") ~ ("+" | "-")? ~ ASCII_DIGIT+ }`: its end, if one is at i
        let exponent = |i: usize| {
            if !matches!(self.byte(i), Some(b'e' | b'E')) {
                return None;
            }
            let j = if matches!(self.byte(i + 1), Some(b'+' | b'-')) {
                i + 2
            } else {
                i + 1
            };
            let end = digits(j);
            (end > j).then_some(end)
        };
        // `real_suffix = @{ ("f" | "F" | "d" | "D") ~ !ident_char }`
        let suffix = |i: usize| {
            (matches!(self.byte(i), Some(b'f' | b'F' | b'd' | b'D'))
                && !self.byte(i + 1).is_some_and(is_ident_char))
            .then_some(i + 1)
        };
        let int_end = digits(start);
        let frac_end = match self.byte(int_end) {
            Some(b'.') => Some(digits(int_end + 1)).filter(|&e| e > int_end + 1),
            _ => None,
        };
        let (kind, end) = if let Some(e) = frac_end {
            let e = exponent(e).unwrap_or(e);
            (Number::Real, suffix(e).unwrap_or(e))
        } else if let Some(e) = exponent(int_end) {
            (Number::Real, suffix(e).unwrap_or(e))
        } else if let Some(e) = suffix(int_end) {
            (Number::Real, e)
        } else if !self.byte(int_end).is_some_and(is_ident_char) {
            (Number::Int, int_end)
        } else if matches!(self.byte(int_end), Some(b'l' | b'L'))
            && !self.byte(int_end + 1).is_some_and(is_ident_char)
        {
            (Number::Long, int_end + 1)
        } else if int_end == start + 1
            && self.byte(start) == Some(b'0')
            && matches!(self.byte(int_end), Some(b'x' | b'X'))
        {
            let mut e = int_end + 1;
            while self.byte(e).is_some_and(|c| c.is_ascii_hexdigit()) {
                e += 1;
            }
            if e == int_end + 1 {
                return Err(Bail);
            }
            if matches!(self.byte(e), Some(b'l' | b'L')) {
                e += 1;
            }
            (Number::Hex, e)
        } else {
            return Err(Bail);
        };
        if self.byte(end).is_some_and(is_ident_char) {
            return Err(Bail);
        }
        Ok((kind, end))
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use proptest::prelude::*;

    use super::super::parse::parse_pest;
    use super::*;

    /// Runs `src` through both parsers: when the fast one accepts, pest must accept with the
    /// same tree. Returns whether the fast parser accepted.
    fn check(src: &str) -> bool {
        let Some(fast) = parse(src) else {
            return false;
        };
        match parse_pest(src) {
            Ok(reference) => assert_eq!(fast, reference, "{src:?}"),
            Err(e) => panic!("the fast parser accepts {src:?}, pest rejects it: {e:#}"),
        }
        true
    }

    fn strings(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::String(s) => out.push(s.clone()),
            serde_json::Value::Array(a) => a.iter().for_each(|v| strings(v, out)),
            serde_json::Value::Object(m) => {
                for (k, v) in m {
                    out.push(k.clone());
                    strings(v, out);
                }
            }
            _ => {}
        }
    }

    /// Every string (values and keys) of every JSON and JSON Lines file under `dir`.
    fn corpus(dir: &Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let mut entries: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                corpus(&path, out);
                continue;
            }
            let ext = path.extension().and_then(|e| e.to_str());
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            match ext {
                Some("json") => {
                    if let Ok(v) = serde_json::from_str(&text) {
                        strings(&v, out);
                    }
                }
                Some("jsonl") => {
                    for line in text.lines() {
                        if let Ok(v) = serde_json::from_str(line) {
                            strings(&v, out);
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn tests_dir() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests")
    }

    /// The expressions of the expression-language corpora.
    fn el_corpus() -> Vec<String> {
        let mut out = Vec::new();
        for file in [
            "conformance.jsonl",
            "decisions.jsonl",
            "spel_golden.jsonl",
            "syntax_errors.jsonl",
            "time_zones.jsonl",
        ] {
            let path = tests_dir().join("el").join(file);
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            assert!(!text.is_empty(), "{}", path.display());
            for line in text.lines() {
                let v: serde_json::Value = serde_json::from_str(line).unwrap_or_default();
                if let Some(e) = v.get("expr").and_then(|e| e.as_str()) {
                    out.push(e.to_owned());
                }
            }
        }
        out
    }

    #[test]
    fn typical_expressions_take_the_fast_path() {
        for src in [
            "user.email",
            "user.firstName + ' ' + user.lastName",
            "user.department == 'Sales' ? 'sales' : 'staff'",
            "user.level >= 3 and user.countryCode == 'US' or user.title == 'Engineer'",
            "user.level * 100 + user.age / 2 - 1",
            "Arrays.contains(user.groups, 'Admins')",
            "user.email.startsWith('winston') and user.email.endsWith('.com')",
            "user.email matches '.*@example\\.com'",
            "toLowerCase(substring(user.firstName, 0, 1)) + toLowerCase(user.lastName)",
            "String.substringBefore(user.email, '@')",
            "isMemberOfGroupName('Admins')",
            "a ? b :\n c ?: d ",
            "2 ^  3",
            "! x",
            "{1, 2}.![# == 1]".replace('#', "x").as_str(),
            "{'k': 1, 'l': {:}}['k']",
            "x?.y.?[z > 1].^[true].$[a]",
            "-1.5e3d + 0x1F + 7L + 0XffL + 2f - 'it''s' + \"say \"\"hi\"\"\"",
            "NOT true AND null OR False",
            "a.b (1) [0] . c",
            "'日本' + \"é\"\n+ x",
        ] {
            assert!(check(src), "not handled: {src:?}");
        }
    }

    #[test]
    fn nesting_past_the_bound_goes_to_pest() {
        let at = |d: usize| format!("{}1{}", "(".repeat(d), ")".repeat(d));
        assert!(check(&at(MAX_DEPTH - 1)));
        assert!(!check(&at(MAX_DEPTH)));
        let ternaries = |d: usize| format!("{}b{}", "a ? ".repeat(d), " : c".repeat(d));
        assert!(check(&ternaries(MAX_DEPTH - 1)));
        assert!(!check(&ternaries(MAX_DEPTH)));
    }

    #[test]
    fn the_deepest_fast_parse_takes_less_stack_than_pest_keeps_in_reserve() {
        // The whole thread, its own frames included, is smaller than pest's 64 KiB reserve.
        let stack = if cfg!(debug_assertions) { 56 } else { 24 } << 10;
        let d = MAX_DEPTH - 1;
        let r = |s: &str, n: usize| s.repeat(n);
        let deepest = [
            format!("{}1{}", r("(", d), r(")", d)),
            format!("{}'b'{}", r("'a'.concat(", d), r(")", d)),
            format!("{}'a'{}", r("String.len(", d), r(")", d)),
            format!("{}1{}", r("{'k': ", d), r("}", d)),
            format!("{}1{}", r("{", d), r("}", d)),
            format!("{}y{}", r("x?.![", d), r("]", d)),
            format!("{}true{}", r("x.?[", d), r("]", d)),
            format!("{}0{}", r("x[", d), r("]", d)),
            format!("{}b{}", r("a ? ", d), r(" : c", d)),
            format!("{}(-x[{{!a ? 1 : 1}}]).y{}", r("(", d - 4), r(")", d - 4)),
        ];
        let parsed = std::thread::Builder::new()
            .stack_size(stack)
            .spawn(move || deepest.iter().all(|src| parse(src).is_some()))
            .map(|t| t.join());
        assert!(matches!(parsed, Ok(Ok(true))), "{parsed:?}");
    }

    #[test]
    fn spans_end_where_pest_ends_them() {
        // A ternary's span runs to the end of its `expr`, which includes trailing whitespace
        // unless every level of the last segment ends with a match.
        for src in [
            "t ? u : a or b == c + d ^ e.f ",
            "t ? u : a or b == c + d ^ e.f() \n",
            "t ? u : a or b == c + d ^ e ",
            "t ? u : a or b == c + d ^ (e) ",
            "t ? u : a or b == c + d ^ e[0] ",
            "t ? u : a or b == c * d ^ e[0] ",
            "t ? u : b == c + d ^ e[0] ",
            "t ? u : a or c + d ^ e[0] ",
            "t ? u : a or b == c ^ e[0] ",
            "t ? u : a or b == c + d ^ -e[0] ",
            "(t ?: a and b < c - d ^ e.f  ) ",
            "t ? u : a or b == c + d ^ e.f ? x : y.z ",
            // a closing bracket's span stops at the bracket
            "!(user) .b",
            "f(x) .g(y) [0] ",
            "{1} .![x] ",
        ] {
            assert!(check(src), "not handled: {src:?}");
        }
    }

    #[test]
    fn the_corpora_parse_alike() {
        let mut all = el_corpus();
        let el = all.len();
        corpus(&tests_dir(), &mut all);
        all.sort();
        all.dedup();
        let (mut fast, mut accepted, mut missed) = (0, 0, Vec::new());
        for src in &all {
            let f = check(src);
            fast += usize::from(f);
            if parse_pest(src).is_ok() {
                accepted += 1;
                if !f {
                    missed.push(src.clone());
                }
            }
        }
        // Every corpus expression pest accepts takes the fast path, but for the deep ones and
        // numbers glued to a word.
        let deep = |s: &str| s.bytes().filter(|c| b"([{?".contains(c)).count() >= MAX_DEPTH - 1;
        let glued = |s: &str| {
            s.as_bytes()
                .windows(2)
                .any(|w| w[0].is_ascii_digit() && w[1].is_ascii_alphabetic())
        };
        let unexplained: Vec<_> = missed.iter().filter(|s| !deep(s) && !glued(s)).collect();
        assert!(unexplained.is_empty(), "{unexplained:#?}");
        assert!(el > 1400 && fast > 5000, "{el} {fast} of {}", all.len());
        eprintln!(
            "{} strings ({el} from tests/el): pest accepts {accepted}, the fast parser {fast}",
            all.len()
        );
    }

    #[test]
    fn variants_of_the_corpora_parse_alike() {
        // Whitespace added, removed or changed, and every prefix (mostly syntax errors).
        for src in el_corpus() {
            check(&src.replace(' ', ""));
            check(&src.replace(' ', "\n\t "));
            check(
                &src.replace('(', " ( ")
                    .replace(')', " ) ")
                    .replace('.', " . "),
            );
            check(&format!(" {src}\r\n"));
            if src.len() <= 120 {
                for (i, _) in src.char_indices() {
                    check(src.get(..i).unwrap_or_default());
                }
            }
        }
    }

    fn ws() -> impl Strategy<Value = &'static str> {
        prop_oneof![4 => Just(""), 4 => Just(" "), 1 => Just("\n "), 1 => Just("\t\r\n")]
    }

    fn leaf() -> impl Strategy<Value = String> {
        prop_oneof![
            prop_oneof![
                Just("user"),
                Just("a"),
                Just("$x"),
                Just("_b1"),
                Just("nullx"),
                Just("nota"),
                Just("é"),
            ],
            prop_oneof![
                Just("0"),
                Just("42"),
                Just("1.5"),
                Just("2e3"),
                Just("1.5E-2d"),
                Just("7L"),
                Just("0x1f"),
                Just("0XffL"),
                Just("3f"),
                Just("2147483648"),
                Just("9223372036854775808L"),
                Just("1e999"),
                Just("1."),
                Just("0x"),
            ],
            prop_oneof![
                Just("'a'"),
                Just("'it''s'"),
                Just("\"x\"\"y\""),
                Just("'日本'"),
                Just("''"),
                Just("'a"),
            ],
            prop_oneof![Just("true"), Just("FALSE"), Just("Null")],
        ]
        .prop_map(str::to_owned)
    }

    fn binop() -> impl Strategy<Value = &'static str> {
        prop_oneof![
            Just("+"),
            Just("-"),
            Just("*"),
            Just("/"),
            Just("%"),
            Just("^"),
            Just("div"),
            Just("MOD"),
            Just("=="),
            Just("!="),
            Just("<"),
            Just("<="),
            Just(">"),
            Just(">="),
            Just("eq"),
            Just("Ne"),
            Just("lt"),
            Just("matches"),
            Just("and"),
            Just("OR"),
            Just("&&"),
            Just("||"),
        ]
    }

    /// Expressions (mostly valid) with whitespace, or none, between their tokens.
    fn expression() -> impl Strategy<Value = String> {
        leaf().prop_recursive(6, 48, 4, |e| {
            let name = prop_oneof![Just("f"), Just("m"), Just("String.len"), Just("$y")];
            let args = prop::collection::vec(e.clone(), 0..3);
            prop_oneof![
                (e.clone(), ws(), binop(), ws(), e.clone())
                    .prop_map(|(a, w1, op, w2, b)| format!("{a}{w1}{op}{w2}{b}")),
                (
                    prop_oneof![Just("!"), Just("-"), Just("+"), Just("not "), Just("! ")],
                    ws(),
                    e.clone()
                )
                    .prop_map(|(op, w, a)| format!("{op}{w}{a}")),
                (ws(), e.clone(), ws()).prop_map(|(w1, a, w2)| format!("({w1}{a}{w2})")),
                (name, ws(), args.clone()).prop_map(|(n, w, a)| format!("{n}{w}({})", a.join(","))),
                (
                    e.clone(),
                    ws(),
                    prop_oneof![Just("."), Just("?.")],
                    ws(),
                    prop_oneof![Just("b"), Just("c(1)"), Just("d ( )")]
                )
                    .prop_map(|(a, w1, dot, w2, n)| format!("{a}{w1}{dot}{w2}{n}")),
                (
                    e.clone(),
                    ws(),
                    prop_oneof![
                        Just("["),
                        Just(".!["),
                        Just(".?["),
                        Just(".^["),
                        Just(".$["),
                        Just("?.![")
                    ],
                    e.clone(),
                    ws()
                )
                    .prop_map(|(a, w1, open, b, w2)| format!("{a}{w1}{open}{b}{w2}]")),
                (e.clone(), ws(), e.clone(), ws(), e.clone())
                    .prop_map(|(c, w1, a, w2, b)| format!("{c}{w1}?{w2}{a}{w1}:{w2}{b}")),
                (e.clone(), ws(), e.clone()).prop_map(|(a, w, b)| format!("{a}{w}?:{w}{b}")),
                args.clone().prop_map(|a| format!("{{{}}}", a.join(", "))),
                prop::collection::vec((e.clone(), ws(), e.clone()), 0..3).prop_map(|kv| {
                    if kv.is_empty() {
                        return "{:}".to_owned();
                    }
                    let kv: Vec<_> = kv.iter().map(|(k, w, v)| format!("{k}{w}:{v}")).collect();
                    format!("{{{}}}", kv.join(","))
                }),
            ]
        })
    }

    fn token() -> impl Strategy<Value = &'static str> {
        prop_oneof![
            Just("("),
            Just(")"),
            Just("["),
            Just("]"),
            Just("{"),
            Just("}"),
            Just("?"),
            Just(":"),
            Just("?:"),
            Just("?."),
            Just("."),
            Just(".!["),
            Just("$["),
            Just("^["),
            Just(","),
            Just("!"),
            Just("="),
            Just("^"),
            Just("-"),
            Just("'"),
            Just("\""),
            Just(" "),
            Just("\n"),
            Just("x"),
            Just("1"),
            Just("1.5"),
            Just("e"),
            Just("L"),
            Just("0x"),
            Just("and"),
            Just("not"),
            Just("true"),
            Just("matches"),
            Just("<"),
            Just("=="),
            Just("日"),
            Just("$"),
            Just("_"),
        ]
    }

    /// Runs `check` on values of the strategy `make` builds, on a thread with a large stack
    /// (generating nested expressions recurses deeply in unoptimized builds).
    fn check_all<S: Strategy + 'static>(make: fn() -> S, text: fn(S::Value) -> String) {
        let cases = std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(2000);
        let run = move || {
            let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
                cases,
                ..ProptestConfig::default()
            });
            let result = runner.run(&make(), |v| {
                check(&text(v));
                Ok(())
            });
            if let Err(e) = result {
                panic!("{e}");
            }
        };
        let joined = std::thread::Builder::new()
            .stack_size(64 << 20)
            .spawn(run)
            .map(|t| t.join());
        assert!(matches!(joined, Ok(Ok(()))));
    }

    #[test]
    fn random_expressions_parse_alike() {
        check_all(expression, |src| src);
    }

    #[test]
    fn token_soups_parse_alike() {
        check_all(
            || prop::collection::vec(token(), 0..24),
            |parts: Vec<&str>| parts.concat(),
        );
    }
}

//! pest pairs → syntax tree.

use std::cell::Cell;

use pest::Parser as _;
use pest::iterators::Pair;
use pest_derive::Parser;

use super::CompileError;
use super::ast::{BinOp, Expr, Literal, Postfix, SelectKind, Span, UnOp};

#[derive(Parser)]
#[grammar = "el/grammar.pest"]
struct ElParser;

struct Builder<'s> {
    src: &'s str,
    /// (byte, line, column) of the last span computed: spans are mostly requested left to
    /// right, so each is found by scanning forward from the previous one (linear overall).
    cursor: Cell<(usize, usize, usize)>,
}

/// Parses a pre-scanned source into a syntax tree.
pub(crate) fn parse(src: &str) -> Result<Expr, CompileError> {
    let mut pairs = ElParser::parse(Rule::program, src).map_err(|e| pest_error(src, e))?;
    let program = pairs.next().expect("program");
    let expr = program.into_inner().next().expect("expr");
    Builder {
        src,
        cursor: Cell::new((0, 1, 1)),
    }
    .expr(expr)
}

fn rule_name(r: Rule) -> Option<&'static str> {
    Some(match r {
        Rule::expr | Rule::or_expr | Rule::and_expr | Rule::rel_expr | Rule::sum => "an expression",
        Rule::EOI => "end of expression",
        Rule::ident | Rule::property | Rule::method_call => "a name",
        Rule::rel_op => "a comparison",
        Rule::op_or => "'or'",
        Rule::op_and => "'and'",
        Rule::ternary_tail => "'?'",
        Rule::elvis_tail => "'?:'",
        Rule::index => "'['",
        Rule::dot_node => "'.'",
        Rule::literal | Rule::int | Rule::real | Rule::string => "a literal",
        _ => return None,
    })
}

fn pest_error(src: &str, e: pest::error::Error<Rule>) -> CompileError {
    use pest::error::{ErrorVariant, InputLocation};
    let pos = match e.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    let found = src[pos.min(src.len())..]
        .chars()
        .next()
        .map_or_else(|| "end of expression".to_owned(), |c| format!("'{c}'"));
    let mut msg = format!("unexpected {found}");
    if let ErrorVariant::ParsingError { positives, .. } = &e.variant {
        let mut names: Vec<&str> = positives.iter().filter_map(|r| rule_name(*r)).collect();
        names.sort_unstable();
        names.dedup();
        if !names.is_empty() {
            msg.push_str(", expected ");
            msg.push_str(&names.join(" or "));
        }
    }
    let hint = if src[pos.min(src.len())..].starts_with(['<', '>', '=', '!'])
        || src[pos.min(src.len())..]
            .to_ascii_lowercase()
            .starts_with("matches")
    {
        Some("comparisons do not chain: write 'a < b and b < c'".to_owned())
    } else {
        None
    };
    CompileError::new(msg, Span::new(src, pos, pos + 1), hint)
}

fn unquote(raw: &str) -> String {
    let q = &raw[..1];
    let inner = &raw[1..raw.len() - 1];
    inner.replace(&format!("{q}{q}"), q)
}

impl Builder<'_> {
    fn span(&self, p: &Pair<'_, Rule>) -> Span {
        let s = p.as_span();
        let (byte, line, col) = self.cursor.get();
        if s.start() < byte {
            let span = Span::new(self.src, s.start(), s.end());
            self.cursor.set((span.start, span.line, span.column));
            return span;
        }
        let (mut line, mut col) = (line, col);
        for c in self.src[byte..s.start()].chars() {
            if c == '\n' {
                line += 1;
                col = 1;
            } else {
                col += 1;
            }
        }
        self.cursor.set((s.start(), line, col));
        Span {
            start: s.start(),
            end: s.end(),
            line,
            column: col,
        }
    }

    fn err(&self, p: &Pair<'_, Rule>, msg: String) -> CompileError {
        CompileError::new(msg, self.span(p), None)
    }

    fn expr(&self, p: Pair<'_, Rule>) -> Result<Expr, CompileError> {
        // Walk down precedence levels that hold a single operand without recursing, so the
        // builder's stack use per source nesting level stays small.
        let mut p = p;
        loop {
            let single = match p.as_rule() {
                Rule::expr
                | Rule::or_expr
                | Rule::and_expr
                | Rule::rel_expr
                | Rule::sum
                | Rule::product
                | Rule::power
                | Rule::unary
                | Rule::postfix_expr => {
                    let mut it = p.clone().into_inner();
                    match (it.next(), it.next()) {
                        (Some(only), None) => Some(only),
                        _ => None,
                    }
                }
                _ => None,
            };
            match single {
                Some(only) => p = only,
                None => break,
            }
        }
        match p.as_rule() {
            Rule::expr => {
                let mut it = p.into_inner();
                let first = self.expr(it.next().expect("or_expr"))?;
                match it.next() {
                    None => Ok(first),
                    Some(tail) => {
                        let span = self.span(&tail);
                        match tail.as_rule() {
                            Rule::elvis_tail => {
                                let rhs = self.expr(tail.into_inner().next().expect("expr"))?;
                                Ok(Expr::Elvis(Box::new(first), Box::new(rhs), span))
                            }
                            _ => {
                                let mut t = tail.into_inner();
                                let a = self.expr(t.next().expect("then"))?;
                                let b = self.expr(t.next().expect("else"))?;
                                Ok(Expr::Ternary(
                                    Box::new(first),
                                    Box::new(a),
                                    Box::new(b),
                                    span,
                                ))
                            }
                        }
                    }
                }
            }
            Rule::or_expr
            | Rule::and_expr
            | Rule::rel_expr
            | Rule::sum
            | Rule::product
            | Rule::power => {
                let mut it = p.into_inner();
                let first = self.expr(it.next().expect("operand"))?;
                let mut rest = Vec::new();
                while let Some(op) = it.next() {
                    let span = self.span(&op);
                    let op = binop(op);
                    let rhs = self.expr(it.next().expect("operand"))?;
                    rest.push((op, span, rhs));
                }
                if rest.is_empty() {
                    Ok(first)
                } else {
                    Ok(Expr::Binary(Box::new(first), rest))
                }
            }
            Rule::unary => {
                let mut ops = Vec::new();
                let mut operand = None;
                for q in p.into_inner() {
                    if q.as_rule() == Rule::prefix_op {
                        let span = self.span(&q);
                        let inner = q.into_inner().next().expect("op");
                        let op = match inner.as_rule() {
                            Rule::op_not => UnOp::Not,
                            Rule::op_neg => UnOp::Neg,
                            _ => UnOp::Plus,
                        };
                        ops.push((op, span));
                    } else {
                        operand = Some(self.expr(q)?);
                    }
                }
                let operand = operand.expect("operand");
                if ops.is_empty() {
                    Ok(operand)
                } else {
                    Ok(Expr::Unary(ops, Box::new(operand)))
                }
            }
            Rule::postfix_expr => {
                let mut it = p.into_inner();
                let start = self.start(it.next().expect("start"))?;
                let mut steps = Vec::new();
                for q in it {
                    steps.push(self.postfix(q)?);
                }
                if steps.is_empty() {
                    Ok(start)
                } else {
                    Ok(Expr::Chain(Box::new(start), steps))
                }
            }
            _ => self.start(p),
        }
    }

    fn start(&self, p: Pair<'_, Rule>) -> Result<Expr, CompileError> {
        let span = self.span(&p);
        let text = p.as_str();
        Ok(match p.as_rule() {
            Rule::int => Expr::Lit(
                Literal::Int(text.parse::<i32>().map_err(|_| {
                    self.err(
                        &p,
                        format!("the integer {text} is out of range; write {text}L for a long"),
                    )
                })?),
                span,
            ),
            Rule::long => Expr::Lit(
                Literal::Long(
                    text[..text.len() - 1]
                        .parse::<i64>()
                        .map_err(|_| self.err(&p, format!("the long {text} is out of range")))?,
                ),
                span,
            ),
            Rule::hex => {
                let digits = text[2..].trim_end_matches(['l', 'L']);
                if text.ends_with(['l', 'L']) {
                    let v = i64::from_str_radix(digits, 16)
                        .map_err(|_| self.err(&p, format!("the long {text} is out of range")))?;
                    Expr::Lit(Literal::Long(v), span)
                } else {
                    let v = i32::from_str_radix(digits, 16)
                        .map_err(|_| self.err(&p, format!("the integer {text} is out of range")))?;
                    Expr::Lit(Literal::Int(v), span)
                }
            }
            Rule::real => {
                let body = text.trim_end_matches(['f', 'F', 'd', 'D']);
                let v: f64 = body
                    .parse()
                    .map_err(|_| self.err(&p, format!("bad number {text}")))?;
                if !v.is_finite() {
                    return Err(self.err(&p, format!("the number {text} is out of range")));
                }
                Expr::Lit(Literal::Double(v), span)
            }
            Rule::string => {
                let inner = p.into_inner().next().expect("quoted");
                Expr::Lit(Literal::Str(unquote(inner.as_str())), span)
            }
            Rule::kw_true => Expr::Lit(Literal::Bool(true), span),
            Rule::kw_false => Expr::Lit(Literal::Bool(false), span),
            Rule::kw_null => Expr::Lit(Literal::Null, span),
            Rule::paren => Expr::Paren(
                Box::new(self.expr(p.into_inner().next().expect("expr"))?),
                span,
            ),
            Rule::braces => {
                let mut it = p.into_inner();
                let first = it.next().expect("brace content");
                match first.as_rule() {
                    Rule::empty_map => Expr::Map(Vec::new(), span),
                    Rule::empty_list => Expr::List(Vec::new(), span),
                    _ => {
                        let head = self.expr(first)?;
                        let rest = it.next().expect("rest");
                        match rest.as_rule() {
                            Rule::map_rest => {
                                let mut entries = Vec::new();
                                let mut r = rest.into_inner();
                                let v = self.expr(r.next().expect("value"))?;
                                entries.push((head, v));
                                while let Some(k) = r.next() {
                                    let k = self.expr(k)?;
                                    let v = self.expr(r.next().expect("value"))?;
                                    entries.push((k, v));
                                }
                                Expr::Map(entries, span)
                            }
                            _ => {
                                let mut items = vec![head];
                                for q in rest.into_inner() {
                                    items.push(self.expr(q)?);
                                }
                                Expr::List(items, span)
                            }
                        }
                    }
                }
            }
            Rule::method_call => {
                let mut it = p.into_inner();
                let name = it.next().expect("name").as_str().to_owned();
                let args = self.args(it.next().expect("args"))?;
                Expr::Call(name, args, span)
            }
            Rule::property => Expr::Ident(text.to_owned(), span),
            _ => return self.expr(p),
        })
    }

    fn args(&self, p: Pair<'_, Rule>) -> Result<Vec<Expr>, CompileError> {
        p.into_inner().map(|q| self.expr(q)).collect()
    }

    fn postfix(&self, p: Pair<'_, Rule>) -> Result<Postfix, CompileError> {
        let span = self.span(&p);
        let rule = p.as_rule();
        if rule == Rule::index {
            let e = self.expr(p.into_inner().next().expect("index"))?;
            return Ok(Postfix::Index {
                index: Box::new(e),
                span,
            });
        }
        let safe = rule == Rule::safe_dot_node;
        let inner = p.into_inner().next().expect("dotted");
        let ispan = self.span(&inner);
        Ok(match inner.as_rule() {
            Rule::projection => Postfix::Project {
                expr: Box::new(self.expr(inner.into_inner().next().expect("expr"))?),
                safe,
                span: ispan,
            },
            Rule::selection => {
                let mut it = inner.into_inner();
                let kind = match it.next().expect("sel_op").as_str() {
                    "?[" => SelectKind::All,
                    "^[" => SelectKind::First,
                    _ => SelectKind::Last,
                };
                Postfix::Select {
                    kind,
                    expr: Box::new(self.expr(it.next().expect("expr"))?),
                    safe,
                    span: ispan,
                }
            }
            Rule::method_call => {
                let mut it = inner.into_inner();
                let name = it.next().expect("name").as_str().to_owned();
                let args = self.args(it.next().expect("args"))?;
                Postfix::Method {
                    name,
                    args,
                    safe,
                    span: ispan,
                }
            }
            _ => Postfix::Property {
                name: inner.as_str().to_owned(),
                safe,
                span: ispan,
            },
        })
    }
}

fn binop(op: Pair<'_, Rule>) -> BinOp {
    let r = op.as_rule();
    let inner = op.into_inner().next();
    let r = match r {
        Rule::rel_op | Rule::sum_op | Rule::prod_op => inner.map_or(r, |i| i.as_rule()),
        _ => r,
    };
    match r {
        Rule::op_or => BinOp::Or,
        Rule::op_and => BinOp::And,
        Rule::op_eq => BinOp::Eq,
        Rule::op_ne => BinOp::Ne,
        Rule::op_le => BinOp::Le,
        Rule::op_ge => BinOp::Ge,
        Rule::op_lt => BinOp::Lt,
        Rule::op_gt => BinOp::Gt,
        Rule::op_matches => BinOp::Matches,
        Rule::op_add => BinOp::Add,
        Rule::op_sub => BinOp::Sub,
        Rule::op_mul => BinOp::Mul,
        Rule::op_div => BinOp::Div,
        Rule::op_mod => BinOp::Mod,
        _ => BinOp::Pow,
    }
}

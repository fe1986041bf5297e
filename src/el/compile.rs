//! Syntax tree → resolved program: roots, functions and methods become enums, arities and
//! literal argument types are checked, literal regexes and group expressions are compiled.

use std::sync::{Arc, Mutex};

use regex::Regex;

use super::ast::{BinOp, Expr, Literal, Postfix, SelectKind, Span, UnOp};
use super::context::{KNOWN_ROOTS, KnownRoot};
use super::functions::{self, FUNCS, Func, Kind, METHODS, Method, NAMESPACES};
use super::value::{Map, Value};
use super::{CompileError, Limits, Program};

type FuncEntry = (
    &'static str,
    &'static str,
    usize,
    usize,
    &'static [Kind],
    Func,
);

/// Where an expression is compiled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// A claim (or any top-level) expression.
    Top,
    /// The per-group expression of `getFilteredGroups`: `group` is bound.
    Group,
}

/// A root reference resolved at compile time.
#[derive(Debug, Clone)]
pub(crate) enum RootRef {
    Known(KnownRoot),
    Group,
    Other(Arc<str>),
}

/// A regex operand: compiled at compile time when literal, else through a small bounded
/// per-program cache at evaluation time.
#[derive(Debug)]
pub(crate) enum RegexArg {
    Fixed(Arc<Regex>),
    Dynamic(RegexCache),
}

/// Up to [`RegexCache::CAPACITY`] patterns compiled at evaluation time, least recently added
/// evicted first.
#[derive(Debug, Default)]
pub(crate) struct RegexCache(Mutex<Vec<(Arc<str>, Arc<Regex>)>>);

impl RegexCache {
    const CAPACITY: usize = 16;

    pub(crate) fn get(
        &self,
        pattern: &str,
        whole: bool,
        limits: &Limits,
    ) -> Result<Arc<Regex>, String> {
        if let Ok(c) = self.0.lock()
            && let Some((_, r)) = c.iter().find(|(p, _)| &**p == pattern)
        {
            return Ok(r.clone());
        }
        let r = Arc::new(build_regex(pattern, whole, limits)?);
        if let Ok(mut c) = self.0.lock() {
            if c.len() >= Self::CAPACITY {
                c.remove(0);
            }
            c.push((Arc::from(pattern), r.clone()));
        }
        Ok(r)
    }
}

/// The per-group expression of `getFilteredGroups`.
#[derive(Debug)]
pub(crate) enum GroupExprArg {
    Fixed(Box<Program>),
    Dynamic(Box<Node>),
}

/// One step of a postfix chain.
#[derive(Debug)]
pub(crate) enum Step {
    Prop(Arc<str>, bool, Span),
    Index(Node, Span),
    Method(Method, Vec<Node>, Option<RegexArg>, bool, Span),
    Project(Node, bool, Span),
    Select(SelectKind, Node, bool, Span),
}

/// A resolved expression.
#[derive(Debug)]
pub(crate) enum Node {
    Const(Value),
    Root(RootRef, Span),
    /// A bare name inside a projection/selection: the element's property, or a root.
    Elem(Arc<str>, Option<RootRef>, Span),
    /// A bare method call inside a projection/selection: a method of the element.
    ElemMethod(Method, Vec<Node>, Option<RegexArg>, Span),
    List(Vec<Node>, Span),
    Map(Vec<(Node, Node)>),
    Chain(Box<Node>, Vec<Step>),
    Unary(Vec<(UnOp, Span)>, Box<Node>),
    And(Vec<(Node, Span)>),
    Or(Vec<(Node, Span)>),
    Arith(Box<Node>, Vec<(BinOp, Span, Node)>),
    Cmp(BinOp, Box<Node>, Box<Node>, Span),
    Matches(Box<Node>, RegexArg, Box<Node>, Span),
    Ternary(Box<Node>, Box<Node>, Box<Node>, Span),
    Elvis(Box<Node>, Box<Node>),
    Call(Func, Vec<Node>, Option<RegexArg>, Span),
    FilteredGroups(Box<Node>, GroupExprArg, Box<Node>, Span),
}

struct Compiler<'a> {
    limits: &'a Limits,
    scope: Scope,
    /// > 0 inside a projection or selection
    elem_depth: usize,
    /// Set when the expression reads the user: the `user` or `appuser` root, or a function
    /// that reads the user's groups, manager, assistant or directory assignments.
    reads_user: std::cell::Cell<bool>,
}

/// Compiles a syntax tree; the flag says whether the expression reads the user.
pub(crate) fn compile_ast(
    ast: &Expr,
    src: &str,
    limits: &Limits,
    scope: Scope,
) -> Result<(Node, bool), CompileError> {
    let _ = src;
    let mut c = Compiler {
        limits,
        scope,
        elem_depth: 0,
        reads_user: std::cell::Cell::new(false),
    };
    let node = c.node(ast)?;
    Ok((node, c.reads_user.get()))
}

/// Functions that read the user implicitly (groups, manager, assistant, directory users).
fn func_reads_user(f: Func) -> bool {
    use Func::*;
    matches!(
        f,
        GroupsContains
            | GroupsStartsWith
            | GroupsEndsWith
            | GetFilteredGroups
            | IsMemberOfGroupName
            | IsMemberOfGroup
            | IsMemberOfAnyGroup
            | IsMemberOfGroupNameStartsWith
            | IsMemberOfGroupNameContains
            | IsMemberOfGroupNameRegex
            | GetManagerUser
            | GetManagerAppUser
            | GetAssistantUser
            | GetAssistantAppUser
            | HasDirectoryUser
            | HasWorkdayUser
            | FindDirectoryUser
            | FindWorkdayUser
    )
}

/// Builds a `regex` crate regex for a Java pattern. `whole` anchors it (Java `matches()`).
/// Constructs the linear-time engine cannot run are refused with a clear message.
pub(crate) fn build_regex(pattern: &str, whole: bool, limits: &Limits) -> Result<Regex, String> {
    if let Some(what) = java_only_construct(pattern) {
        return Err(format!(
            "the regular expression uses {what}, which Okta expressions here do not support \
             (patterns must run in linear time)"
        ));
    }
    let p = if whole {
        format!(r"\A(?:{pattern})\z")
    } else {
        pattern.to_owned()
    };
    regex::RegexBuilder::new(&p)
        .size_limit(limits.max_regex_size)
        .dfa_size_limit(limits.max_regex_size)
        .build()
        .map_err(|e| match e {
            regex::Error::CompiledTooBig(_) => {
                "the regular expression is too large once compiled".to_owned()
            }
            other => format!(
                "invalid regular expression: {}",
                first_line(&other.to_string())
            ),
        })
}

fn first_line(s: &str) -> String {
    // regex errors print the pattern and a caret over several lines; keep the reason
    s.lines()
        .rev()
        .find(|l| l.starts_with("error:"))
        .map_or_else(
            || s.lines().next().unwrap_or("").to_owned(),
            |l| l.trim_start_matches("error: ").to_owned(),
        )
}

/// Java-only regex syntax, detected outside character classes and escapes.
fn java_only_construct(p: &str) -> Option<&'static str> {
    let b = p.as_bytes();
    let mut i = 0;
    let mut in_class = 0usize;
    while i < b.len() {
        match b[i] {
            b'\\' => {
                if let Some(&n) = b.get(i + 1) {
                    if in_class == 0 && n.is_ascii_digit() && n != b'0' {
                        return Some("a backreference (\\1)");
                    }
                    if n == b'k' && b.get(i + 2) == Some(&b'<') {
                        return Some("a named backreference (\\k<name>)");
                    }
                    if n == b'Q' {
                        return Some("quoting (\\Q...\\E)");
                    }
                    if n == b'G' || n == b'Z' {
                        return Some("the \\G or \\Z anchor");
                    }
                }
                i += 2;
                continue;
            }
            b'[' => in_class += 1,
            b']' if in_class > 0 => in_class -= 1,
            b'(' if in_class == 0 && b.get(i + 1) == Some(&b'?') => {
                match (b.get(i + 2), b.get(i + 3)) {
                    (Some(b'='), _) | (Some(b'!'), _) => {
                        return Some("a look-ahead ((?=...), (?!...))");
                    }
                    (Some(b'<'), Some(b'=')) | (Some(b'<'), Some(b'!')) => {
                        return Some("a look-behind ((?<=...), (?<!...))");
                    }
                    (Some(b'>'), _) => return Some("an atomic group ((?>...))"),
                    _ => {}
                }
            }
            b'+' if in_class == 0
                && i > 0
                && matches!(b[i - 1], b'*' | b'+' | b'?' | b'}')
                && !(i > 1 && b[i - 2] == b'\\') =>
            {
                return Some("a possessive quantifier (*+, ++, ?+)");
            }
            _ => {}
        }
        i += 1;
    }
    None
}

fn lit_kind_ok(kind: Kind, e: &Expr) -> bool {
    let Expr::Lit(l, _) = e else { return true };
    matches!(
        (kind, l),
        (_, Literal::Null)
            | (Kind::Any, _)
            | (Kind::Str | Kind::Regex | Kind::GroupExpr, Literal::Str(_))
            | (Kind::Int, Literal::Int(_) | Literal::Long(_))
    )
}

fn kind_name(k: Kind) -> &'static str {
    match k {
        Kind::Any => "a value",
        Kind::Str => "a string",
        Kind::Int => "an integer",
        Kind::Regex => "a regular expression string",
        Kind::GroupExpr => "an expression string",
    }
}

fn strip_parens(e: &Expr) -> &Expr {
    match e {
        Expr::Paren(inner, _) => strip_parens(inner),
        other => other,
    }
}

impl Compiler<'_> {
    fn err(&self, span: Span, msg: impl Into<String>, hint: Option<String>) -> CompileError {
        CompileError::new(msg, span, hint)
    }

    fn node(&mut self, e: &Expr) -> Result<Node, CompileError> {
        Ok(match e {
            Expr::Lit(l, _) => Node::Const(match l {
                Literal::Null => Value::Null,
                Literal::Bool(b) => Value::Bool(*b),
                Literal::Int(i) => Value::Int(*i),
                Literal::Long(i) => Value::Long(*i),
                Literal::Double(d) => Value::Double(*d),
                Literal::Str(s) => Value::from(s.as_str()),
            }),
            Expr::Ident(name, span) => self.ident(name, *span)?,
            Expr::Call(name, args, span) => self.global_call(name, args, *span)?,
            Expr::List(items, span) => {
                let nodes = items
                    .iter()
                    .map(|i| self.node(i))
                    .collect::<Result<Vec<_>, _>>()?;
                if nodes.iter().all(|n| matches!(n, Node::Const(_))) {
                    let vals = nodes
                        .into_iter()
                        .map(|n| match n {
                            Node::Const(v) => v,
                            _ => Value::Null,
                        })
                        .collect::<Vec<_>>();
                    Node::Const(Value::from(vals))
                } else {
                    Node::List(nodes, *span)
                }
            }
            Expr::Map(entries, _) => {
                let mut out = Vec::new();
                for (k, v) in entries {
                    // SpEL: an unquoted name as a key is the key itself
                    let key = match strip_parens(k) {
                        Expr::Ident(n, _) if matches!(k, Expr::Ident(..)) => {
                            Node::Const(Value::from(n.as_str()))
                        }
                        _ => self.node(k)?,
                    };
                    out.push((key, self.node(v)?));
                }
                if out
                    .iter()
                    .all(|(k, v)| matches!(k, Node::Const(_)) && matches!(v, Node::Const(_)))
                {
                    let mut m = Map::default();
                    for (k, v) in out {
                        if let (Node::Const(k), Node::Const(v)) = (k, v) {
                            m.insert(Arc::from(map_key(&k)), v);
                        }
                    }
                    Node::Const(Value::Map(Arc::new(m)))
                } else {
                    Node::Map(out)
                }
            }
            Expr::Paren(inner, _) => self.node(inner)?,
            Expr::Unary(ops, operand) => Node::Unary(ops.clone(), Box::new(self.node(operand)?)),
            Expr::Ternary(c, a, b, span) => Node::Ternary(
                Box::new(self.node(c)?),
                Box::new(self.node(a)?),
                Box::new(self.node(b)?),
                *span,
            ),
            Expr::Elvis(a, b, _) => Node::Elvis(Box::new(self.node(a)?), Box::new(self.node(b)?)),
            Expr::Binary(first, rest) => self.binary(first, rest)?,
            Expr::Chain(start, steps) => self.chain(start, steps)?,
        })
    }

    fn binary(&mut self, first: &Expr, rest: &[(BinOp, Span, Expr)]) -> Result<Node, CompileError> {
        let op0 = rest[0].0;
        match op0 {
            BinOp::Or | BinOp::And => {
                let mut items = vec![(self.node(first)?, first.span())];
                for (_, _, e) in rest {
                    items.push((self.node(e)?, e.span()));
                }
                Ok(if op0 == BinOp::Or {
                    Node::Or(items)
                } else {
                    Node::And(items)
                })
            }
            BinOp::Matches => {
                let (_, span, rhs) = &rest[0];
                let lhs = self.node(first)?;
                let regex = self.regex_arg(rhs, true)?;
                let rhs_node = self.node(rhs)?;
                Ok(Node::Matches(
                    Box::new(lhs),
                    regex,
                    Box::new(rhs_node),
                    *span,
                ))
            }
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                let (op, span, rhs) = &rest[0];
                Ok(Node::Cmp(
                    *op,
                    Box::new(self.node(first)?),
                    Box::new(self.node(rhs)?),
                    *span,
                ))
            }
            _ => {
                let mut out = Vec::new();
                for (op, span, e) in rest {
                    out.push((*op, *span, self.node(e)?));
                }
                Ok(Node::Arith(Box::new(self.node(first)?), out))
            }
        }
    }

    fn regex_arg(&self, e: &Expr, whole: bool) -> Result<RegexArg, CompileError> {
        if let Expr::Lit(Literal::Str(p), span) = strip_parens(e) {
            let r = build_regex(p, whole, self.limits).map_err(|m| self.err(*span, m, None))?;
            Ok(RegexArg::Fixed(Arc::new(r)))
        } else {
            Ok(RegexArg::Dynamic(RegexCache::default()))
        }
    }

    fn root_ref(&self, name: &str) -> Option<RootRef> {
        if let Some((_, k)) = KNOWN_ROOTS.iter().find(|(n, _)| *n == name) {
            if matches!(k, KnownRoot::User | KnownRoot::AppUser) {
                self.reads_user.set(true);
            }
            return Some(RootRef::Known(*k));
        }
        if name == "group" && self.scope == Scope::Group {
            return Some(RootRef::Group);
        }
        None
    }

    fn ident(&mut self, name: &str, span: Span) -> Result<Node, CompileError> {
        if self.elem_depth > 0 {
            return Ok(Node::Elem(Arc::from(name), self.root_ref(name), span));
        }
        if let Some(r) = self.root_ref(name) {
            return Ok(Node::Root(r, span));
        }
        if NAMESPACES.contains(&name) {
            return Err(self.err(
                span,
                format!("'{name}' is a function namespace, not a value"),
                Some(format!(
                    "call one of its functions, e.g. '{name}.<function>(...)'"
                )),
            ));
        }
        let candidates = KNOWN_ROOTS
            .iter()
            .map(|(n, _)| *n)
            .chain(NAMESPACES.iter().copied())
            .chain((self.scope == Scope::Group).then_some("group"));
        if let Some(s) = functions::did_you_mean(name, candidates)
            && s != name
        {
            return Err(self.err(
                span,
                format!("unknown name '{name}'"),
                Some(format!("did you mean '{s}'?")),
            ));
        }
        // Any other name is a root the context may bind (profile-mapping sources, bare
        // attribute names of the conditional samples); a missing one is an evaluation error.
        Ok(Node::Root(RootRef::Other(Arc::from(name)), span))
    }

    fn check_args(
        &self,
        what: &str,
        min: usize,
        max: usize,
        kinds: &[Kind],
        args: &[Expr],
        span: Span,
    ) -> Result<(), CompileError> {
        if args.len() < min || args.len() > max {
            let expected = if min == max {
                format!("{min}")
            } else if max == usize::MAX {
                format!("at least {min}")
            } else {
                format!("{min} to {max}")
            };
            return Err(self.err(
                span,
                format!(
                    "{what} takes {expected} argument{}, not {}",
                    if expected == "1" { "" } else { "s" },
                    args.len()
                ),
                None,
            ));
        }
        for (i, a) in args.iter().enumerate() {
            let kind = kinds.get(i).or(kinds.last()).copied().unwrap_or(Kind::Any);
            if !lit_kind_ok(kind, strip_parens(a)) {
                return Err(self.err(
                    a.span(),
                    format!("argument {} of {what} must be {}", i + 1, kind_name(kind)),
                    None,
                ));
            }
        }
        Ok(())
    }

    fn args(&mut self, args: &[Expr]) -> Result<Vec<Node>, CompileError> {
        args.iter().map(|a| self.node(a)).collect()
    }

    fn resolve_func(
        &self,
        ns: &str,
        name: &str,
        span: Span,
    ) -> Result<&'static FuncEntry, CompileError> {
        if let Some(f) = FUNCS.iter().find(|f| f.0 == ns && f.1 == name) {
            return Ok(f);
        }
        let full = |f: &(&str, &str, usize, usize, &[Kind], Func)| {
            if f.0.is_empty() {
                f.1.to_owned()
            } else {
                format!("{}.{}", f.0, f.1)
            }
        };
        let wanted = if ns.is_empty() {
            name.to_owned()
        } else {
            format!("{ns}.{name}")
        };
        let names: Vec<String> = FUNCS.iter().map(full).collect();
        let hint = functions::did_you_mean(&wanted, names.iter().map(String::as_str))
            .map(|s| format!("did you mean '{s}'?"));
        Err(self.err(span, format!("unknown function '{wanted}'"), hint))
    }

    fn func_call(
        &mut self,
        ns: &str,
        name: &str,
        args: &[Expr],
        span: Span,
    ) -> Result<Node, CompileError> {
        let f = self.resolve_func(ns, name, span)?;
        let full = if ns.is_empty() {
            name.to_owned()
        } else {
            format!("{ns}.{name}")
        };
        self.check_args(&full, f.2, f.3, f.4, args, span)?;
        if f.5 == Func::GetFilteredGroups {
            let allow = self.node(&args[0])?;
            let gexpr = match strip_parens(&args[1]) {
                Expr::Lit(Literal::Str(s), lspan) => {
                    let p = super::compile_with(s, self.limits, Scope::Group).map_err(|e| {
                        self.err(
                            *lspan,
                            format!("in the group expression of getFilteredGroups: {e:#}"),
                            e.hint.clone(),
                        )
                    })?;
                    GroupExprArg::Fixed(Box::new(p))
                }
                other => GroupExprArg::Dynamic(Box::new(self.node(other)?)),
            };
            let limit = self.node(&args[2])?;
            self.reads_user.set(true);
            return Ok(Node::FilteredGroups(
                Box::new(allow),
                gexpr,
                Box::new(limit),
                span,
            ));
        }
        let regex = match f.4.iter().position(|k| *k == Kind::Regex) {
            Some(i) if f.5 == Func::IsMemberOfGroupNameRegex => {
                // a leading '/' delimiter is removed before compiling (see groups.rs)
                let stripped = match strip_parens(&args[i]) {
                    Expr::Lit(Literal::Str(p), s) => {
                        let v = functions::groups::strip_slashes(&Value::from(p.as_str()));
                        Expr::Lit(Literal::Str(v.as_str().unwrap_or("").to_owned()), *s)
                    }
                    other => other.clone(),
                };
                Some(self.regex_arg(&stripped, true)?)
            }
            Some(i) => Some(self.regex_arg(&args[i], true)?),
            None => None,
        };
        let nodes = self.args(args)?;
        if func_reads_user(f.5) {
            self.reads_user.set(true);
        }
        Ok(Node::Call(f.5, nodes, regex, span))
    }

    fn global_call(&mut self, name: &str, args: &[Expr], span: Span) -> Result<Node, CompileError> {
        // Inside a projection or selection a bare call is a method of the element when a
        // method of that name takes this many arguments (`.![toUpperCase()]`), else a global.
        let elem_method = METHODS
            .iter()
            .any(|m| m.0 == name && (m.1..=m.2).contains(&args.len()));
        let global_fits = FUNCS
            .iter()
            .any(|f| f.0.is_empty() && f.1 == name && (f.2..=f.3).contains(&args.len()));
        if self.elem_depth > 0 && elem_method && !global_fits {
            // a method of the projected element
            let (m, regex, nodes) = self.method(name, args, span)?;
            return Ok(Node::ElemMethod(m, nodes, regex, span));
        }
        self.func_call("", name, args, span)
    }

    fn method(
        &mut self,
        name: &str,
        args: &[Expr],
        span: Span,
    ) -> Result<(Method, Option<RegexArg>, Vec<Node>), CompileError> {
        let Some(m) = METHODS.iter().find(|m| m.0 == name) else {
            let hint = functions::did_you_mean(name, METHODS.iter().map(|m| m.0))
                .map(|s| format!("did you mean '{s}'?"));
            return Err(self.err(span, format!("unknown method '{name}'"), hint));
        };
        self.check_args(&format!("{name}()"), m.1, m.2, m.3, args, span)?;
        let regex = match m.3.iter().position(|k| *k == Kind::Regex) {
            Some(i) if i < args.len() => Some(self.regex_arg(&args[i], m.4 == Method::Matches)?),
            _ => None,
        };
        Ok((m.4, regex, self.args(args)?))
    }

    fn chain(&mut self, start: &Expr, steps: &[Postfix]) -> Result<Node, CompileError> {
        let mut rest = steps;
        let head = match (start, steps.first()) {
            (
                Expr::Ident(ns, ns_span),
                Some(Postfix::Method {
                    name, args, span, ..
                }),
            ) if NAMESPACES.contains(&ns.as_str()) => {
                rest = &steps[1..];
                let whole = Span {
                    end: span.end,
                    ..*ns_span
                };
                self.func_call(ns, name, args, whole)?
            }
            _ => self.node(start)?,
        };
        let mut out = Vec::new();
        for s in rest {
            out.push(match s {
                Postfix::Property { name, safe, span } => {
                    Step::Prop(Arc::from(name.as_str()), *safe, *span)
                }
                Postfix::Index { index, span } => Step::Index(self.node(index)?, *span),
                Postfix::Method {
                    name,
                    args,
                    safe,
                    span,
                } => {
                    let (m, regex, nodes) = self.method(name, args, *span)?;
                    Step::Method(m, nodes, regex, *safe, *span)
                }
                Postfix::Project { expr, safe, span } => {
                    self.elem_depth += 1;
                    let n = self.node(expr);
                    self.elem_depth -= 1;
                    Step::Project(n?, *safe, *span)
                }
                Postfix::Select {
                    kind,
                    expr,
                    safe,
                    span,
                } => {
                    self.elem_depth += 1;
                    let n = self.node(expr);
                    self.elem_depth -= 1;
                    Step::Select(*kind, n?, *safe, *span)
                }
            });
        }
        if out.is_empty() {
            Ok(head)
        } else {
            Ok(Node::Chain(Box::new(head), out))
        }
    }
}

/// The string form of a map key (inline map keys are strings in this engine).
pub(crate) fn map_key(v: &Value) -> String {
    match v {
        Value::Str(s) => s.to_string(),
        other => other.to_java_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_only_regex_detected() {
        assert!(java_only_construct("(?=a)b").is_some());
        assert!(java_only_construct("(?<!a)b").is_some());
        assert!(java_only_construct(r"(a)\1").is_some());
        assert!(java_only_construct("a*+").is_some());
        assert!(java_only_construct("(?>a)").is_some());
        assert!(java_only_construct(r"(?i)engineer").is_none());
        assert!(java_only_construct(r"(?<name>a)").is_none());
        assert!(java_only_construct(r"[+*]+").is_none());
        assert!(java_only_construct(r"\d{1,2}+").is_some());
        assert!(java_only_construct(r"\++").is_none());
    }
}

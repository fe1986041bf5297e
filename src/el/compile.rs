//! Syntax tree → resolved program: roots and calls are resolved to their records, arities and
//! literal argument types are checked, literal regexes and group expressions are compiled.

use std::sync::{Arc, OnceLock};

use super::ast::{BinOp, Expr, Literal, Postfix, SelectKind, Span, UnOp};
use super::context::{KNOWN_ROOTS, KnownRoot};
use super::fold::Folded;
use super::functions::{self, DEFS, Def, Kind, Style};
use super::pattern::{self, PatternCache, RegexArg};
use super::value::{Key, Map, Value};
use super::{CompileError, Limits, Program};

/// Where an expression is compiled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// A claim (or any top-level) expression.
    Top,
    /// The per-group expression of `getFilteredGroups`: `group` is bound.
    Group,
    /// A group expression compiled while evaluating (its text came from data): its literal
    /// regexes and group expressions are compiled when evaluated, so that the budget of the
    /// evaluation pays for them.
    GroupAtEval,
}

/// A root reference resolved at compile time.
#[derive(Debug, Clone)]
pub(crate) enum RootRef {
    Known(KnownRoot),
    Group,
    Other(Arc<str>),
}

/// The per-group expression of `getFilteredGroups`.
#[derive(Debug)]
pub(crate) enum GroupExprArg {
    /// A literal, compiled with the program: once the walk over the program is done (set by
    /// then whenever the program compiled), so its compilation does not stack on the walk's.
    Fixed(Arc<OnceLock<Program>>),
    /// Compiled when evaluated (charged to the evaluation).
    Dynamic,
}

/// What the compiler prepares for a call besides its arguments.
#[derive(Debug)]
pub(crate) enum Extra {
    Regex(RegexArg),
    Group(GroupExprArg),
}

/// A call of a function or method.
#[derive(Debug)]
pub(crate) struct CallNode {
    pub(crate) def: &'static Def,
    pub(crate) args: Vec<Node>,
    pub(crate) extra: Option<Extra>,
    pub(crate) span: Span,
}

/// One step of a postfix chain.
#[derive(Debug)]
pub(crate) enum Step {
    Prop(Key, bool, Span),
    Index(Node, Span),
    /// A method call; `true` for `?.`.
    Method(Box<CallNode>, bool),
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
    ElemMethod(Box<CallNode>),
    List(Vec<Node>, Span),
    Map(Vec<(Node, Node)>, Span),
    Chain(Box<Node>, Vec<Step>),
    /// A property of a known root (`user.email`): `Chain(Root(k), [Prop(..)])` in one node,
    /// evaluated and charged as that chain is.
    RootProp(KnownRoot, Key, bool, Span),
    Unary(Vec<(UnOp, Span)>, Box<Node>),
    And(Vec<(Node, Span)>),
    Or(Vec<(Node, Span)>),
    Arith(Box<Node>, Vec<(BinOp, Span, Node)>),
    Cmp(BinOp, Box<Node>, Box<Node>, Span),
    Matches(Box<Node>, RegexArg, Box<Node>, Span),
    Ternary(Box<Node>, Box<Node>, Box<Node>, Span),
    Elvis(Box<Node>, Box<Node>),
    Call(Box<CallNode>),
    /// A constant subexpression evaluated at compile time (see [`super::fold`]).
    Folded(Box<Folded>),
}

struct Compiler<'a> {
    limits: &'a Limits,
    /// Literal group expressions met by the walk, in walk order, compiled after it.
    group_exprs: Vec<DeferredGroupExpr>,
    scope: Scope,
    /// > 0 inside a projection or selection
    elem_depth: usize,
    /// Set when the expression reads the user: the `user` or `appuser` root, or a function
    /// that reads the user's groups, manager, assistant or directory assignments.
    reads_user: bool,
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
        group_exprs: Vec::new(),
        scope,
        elem_depth: 0,
        reads_user: false,
    };
    let node = c.node(ast);
    // The group expressions the walk met, in its order: each was met before anything the walk
    // reports, so the first error is the one a walk compiling them in place would report.
    for g in c.group_exprs.drain(..) {
        let p = super::compile_with(&g.source, limits, Scope::Group).map_err(|e| {
            CompileError::new(
                format!("in the group expression of getFilteredGroups: {e:#}"),
                g.span,
                e.hint.clone(),
            )
        })?;
        // each slot is new and set once
        let _ = g.slot.set(p);
    }
    Ok((node?, c.reads_user))
}

/// A literal group expression to compile once the walk is done, and where it goes.
struct DeferredGroupExpr {
    source: String,
    span: Span,
    slot: Arc<OnceLock<Program>>,
}

fn lit_kind_ok(kind: Kind, e: &Expr) -> bool {
    let Expr::Lit(l, _) = e else { return true };
    matches!(
        (kind, l),
        (_, Literal::Null)
            | (Kind::Any, _)
            | (
                Kind::Str
                    | Kind::Pattern
                    | Kind::WholePattern
                    | Kind::GroupPattern
                    | Kind::GroupExpr,
                Literal::Str(_)
            )
            | (Kind::Int, Literal::Int(_) | Literal::Long(_))
    )
}

fn kind_name(k: Kind) -> &'static str {
    match k {
        Kind::Any => "a value",
        Kind::Str => "a string",
        Kind::Int => "an integer",
        Kind::Pattern | Kind::WholePattern | Kind::GroupPattern => "a regular expression string",
        Kind::GroupExpr => "an expression string",
    }
}

fn strip_parens(mut e: &Expr) -> &Expr {
    while let Expr::Paren(inner, _) = e {
        e = inner;
    }
    e
}

fn lit(l: &Literal) -> Value {
    match l {
        Literal::Null => Value::Null,
        Literal::Bool(b) => Value::Bool(*b),
        Literal::Int(i) => Value::Int(*i),
        Literal::Long(i) => Value::Long(*i),
        Literal::Double(d) => Value::Double(*d),
        Literal::Str(s) => Value::from(s.as_str()),
    }
}

impl Compiler<'_> {
    fn err(&self, span: Span, msg: impl Into<String>, hint: Option<String>) -> CompileError {
        CompileError::new(msg, span, hint)
    }

    /// Dispatches on the kind of expression. Every arm is a separate, non-inlined function so
    /// that this frame, which every nesting level passes through, stays small (the stack an
    /// expression at the depth limit needs is a few of these frames per level).
    fn node(&mut self, e: &Expr) -> Result<Node, CompileError> {
        match strip_parens(e) {
            Expr::Lit(l, _) => Ok(Node::Const(lit(l))),
            Expr::Ident(name, span) => self.ident(name, *span),
            Expr::Call(name, args, span) => self.global_call(name, args, *span),
            Expr::List(items, span) => self.list(items, *span),
            Expr::Map(entries, span) => self.map(entries, *span),
            Expr::Unary(ops, operand) => self.unary(ops, operand),
            Expr::Ternary(c, a, b, span) => self.ternary(c, a, b, *span),
            Expr::Elvis(a, b, _) => self.elvis(a, b),
            Expr::Binary(first, rest) => self.binary(first, rest),
            Expr::Chain(start, steps) => self.chain(start, steps),
            // strip_parens removed every parenthesis
            Expr::Paren(..) => Err(self.err(e.span(), "unbalanced parentheses", None)),
        }
    }

    #[inline(never)]
    fn list(&mut self, items: &[Expr], span: Span) -> Result<Node, CompileError> {
        let nodes = items
            .iter()
            .map(|i| self.node(i))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(if nodes.iter().all(|n| matches!(n, Node::Const(_))) {
            let vals = nodes
                .into_iter()
                .map(|n| match n {
                    Node::Const(v) => v,
                    _ => Value::Null,
                })
                .collect::<Vec<_>>();
            Node::Const(Value::from(vals))
        } else {
            Node::List(nodes, span)
        })
    }

    #[inline(never)]
    fn map(&mut self, entries: &[(Expr, Expr)], span: Span) -> Result<Node, CompileError> {
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
        Ok(
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
                Node::Map(out, span)
            },
        )
    }

    #[inline(never)]
    fn unary(&mut self, ops: &[(UnOp, Span)], operand: &Expr) -> Result<Node, CompileError> {
        let operand = self.node(operand)?;
        Ok(Node::Unary(ops.to_vec(), Box::new(operand)))
    }

    #[inline(never)]
    fn ternary(&mut self, c: &Expr, a: &Expr, b: &Expr, span: Span) -> Result<Node, CompileError> {
        let c = Box::new(self.node(c)?);
        let a = Box::new(self.node(a)?);
        let b = Box::new(self.node(b)?);
        Ok(Node::Ternary(c, a, b, span))
    }

    #[inline(never)]
    fn elvis(&mut self, a: &Expr, b: &Expr) -> Result<Node, CompileError> {
        let a = Box::new(self.node(a)?);
        let b = Box::new(self.node(b)?);
        Ok(Node::Elvis(a, b))
    }

    #[inline(never)]
    fn binary(&mut self, first: &Expr, rest: &[(BinOp, Span, Expr)]) -> Result<Node, CompileError> {
        let Some((op0, span0, rhs0)) = rest.first() else {
            return self.node(first);
        };
        match op0 {
            BinOp::Or | BinOp::And => {
                let mut items = vec![(self.node(first)?, first.span())];
                for (_, _, e) in rest {
                    items.push((self.node(e)?, e.span()));
                }
                Ok(if *op0 == BinOp::Or {
                    Node::Or(items)
                } else {
                    Node::And(items)
                })
            }
            BinOp::Matches => {
                let lhs = self.node(first)?;
                let regex = self.regex_arg(rhs0, true, false)?;
                let rhs_node = self.node(rhs0)?;
                Ok(Node::Matches(
                    Box::new(lhs),
                    regex,
                    Box::new(rhs_node),
                    *span0,
                ))
            }
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => Ok(Node::Cmp(
                *op0,
                Box::new(self.node(first)?),
                Box::new(self.node(rhs0)?),
                *span0,
            )),
            _ => {
                let mut out = Vec::new();
                for (op, span, e) in rest {
                    out.push((*op, *span, self.node(e)?));
                }
                Ok(Node::Arith(Box::new(self.node(first)?), out))
            }
        }
    }

    /// A regex operand: compiled now when it is a literal (unless compiling at evaluation
    /// time), else through a cache when evaluated.
    #[inline(never)]
    fn regex_arg(&self, e: &Expr, whole: bool, slashes: bool) -> Result<RegexArg, CompileError> {
        match strip_parens(e) {
            Expr::Lit(Literal::Str(p), span) if self.scope != Scope::GroupAtEval => {
                let p = if slashes {
                    pattern::strip_slashes(p)
                } else {
                    p
                };
                let r =
                    pattern::build(p, whole, self.limits).map_err(|m| self.err(*span, m, None))?;
                Ok(RegexArg::Fixed(Arc::new(r)))
            }
            _ => Ok(RegexArg::Dynamic(PatternCache::default())),
        }
    }

    fn root_ref(&mut self, name: &str) -> Option<RootRef> {
        if let Some((_, k)) = KNOWN_ROOTS.iter().find(|(n, _)| *n == name) {
            if matches!(k, KnownRoot::User | KnownRoot::AppUser) {
                self.reads_user = true;
            }
            return Some(RootRef::Known(*k));
        }
        if name == "group" && self.scope != Scope::Top {
            return Some(RootRef::Group);
        }
        None
    }

    #[inline(never)]
    fn ident(&mut self, name: &str, span: Span) -> Result<Node, CompileError> {
        if self.elem_depth > 0 {
            return Ok(Node::Elem(Arc::from(name), self.root_ref(name), span));
        }
        if let Some(r) = self.root_ref(name) {
            return Ok(Node::Root(r, span));
        }
        if functions::is_namespace(name) {
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
            .chain(functions::namespaces())
            .chain((self.scope != Scope::Top).then_some("group"));
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

    #[inline(never)]
    fn check_args(&self, def: &Def, args: &[Expr], span: Span) -> Result<(), CompileError> {
        let what = def.display_name();
        if !def.takes(args.len()) {
            let (min, max) = (def.min, def.max);
            let expected = if min == max {
                format!("{min}")
            } else if max == functions::MANY {
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
            let kind = def.kind(i);
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

    #[inline(never)]
    fn resolve_func(&self, ns: &str, name: &str, span: Span) -> Result<&'static Def, CompileError> {
        if let Some(f) = functions::function(ns, name) {
            return Ok(f);
        }
        let wanted = if ns.is_empty() {
            name.to_owned()
        } else {
            format!("{ns}.{name}")
        };
        let names: Vec<String> = DEFS
            .iter()
            .filter(|d| d.style != Style::Method)
            .map(Def::display_name)
            .collect();
        let hint = functions::did_you_mean(&wanted, names.iter().map(String::as_str))
            .map(|s| format!("did you mean '{s}'?"));
        Err(self.err(span, format!("unknown function '{wanted}'"), hint))
    }

    /// A call of a resolved function or method: arguments checked and compiled, regexes and
    /// group expressions prepared.
    #[inline(never)]
    fn call(
        &mut self,
        def: &'static Def,
        args: &[Expr],
        span: Span,
    ) -> Result<CallNode, CompileError> {
        self.check_args(def, args, span)?;
        let mut extra = None;
        for (i, a) in args.iter().enumerate() {
            let kind = def.kind(i);
            if let Some((whole, slashes)) = kind.pattern() {
                extra = Some(Extra::Regex(self.regex_arg(a, whole, slashes)?));
            } else if kind == Kind::GroupExpr {
                extra = Some(Extra::Group(self.group_expr(a)?));
            }
        }
        let args = args
            .iter()
            .map(|a| self.node(a))
            .collect::<Result<Vec<_>, _>>()?;
        if def.reads_user {
            self.reads_user = true;
        }
        Ok(CallNode {
            def,
            args,
            extra,
            span,
        })
    }

    #[inline(never)]
    fn group_expr(&mut self, e: &Expr) -> Result<GroupExprArg, CompileError> {
        match strip_parens(e) {
            Expr::Lit(Literal::Str(s), lspan) if self.scope != Scope::GroupAtEval => {
                let slot = Arc::new(OnceLock::new());
                self.group_exprs.push(DeferredGroupExpr {
                    source: s.clone(),
                    span: *lspan,
                    slot: slot.clone(),
                });
                Ok(GroupExprArg::Fixed(slot))
            }
            _ => Ok(GroupExprArg::Dynamic),
        }
    }

    #[inline(never)]
    fn global_call(&mut self, name: &str, args: &[Expr], span: Span) -> Result<Node, CompileError> {
        // Inside a projection or selection a bare call is a method of the element when a
        // method of that name takes this many arguments (`.![toUpperCase()]`), else a global.
        if self.elem_depth > 0
            && let Some(m) = functions::method(name).filter(|m| m.takes(args.len()))
            && !functions::function("", name).is_some_and(|f| f.takes(args.len()))
        {
            return Ok(Node::ElemMethod(Box::new(self.call(m, args, span)?)));
        }
        let f = self.resolve_func("", name, span)?;
        Ok(Node::Call(Box::new(self.call(f, args, span)?)))
    }

    #[inline(never)]
    fn method(&mut self, name: &str, args: &[Expr], span: Span) -> Result<CallNode, CompileError> {
        let Some(m) = functions::method(name) else {
            let names = DEFS
                .iter()
                .filter(|d| d.style == Style::Method)
                .map(|d| d.name);
            let hint = functions::did_you_mean(name, names).map(|s| format!("did you mean '{s}'?"));
            return Err(self.err(span, format!("unknown method '{name}'"), hint));
        };
        self.call(m, args, span)
    }

    #[inline(never)]
    fn chain(&mut self, start: &Expr, steps: &[Postfix]) -> Result<Node, CompileError> {
        let mut rest = steps;
        let head = match (start, steps.split_first()) {
            (
                Expr::Ident(ns, ns_span),
                Some((
                    Postfix::Method {
                        name, args, span, ..
                    },
                    tail,
                )),
            ) if functions::is_namespace(ns) => {
                rest = tail;
                let whole = Span {
                    end: span.end,
                    ..*ns_span
                };
                let f = self.resolve_func(ns, name, whole)?;
                Node::Call(Box::new(self.call(f, args, whole)?))
            }
            _ => self.node(start)?,
        };
        let mut out = Vec::new();
        for s in rest {
            out.push(match s {
                Postfix::Property { name, safe, span } => {
                    Step::Prop(Key::new(name.as_str()), *safe, *span)
                }
                Postfix::Index { index, span } => Step::Index(self.node(index)?, *span),
                Postfix::Method {
                    name,
                    args,
                    safe,
                    span,
                } => Step::Method(Box::new(self.method(name, args, *span)?), *safe),
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
            return Ok(head);
        }
        // `user.email`, `access.scope`: the commonest chain, a node of its own
        if let (Node::Root(RootRef::Known(k), _), [Step::Prop(..)]) = (&head, out.as_slice()) {
            let k = *k;
            if let Some(Step::Prop(key, safe, span)) = out.pop() {
                return Ok(Node::RootProp(k, key, safe, span));
            }
        }
        Ok(Node::Chain(Box::new(head), out))
    }
}

/// The string form of a map key (inline map keys are strings in this engine); compile-time
/// constants only (evaluation renders keys through its budget).
pub(crate) fn map_key(v: &Value) -> String {
    match v {
        Value::Str(s) => s.to_string(),
        other => other.to_java_string(),
    }
}

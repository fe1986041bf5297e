//! Evaluation of a resolved program with SpEL semantics, every step charged to the
//! evaluation's [`Budget`] before it is taken.
//!
//! The recursive entry, [`Env::eval`], is kept small (the work of each kind of node is in a
//! function of its own, not inlined) so that each level of nesting takes little stack.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::sync::Arc;

use super::ast::{BinOp, SelectKind, UnOp};
use super::compile::{CallNode, Node, RootRef, Step};
use super::context::{Context, KnownRoot};
use super::cost::{self, ALLOC_UNITS, Bounded, Budget, ENTRY_BYTES, STR_OVERHEAD, VALUE_BYTES};
use super::fold::Folded;
use super::functions::{Call, strings, type_err};
use super::pattern::{Pattern, RegexArg, Scratch};
use super::user::UserView;
use super::value::{Key, Map, StrBuf, Value, java_equals_within, spel_cmp, spel_eq_within};
use super::{EvalErrorKind, Fail as EvalError, Limits, Program};

/// State of one evaluation.
pub(crate) struct Env<'a> {
    pub(crate) ctx: &'a Context,
    pub(crate) limits: &'a Limits,
    pub(crate) group: Option<&'a Value>,
    pub(crate) budget: &'a Budget,
    /// Made on the first regular-expression search of the evaluation (most make none).
    scratch: &'a OnceCell<Scratch>,
    /// Nesting depth of the programs being evaluated (a group expression inside a claim).
    depth: usize,
}

/// Cost units of starting a nested evaluation (a group expression, once per group).
const NESTED_UNITS: u64 = 8;

/// How many programs may be evaluated inside one another: a claim's expression, and the group
/// expression of a `getFilteredGroups` it calls. A group expression calling `getFilteredGroups`
/// in turn (which has no use) is an error, so an evaluation needs at most twice the stack of
/// the deepest expression.
const MAX_PROGRAM_NESTING: usize = 1;

/// A value an evaluation step produced: borrowed from the program (a literal), the context
/// (a root, a user's attribute) or a value being stepped through, or made by the step. Reading
/// `user.email` to compare it or to pass it to a function takes no share of it; only what an
/// evaluation returns is owned.
#[derive(Debug)]
pub(crate) enum Val<'a> {
    Ref(&'a Value),
    Own(Value),
}

impl Val<'_> {
    /// The value, shared (a reference count) when it was borrowed.
    pub(crate) fn into_owned(self) -> Value {
        match self {
            Val::Ref(v) => v.clone(),
            Val::Own(v) => v,
        }
    }
}

impl Default for Val<'_> {
    fn default() -> Self {
        Val::Own(Value::Null)
    }
}

impl std::ops::Deref for Val<'_> {
    type Target = Value;

    #[inline]
    fn deref(&self) -> &Value {
        match self {
            Val::Ref(v) => v,
            Val::Own(v) => v,
        }
    }
}

/// Binds `$v`, the `Result` of an evaluation step, to the value inside it, read where it was
/// made, and returns its error. Moving a step's value out of its `Result` (`?`) copies it whole
/// right after it was written part by part (a tag, then the payload), and that copy waits for
/// the writes to reach the cache (a store-forwarding stall).
macro_rules! held {
    ($v:ident) => {
        let Ok($v) = &$v else {
            return $v.map(|_| Default::default());
        };
    };
}

/// `true` and `false`, lent by the boolean nodes (comparisons, `and`/`or`, `matches`): a
/// borrowed constant is handed on as one pointer, where a value made in place would be written
/// part by part and then copied whole by whoever keeps it (a copy that waits for those writes).
static TRUE: Value = Value::Bool(true);
static FALSE: Value = Value::Bool(false);

#[inline]
pub(crate) fn bool_val(b: bool) -> Val<'static> {
    Val::Ref(if b { &TRUE } else { &FALSE })
}

/// The evaluated arguments of a call of three or more: on the stack, exactly as many as there
/// are, when there are few.
enum Args<'a> {
    Three([Val<'a>; 3]),
    Four([Val<'a>; 4]),
    Heap(Vec<Val<'a>>),
}

impl<'a> std::ops::Deref for Args<'a> {
    type Target = [Val<'a>];

    fn deref(&self) -> &[Val<'a>] {
        match self {
            Args::Three(v) => v,
            Args::Four(v) => v,
            Args::Heap(v) => v,
        }
    }
}

/// Evaluates a program: a fresh budget and scratch, dropped with the evaluation.
pub(crate) fn eval_program(
    node: &Node,
    ctx: &Context,
    limits: &Limits,
    budget: &Budget,
) -> Result<Value, super::EvalError> {
    let scratch = OnceCell::new();
    let env = Env::top(ctx, limits, budget, &scratch);
    // the public result is made here, in the caller's slot: a value made by the last step and
    // then converted into it on the way out would be copied whole right after being written
    // part by part (a copy that waits for those writes)
    let r = match env.eval(node, None) {
        Ok(Val::Ref(v)) => Ok(v.clone()),
        Ok(Val::Own(v)) => Ok(v),
        Err(e) => Err(e.into_error()),
    };
    // most evaluations search no regex and leave the scratch empty: nothing to drop
    if scratch.get().is_none() {
        std::mem::forget(scratch);
    }
    r
}

/// Evaluates a node that reads nothing of the request, for [folding](super::fold): its value,
/// or `None` if the evaluation failed or searched a regular expression (whose scratch space an
/// evaluation is charged once).
pub(crate) fn eval_constant(
    node: &Node,
    ctx: &Context,
    limits: &Limits,
    budget: &Budget,
) -> Option<Value> {
    let scratch = OnceCell::new();
    let env = Env::top(ctx, limits, budget, &scratch);
    let v = env.eval(node, None).ok()?.into_owned();
    scratch.get().is_none().then_some(v)
}

fn null_bool(what: &str) -> EvalError {
    EvalError::new(
        EvalErrorKind::NullBoolean,
        format!("{what} is null; a boolean is needed here"),
    )
}

/// SpEL's conversion of a value in a boolean position.
#[inline]
pub(crate) fn to_bool(v: &Value, what: &str) -> Result<bool, EvalError> {
    match v {
        Value::Bool(b) => Ok(*b),
        other => to_bool_slow(other, what),
    }
}

/// [`to_bool`] of anything but a boolean.
#[inline(never)]
fn to_bool_slow(v: &Value, what: &str) -> Result<bool, EvalError> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::Null => Err(null_bool(what)),
        // SpEL converts strings with Spring's String→Boolean converter
        Value::Str(s) => {
            let is = |w: &str| s.eq_ignore_ascii_case(w);
            if is("true") || is("on") || is("yes") || is("1") {
                Ok(true)
            } else if is("false") || is("off") || is("no") || is("0") {
                Ok(false)
            } else if s.is_empty() {
                Err(null_bool(what))
            } else {
                Err(type_err(format!(
                    "cannot convert the string '{}' to a boolean",
                    cost::excerpt(s)
                )))
            }
        }
        other => Err(type_err(format!(
            "{what} is a {}; a boolean is needed here",
            other.type_name()
        ))),
    }
}

enum Nums {
    I(i32, i32),
    L(i64, i64),
    D(f64, f64),
}

fn nums(a: &Value, b: &Value) -> Option<Nums> {
    use Value::{Double as D, Int as I, Long as L};
    Some(match (a, b) {
        (I(x), I(y)) => Nums::I(*x, *y),
        (I(x), L(y)) => Nums::L(i64::from(*x), *y),
        (L(x), I(y)) => Nums::L(*x, i64::from(*y)),
        (L(x), L(y)) => Nums::L(*x, *y),
        (D(x), D(y)) => Nums::D(*x, *y),
        (D(x), I(y)) => Nums::D(*x, f64::from(*y)),
        (D(x), L(y)) => Nums::D(*x, *y as f64),
        (I(x), D(y)) => Nums::D(f64::from(*x), *y),
        (L(x), D(y)) => Nums::D(*x as f64, *y),
        _ => return None,
    })
}

fn div_zero() -> EvalError {
    EvalError::new(EvalErrorKind::DivideByZero, "division by zero")
}

impl<'a> Env<'a> {
    /// The environment of a program evaluated on its own (not inside another): no group bound.
    fn top(
        ctx: &'a Context,
        limits: &'a Limits,
        budget: &'a Budget,
        scratch: &'a OnceCell<Scratch>,
    ) -> Env<'a> {
        Env {
            ctx,
            limits,
            group: None,
            budget,
            scratch,
            depth: 0,
        }
    }
}

impl Env<'_> {
    pub(crate) fn with_group<'b>(&'b self, group: &'b Value) -> Env<'b> {
        Env {
            ctx: self.ctx,
            limits: self.limits,
            group: Some(group),
            budget: self.budget,
            scratch: self.scratch,
            depth: self.depth,
        }
    }

    /// The regular-expression scratch of this evaluation, unmade until a search needs it.
    pub(crate) fn scratch_cell(&self) -> &OnceCell<Scratch> {
        self.scratch
    }

    /// The regular-expression scratch of this evaluation, made on first use.
    pub(crate) fn scratch(&self) -> &Scratch {
        self.scratch.get_or_init(Scratch::default)
    }

    // ---- charging ----------------------------------------------------------------------

    /// Charges `units` cost units.
    #[inline]
    pub(crate) fn charge(&self, units: u64) -> Result<(), EvalError> {
        self.budget.charge(units)
    }

    /// Charges scanning (or comparing, or copying) `bytes` bytes.
    #[inline]
    pub(crate) fn scan(&self, bytes: usize) -> Result<(), EvalError> {
        self.budget.charge(cost::byte_units(bytes))
    }

    /// Checks that `bytes` more bytes could be produced, without charging them (the exact
    /// size is charged once known, and is at most this).
    pub(crate) fn reserve_bytes(&self, bytes: usize) -> Result<(), EvalError> {
        if (bytes as u64).saturating_add(STR_OVERHEAD) > self.budget.bytes_left() {
            // the same error as producing them
            return self
                .budget
                .alloc((bytes as u64).saturating_add(STR_OVERHEAD));
        }
        Ok(())
    }

    /// Charges a new string of `len` bytes (refused beyond the string limit).
    pub(crate) fn alloc_str(&self, len: usize) -> Result<(), EvalError> {
        if len > self.limits.max_string_len {
            return Err(cost::string_too_long(len, self.limits.max_string_len));
        }
        self.budget.charge(ALLOC_UNITS)?;
        self.budget.alloc(len as u64 + STR_OVERHEAD)
    }

    /// A new string value, copied from `s` once charged.
    pub(crate) fn new_str(&self, s: &str) -> Result<Value, EvalError> {
        self.alloc_str(s.len())?;
        Ok(Value::from(s))
    }

    /// [`Env::new_str`], made in the slot the evaluation reads it from.
    #[inline]
    pub(crate) fn new_str_val(&self, s: &str) -> Result<Val<'static>, EvalError> {
        self.alloc_str(s.len())?;
        Ok(Val::Own(Value::from(s)))
    }

    /// A string value built within bytes already reserved (or charged), charged now.
    pub(crate) fn str_value(&self, s: String) -> Result<Value, EvalError> {
        self.alloc_str(s.len())?;
        Ok(Value::from(s))
    }

    /// Charges a new list of `n` elements (refused beyond the list limit).
    pub(crate) fn alloc_list(&self, n: usize) -> Result<(), EvalError> {
        if n > self.limits.max_list_len {
            return Err(cost::list_too_long(n, self.limits.max_list_len));
        }
        self.budget.charge(ALLOC_UNITS + n as u64)?;
        self.budget
            .alloc((n as u64).saturating_mul(VALUE_BYTES) + STR_OVERHEAD)
    }

    /// Charges a new map of `n` entries whose keys take `key_bytes` bytes.
    pub(crate) fn alloc_map(&self, n: usize, key_bytes: usize) -> Result<(), EvalError> {
        if n > self.limits.max_list_len {
            return Err(cost::list_too_long(n, self.limits.max_list_len));
        }
        // each entry allocates its key and is hashed
        self.budget
            .charge(ALLOC_UNITS + (n as u64).saturating_mul(ALLOC_UNITS))?;
        self.budget.alloc(
            (n as u64).saturating_mul(ENTRY_BYTES + STR_OVERHEAD) + key_bytes as u64 + STR_OVERHEAD,
        )
    }

    /// A list value of elements charged before they were made.
    pub(crate) fn list_value(&self, l: Vec<Value>) -> Value {
        Value::from(l)
    }

    /// A string to build within the limits (see [`Bounded`]).
    pub(crate) fn bounded(&self) -> Bounded {
        Bounded::new(self.limits, self.budget)
    }

    /// The value of a bounded string, charged; or the limit it ran into.
    pub(crate) fn finish(
        &self,
        b: Bounded,
        full: Result<(), cost::Full>,
    ) -> Result<Value, EvalError> {
        match full {
            Ok(()) => Ok(Value::from(b.finish(self.budget)?)),
            Err(cost::Full) => Err(b.overflow(self.budget)),
        }
    }

    /// Java's `String.valueOf(v)` as a new string, within the limits.
    pub(crate) fn java_string(&self, v: &Value) -> Result<Value, EvalError> {
        if let Value::Str(_) = v {
            return Ok(v.clone());
        }
        let mut b = self.bounded();
        let r = v.write_java_to(&mut b);
        self.finish(b, r)
    }

    /// Java's `String.valueOf(v)` as text, within the limits (a map key, a criterion).
    pub(crate) fn java_text(&self, v: &Value) -> Result<String, EvalError> {
        if let Value::Str(s) = v {
            return Ok(s.to_string());
        }
        let mut b = self.bounded();
        match v.write_java_to(&mut b) {
            Ok(()) => b.finish(self.budget),
            Err(cost::Full) => Err(b.overflow(self.budget)),
        }
    }

    /// Java `equals`, its work metered.
    pub(crate) fn java_eq(&self, a: &Value, b: &Value) -> Result<bool, EvalError> {
        self.metered(|left| java_equals_within(a, b, left))
    }

    /// `==` of two strings, charged as [`java_equals_within`] charges them: the pair, and the
    /// bytes compared when the lengths are equal.
    #[inline]
    pub(crate) fn str_eq(&self, x: &str, y: &str) -> Result<bool, EvalError> {
        self.budget.charge(1)?;
        if x.len() != y.len() {
            return Ok(false);
        }
        self.scan(x.len())?;
        Ok(x == y)
    }

    /// SpEL `==`, its work metered: two strings compared in line (the common case: a claim
    /// comparing an attribute, a list of names searched), anything else out of line.
    #[inline]
    pub(crate) fn spel_eq(&self, a: &Value, b: &Value) -> Result<bool, EvalError> {
        if let (Value::Str(x), Value::Str(y)) = (a, b) {
            return self.str_eq(x, y);
        }
        self.spel_eq_other(a, b)
    }

    #[inline(never)]
    fn spel_eq_other(&self, a: &Value, b: &Value) -> Result<bool, EvalError> {
        self.metered(|left| spel_eq_within(a, b, left))
    }

    fn metered(&self, f: impl FnOnce(&mut u64) -> Option<bool>) -> Result<bool, EvalError> {
        let start = self.budget.cost_left();
        let mut left = start;
        let r = f(&mut left).ok_or_else(|| self.budget.cost_exceeded())?;
        self.budget.charge(start - left)?;
        Ok(r)
    }

    /// SpEL ordering, its string comparison charged.
    pub(crate) fn cmp(&self, a: &Value, b: &Value) -> Result<std::cmp::Ordering, EvalError> {
        if let (Value::Str(x), Value::Str(y)) = (a, b) {
            self.scan(x.len().min(y.len()))?;
            // UTF-16 order is byte order unless a character needs a surrogate pair
            if !(x.is_ascii() && y.is_ascii()) {
                strings::ascii_or_charge(self, x)?;
                strings::ascii_or_charge(self, y)?;
            }
        }
        spel_cmp(a, b)
    }

    /// A user's property, a string read from its JSON charged as produced.
    pub(crate) fn user_prop(&self, u: &UserView, name: &str) -> Result<Value, EvalError> {
        self.user_attr(u, name).map(Val::into_owned)
    }

    /// [`Env::user_prop`], borrowed from the user where the value is stored in it.
    #[inline]
    pub(crate) fn user_attr<'u>(&self, u: &'u UserView, name: &str) -> Result<Val<'u>, EvalError> {
        u.attribute(name, |len| self.budget.alloc(len as u64 + STR_OVERHEAD))
    }

    // ---- evaluation --------------------------------------------------------------------

    /// Evaluates a node: a dispatch to a function per kind of node, each out of line, so the
    /// frames of a deep expression hold only what its own nodes need (and the dispatch itself,
    /// inlined into them, takes no frame of its own).
    #[inline(always)]
    pub(crate) fn eval<'s>(
        &'s self,
        n: &'s Node,
        elem: Option<&'s Value>,
    ) -> Result<Val<'s>, EvalError> {
        self.budget.charge(1)?;
        self.visit(n, elem)
    }

    /// [`Env::eval`] once the unit of visiting the node is charged.
    #[inline(always)]
    fn visit<'s>(&'s self, n: &'s Node, elem: Option<&'s Value>) -> Result<Val<'s>, EvalError> {
        match n {
            Node::Const(v) => Ok(Val::Ref(v)),
            Node::Folded(f) => self.folded(f, elem),
            Node::Root(r, span) => self.root(r).map_err(|e| e.at(*span)),
            Node::Elem(name, root, span) => self
                .elem(name, root.as_ref(), elem)
                .map_err(|e| e.at(*span)),
            Node::ElemMethod(c) => self.elem_method(c, elem),
            Node::Call(c) => self.call(c, &Value::Null, elem),
            Node::Chain(head, steps) => self.chain(head, steps, elem),
            Node::RootProp(k, key, safe, span) => self.root_prop(*k, key, *safe, *span),
            Node::And(items) => self.and_or(items, true, elem),
            Node::Or(items) => self.and_or(items, false, elem),
            Node::Ternary(c, a, b, span) => self.ternary(c, a, b, *span, elem),
            Node::Elvis(a, b) => self.elvis(a, b, elem),
            Node::List(items, span) => self.list(items, *span, elem).map(Val::Own),
            Node::Map(entries, span) => self.map(entries, *span, elem).map(Val::Own),
            Node::Unary(ops, operand) => self.unary_ops(ops, operand, elem).map(Val::Own),
            Node::Arith(first, rest) => self.arith_node(first, rest, elem),
            Node::Cmp(op, a, b, span) => self.cmp_node(*op, a, b, *span, elem),
            Node::Matches(lhs, regex, rhs, span) => self.matches_node(lhs, regex, rhs, *span, elem),
        }
    }

    /// [`Env::eval`] of an operand: a literal and a root's property (`'Sales'`, `user.level`),
    /// the commonest operands of comparisons and arithmetic, evaluated here (charged as `eval`
    /// charges them) instead of through the recursive entry.
    #[inline(always)]
    fn operand<'s>(&'s self, n: &'s Node, elem: Option<&'s Value>) -> Result<Val<'s>, EvalError> {
        match n {
            Node::Const(v) => {
                self.budget.charge(1)?;
                Ok(Val::Ref(v))
            }
            Node::RootProp(k, key, safe, span) => {
                self.budget.charge(1)?;
                self.root_prop_in(*k, key, *safe, *span)
            }
            _ => self.eval(n, elem),
        }
    }

    /// A folded subexpression: what evaluating it would charge, charged in one step if it
    /// fits, and its value lent; if it doesn't fit, the subexpression evaluated, so the budget
    /// runs out where it would have (see [`super::fold`]).
    #[inline(never)]
    fn folded<'s>(&'s self, f: &'s Folded, elem: Option<&'s Value>) -> Result<Val<'s>, EvalError> {
        // the unit of visiting the node is charged already
        if self.budget.charge_all(f.cost.saturating_sub(1), f.bytes) {
            return Ok(Val::Ref(&f.value));
        }
        self.visit(&f.orig, elem)
    }

    #[inline(never)]
    fn elem_method(&self, c: &CallNode, elem: Option<&Value>) -> Result<Val<'static>, EvalError> {
        self.call(c, elem.unwrap_or(&Value::Null), elem)
    }

    /// `root.name`, charged as the chain it stands for: the root node, the step, the lookup.
    #[inline(never)]
    fn root_prop(
        &self,
        k: KnownRoot,
        key: &Key,
        safe: bool,
        span: super::ast::Span,
    ) -> Result<Val<'_>, EvalError> {
        self.root_prop_in(k, key, safe, span)
    }

    /// [`Env::root_prop`], inlined where an operand is read.
    #[inline(always)]
    fn root_prop_in(
        &self,
        k: KnownRoot,
        key: &Key,
        safe: bool,
        span: super::ast::Span,
    ) -> Result<Val<'_>, EvalError> {
        self.budget.charge(4)?;
        self.property_key(self.ctx.known(k), key, safe)
            .map_err(|e| e.at(span))
    }

    #[inline(never)]
    fn chain<'s>(
        &'s self,
        head: &'s Node,
        steps: &'s [Step],
        elem: Option<&'s Value>,
    ) -> Result<Val<'s>, EvalError> {
        // `user.email`, `access.scope`: the root is read in place (charged as evaluating the
        // root node), and each step borrows from the value before it where that is stored.
        let (start, steps) = match (head, steps) {
            // the commonest chain, `user.email...`: the first step's work done here (its
            // charges too: the root node, the step and the lookup)
            (Node::Root(RootRef::Known(k), _), [Step::Prop(name, safe, span), rest @ ..]) => {
                (self.root_prop(*k, name, *safe, *span), rest)
            }
            (Node::Root(RootRef::Known(k), _), _) => {
                self.budget.charge(1)?;
                (Ok(Val::Ref(self.ctx.known(*k))), steps)
            }
            _ => (self.eval(head, elem), steps),
        };
        let Some((last, steps)) = steps.split_last() else {
            return start;
        };
        // the first step reads the start where it was made, the last makes its value in the
        // caller's slot; only the values between are moved through `cur`
        held!(start);
        let Some((first, steps)) = steps.split_first() else {
            return self.step_from(start, last, elem);
        };
        let mut cur = self.step_from(start, first, elem)?;
        for s in steps {
            cur = self.step_from(&cur, s, elem)?;
        }
        self.step_from(&cur, last, elem)
    }

    #[inline(never)]
    fn ternary<'s>(
        &'s self,
        c: &'s Node,
        a: &'s Node,
        b: &'s Node,
        span: super::ast::Span,
        elem: Option<&'s Value>,
    ) -> Result<Val<'s>, EvalError> {
        if self.cond(c, elem, "the condition of '?:'", span)? {
            self.eval(a, elem)
        } else {
            self.eval(b, elem)
        }
    }

    #[inline(never)]
    fn elvis<'s>(
        &'s self,
        a: &'s Node,
        b: &'s Node,
        elem: Option<&'s Value>,
    ) -> Result<Val<'s>, EvalError> {
        let v = self.eval(a, elem)?;
        match &*v {
            Value::Null => self.eval(b, elem),
            Value::Str(s) if s.is_empty() => self.eval(b, elem),
            _ => Ok(v),
        }
    }

    #[inline(never)]
    fn list(
        &self,
        items: &[Node],
        span: super::ast::Span,
        elem: Option<&Value>,
    ) -> Result<Value, EvalError> {
        self.alloc_list(items.len()).map_err(|e| e.at(span))?;
        let mut out = Vec::with_capacity(items.len());
        for i in items {
            out.push(self.eval(i, elem)?.into_owned());
        }
        Ok(self.list_value(out))
    }

    #[inline(never)]
    fn map(
        &self,
        entries: &[(Node, Node)],
        span: super::ast::Span,
        elem: Option<&Value>,
    ) -> Result<Value, EvalError> {
        let mut m = Map::default();
        for (k, v) in entries {
            let k = self.eval(k, elem)?;
            let v = self.eval(v, elem)?;
            let k = self.java_text(&k).map_err(|e| e.at(span))?;
            self.alloc_map(1, k.len()).map_err(|e| e.at(span))?;
            m.insert(Arc::from(k), v.into_owned());
        }
        Ok(Value::Map(Arc::new(m)))
    }

    #[inline(never)]
    fn unary_ops(
        &self,
        ops: &[(UnOp, super::ast::Span)],
        operand: &Node,
        elem: Option<&Value>,
    ) -> Result<Value, EvalError> {
        let mut v = self.eval(operand, elem)?.into_owned();
        for (op, span) in ops.iter().rev() {
            self.budget.charge(1)?;
            v = unary(*op, v).map_err(|e| e.at(*span))?;
        }
        Ok(v)
    }

    /// An arithmetic chain (`a * b + c`). Its value is made in the slot the caller reads it
    /// from (a `Value` returned and then wrapped would be copied on the way, a copy that
    /// stalls reading what was just written).
    #[inline(never)]
    fn arith_node(
        &self,
        first: &Node,
        rest: &[(BinOp, super::ast::Span, Node)],
        elem: Option<&Value>,
    ) -> Result<Val<'static>, EvalError> {
        // operands are read where they were made (see `held!`)
        let first = self.operand(first, elem);
        held!(first);
        let first: &Value = first;
        if let [(op, span, e)] = rest {
            // one operator (`a * b`), the commonest: no accumulator
            let rhs = self.operand(e, elem);
            held!(rhs);
            let rhs: &Value = rhs;
            self.budget.charge(1)?;
            if let (Value::Int(x), Value::Int(y)) = (first, rhs)
                && let Some(v) = int_arith(*op, *x, *y)
            {
                return Ok(Val::Own(Value::Int(v)));
            }
            if *op == BinOp::Add
                && let (Value::Str(x), Value::Str(y)) = (first, rhs)
            {
                return self.concat_run(x, y, *span, rest, &mut 1, elem);
            }
            return self
                .arith(*op, first, rhs)
                .map(Val::Own)
                .map_err(|e| e.at(*span));
        }
        let mut acc: Option<Value> = None;
        let mut i = 0;
        while let Some((op, span, e)) = rest.get(i) {
            i += 1;
            let rhs = self.operand(e, elem);
            held!(rhs);
            let rhs: &Value = rhs;
            self.budget.charge(1)?;
            let lhs = acc.as_ref().unwrap_or(first);
            if let (Value::Int(x), Value::Int(y)) = (lhs, rhs)
                && let Some(v) = int_arith(*op, *x, *y)
            {
                acc = Some(Value::Int(v));
                continue;
            }
            if *op == BinOp::Add
                && let (Value::Str(x), Value::Str(y)) = (lhs, rhs)
            {
                let v = self.concat_run(x, y, *span, rest, &mut i, elem)?;
                if i >= rest.len() {
                    // the concatenation ran to the end of the chain: its value is the chain's
                    return Ok(v);
                }
                acc = Some(v.into_owned());
                continue;
            }
            acc = Some(self.arith(*op, lhs, rhs).map_err(|e| e.at(*span))?);
        }
        Ok(Val::Own(acc.unwrap_or_else(|| first.clone())))
    }

    /// `x + y` of two strings, and the `+ string` steps of `rest` from `i` on that follow it,
    /// written into one buffer. Each step is charged as the string it would make on its own;
    /// leaves `i` at the first step not taken.
    #[inline(never)]
    fn concat_run(
        &self,
        x: &str,
        y: &str,
        span: super::ast::Span,
        rest: &[(BinOp, super::ast::Span, Node)],
        i: &mut usize,
        elem: Option<&Value>,
    ) -> Result<Val<'static>, EvalError> {
        self.alloc_str(x.len().saturating_add(y.len()))
            .map_err(|e| e.at(span))?;
        let mut buf = StrBuf::new();
        buf.push_str(x);
        buf.push_str(y);
        while let Some((BinOp::Add, span, e)) = rest.get(*i) {
            let rhs = self.eval(e, elem)?;
            self.budget.charge(1)?;
            *i += 1;
            match &*rhs {
                Value::Str(z) => {
                    self.alloc_str(buf.len().saturating_add(z.len()))
                        .map_err(|e| e.at(*span))?;
                    buf.push_str(z);
                }
                _ => {
                    return self
                        .arith(BinOp::Add, &buf.into_value(), &rhs)
                        .map(Val::Own)
                        .map_err(|e| e.at(*span));
                }
            }
        }
        Ok(Val::Own(buf.into_value()))
    }

    /// A node in a boolean position (a condition, an operand of `and`/`or`), converted as
    /// [`to_bool`] converts it. A comparison or an `and`/`or` answers its boolean directly,
    /// evaluated and charged as [`Env::eval`] evaluates and charges it.
    #[inline]
    fn cond(
        &self,
        n: &Node,
        elem: Option<&Value>,
        what: &str,
        span: super::ast::Span,
    ) -> Result<bool, EvalError> {
        match n {
            Node::Cmp(op, a, b, cspan) => {
                self.budget.charge(1)?;
                self.cmp_bool(*op, a, b, *cspan, elem)
            }
            Node::And(items) => {
                self.budget.charge(1)?;
                self.and_or_bool(items, true, elem)
            }
            Node::Or(items) => {
                self.budget.charge(1)?;
                self.and_or_bool(items, false, elem)
            }
            _ => {
                // read where it was made (see `held!`)
                let v = self.eval(n, elem);
                held!(v);
                to_bool(v, what).map_err(|e| e.at(span))
            }
        }
    }

    #[inline(never)]
    fn cmp_node(
        &self,
        op: BinOp,
        a: &Node,
        b: &Node,
        span: super::ast::Span,
        elem: Option<&Value>,
    ) -> Result<Val<'static>, EvalError> {
        self.cmp_bool(op, a, b, span, elem).map(bool_val)
    }

    #[inline(never)]
    fn cmp_bool(
        &self,
        op: BinOp,
        a: &Node,
        b: &Node,
        span: super::ast::Span,
        elem: Option<&Value>,
    ) -> Result<bool, EvalError> {
        // read where they were made (see `held!`)
        let a = self.operand(a, elem);
        held!(a);
        let b = self.operand(b, elem);
        held!(b);
        let (a, b): (&Value, &Value) = (a, b);
        self.budget.charge(2)?;
        match (a, b) {
            (Value::Int(x), Value::Int(y)) => {
                // what `compare` does with two ints: `==`/`!=` charge the one pair compared
                if matches!(op, BinOp::Eq | BinOp::Ne) {
                    self.budget.charge(1)?;
                }
                Ok(int_compare(op, *x, *y))
            }
            _ => self.compare(op, a, b).map_err(|e| e.at(span)),
        }
    }

    #[inline(never)]
    fn matches_node(
        &self,
        lhs: &Node,
        regex: &RegexArg,
        rhs: &Node,
        span: super::ast::Span,
        elem: Option<&Value>,
    ) -> Result<Val<'static>, EvalError> {
        // read where it was made (see `held!`)
        let l = self.eval(lhs, elem);
        held!(l);
        self.matches(l, regex, rhs, elem)
            .map(bool_val)
            .map_err(|e| e.at(span))
    }

    #[inline(never)]
    fn and_or(
        &self,
        items: &[(Node, super::ast::Span)],
        and: bool,
        elem: Option<&Value>,
    ) -> Result<Val<'static>, EvalError> {
        self.and_or_bool(items, and, elem).map(bool_val)
    }

    /// `and`/`or` over the items, short-circuiting.
    #[inline(never)]
    fn and_or_bool(
        &self,
        items: &[(Node, super::ast::Span)],
        and: bool,
        elem: Option<&Value>,
    ) -> Result<bool, EvalError> {
        let what = if and {
            "an operand of 'and'"
        } else {
            "an operand of 'or'"
        };
        for (node, span) in items {
            if self.cond(node, elem, what, *span)? != and {
                return Ok(!and);
            }
        }
        Ok(and)
    }

    fn elem<'s>(
        &'s self,
        name: &str,
        root: Option<&'s RootRef>,
        elem: Option<&'s Value>,
    ) -> Result<Val<'s>, EvalError> {
        match elem {
            Some(Value::Map(m)) if m.contains_key(name) || root.is_none() => {
                Ok(m.get(name).map_or(Val::Own(Value::Null), Val::Ref))
            }
            Some(Value::User(u)) if root.is_none() => self.user_attr(u, name),
            _ => match root {
                Some(r) => self.root(r),
                None => match elem {
                    Some(e) => self.property(e, name, false),
                    None => Err(type_err(format!("unknown name '{name}'"))),
                },
            },
        }
    }

    #[inline(never)]
    fn compare(&self, op: BinOp, a: &Value, b: &Value) -> Result<bool, EvalError> {
        let r = match op {
            BinOp::Eq => self.spel_eq(a, b)?,
            BinOp::Ne => !self.spel_eq(a, b)?,
            _ => {
                let o = self.cmp(a, b)?;
                match op {
                    BinOp::Lt => o.is_lt(),
                    BinOp::Le => o.is_le(),
                    BinOp::Gt => o.is_gt(),
                    _ => o.is_ge(),
                }
            }
        };
        Ok(r)
    }

    #[inline(never)]
    fn matches(
        &self,
        l: &Value,
        regex: &RegexArg,
        rhs: &Node,
        elem: Option<&Value>,
    ) -> Result<bool, EvalError> {
        let s: Cow<'_, str> = match l {
            Value::Str(s) => Cow::Borrowed(s),
            // SpEL converts a number or boolean on the left to its string form
            Value::Int(_) | Value::Long(_) | Value::Double(_) | Value::Bool(_) => {
                Cow::Owned(l.to_java_string())
            }
            Value::Null => {
                return Err(EvalError::new(
                    EvalErrorKind::NullValue,
                    "the left operand of 'matches' is null",
                ));
            }
            other => {
                return Err(type_err(format!(
                    "the left operand of 'matches' is a {}, not a string",
                    other.type_name()
                )));
            }
        };
        let re = self.regex(regex, || self.eval(rhs, elem).map(Val::into_owned), true)?;
        re.is_match(&s, self.budget, self.scratch)
    }

    /// Calls a function or method: arguments evaluated, the record's cost charged, the
    /// implementation run.
    #[inline(never)]
    fn call(
        &self,
        c: &CallNode,
        recv: &Value,
        elem: Option<&Value>,
    ) -> Result<Val<'static>, EvalError> {
        // most calls take one or two arguments: evaluated into an array here, dropped here
        let r = match c.args.as_slice() {
            [] => self.invoke(c, recv, &[]),
            [a] => {
                let args = [self.eval(a, elem)?];
                self.invoke(c, recv, &args)
            }
            // each argument read where it was made and lent to the call (moving it out of its
            // `Result` would copy it whole right after it was written part by part)
            [a, b] => {
                let a = self.eval(a, elem);
                held!(a);
                let b = self.eval(b, elem);
                held!(b);
                self.invoke(c, recv, &[Val::Ref(a), Val::Ref(b)])
            }
            more => return self.call_more(c, more, recv, elem),
        };
        r.map_err(|e| e.at(c.span))
    }

    /// [`Env::call`] with three or more arguments.
    #[inline(never)]
    fn call_more(
        &self,
        c: &CallNode,
        args: &[Node],
        recv: &Value,
        elem: Option<&Value>,
    ) -> Result<Val<'static>, EvalError> {
        // three arguments (`substring(s, 0, 1)`): each lent to the call as in `call`
        if let [x, y, z] = args {
            let x = self.eval(x, elem);
            held!(x);
            let y = self.eval(y, elem);
            held!(y);
            let z = self.eval(z, elem);
            held!(z);
            return self
                .invoke(c, recv, &[Val::Ref(x), Val::Ref(y), Val::Ref(z)])
                .map_err(|e| e.at(c.span));
        }
        let args = self.eval_args(args, elem)?;
        self.invoke(c, recv, &args).map_err(|e| e.at(c.span))
    }

    #[inline(always)]
    fn invoke(
        &self,
        c: &CallNode,
        recv: &Value,
        args: &[Val<'_>],
    ) -> Result<Val<'static>, EvalError> {
        let call = Call {
            def: c.def,
            recv,
            args,
            extra: c.extra.as_ref(),
        };
        if c.def.style == super::functions::Style::Method && recv.is_null() {
            return Err(EvalError::new(
                EvalErrorKind::NullValue,
                format!("cannot call {}() on null", c.def.name),
            ));
        }
        self.charge_call(&call)?;
        (c.def.imp)(self, &call)
    }

    /// Evaluates a nested program (a group expression) in this environment.
    pub(crate) fn eval_nested(&self, p: &Program) -> Result<Value, EvalError> {
        self.budget.charge(NESTED_UNITS)?;
        if self.depth >= MAX_PROGRAM_NESTING {
            return Err(EvalError::new(
                EvalErrorKind::Limit,
                "group expressions are nested too deeply",
            ));
        }
        let nested = Env {
            depth: self.depth + 1,
            ..*self
        };
        nested.eval(&p.inner.node, None).map(Val::into_owned)
    }

    fn eval_args<'s>(
        &'s self,
        args: &'s [Node],
        elem: Option<&'s Value>,
    ) -> Result<Args<'s>, EvalError> {
        match args {
            [a, b, c] => {
                return Ok(Args::Three([
                    self.eval(a, elem)?,
                    self.eval(b, elem)?,
                    self.eval(c, elem)?,
                ]));
            }
            [a, b, c, d] => {
                return Ok(Args::Four([
                    self.eval(a, elem)?,
                    self.eval(b, elem)?,
                    self.eval(c, elem)?,
                    self.eval(d, elem)?,
                ]));
            }
            _ => {}
        }
        args.iter()
            .map(|a| self.eval(a, elem))
            .collect::<Result<_, _>>()
            .map(Args::Heap)
    }

    /// The compiled pattern of a regex operand: fixed, or compiled (charged) through the call
    /// site's cache from the pattern `pattern` gives.
    pub(crate) fn regex<'r>(
        &self,
        arg: &'r RegexArg,
        pattern: impl FnOnce() -> Result<Value, EvalError>,
        whole: bool,
    ) -> Result<Cow<'r, Arc<Pattern>>, EvalError> {
        match arg {
            RegexArg::Fixed(r) => Ok(Cow::Borrowed(r)),
            RegexArg::Dynamic(cache) => {
                let p = pattern()?;
                let p = super::functions::req_str(&p, "a regular expression")?;
                cache
                    .get(&p, whole, self.limits, self.budget, self.scratch())
                    .map(Cow::Owned)
            }
        }
    }

    fn root<'s>(&'s self, r: &RootRef) -> Result<Val<'s>, EvalError> {
        match r {
            RootRef::Known(k) => Ok(Val::Ref(self.ctx.known(*k))),
            RootRef::Group => Ok(self.group.map_or(Val::Own(Value::Null), Val::Ref)),
            RootRef::Other(name) => self.ctx.other(name).map(Val::Ref).ok_or_else(|| {
                EvalError::new(
                    EvalErrorKind::Context,
                    format!("the context has no value named '{name}'"),
                )
            }),
        }
    }

    /// [`Env::property`] of a program's property name: the same value, charged the same, found
    /// where the name was last found first (see [`Key`]).
    #[inline(always)]
    fn property_key<'v>(&self, v: &'v Value, key: &Key, safe: bool) -> Result<Val<'v>, EvalError> {
        match v {
            Value::User(u) => {
                u.attribute_key(key, |len| self.budget.alloc(len as u64 + STR_OVERHEAD))
            }
            Value::Map(m) => Ok(m.get_key(key).map_or(Val::Own(Value::Null), Val::Ref)),
            _ => self.property(v, key, safe),
        }
    }

    #[inline]
    pub(crate) fn property<'v>(
        &self,
        v: &'v Value,
        name: &str,
        safe: bool,
    ) -> Result<Val<'v>, EvalError> {
        match v {
            Value::Map(m) => Ok(m.get(name).map_or(Val::Own(Value::Null), Val::Ref)),
            Value::User(u) => self.user_attr(u, name),
            Value::Null if safe => Ok(Val::Own(Value::Null)),
            Value::Null => Err(EvalError::new(
                EvalErrorKind::NullValue,
                format!("cannot read property '{name}' of null"),
            )),
            other => Err(type_err(format!(
                "a {} has no property '{name}'",
                other.type_name()
            ))),
        }
    }

    /// A step from a value that is borrowed for `'s` or owned here (the step's value is then
    /// owned too).
    #[inline(always)]
    fn step_from<'s>(
        &'s self,
        cur: &Val<'s>,
        s: &'s Step,
        elem: Option<&'s Value>,
    ) -> Result<Val<'s>, EvalError> {
        match cur {
            Val::Ref(v) => self.step(v, s, elem),
            Val::Own(v) => Ok(Val::Own(self.step(v, s, elem)?.into_owned())),
        }
    }

    fn step<'v>(
        &self,
        cur: &'v Value,
        s: &Step,
        elem: Option<&Value>,
    ) -> Result<Val<'v>, EvalError> {
        self.budget.charge(1)?;
        match s {
            Step::Prop(key, safe, span) => {
                // a hashed lookup, and a value shared by reference counting
                self.budget.charge(2)?;
                self.property_key(cur, key, *safe).map_err(|e| e.at(*span))
            }
            Step::Index(idx, span) => {
                let i = self.eval(idx, elem)?;
                self.index(cur, &i).map_err(|e| e.at(*span)).map(Val::Own)
            }
            Step::Method(c, safe) => {
                if cur.is_null() && *safe {
                    return Ok(Val::Own(Value::Null));
                }
                self.call(c, cur, elem)
            }
            Step::Project(e, safe, span) => self.project(cur, e, *safe, *span, elem).map(Val::Own),
            Step::Select(kind, e, safe, span) => {
                self.select(cur, *kind, e, *safe, *span).map(Val::Own)
            }
        }
    }

    #[inline(never)]
    fn project(
        &self,
        cur: &Value,
        e: &Node,
        safe: bool,
        span: super::ast::Span,
        _elem: Option<&Value>,
    ) -> Result<Value, EvalError> {
        let entries;
        let items: &[Value] = match cur {
            Value::Null if safe => return Ok(Value::Null),
            Value::List(l) => l,
            Value::Map(m) => {
                entries = self.entries(m).map_err(|e| e.at(span))?;
                &entries
            }
            other => {
                return Err(
                    type_err(format!("cannot project over a {}", other.type_name())).at(span),
                );
            }
        };
        self.alloc_list(items.len()).map_err(|e| e.at(span))?;
        let mut out = Vec::with_capacity(items.len());
        for it in items {
            out.push(self.eval(e, Some(it))?.into_owned());
        }
        Ok(self.list_value(out))
    }

    #[inline(never)]
    fn select(
        &self,
        cur: &Value,
        kind: SelectKind,
        e: &Node,
        safe: bool,
        span: super::ast::Span,
    ) -> Result<Value, EvalError> {
        let entries;
        let (items, is_map): (&[Value], bool) = match cur {
            Value::Null if safe => return Ok(Value::Null),
            Value::List(l) => (l, false),
            Value::Map(m) => {
                entries = self.entries(m).map_err(|e| e.at(span))?;
                (&entries, true)
            }
            other => {
                return Err(
                    type_err(format!("cannot select from a {}", other.type_name())).at(span),
                );
            }
        };
        self.budget
            .charge(items.len() as u64)
            .map_err(|e| e.at(span))?;
        let mut kept = Vec::new();
        for (i, it) in items.iter().enumerate() {
            let keep = match &*self.eval(e, Some(it))? {
                Value::Bool(b) => *b,
                other => {
                    return Err(type_err(format!(
                        "a selection criterion must be a boolean, not {}",
                        other.type_name()
                    ))
                    .at(span));
                }
            };
            if keep {
                if kind == SelectKind::First {
                    return self.unentry(it, is_map);
                }
                kept.push(i);
            }
        }
        match kind {
            SelectKind::Last => match kept.last().and_then(|i| items.get(*i)) {
                Some(v) => self.unentry(v, is_map),
                None => Ok(Value::Null),
            },
            SelectKind::First => Ok(Value::Null),
            SelectKind::All if is_map => {
                let mut m = Map::default();
                self.alloc_map(kept.len(), 0).map_err(|e| e.at(span))?;
                for v in kept.iter().filter_map(|i| items.get(*i)) {
                    if let Value::Map(e) = v {
                        let k = e.get("key").map(map_key_of).unwrap_or_default();
                        m.insert(k, e.get("value").cloned().unwrap_or_default());
                    }
                }
                Ok(Value::Map(Arc::new(m)))
            }
            SelectKind::All => {
                self.alloc_list(kept.len()).map_err(|e| e.at(span))?;
                Ok(self.list_value(kept.iter().filter_map(|i| items.get(*i)).cloned().collect()))
            }
        }
    }

    /// The entries of a map as `{key, value}` maps (projection and selection over a map).
    fn entries(&self, m: &Map) -> Result<Vec<Value>, EvalError> {
        self.alloc_list(m.len())?;
        self.alloc_map(m.len().saturating_mul(2), 0)?;
        let key: Arc<str> = Arc::from("key");
        let value: Arc<str> = Arc::from("value");
        Ok(m.0
            .iter()
            .map(|(k, v)| {
                let mut e = Map::default();
                e.insert(key.clone(), Value::Str(k.clone()));
                e.insert(value.clone(), v.clone());
                Value::Map(Arc::new(e))
            })
            .collect())
    }

    /// A selected `{key, value}` entry as a one-entry map.
    fn unentry(&self, v: &Value, is_map: bool) -> Result<Value, EvalError> {
        match v {
            Value::Map(e) if is_map => {
                self.alloc_map(1, 0)?;
                let mut m = Map::default();
                let k = e.get("key").map(map_key_of).unwrap_or_default();
                m.insert(k, e.get("value").cloned().unwrap_or_default());
                Ok(Value::Map(Arc::new(m)))
            }
            _ => Ok(v.clone()),
        }
    }

    #[inline(never)]
    fn arith(&self, op: BinOp, a: &Value, b: &Value) -> Result<Value, EvalError> {
        if op == BinOp::Add
            && let (Value::Str(x), Value::Str(y)) = (a, b)
        {
            self.alloc_str(x.len().saturating_add(y.len()))?;
            return Ok(Value::from([&**x, &**y].concat()));
        }
        if op == BinOp::Add && (matches!(a, Value::Str(_)) || matches!(b, Value::Str(_))) {
            let mut out = self.bounded();
            let r = a
                .write_java_to(&mut out)
                .and_then(|()| b.write_java_to(&mut out));
            return self.finish(out, r);
        }
        if op == BinOp::Mul
            && let (Value::Str(s), Value::Int(n)) = (a, b)
        {
            let n = usize::try_from(*n).unwrap_or(0);
            let len = s.len().saturating_mul(n);
            self.alloc_str(len)?;
            return Ok(Value::from(s.repeat(n)));
        }
        let Some(p) = nums(a, b) else {
            let verb = match op {
                BinOp::Add => "add",
                BinOp::Sub => "subtract",
                BinOp::Mul => "multiply",
                BinOp::Div => "divide",
                BinOp::Mod => "take the remainder of",
                _ => "raise",
            };
            return Err(type_err(format!(
                "cannot {verb} {} and {}",
                a.type_name(),
                b.type_name()
            )));
        };
        Ok(match (op, p) {
            (BinOp::Add, Nums::I(x, y)) => Value::Int(x.wrapping_add(y)),
            (BinOp::Add, Nums::L(x, y)) => Value::Long(x.wrapping_add(y)),
            (BinOp::Add, Nums::D(x, y)) => Value::Double(x + y),
            (BinOp::Sub, Nums::I(x, y)) => Value::Int(x.wrapping_sub(y)),
            (BinOp::Sub, Nums::L(x, y)) => Value::Long(x.wrapping_sub(y)),
            (BinOp::Sub, Nums::D(x, y)) => Value::Double(x - y),
            (BinOp::Mul, Nums::I(x, y)) => Value::Int(x.wrapping_mul(y)),
            (BinOp::Mul, Nums::L(x, y)) => Value::Long(x.wrapping_mul(y)),
            (BinOp::Mul, Nums::D(x, y)) => Value::Double(x * y),
            (BinOp::Div, Nums::I(_, 0)) | (BinOp::Mod, Nums::I(_, 0)) => return Err(div_zero()),
            (BinOp::Div, Nums::L(_, 0)) | (BinOp::Mod, Nums::L(_, 0)) => return Err(div_zero()),
            // Java gives ±Infinity/NaN for a double division by zero; a claim can't carry
            // those, so the engine reports the division instead (listed as a difference).
            (BinOp::Div | BinOp::Mod, Nums::D(_, 0.0)) => return Err(div_zero()),
            (BinOp::Div, Nums::I(x, y)) => Value::Int(x.wrapping_div(y)),
            (BinOp::Div, Nums::L(x, y)) => Value::Long(x.wrapping_div(y)),
            (BinOp::Div, Nums::D(x, y)) => Value::Double(x / y),
            (BinOp::Mod, Nums::I(x, y)) => Value::Int(x.wrapping_rem(y)),
            (BinOp::Mod, Nums::L(x, y)) => Value::Long(x.wrapping_rem(y)),
            (BinOp::Mod, Nums::D(x, y)) => Value::Double(x % y),
            // SpEL 4.3 `^`: doubles → double; longs → (long) Math.pow; ints → int, or long
            // when the result exceeds Integer.MAX_VALUE.
            (_, Nums::D(x, y)) => Value::Double(x.powf(y)),
            // Java's `(long) Math.pow(x, y)`: `as` saturates (and maps NaN to 0) as Java's
            // narrowing does, and the longs are widened to doubles as Java widens them
            #[allow(clippy::cast_possible_truncation)]
            (_, Nums::L(x, y)) => Value::Long((x as f64).powf(y as f64) as i64),
            // Java's `(long)` / `(int)` narrowing of the double, saturating like Java's
            #[allow(clippy::cast_possible_truncation)]
            (_, Nums::I(x, y)) => {
                let d = f64::from(x).powf(f64::from(y));
                if d > f64::from(i32::MAX) {
                    Value::Long(d as i64)
                } else {
                    Value::Int(d as i32)
                }
            }
        })
    }

    /// `v[i]`: list element, one-character string, map value by key.
    pub(crate) fn index(&self, v: &Value, i: &Value) -> Result<Value, EvalError> {
        let int = |i: &Value| -> Result<i64, EvalError> {
            match i {
                Value::Int(x) => Ok(i64::from(*x)),
                Value::Long(x) => Ok(*x),
                // SpEL converts a double index to an int by truncation (`as` saturates; the
                // index is range-checked afterwards)
                #[allow(clippy::cast_possible_truncation)]
                Value::Double(d) if d.is_finite() => Ok(d.trunc() as i64),
                Value::Str(s) => {
                    self.scan(s.len())?;
                    s.trim().parse::<i64>().map_err(|_| {
                        type_err(format!("the index '{}' is not a number", cost::excerpt(s)))
                    })
                }
                other => Err(type_err(format!(
                    "an index must be an integer, not a {}",
                    other.type_name()
                ))),
            }
        };
        match v {
            Value::List(l) => {
                let n = int(i)?;
                usize::try_from(n)
                    .ok()
                    .and_then(|k| l.get(k))
                    .cloned()
                    .ok_or_else(|| oob(n, l.len(), "list"))
            }
            Value::Str(s) => {
                let n = int(i)?;
                self.scan(s.len())?;
                match usize::try_from(n)
                    .ok()
                    .and_then(|k| s.encode_utf16().nth(k))
                {
                    Some(u) => self.new_str(&String::from_utf16_lossy(&[u])),
                    None => Err(oob(n, s.encode_utf16().count(), "string")),
                }
            }
            // keys are strings: another key type finds nothing (SpEL: `{'1': 'x'}[1]` is null)
            Value::Map(m) => Ok(match i {
                Value::Str(k) => {
                    self.scan(k.len())?;
                    m.get(k).cloned().unwrap_or_default()
                }
                _ => Value::Null,
            }),
            Value::User(u) => {
                let k = self.java_text(i)?;
                self.user_prop(u, &k)
            }
            Value::Null => Err(EvalError::new(
                EvalErrorKind::NullValue,
                "cannot index into null",
            )),
            other => Err(type_err(format!(
                "cannot index into a {}",
                other.type_name()
            ))),
        }
    }
}

/// `x op y` on two ints as [`Env::arith`] computes it, for the operators that cannot fail;
/// `None` leaves the rest (division by zero, `^`) to it.
#[inline]
fn int_arith(op: BinOp, x: i32, y: i32) -> Option<i32> {
    match op {
        BinOp::Add => Some(x.wrapping_add(y)),
        BinOp::Sub => Some(x.wrapping_sub(y)),
        BinOp::Mul => Some(x.wrapping_mul(y)),
        BinOp::Div if y != 0 => Some(x.wrapping_div(y)),
        BinOp::Mod if y != 0 => Some(x.wrapping_rem(y)),
        _ => None,
    }
}

/// A comparison of two ints, as [`Env::compare`] makes it.
#[inline]
fn int_compare(op: BinOp, x: i32, y: i32) -> bool {
    match op {
        BinOp::Eq => x == y,
        BinOp::Ne => x != y,
        BinOp::Lt => x < y,
        BinOp::Le => x <= y,
        BinOp::Gt => x > y,
        _ => x >= y,
    }
}

fn unary(op: UnOp, v: Value) -> Result<Value, EvalError> {
    match op {
        UnOp::Not => Ok(Value::Bool(!to_bool(&v, "the operand of '!'")?)),
        UnOp::Neg => match v {
            Value::Int(i) => Ok(Value::Int(i.wrapping_neg())),
            Value::Long(i) => Ok(Value::Long(i.wrapping_neg())),
            Value::Double(d) => Ok(Value::Double(-d)),
            other => Err(type_err(format!("cannot negate a {}", other.type_name()))),
        },
        UnOp::Plus => match v {
            Value::Int(_) | Value::Long(_) | Value::Double(_) => Ok(v),
            other => Err(type_err(format!(
                "unary '+' needs a number, not a {}",
                other.type_name()
            ))),
        },
    }
}

/// The key of a selected map entry (entries made by [`Env::entries`] hold string keys).
fn map_key_of(v: &Value) -> Arc<str> {
    match v {
        Value::Str(s) => s.clone(),
        other => Arc::from(other.to_java_string()),
    }
}

pub(crate) fn oob(i: i64, len: usize, what: &str) -> EvalError {
    EvalError::new(
        EvalErrorKind::IndexOutOfBounds,
        format!("index {i} is outside the {what} of length {len}"),
    )
}

//! Evaluation of a resolved program with SpEL semantics.

use std::cell::Cell;
use std::sync::Arc;

use regex::Regex;

use super::ast::{BinOp, SelectKind, UnOp};
use super::compile::Scope;
use super::compile::{GroupExprArg, Node, RegexArg, RootRef, Step, map_key};
use super::context::Context;
use super::functions::{
    Func, Method, arrays, convert, country, directory, groups, req_str, strings, time, type_err,
};
use super::value::{Map, Value, spel_cmp, spel_eq};
use super::{EvalError, EvalErrorKind, Limits};

/// State of one evaluation.
pub(crate) struct Env<'a> {
    pub(crate) ctx: &'a Context,
    pub(crate) limits: &'a Limits,
    pub(crate) group: Option<&'a Value>,
    steps: &'a Cell<u64>,
}

/// How many arguments a call keeps on the stack (Okta's functions take at most four but for
/// a few variadic ones).
const ARGS_INLINE: usize = 4;

/// The evaluated arguments of a call: on the stack when there are few.
enum Args {
    Inline([Value; ARGS_INLINE], usize),
    Heap(Vec<Value>),
}

impl std::ops::Deref for Args {
    type Target = [Value];

    fn deref(&self) -> &[Value] {
        match self {
            Args::Inline(vals, n) => &vals[..*n],
            Args::Heap(v) => v,
        }
    }
}

pub(crate) fn eval_program(
    node: &Node,
    ctx: &Context,
    limits: &Limits,
) -> Result<Value, EvalError> {
    let steps = Cell::new(0);
    let env = Env {
        ctx,
        limits,
        group: None,
        steps: &steps,
    };
    env.eval(node, None)
}

fn null_bool(what: &str) -> EvalError {
    EvalError::new(
        EvalErrorKind::NullBoolean,
        format!("{what} is null; a boolean is needed here"),
    )
}

/// SpEL's conversion of a value in a boolean position.
pub(crate) fn to_bool(v: &Value, what: &str) -> Result<bool, EvalError> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::Null => Err(null_bool(what)),
        // SpEL converts strings with Spring's String→Boolean converter
        Value::Str(s) => match s.to_ascii_lowercase().as_str() {
            "true" | "on" | "yes" | "1" => Ok(true),
            "false" | "off" | "no" | "0" => Ok(false),
            "" => Err(null_bool(what)),
            _ => Err(type_err(format!(
                "cannot convert the string '{s}' to a boolean"
            ))),
        },
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

impl Env<'_> {
    pub(crate) fn with_group<'b>(&'b self, group: &'b Value) -> Env<'b> {
        Env {
            ctx: self.ctx,
            limits: self.limits,
            group: Some(group),
            steps: self.steps,
        }
    }

    fn tick(&self, n: u64) -> Result<(), EvalError> {
        let s = self.steps.get() + n;
        self.steps.set(s);
        if s > self.limits.max_cost {
            return Err(EvalError::new(
                EvalErrorKind::Limit,
                format!(
                    "the evaluation took more than {} steps",
                    self.limits.max_cost
                ),
            ));
        }
        Ok(())
    }

    /// Refuses a string longer than the limit.
    pub(crate) fn check_str(&self, len: usize) -> Result<(), EvalError> {
        if len > self.limits.max_string_len {
            return Err(EvalError::new(
                EvalErrorKind::Limit,
                format!(
                    "the result string would be {len} bytes long; the limit is {}",
                    self.limits.max_string_len
                ),
            ));
        }
        Ok(())
    }

    /// Refuses a list longer than the limit.
    pub(crate) fn check_list(&self, len: usize) -> Result<(), EvalError> {
        if len > self.limits.max_list_len {
            return Err(EvalError::new(
                EvalErrorKind::Limit,
                format!(
                    "the result list would have {len} elements; the limit is {}",
                    self.limits.max_list_len
                ),
            ));
        }
        Ok(())
    }

    pub(crate) fn str_value(&self, s: String) -> Result<Value, EvalError> {
        self.check_str(s.len())?;
        Ok(Value::from(s))
    }

    pub(crate) fn list_value(&self, l: Vec<Value>) -> Result<Value, EvalError> {
        self.check_list(l.len())?;
        Ok(Value::from(l))
    }

    pub(crate) fn eval(&self, n: &Node, elem: Option<&Value>) -> Result<Value, EvalError> {
        self.tick(1)?;
        match n {
            Node::Const(v) => Ok(v.clone()),
            Node::Root(r, span) => self.root(r).map_err(|e| e.at(*span)),
            Node::Elem(name, root, span) => match elem {
                Some(Value::Map(m)) if m.contains_key(&**name) || root.is_none() => {
                    Ok(m.get(&**name).cloned().unwrap_or(Value::Null))
                }
                Some(Value::User(u)) if root.is_none() => Ok(u.property(name)),
                _ => match root {
                    Some(r) => self.root(r).map_err(|e| e.at(*span)),
                    None => match elem {
                        Some(e) => self.property(e, name, false).map_err(|e| e.at(*span)),
                        None => Err(type_err(format!("unknown name '{name}'")).at(*span)),
                    },
                },
            },
            Node::ElemMethod(m, args, regex, span) => {
                let recv = elem.cloned().unwrap_or(Value::Null);
                let args = self.eval_args(args, elem)?;
                self.method(*m, &recv, &args, regex.as_ref())
                    .map_err(|e| e.at(*span))
            }
            Node::List(items, span) => {
                let mut out = Vec::with_capacity(items.len());
                for i in items {
                    out.push(self.eval(i, elem)?);
                }
                self.list_value(out).map_err(|e| e.at(*span))
            }
            Node::Map(entries) => {
                let mut m = Map::default();
                for (k, v) in entries {
                    let k = self.eval(k, elem)?;
                    let v = self.eval(v, elem)?;
                    m.insert(Arc::from(map_key(&k)), v);
                }
                Ok(Value::Map(Arc::new(m)))
            }
            Node::Chain(head, steps) => {
                let mut cur = self.eval(head, elem)?;
                for s in steps {
                    cur = self.step(cur, s, elem)?;
                }
                Ok(cur)
            }
            Node::Unary(ops, operand) => {
                let mut v = self.eval(operand, elem)?;
                for (op, span) in ops.iter().rev() {
                    v = self.unary(*op, v).map_err(|e| e.at(*span))?;
                }
                Ok(v)
            }
            Node::And(items) => {
                for (node, span) in items {
                    let v = self.eval(node, elem)?;
                    if !to_bool(&v, "an operand of 'and'").map_err(|e| e.at(*span))? {
                        return Ok(Value::Bool(false));
                    }
                }
                Ok(Value::Bool(true))
            }
            Node::Or(items) => {
                for (node, span) in items {
                    let v = self.eval(node, elem)?;
                    if to_bool(&v, "an operand of 'or'").map_err(|e| e.at(*span))? {
                        return Ok(Value::Bool(true));
                    }
                }
                Ok(Value::Bool(false))
            }
            Node::Arith(first, rest) => {
                let mut acc = self.eval(first, elem)?;
                for (op, span, e) in rest {
                    let rhs = self.eval(e, elem)?;
                    acc = self.arith(*op, acc, rhs).map_err(|e| e.at(*span))?;
                }
                Ok(acc)
            }
            Node::Cmp(op, a, b, span) => {
                let a = self.eval(a, elem)?;
                let b = self.eval(b, elem)?;
                let r = match op {
                    BinOp::Eq => spel_eq(&a, &b),
                    BinOp::Ne => !spel_eq(&a, &b),
                    _ => {
                        let o = spel_cmp(&a, &b).map_err(|e| e.at(*span))?;
                        match op {
                            BinOp::Lt => o.is_lt(),
                            BinOp::Le => o.is_le(),
                            BinOp::Gt => o.is_gt(),
                            _ => o.is_ge(),
                        }
                    }
                };
                Ok(Value::Bool(r))
            }
            Node::Matches(lhs, regex, rhs, span) => {
                let l = self.eval(lhs, elem)?;
                let s = match &l {
                    Value::Str(s) => s.clone(),
                    // SpEL converts a number or boolean on the left to its string form
                    Value::Int(_) | Value::Long(_) | Value::Double(_) | Value::Bool(_) => {
                        Arc::from(l.to_java_string())
                    }
                    Value::Null => {
                        return Err(EvalError::new(
                            EvalErrorKind::NullValue,
                            "the left operand of 'matches' is null",
                        )
                        .at(*span));
                    }
                    other => {
                        return Err(type_err(format!(
                            "the left operand of 'matches' is a {}, not a string",
                            other.type_name()
                        ))
                        .at(*span));
                    }
                };
                let re = self
                    .regex(regex, || self.eval(rhs, elem), true)
                    .map_err(|e| e.at(*span))?;
                Ok(Value::Bool(re.is_match(&s)))
            }
            Node::Ternary(c, a, b, span) => {
                let cv = self.eval(c, elem)?;
                if to_bool(&cv, "the condition of '?:'").map_err(|e| e.at(*span))? {
                    self.eval(a, elem)
                } else {
                    self.eval(b, elem)
                }
            }
            Node::Elvis(a, b) => {
                let v = self.eval(a, elem)?;
                match &v {
                    Value::Null => self.eval(b, elem),
                    Value::Str(s) if s.is_empty() => self.eval(b, elem),
                    _ => Ok(v),
                }
            }
            Node::Call(f, args, regex, span) => {
                let args = self.eval_args(args, elem)?;
                self.call(*f, &args, regex.as_ref())
                    .map_err(|e| e.at(*span))
            }
            Node::FilteredGroups(allow, gexpr, limit, span) => {
                let allow = self.eval(allow, elem)?;
                let limit = self.eval(limit, elem)?;
                let r = match gexpr {
                    GroupExprArg::Fixed(p) => groups::filtered_groups(self, &allow, p, &limit),
                    GroupExprArg::Dynamic(node) => {
                        let src = self.eval(node, elem)?;
                        let src = req_str(&src, "getFilteredGroups").map_err(|e| e.at(*span))?;
                        let p =
                            super::compile_with(&src, self.limits, Scope::Group).map_err(|e| {
                                EvalError::new(
                                    EvalErrorKind::InvalidPattern,
                                    format!(
                                        "the group expression of getFilteredGroups is invalid: {e:#}"
                                    ),
                                )
                            })?;
                        groups::filtered_groups(self, &allow, &p, &limit)
                    }
                };
                r.map_err(|e| e.at(*span))
            }
        }
    }

    /// Evaluates a nested program (a group expression) in this environment.
    pub(crate) fn eval_nested(&self, p: &super::Program) -> Result<Value, EvalError> {
        self.eval(&p.inner.node, None)
    }

    fn eval_args(&self, args: &[Node], elem: Option<&Value>) -> Result<Args, EvalError> {
        if args.len() <= ARGS_INLINE {
            let mut out = Args::Inline(Default::default(), args.len());
            if let Args::Inline(vals, _) = &mut out {
                for (slot, a) in vals.iter_mut().zip(args) {
                    *slot = self.eval(a, elem)?;
                }
            }
            return Ok(out);
        }
        args.iter()
            .map(|a| self.eval(a, elem))
            .collect::<Result<_, _>>()
            .map(Args::Heap)
    }

    pub(crate) fn regex(
        &self,
        arg: &RegexArg,
        pattern: impl FnOnce() -> Result<Value, EvalError>,
        whole: bool,
    ) -> Result<Arc<Regex>, EvalError> {
        match arg {
            RegexArg::Fixed(r) => Ok(r.clone()),
            RegexArg::Dynamic(cache) => {
                let p = pattern()?;
                let p = req_str(&p, "a regular expression")?;
                cache
                    .get(&p, whole, self.limits)
                    .map_err(|m| EvalError::new(EvalErrorKind::InvalidPattern, m))
            }
        }
    }

    fn root(&self, r: &RootRef) -> Result<Value, EvalError> {
        match r {
            RootRef::Known(k) => Ok(self.ctx.known(*k).clone()),
            RootRef::Group => Ok(self.group.cloned().unwrap_or(Value::Null)),
            RootRef::Other(name) => self.ctx.other(name).cloned().ok_or_else(|| {
                EvalError::new(
                    EvalErrorKind::Context,
                    format!("the context has no value named '{name}'"),
                )
            }),
        }
    }

    pub(crate) fn property(&self, v: &Value, name: &str, safe: bool) -> Result<Value, EvalError> {
        match v {
            Value::Map(m) => Ok(m.get(name).cloned().unwrap_or(Value::Null)),
            Value::User(u) => Ok(u.property(name)),
            Value::Null if safe => Ok(Value::Null),
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

    fn step(&self, cur: Value, s: &Step, elem: Option<&Value>) -> Result<Value, EvalError> {
        match s {
            Step::Prop(name, safe, span) => {
                self.property(&cur, name, *safe).map_err(|e| e.at(*span))
            }
            Step::Index(idx, span) => {
                let i = self.eval(idx, elem)?;
                index(&cur, &i).map_err(|e| e.at(*span))
            }
            Step::Method(m, args, regex, safe, span) => {
                if cur.is_null() && *safe {
                    return Ok(Value::Null);
                }
                let args = self.eval_args(args, elem)?;
                self.method(*m, &cur, &args, regex.as_ref())
                    .map_err(|e| e.at(*span))
            }
            Step::Project(e, safe, span) => {
                let items: Vec<Value> = match &cur {
                    Value::Null if *safe => return Ok(Value::Null),
                    Value::List(l) => l.iter().cloned().collect(),
                    Value::Map(m) => entries(m),
                    other => {
                        return Err(type_err(format!(
                            "cannot project over a {}",
                            other.type_name()
                        ))
                        .at(*span));
                    }
                };
                self.tick(items.len() as u64).map_err(|e| e.at(*span))?;
                let mut out = Vec::with_capacity(items.len());
                for it in &items {
                    out.push(self.eval(e, Some(it))?);
                }
                self.list_value(out).map_err(|e| e.at(*span))
            }
            Step::Select(kind, e, safe, span) => {
                let (items, is_map) = match &cur {
                    Value::Null if *safe => return Ok(Value::Null),
                    Value::List(l) => (l.iter().cloned().collect::<Vec<_>>(), false),
                    Value::Map(m) => (entries(m), true),
                    other => {
                        return Err(type_err(format!(
                            "cannot select from a {}",
                            other.type_name()
                        ))
                        .at(*span));
                    }
                };
                self.tick(items.len() as u64).map_err(|e| e.at(*span))?;
                let mut out = Vec::new();
                for it in items {
                    let keep = match self.eval(e, Some(&it))? {
                        Value::Bool(b) => b,
                        other => {
                            return Err(type_err(format!(
                                "a selection criterion must be a boolean, not {}",
                                other.type_name()
                            ))
                            .at(*span));
                        }
                    };
                    if keep {
                        if *kind == SelectKind::First {
                            return Ok(unentry(it, is_map));
                        }
                        out.push(it);
                    }
                }
                if *kind == SelectKind::Last {
                    return Ok(out.pop().map_or(Value::Null, |v| unentry(v, is_map)));
                }
                if *kind == SelectKind::First {
                    return Ok(Value::Null);
                }
                if is_map {
                    let mut m = Map::default();
                    for it in out {
                        if let Value::Map(e) = it {
                            let k = e.get("key").map(map_key).unwrap_or_default();
                            m.insert(Arc::from(k), e.get("value").cloned().unwrap_or_default());
                        }
                    }
                    Ok(Value::Map(Arc::new(m)))
                } else {
                    Ok(Value::from(out))
                }
            }
        }
    }

    fn unary(&self, op: UnOp, v: Value) -> Result<Value, EvalError> {
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

    fn arith(&self, op: BinOp, a: Value, b: Value) -> Result<Value, EvalError> {
        if op == BinOp::Add && (matches!(a, Value::Str(_)) || matches!(b, Value::Str(_))) {
            {
                let mut out = String::new();
                a.push_java_string(&mut out);
                b.push_java_string(&mut out);
                self.check_str(out.len())?;
                return Ok(Value::from(out));
            }
        }
        if op == BinOp::Mul
            && let (Value::Str(s), Value::Int(n)) = (&a, &b)
        {
            let n = usize::try_from(*n).unwrap_or(0);
            self.check_str(s.len().saturating_mul(n))?;
            return Ok(Value::from(s.repeat(n)));
        }
        let Some(p) = nums(&a, &b) else {
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
            (_, Nums::L(x, y)) => Value::Long((x as f64).powf(y as f64) as i64),
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

    fn call(&self, f: Func, a: &[Value], regex: Option<&RegexArg>) -> Result<Value, EvalError> {
        use Func as F;
        match f {
            F::StrAppend => strings::append(self, &a[0], &a[1]),
            F::StrJoin => strings::join(self, a),
            F::StrLen => strings::len(&a[0]),
            F::StrRemoveSpaces => strings::remove_spaces(&a[0]),
            F::StrReplace => strings::replace(self, &a[0], &a[1], &a[2]),
            F::StrReplaceFirst => strings::replace_first_literal(self, &a[0], &a[1], &a[2]),
            F::StrStartsWith => strings::starts_with(&a[0], &a[1]),
            F::StrContains => strings::string_contains(&a[0], &a[1]),
            F::StrSwitch => strings::string_switch(a),
            F::StrSubstring | F::GSubstring => strings::substring(&a[0], &a[1], Some(&a[2])),
            F::StrSubstringAfter | F::GSubstringAfter => strings::substring_after(&a[0], &a[1]),
            F::StrSubstringBefore | F::GSubstringBefore => strings::substring_before(&a[0], &a[1]),
            F::StrToUpper | F::GToUpper | F::GToUpperLegacy => strings::to_upper(&a[0]),
            F::StrToLower | F::GToLower | F::GToLowerLegacy => strings::to_lower(&a[0]),
            F::ArrAdd => arrays::add(self, &a[0], &a[1]),
            F::ArrRemove => arrays::remove(&a[0], &a[1]),
            F::ArrClear => arrays::clear(&a[0]),
            F::ArrGet => arrays::get(&a[0], &a[1]),
            F::ArrFlatten => arrays::flatten(self, a),
            F::ArrContains => arrays::contains(&a[0], &a[1]),
            F::ArrSize => arrays::size(&a[0]),
            F::ArrIsEmpty => arrays::is_empty(&a[0]),
            F::ArrToCsv => arrays::to_csv(self, &a[0]),
            F::ConvToInt => convert::to_int(&a[0]),
            F::ConvToNum => convert::to_num(&a[0]),
            F::IsoToAlpha2 => country::convert(&a[0], country::Field::Alpha2),
            F::IsoToAlpha3 => country::convert(&a[0], country::Field::Alpha3),
            F::IsoToNumeric => country::convert(&a[0], country::Field::Numeric),
            F::IsoToName => country::convert(&a[0], country::Field::Name),
            F::GroupsContains => {
                groups::groups_fn(self, &a[0], &a[1], &a[2], groups::Match::Contains)
            }
            F::GroupsStartsWith => {
                groups::groups_fn(self, &a[0], &a[1], &a[2], groups::Match::StartsWith)
            }
            F::GroupsEndsWith => {
                groups::groups_fn(self, &a[0], &a[1], &a[2], groups::Match::EndsWith)
            }
            F::GetFilteredGroups => Err(type_err("getFilteredGroups is evaluated elsewhere")),
            F::IsMemberOfGroupName => groups::member_by_name(self, &a[0], groups::Match::Exact),
            F::IsMemberOfGroup => groups::member_by_ids(self, &a[..1]),
            F::IsMemberOfAnyGroup => groups::member_by_ids(self, a),
            F::IsMemberOfGroupNameStartsWith => {
                groups::member_by_name(self, &a[0], groups::Match::StartsWith)
            }
            F::IsMemberOfGroupNameContains => {
                groups::member_by_name(self, &a[0], groups::Match::Contains)
            }
            F::IsMemberOfGroupNameRegex => {
                let Some(r) = regex else {
                    return Err(type_err("missing regular expression"));
                };
                let re = self.regex(r, || Ok(groups::strip_slashes(&a[0])), true)?;
                groups::member_by_regex(self, &re)
            }
            F::TimeNow => time::time_now(self, a),
            F::DateTimeNow => time::now_zdt(self).map(Value::DateTime),
            F::TimeFromWindows => time::from_windows(&a[0]),
            F::TimeFromUnix => time::from_unix_secs(&a[0]),
            F::TimeFromString => time::from_string(&a[0], &a[1]),
            F::TimeToWindows => time::to_windows(&a[0]),
            F::TimeToUnix => time::to_unix(&a[0]),
            F::TimeToString => time::to_string_fmt(&a[0], &a[1]),
            F::GetManagerUser => directory::linked_user(self, &a[0], "manager"),
            F::GetAssistantUser => directory::linked_user(self, &a[0], "assistant"),
            F::GetManagerAppUser => directory::linked_app_user(self, &a[0], &a[1], "manager"),
            F::GetAssistantAppUser => directory::linked_app_user(self, &a[0], &a[1], "assistant"),
            F::HasDirectoryUser => Ok(Value::Bool(
                directory::find(self, "active_directory").is_some(),
            )),
            F::HasWorkdayUser => Ok(Value::Bool(directory::find(self, "workday").is_some())),
            F::FindDirectoryUser => {
                Ok(directory::find(self, "active_directory").unwrap_or_default())
            }
            F::FindWorkdayUser => Ok(directory::find(self, "workday").unwrap_or_default()),
        }
    }

    pub(crate) fn method(
        &self,
        m: Method,
        recv: &Value,
        a: &[Value],
        regex: Option<&RegexArg>,
    ) -> Result<Value, EvalError> {
        use Method as M;
        // the method's name, looked up only when reporting an error
        let name = || {
            super::functions::METHODS
                .iter()
                .find(|x| x.4 == m)
                .map_or("?", |x| x.0)
        };
        if recv.is_null() {
            return Err(EvalError::new(
                EvalErrorKind::NullValue,
                format!("cannot call {}() on null", name()),
            ));
        }
        let unsupported = || {
            Err(type_err(format!(
                "a {} has no method {}()",
                recv.type_name(),
                name()
            )))
        };
        match (m, recv) {
            (M::GetGroups, Value::User(u)) => groups::get_groups(self, u, a),
            (M::IsMemberOf, Value::User(u)) => groups::is_member_of(u, a),
            (M::GetLinkedObject, Value::User(u)) => {
                let n = req_str(&a[0], "getLinkedObject")?;
                Ok(u.linked().get(&*n).cloned().unwrap_or_default())
            }
            (M::GetInternalProperty, Value::User(u)) => {
                let n = req_str(&a[0], "getInternalProperty")?;
                Ok(u.internal().get(&*n).cloned().unwrap_or_default())
            }
            (M::ToStringM, _) if a.is_empty() && !matches!(recv, Value::DateTime(_)) => {
                if let Value::Str(_) = recv {
                    return Ok(recv.clone());
                }
                if let Some(z) = time::as_zdt_opt(recv) {
                    return Ok(Value::from(z.to_java_string()));
                }
                self.str_value(recv.to_java_string())
            }
            (
                M::ParseWindowsTime
                | M::ParseUnixTime
                | M::ParseStringTime
                | M::ToWindows
                | M::ToUnix
                | M::ToStringM
                | M::ToZone
                | M::PlusDays
                | M::PlusHours
                | M::PlusMinutes
                | M::PlusSeconds
                | M::MinusDays
                | M::MinusHours
                | M::MinusMinutes
                | M::MinusSeconds
                | M::WithinDays
                | M::WithinHours
                | M::WithinMinutes
                | M::WithinSeconds,
                _,
            ) => time::method(self, m, recv, a),
            (M::ParseCountryCode | M::ToAlpha2 | M::ToAlpha3 | M::ToNumeric | M::ToName, _) => {
                country::method(m, recv)
            }
            (_, Value::Str(s)) => match strings::method(self, m, s, a, regex)? {
                Some(v) => Ok(v),
                None => unsupported(),
            },
            (_, Value::List(l)) => match arrays::method(self, m, l, a)? {
                Some(v) => Ok(v),
                None => unsupported(),
            },
            (_, Value::Map(map)) => match m {
                M::Get => Ok(map
                    .get(map_key(&a[0]).as_str())
                    .cloned()
                    .unwrap_or_default()),
                M::ContainsKey => Ok(Value::Bool(map.contains_key(map_key(&a[0]).as_str()))),
                M::Size => Ok(Value::Int(map.len() as i32)),
                M::IsEmpty => Ok(Value::Bool(map.is_empty())),
                M::Equals => Ok(Value::Bool(recv == &a[0])),
                _ => unsupported(),
            },
            (_, Value::Int(_) | Value::Long(_) | Value::Double(_)) => match m {
                M::ToInteger | M::IntValue => convert::to_int(recv),
                M::ToNumber | M::DoubleValue => convert::to_num(recv),
                M::Equals => Ok(Value::Bool(recv == &a[0])),
                M::CompareTo => Ok(Value::Int(match spel_cmp(recv, &a[0])? {
                    std::cmp::Ordering::Less => -1,
                    std::cmp::Ordering::Equal => 0,
                    std::cmp::Ordering::Greater => 1,
                })),
                _ => unsupported(),
            },
            (M::Equals, _) => Ok(Value::Bool(recv == &a[0])),
            _ => unsupported(),
        }
    }
}

fn entries(m: &Map) -> Vec<Value> {
    m.iter()
        .map(|(k, v)| {
            let mut e = Map::default();
            e.insert(Arc::from("key"), Value::Str(k.clone()));
            e.insert(Arc::from("value"), v.clone());
            Value::Map(Arc::new(e))
        })
        .collect()
}

fn unentry(v: Value, is_map: bool) -> Value {
    if !is_map {
        return v;
    }
    match &v {
        Value::Map(e) => {
            let mut m = Map::default();
            let k = e.get("key").map(map_key).unwrap_or_default();
            m.insert(Arc::from(k), e.get("value").cloned().unwrap_or_default());
            Value::Map(Arc::new(m))
        }
        _ => v,
    }
}

fn oob(i: i64, len: usize, what: &str) -> EvalError {
    EvalError::new(
        EvalErrorKind::IndexOutOfBounds,
        format!("index {i} is outside the {what} of length {len}"),
    )
}

/// `v[i]`: list element, one-character string, map value by key.
pub(crate) fn index(v: &Value, i: &Value) -> Result<Value, EvalError> {
    let int = |i: &Value| -> Result<i64, EvalError> {
        match i {
            Value::Int(x) => Ok(i64::from(*x)),
            Value::Long(x) => Ok(*x),
            // SpEL converts a double index to an int by truncation
            Value::Double(d) if d.is_finite() => Ok(d.trunc() as i64),
            Value::Str(s) => s
                .trim()
                .parse::<i64>()
                .map_err(|_| type_err(format!("the index '{s}' is not a number"))),
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
            let units: Vec<u16> = s.encode_utf16().collect();
            usize::try_from(n)
                .ok()
                .and_then(|k| units.get(k))
                .map(|u| Value::from(String::from_utf16_lossy(&[*u])))
                .ok_or_else(|| oob(n, units.len(), "string"))
        }
        // keys are strings: another key type finds nothing (SpEL: `{'1': 'x'}[1]` is null)
        Value::Map(m) => Ok(match i {
            Value::Str(k) => m.get(&**k).cloned().unwrap_or_default(),
            _ => Value::Null,
        }),
        Value::User(u) => Ok(u.property(&map_key(i))),
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

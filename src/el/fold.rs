//! Constant folding: the subexpressions that read nothing of the request (`60 * 60 * 24`,
//! `{'Admins', 'Ops'}`, `'sales'.toUpperCase()`) are evaluated once, when the program is
//! compiled, and their values kept in the program.
//!
//! # Same answers, same charges
//!
//! Folding must not change what an evaluation answers or what it is charged, including when
//! its budget runs out part way. So a folded node keeps, beside its value, what evaluating it
//! charged (cost units and bytes) and the node it replaced:
//!
//! * evaluating it charges those units and bytes in one step if both fit in what is left of
//!   the budget, and lends the value;
//! * if they don't fit, it evaluates the node it replaced, which runs out of budget at the same
//!   step, with the same error and the same [`Usage`](super::Usage), as it would have.
//!
//! That is exact because a node is folded only when its evaluation charged by
//! [`Budget::charge`] and [`Budget::alloc`] alone, each of which fails exactly when its new
//! total passes the limit: the whole fits exactly when every step of it does. An evaluation
//! that asked how much room was left (bounded rendering, regular-expression searches, list
//! comparisons sized by the budget) may charge differently with less room, and is not folded;
//! nor is one that failed (its error belongs to the evaluation that reaches it: `user.x ? 1 :
//! 1 / 0` is an error only when `user.x` is false), one that searched a regular expression (its
//! scratch space is charged once per evaluation; so no call given a literal pattern or group
//! expression either), a projection or selection (its body reads the element), or a call that
//! reads the request (its user, groups, directories or clock:
//! [`Def::context_free`](super::functions::Def)). Values are
//! computed by the evaluator itself, so they are the values an evaluation would compute.
//!
//! # Bounded
//!
//! Folding one program spends at most [`Limits::max_fold_cost`] cost units (failed attempts
//! included), counting each folded node's full cost although the nodes folded inside it are
//! charged in one step: so both the work moved to compile time and the bytes the folded values
//! keep (at most [`BYTES_PER_UNIT`](super::cost::BYTES_PER_UNIT) per unit) are bounded by it.
//! Group expressions compiled at evaluation time (their text came from data) are not folded:
//! their compilation is charged to the evaluation, by the byte.

use super::Limits;
use super::compile::{CallNode, Node, Step};
use super::context::Context;
use super::cost::Budget;
use super::eval;
use super::value::Value;

/// A folded subexpression: its value, what evaluating it charges, and the node it replaced
/// (evaluated when those charges don't fit).
#[derive(Debug)]
pub(crate) struct Folded {
    pub(crate) value: Value,
    /// Cost units evaluating `orig` charges, the unit of visiting it included (at least 1).
    pub(crate) cost: u64,
    /// Bytes evaluating `orig` charges.
    pub(crate) bytes: u64,
    pub(crate) orig: Node,
}

/// Folds the constant subexpressions of `node`, innermost first, within
/// [`Limits::max_fold_cost`].
pub(crate) fn fold(node: &mut Node, limits: &Limits) {
    if limits.max_fold_cost == 0 {
        return;
    }
    let mut f = Folder {
        limits,
        left: limits.max_fold_cost,
        ctx: None,
    };
    f.node(node);
}

struct Folder<'a> {
    limits: &'a Limits,
    /// Cost units folding may still spend.
    left: u64,
    /// The empty context folded nodes are evaluated in (made when first needed).
    ctx: Option<Context>,
}

fn is_const(n: &Node) -> bool {
    matches!(n, Node::Const(_) | Node::Folded(_))
}

/// Whether a call reads nothing but its receiver and its constant arguments.
fn call_is_const(c: &CallNode) -> bool {
    c.def.context_free() && c.extra.is_none() && c.args.iter().all(is_const)
}

/// Whether a node's children are all constant and the node itself reads nothing of the request
/// (the children are folded first).
fn foldable(n: &Node) -> bool {
    match n {
        Node::Unary(_, x) => is_const(x),
        Node::And(items) | Node::Or(items) => items.iter().all(|(x, _)| is_const(x)),
        Node::Arith(first, rest) => is_const(first) && rest.iter().all(|(_, _, x)| is_const(x)),
        Node::Cmp(_, a, b, _) | Node::Elvis(a, b) => is_const(a) && is_const(b),
        Node::Ternary(c, a, b, _) => is_const(c) && is_const(a) && is_const(b),
        Node::List(items, _) => items.iter().all(is_const),
        Node::Map(entries, _) => entries.iter().all(|(k, v)| is_const(k) && is_const(v)),
        Node::Call(c) => call_is_const(c),
        Node::Chain(head, steps) => {
            is_const(head)
                && steps.iter().all(|s| match s {
                    Step::Prop(..) => true,
                    Step::Index(i, _) => is_const(i),
                    Step::Method(c, _) => call_is_const(c),
                    // their bodies read the element (`#this`)
                    Step::Project(..) | Step::Select(..) => false,
                })
        }
        // a regular expression's search is charged its scratch space once per evaluation
        Node::Matches(..) => false,
        Node::Const(_)
        | Node::Folded(_)
        | Node::Root(..)
        | Node::Elem(..)
        | Node::ElemMethod(_)
        | Node::RootProp(..) => false,
    }
}

impl Folder<'_> {
    /// Folds the children of `n`, then `n` if they all folded.
    fn node(&mut self, n: &mut Node) {
        match n {
            Node::Const(_)
            | Node::Folded(_)
            | Node::Root(..)
            | Node::Elem(..)
            | Node::RootProp(..) => return,
            Node::ElemMethod(c) | Node::Call(c) => self.call(c),
            Node::List(items, _) => items.iter_mut().for_each(|x| self.node(x)),
            Node::Map(entries, _) => {
                for (k, v) in entries {
                    self.node(k);
                    self.node(v);
                }
            }
            Node::Chain(head, steps) => {
                self.node(head);
                for s in steps {
                    match s {
                        Step::Prop(..) => {}
                        Step::Index(x, _) | Step::Project(x, ..) | Step::Select(_, x, ..) => {
                            self.node(x);
                        }
                        Step::Method(c, _) => self.call(c),
                    }
                }
            }
            Node::Unary(_, x) => self.node(x),
            Node::And(items) | Node::Or(items) => items.iter_mut().for_each(|(x, _)| self.node(x)),
            Node::Arith(first, rest) => {
                self.node(first);
                rest.iter_mut().for_each(|(_, _, x)| self.node(x));
            }
            Node::Cmp(_, a, b, _) | Node::Matches(a, _, b, _) | Node::Elvis(a, b) => {
                self.node(a);
                self.node(b);
            }
            Node::Ternary(c, a, b, _) => {
                self.node(c);
                self.node(a);
                self.node(b);
            }
        }
        if self.left > 0 && foldable(n) {
            self.try_fold(n);
        }
    }

    fn call(&mut self, c: &mut CallNode) {
        c.args.iter_mut().for_each(|x| self.node(x));
    }

    /// Evaluates `n` (whose children are constant) and replaces it by its value if that
    /// evaluation can stand for every later one.
    #[inline(never)]
    fn try_fold(&mut self, n: &mut Node) {
        let budget = Budget::for_folding(self.limits, self.left);
        let ctx = self.ctx.get_or_insert_with(Context::new);
        let value = eval::eval_constant(n, ctx, self.limits, &budget);
        self.left = self.left.saturating_sub(budget.cost());
        let Some(value) = value else { return };
        if budget.asked_room() {
            return;
        }
        let orig = std::mem::replace(n, Node::Const(Value::Null));
        *n = Node::Folded(Box::new(Folded {
            value,
            cost: budget.cost(),
            bytes: budget.bytes(),
            orig,
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Context, Limits, Program, compile};
    use super::*;

    /// The folded nodes of a program, outermost first (not those inside folded nodes).
    fn folded(p: &Program) -> Vec<&Folded> {
        fn walk<'a>(n: &'a Node, out: &mut Vec<&'a Folded>) {
            let mut each = |xs: &mut dyn Iterator<Item = &'a Node>| xs.for_each(|x| walk(x, out));
            match n {
                Node::Folded(f) => out.push(f),
                Node::Const(_) | Node::Root(..) | Node::Elem(..) | Node::RootProp(..) => {}
                Node::ElemMethod(c) | Node::Call(c) => each(&mut c.args.iter()),
                Node::List(items, _) => each(&mut items.iter()),
                Node::Map(entries, _) => each(&mut entries.iter().flat_map(|(k, v)| [k, v])),
                Node::Chain(head, steps) => {
                    each(&mut std::iter::once(&**head));
                    for s in steps {
                        match s {
                            Step::Prop(..) => {}
                            Step::Index(x, _) | Step::Project(x, ..) | Step::Select(_, x, ..) => {
                                each(&mut std::iter::once(x));
                            }
                            Step::Method(c, _) => each(&mut c.args.iter()),
                        }
                    }
                }
                Node::Unary(_, x) => each(&mut std::iter::once(&**x)),
                Node::And(items) | Node::Or(items) => each(&mut items.iter().map(|(x, _)| x)),
                Node::Arith(first, rest) => {
                    each(&mut std::iter::once(&**first).chain(rest.iter().map(|(_, _, x)| x)));
                }
                Node::Cmp(_, a, b, _) | Node::Matches(a, _, b, _) | Node::Elvis(a, b) => {
                    each(&mut [&**a, &**b].into_iter());
                }
                Node::Ternary(c, a, b, _) => each(&mut [&**c, &**a, &**b].into_iter()),
            }
        }
        let mut out = Vec::new();
        walk(&p.inner.node, &mut out);
        out
    }

    fn values(src: &str, limits: &Limits) -> Vec<serde_json::Value> {
        let p = compile(src, limits).unwrap_or_else(|e| panic!("{src}: {e}"));
        folded(&p).iter().map(|f| f.value.to_json()).collect()
    }

    fn folds(src: &str) -> Vec<serde_json::Value> {
        values(src, &Limits::default())
    }

    #[test]
    fn constant_subexpressions_fold_to_their_values() {
        let j = |s: &str| serde_json::from_str::<serde_json::Value>(s).unwrap_or_default();
        assert_eq!(folds("60 * 60 * 24"), [j("86400")]);
        assert_eq!(folds("user.age > 60 * 60 * 24"), [j("86400")]);
        assert_eq!(folds("(1 + 2) * user.n + (3 * 4)"), [j("3"), j("12")]);
        // a list or map of literals is a literal already; one with a constant inside folds
        assert_eq!(
            folds("{'Admins', 'Ops'}.contains(user.dept)"),
            Vec::<serde_json::Value>::new()
        );
        assert_eq!(
            folds("{'Admins', 'O' + 'ps'}.contains(user.dept)"),
            [j(r#"["Admins","Ops"]"#)]
        );
        assert_eq!(folds("'sales'.toUpperCase() + user.x"), [j(r#""SALES""#)]);
        assert_eq!(folds("String.toUpperCase('a') + 'b'"), [j(r#""Ab""#)]);
        assert_eq!(folds("!true or user.x"), [j("false")]);
        assert_eq!(folds("{'k': 1 + 1}"), [j(r#"{"k":2}"#)]);
        assert_eq!(folds("true ? 'y' : 'n'"), [j(r#""y""#)]);
        assert_eq!(folds("null ?: 'd'"), [j(r#""d""#)]);
        assert_eq!(folds("{1, 2}[1]"), [j("2")]);
        assert_eq!(folds("Convert.toInt('12') + 1"), [j("13")]);
        assert_eq!(
            folds("'2015-07-31T17:18:37Z'.parseStringTime().toUnix()"),
            [j(r#""1438363117000""#)]
        );
    }

    #[test]
    fn what_reads_the_request_fails_or_searches_stays() {
        for src in [
            "user.n + 1",
            "Time.now()",
            "DateTime.now()",
            "'2015-07-31T17:18:37Z'.parseStringTime().withinDays(1)",
            "isMemberOfGroupName('IT')",
            "getManagerUser('active_directory')",
            "hasDirectoryUser()",
            "'a' matches 'b'",
            "'abc'.replaceAll('b', 'c')",
            "'abc'.matches('a.c')",
            "1 / 0",
            "{1, 2}.![toString()]",
            "{'a', 'b'}.?[length() > 0]",
            "getFilteredGroups({'g1'}, 'group.name', 1)",
            "Groups.contains('OKTA_GROUP', 'IT', 5)",
            // they check the room for more than they keep: with less room they fail
            "'Sales'.equalsIgnoreCase('SALES')",
            "String.removeSpaces('a b c')",
        ] {
            assert_eq!(folds(src), Vec::<serde_json::Value>::new(), "{src}");
        }
        // an error belongs to the evaluation that reaches it: the operands fold, the division
        // doesn't
        assert_eq!(
            folds("user.x ? 1 : (2 - 2 + 1) / (1 - 1)"),
            [serde_json::json!(1), serde_json::json!(0)]
        );
    }

    #[test]
    fn folding_is_bounded_and_can_be_turned_off() {
        let off = Limits::default().with_max_fold_cost(0);
        assert!(values("60 * 60 * 24", &off).is_empty());
        // 'ab' * 1000 costs more than 100 units: not folded (the attempt stops at the charge
        // that doesn't fit, and spends what it charged before it)
        let small = Limits::default().with_max_fold_cost(100);
        assert!(values("'ab' * 1000", &small).is_empty());
        assert_eq!(
            values("'ab' * 1000 + (1 + 1)", &small),
            [serde_json::json!(2)]
        );
        assert_eq!(
            values("'ab' * 10", &small),
            [serde_json::json!("ab".repeat(10))]
        );
        // each folded node's full cost is counted, so a program keeps at most
        // 16 bytes per unit of folded values
        let p = compile(
            &format!("{{{}}}", vec!["'abcdefgh' * 20"; 40].join(", ")),
            &small,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let kept: u64 = folded(&p).iter().map(|f| f.bytes).sum();
        let spent: u64 = folded(&p).iter().map(|f| f.cost).sum();
        assert!(
            !folded(&p).is_empty() && spent <= 100 && kept <= 1600,
            "{spent} {kept}"
        );
    }

    #[test]
    fn a_folded_node_charges_what_its_subexpression_did() {
        let src = "'ab' * 100 + ('c' + 'd')";
        let on = compile(src, &Limits::default()).unwrap_or_else(|e| panic!("{e}"));
        let off = compile(src, &Limits::default().with_max_fold_cost(0))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(folded(&on).len(), 1, "the whole expression folds");
        let (a, ua) = on.eval_metered(&Context::new());
        let (b, ub) = off.eval_metered(&Context::new());
        assert_eq!(a.map(|v| v.to_json()).ok(), b.map(|v| v.to_json()).ok());
        assert_eq!(ua, ub);
        let f = folded(&on)[0];
        assert_eq!((f.cost, f.bytes), (ua.cost, ua.bytes));
    }

    /// A step that checks for more room than it keeps (a temporary copy, a worst case) fails
    /// when only what the evaluation ends up charging is left: folded, it would succeed there.
    #[test]
    fn room_checks_keep_their_failures() {
        // something before the step uses the budget, so it has less room than at compile time
        let ctx = Context::from_json(&serde_json::json!({"org": {"s": "abc"}}))
            .unwrap_or_else(|e| panic!("{e}"));
        let run = |src: &str, limits: &Limits| {
            let p = compile(src, limits).unwrap_or_else(|e| panic!("{src}: {e}"));
            let (r, usage) = p.eval_metered(&ctx);
            (r.map(|v| v.to_json()).map_err(|e| e.to_string()), usage)
        };
        for src in [
            "org.s.toUpperCase() == 'Sales'.equalsIgnoreCase('SALES')",
            "org.s.toUpperCase() == String.removeSpaces('a b c')",
            "org.s.toUpperCase() == 'été'.substring(1, 2)",
        ] {
            let off = Limits::default().with_max_fold_cost(0);
            let (r, used) = run(src, &off);
            assert!(r.is_ok(), "{src}");
            let exact = Limits::default()
                .with_max_total_bytes(usize::try_from(used.bytes).unwrap_or(usize::MAX));
            let (on, off) = (run(src, &exact), run(src, &exact.with_max_fold_cost(0)));
            assert!(off.0.is_err(), "{src}: {off:?}");
            assert_eq!(on, off, "{src}");
        }
    }

    /// The corpora `tests/el_fold.rs` runs folded and unfolded hold enough constant
    /// subexpressions for that comparison to mean something.
    #[test]
    fn the_corpora_fold_often() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/el");
        let (mut programs, mut folding, mut nodes) = (0, 0, 0);
        for file in ["conformance.jsonl", "decisions.jsonl", "spel_input.jsonl"] {
            let text = std::fs::read_to_string(dir.join(file)).unwrap_or_default();
            for line in text.lines() {
                let case: serde_json::Value = serde_json::from_str(line).unwrap_or_default();
                let Some(src) = case["expr"].as_str() else {
                    continue;
                };
                let Ok(p) = compile(src, &Limits::default()) else {
                    continue;
                };
                programs += 1;
                let n = folded(&p).len();
                folding += usize::from(n > 0);
                nodes += n;
            }
        }
        eprintln!("{folding} of {programs} programs fold {nodes} subexpressions");
        assert!(folding >= 300, "{folding} of {programs}");
    }
}

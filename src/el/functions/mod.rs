//! The Classic functions (`String.*`, `Arrays.*`, `Convert.*`, `Iso3166Convert.*`, `Groups.*`,
//! `Time.*`, the global group, manager and directory functions) and the value methods.
//!
//! Each is **one record** in [`DEFS`]: its name, how it is called, its arity and argument kinds
//! (checked at compile time), whether it reads the user, what it costs and its
//! implementation. Compiling resolves a call to its record once; evaluating charges the
//! record's [`Cost`] and calls the implementation through a function pointer. Adding a function
//! is one record plus its implementation, which receives a [`Call`] and destructures its
//! arguments (`let [s, sep] = c.args()?;`), so no argument is ever read by index.

pub(crate) mod arrays;
pub(crate) mod convert;
pub(crate) mod country;
pub(crate) mod directory;
pub(crate) mod groups;
pub(crate) mod joda;
pub(crate) mod methods;
pub(crate) mod strings;
pub(crate) mod time;

use std::borrow::Cow;

use super::compile::Extra;
use super::cost::{byte_units, excerpt};
use super::eval::{Env, Val};
use super::pattern::RegexArg;
use super::value::Value;
use super::{EvalErrorKind, Fail as EvalError};

/// Argument kinds, for compile-time checks of literal arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// anything
    Any,
    /// a string (a number or boolean literal is refused)
    Str,
    /// an integer
    Int,
    /// a regular expression searched for (a literal is compiled with the program)
    Pattern,
    /// a regular expression that must match a whole string (`matches`)
    WholePattern,
    /// a regular expression matched against whole group names, `/.../` delimiters removed
    GroupPattern,
    /// an expression in a string (getFilteredGroups), compiled with the program if literal
    GroupExpr,
}

impl Kind {
    /// Whether a literal argument of this kind is a regular expression compiled with the
    /// program, and how: `Some((whole, strip_slashes))`.
    pub(crate) fn pattern(self) -> Option<(bool, bool)> {
        match self {
            Kind::Pattern => Some((false, false)),
            Kind::WholePattern => Some((true, false)),
            Kind::GroupPattern => Some((true, true)),
            _ => None,
        }
    }
}

/// How a function is called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    /// `Namespace.name(args)`.
    Static(&'static str),
    /// `name(args)`.
    Global,
    /// `value.name(args)`.
    Method,
}

/// What a call is charged before its implementation runs. The implementation charges, before
/// doing it, any work beyond this that depends on the data (each element of a deep list, each
/// group, each regex search), and the bytes it produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cost {
    /// A fixed number of units.
    Fixed(u32),
    /// The units plus the size of the receiver and the arguments: one unit per
    /// [`BYTES_PER_UNIT`](super::cost::BYTES_PER_UNIT) bytes of string, one per list element
    /// or map entry (for work linear in its inputs: scans, copies, case mapping, parsing).
    Linear(u32),
    /// The units plus the size of the inputs plus one per group of the user (the
    /// implementation charges what it does per group beyond a glance).
    Groups(u32),
}

/// The implementation of a function or method. It answers a [`Val`] so that what it makes is
/// written once, in the slot the evaluation reads it from (a `Value` answered and then wrapped
/// would be copied on the way, a copy that waits for the writes just made); most
/// implementations answer a `Value` and are wrapped by [`own!`] in the table.
pub(crate) type Imp = fn(&Env<'_>, &Call<'_>) -> Result<Val<'static>, EvalError>;

/// An implementation that answers a `Value`, as an [`Imp`].
macro_rules! own {
    ($f:path) => {
        |env: &Env<'_>, c: &Call<'_>| $f(env, c).map(Val::Own)
    };
}

/// One function or method.
pub(crate) struct Def {
    /// Its name (`append`, `toUpperCase`).
    pub(crate) name: &'static str,
    /// How it is called.
    pub(crate) style: Style,
    /// Fewest arguments.
    pub(crate) min: usize,
    /// Most arguments ([`MANY`] for any number).
    pub(crate) max: usize,
    /// Argument kinds; the last one repeats.
    pub(crate) kinds: &'static [Kind],
    /// Whether it reads the user (groups, manager, assistant, directory assignments) without
    /// the expression naming `user`.
    pub(crate) reads_user: bool,
    /// Whether it reads the request's clock (`Time.now`, `withinDays`, ...).
    pub(crate) reads_clock: bool,
    /// What a call is charged before it runs.
    pub(crate) cost: Cost,
    /// The implementation.
    pub(crate) imp: Imp,
}

impl std::fmt::Debug for Def {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.display_name())
    }
}

/// Any number of arguments.
pub(crate) const MANY: usize = usize::MAX;

impl Def {
    const fn new(
        style: Style,
        name: &'static str,
        (min, max): (usize, usize),
        kinds: &'static [Kind],
        cost: Cost,
        imp: Imp,
    ) -> Def {
        Def {
            name,
            style,
            min,
            max,
            kinds,
            reads_user: false,
            reads_clock: false,
            cost,
            imp,
        }
    }

    /// Marks a function that reads the user.
    const fn user(mut self) -> Def {
        self.reads_user = true;
        self
    }

    /// Marks a function that reads the request's clock.
    const fn clock(mut self) -> Def {
        self.reads_clock = true;
        self
    }

    /// Whether a call's value and charges depend only on its receiver and arguments, never on
    /// the request (its user, groups, directories or clock): such a call with constant
    /// arguments may be evaluated at compile time.
    pub(crate) fn context_free(&self) -> bool {
        !self.reads_user && !self.reads_clock && !matches!(self.cost, Cost::Groups(_))
    }

    /// `String.append`, `toUpperCase`, `toUpperCase()`.
    pub(crate) fn display_name(&self) -> String {
        match self.style {
            Style::Static(ns) => format!("{ns}.{}", self.name),
            Style::Global => self.name.to_owned(),
            Style::Method => format!("{}()", self.name),
        }
    }

    /// The kind of argument `i`.
    pub(crate) fn kind(&self, i: usize) -> Kind {
        self.kinds
            .get(i)
            .or(self.kinds.last())
            .copied()
            .unwrap_or(Kind::Any)
    }

    /// Whether `n` arguments fit.
    pub(crate) fn takes(&self, n: usize) -> bool {
        (self.min..=self.max).contains(&n)
    }
}

const fn s(
    ns: &'static str,
    name: &'static str,
    arity: (usize, usize),
    kinds: &'static [Kind],
    cost: Cost,
    imp: Imp,
) -> Def {
    Def::new(Style::Static(ns), name, arity, kinds, cost, imp)
}

const fn g(
    name: &'static str,
    arity: (usize, usize),
    kinds: &'static [Kind],
    cost: Cost,
    imp: Imp,
) -> Def {
    Def::new(Style::Global, name, arity, kinds, cost, imp)
}

const fn m(
    name: &'static str,
    arity: (usize, usize),
    kinds: &'static [Kind],
    cost: Cost,
    imp: Imp,
) -> Def {
    Def::new(Style::Method, name, arity, kinds, cost, imp)
}

use Cost::{Fixed, Groups, Linear};

/// The fixed cost of a date-time function (chrono's arithmetic, zone lookups, formatting).
const TIME: u32 = 60;
/// The fixed cost of a country lookup (celes' tables, by code or by name).
const COUNTRY: u32 = 30;
use Kind::{Any, GroupExpr, GroupPattern, Int, Pattern, Str, WholePattern};

/// Every function and method.
#[rustfmt::skip]
pub(crate) static DEFS: &[Def] = &[
    // String.*
    s("String", "append", (2, 2), &[Str, Str], Linear(2), own!(strings::append)),
    s("String", "join", (1, MANY), &[Str, Any], Linear(2), own!(strings::join)),
    s("String", "len", (1, 1), &[Str], Linear(1), own!(strings::len)),
    s("String", "removeSpaces", (1, 1), &[Str], Linear(2), own!(strings::remove_spaces)),
    s("String", "replace", (3, 3), &[Str, Str, Str], Linear(2), own!(strings::replace)),
    s("String", "replaceFirst", (3, 3), &[Str, Str, Str], Linear(2), own!(strings::replace_first)),
    s("String", "startsWith", (2, 2), &[Str, Str], Linear(1), strings::starts_with),
    s("String", "stringContains", (2, 2), &[Str, Str], Linear(1), strings::string_contains),
    s("String", "stringSwitch", (2, MANY), &[Str, Str, Str], Linear(2), own!(strings::string_switch)),
    s("String", "substring", (3, 3), &[Str, Int, Int], Linear(2), strings::substring),
    s("String", "substringAfter", (2, 2), &[Str, Str], Linear(2), strings::substring_after),
    s("String", "substringBefore", (2, 2), &[Str, Str], Linear(2), strings::substring_before),
    s("String", "toUpperCase", (1, 1), &[Str], Linear(2), strings::to_upper),
    s("String", "toLowerCase", (1, 1), &[Str], Linear(2), strings::to_lower),
    // the deprecated global string functions
    g("toUpperCase", (1, 1), &[Str], Linear(2), strings::to_upper),
    g("toLowerCase", (1, 1), &[Str], Linear(2), strings::to_lower),
    g("toUppercase", (1, 1), &[Str], Linear(2), strings::to_upper),
    g("toLowercase", (1, 1), &[Str], Linear(2), strings::to_lower),
    g("substringBefore", (2, 2), &[Str, Str], Linear(2), strings::substring_before),
    g("substringAfter", (2, 2), &[Str, Str], Linear(2), strings::substring_after),
    g("substring", (3, 3), &[Str, Int, Int], Linear(2), strings::substring),
    // Arrays.*
    s("Arrays", "add", (2, 2), &[Any, Any], Linear(2), own!(arrays::add)),
    s("Arrays", "remove", (2, 2), &[Any, Any], Linear(2), own!(arrays::remove)),
    s("Arrays", "clear", (1, 1), &[Any], Fixed(2), own!(arrays::clear)),
    s("Arrays", "get", (2, 2), &[Any, Int], Fixed(2), own!(arrays::get)),
    s("Arrays", "flatten", (1, MANY), &[Any], Fixed(2), own!(arrays::flatten)),
    s("Arrays", "contains", (2, 2), &[Any, Any], Fixed(2), arrays::contains),
    s("Arrays", "size", (1, 1), &[Any], Fixed(1), own!(arrays::size)),
    s("Arrays", "isEmpty", (1, 1), &[Any], Fixed(1), arrays::is_empty),
    s("Arrays", "toCsvString", (1, 1), &[Any], Fixed(2), own!(arrays::to_csv)),
    // Convert.*
    s("Convert", "toInt", (1, 1), &[Any], Linear(4), own!(convert::to_int)),
    s("Convert", "toNum", (1, 1), &[Any], Linear(4), own!(convert::to_num)),
    // Iso3166Convert.*
    s("Iso3166Convert", "toAlpha2", (1, 1), &[Str], Linear(COUNTRY), own!(country::to_alpha2)),
    s("Iso3166Convert", "toAlpha3", (1, 1), &[Str], Linear(COUNTRY), own!(country::to_alpha3)),
    s("Iso3166Convert", "toNumeric", (1, 1), &[Str], Linear(COUNTRY), own!(country::to_numeric)),
    s("Iso3166Convert", "toName", (1, 1), &[Str], Linear(COUNTRY), own!(country::to_name)),
    // groups
    s("Groups", "contains", (3, 3), &[Str, Str, Int], Groups(2), own!(groups::contains)).user(),
    s("Groups", "startsWith", (3, 3), &[Str, Str, Int], Groups(2), own!(groups::starts_with)).user(),
    s("Groups", "endsWith", (3, 3), &[Str, Str, Int], Groups(2), own!(groups::ends_with)).user(),
    g("getFilteredGroups", (3, 3), &[Any, GroupExpr, Int], Linear(4), own!(groups::filtered)).user(),
    g("isMemberOfGroupName", (1, 1), &[Str], Groups(1), groups::member_name).user(),
    g("isMemberOfGroup", (1, 1), &[Str], Linear(1), own!(groups::member_ids)).user(),
    g("isMemberOfAnyGroup", (1, MANY), &[Any], Linear(1), own!(groups::member_ids)).user(),
    g("isMemberOfGroupNameStartsWith", (1, 1), &[Str], Groups(1), groups::member_prefix).user(),
    g("isMemberOfGroupNameContains", (1, 1), &[Str], Groups(1), groups::member_infix).user(),
    g("isMemberOfGroupNameRegex", (1, 1), &[GroupPattern], Groups(1), own!(groups::member_regex)).user(),
    // Time.*, DateTime.now
    s("Time", "now", (0, 2), &[Str, Str], Linear(TIME), own!(time::now)).clock(),
    s("DateTime", "now", (0, 0), &[], Fixed(2), own!(time::date_time_now)).clock(),
    s("Time", "fromWindowsToIso8601", (1, 1), &[Str], Linear(TIME), own!(time::from_windows)),
    s("Time", "fromUnixToIso8601", (1, 1), &[Str], Linear(TIME), own!(time::from_unix)),
    s("Time", "fromStringToIso8601", (2, 2), &[Str, Str], Linear(TIME), own!(time::from_string)),
    s("Time", "fromIso8601ToWindows", (1, 1), &[Str], Linear(TIME), own!(time::to_windows)),
    s("Time", "fromIso8601ToUnix", (1, 1), &[Str], Linear(TIME), own!(time::to_unix)),
    s("Time", "fromIso8601ToString", (2, 2), &[Str, Str], Linear(TIME), own!(time::to_string)),
    // managers, assistants, directories
    g("getManagerUser", (1, 1), &[Str], Fixed(2), own!(directory::manager)).user(),
    g("getManagerAppUser", (2, 2), &[Str, Str], Linear(2), own!(directory::manager_app_user)).user(),
    g("getAssistantUser", (1, 1), &[Str], Fixed(2), own!(directory::assistant)).user(),
    g("getAssistantAppUser", (2, 2), &[Str, Str], Linear(2), own!(directory::assistant_app_user)).user(),
    g("hasDirectoryUser", (0, 0), &[], Fixed(1), own!(directory::has_directory_user)).user(),
    g("hasWorkdayUser", (0, 0), &[], Fixed(1), own!(directory::has_workday_user)).user(),
    g("findDirectoryUser", (0, 0), &[], Fixed(1), own!(directory::find_directory_user)).user(),
    g("findWorkdayUser", (0, 0), &[], Fixed(1), own!(directory::find_workday_user)).user(),
    // methods of strings
    m("toUpperCase", (0, 0), &[], Linear(2), strings::m_to_upper),
    m("toLowerCase", (0, 0), &[], Linear(2), strings::m_to_lower),
    m("substring", (1, 2), &[Int, Int], Linear(2), strings::m_substring),
    m("replace", (2, 2), &[Any, Any], Linear(2), own!(strings::m_replace)),
    m("replaceFirst", (2, 2), &[Pattern, Str], Fixed(4), own!(strings::m_replace_first)),
    m("replaceAll", (2, 2), &[Pattern, Str], Fixed(4), own!(strings::m_replace_all)),
    m("length", (0, 0), &[], Linear(1), own!(strings::m_length)),
    m("removeSpaces", (0, 0), &[], Linear(2), own!(strings::m_remove_spaces)),
    m("substringBefore", (1, 1), &[Str], Linear(2), strings::m_substring_before),
    m("substringAfter", (1, 1), &[Str], Linear(2), strings::m_substring_after),
    m("versionGreaterThan", (1, 1), &[Str], Linear(2), strings::m_version_greater),
    m("versionLessThan", (1, 1), &[Str], Linear(2), strings::m_version_less),
    m("startsWith", (1, 1), &[Str], Linear(1), strings::m_starts_with),
    m("endsWith", (1, 1), &[Str], Linear(1), strings::m_ends_with),
    m("trim", (0, 0), &[], Linear(2), own!(strings::m_trim)),
    m("concat", (1, 1), &[Str], Linear(2), own!(strings::m_concat)),
    m("equalsIgnoreCase", (1, 1), &[Str], Linear(2), strings::m_equals_ignore_case),
    m("matches", (1, 1), &[WholePattern], Fixed(4), own!(strings::m_matches)),
    m("charAt", (1, 1), &[Int], Linear(1), own!(strings::m_char_at)),
    // methods of several types
    m("contains", (1, 1), &[Any], Linear(1), methods::contains),
    m("indexOf", (1, 1), &[Any], Linear(1), own!(methods::index_of)),
    m("lastIndexOf", (1, 1), &[Any], Linear(1), own!(methods::last_index_of)),
    m("equals", (1, 1), &[Any], Fixed(1), methods::equals),
    m("compareTo", (1, 1), &[Any], Linear(1), own!(methods::compare_to)),
    m("size", (0, 0), &[], Fixed(1), own!(methods::size)),
    m("isEmpty", (0, 0), &[], Fixed(1), methods::is_empty),
    m("get", (1, 1), &[Any], Fixed(2), own!(methods::get)),
    m("containsKey", (1, 1), &[Any], Fixed(2), methods::contains_key),
    m("toInteger", (0, 0), &[], Linear(4), own!(methods::to_integer)),
    m("toNumber", (0, 0), &[], Linear(4), own!(methods::to_number)),
    m("intValue", (0, 0), &[], Fixed(1), own!(methods::int_value)),
    m("doubleValue", (0, 0), &[], Fixed(1), own!(methods::double_value)),
    m("toString", (0, 1), &[Str], Fixed(TIME), own!(methods::to_string)),
    // methods of lists
    m("add", (1, 1), &[Any], Linear(2), own!(arrays::m_add)),
    m("remove", (1, 1), &[Any], Linear(2), own!(arrays::m_remove)),
    m("flatten", (0, 0), &[], Fixed(2), own!(arrays::m_flatten)),
    // methods of country codes
    m("parseCountryCode", (0, 0), &[], Linear(COUNTRY), own!(country::m_parse)),
    m("toAlpha2", (0, 0), &[], Fixed(1), own!(country::m_alpha2)),
    m("toAlpha3", (0, 0), &[], Fixed(1), own!(country::m_alpha3)),
    m("toNumeric", (0, 0), &[], Fixed(1), own!(country::m_numeric)),
    m("toName", (0, 0), &[], Fixed(2), own!(country::m_name)),
    // methods of users
    m("getGroups", (0, MANY), &[Any], Groups(2), own!(groups::m_get_groups)),
    m("isMemberOf", (1, MANY), &[Any], Groups(2), groups::m_is_member_of),
    m("getLinkedObject", (1, 1), &[Str], Linear(1), own!(directory::m_linked_object)),
    m("getInternalProperty", (1, 1), &[Str], Linear(1), own!(directory::m_internal_property)),
    // methods of date-times (and of ISO 8601 text)
    m("parseWindowsTime", (0, 0), &[], Linear(TIME), own!(time::m_parse_windows)),
    m("parseUnixTime", (0, 0), &[], Linear(TIME), own!(time::m_parse_unix)),
    m("parseStringTime", (0, 1), &[Str], Linear(TIME), own!(time::m_parse_string)),
    m("toWindows", (0, 0), &[], Linear(TIME), own!(time::m_to_windows)),
    m("toUnix", (0, 0), &[], Linear(TIME), own!(time::m_to_unix)),
    m("toZone", (1, 1), &[Str], Linear(TIME), own!(time::m_to_zone)),
    m("plusDays", (1, 1), &[Int], Linear(TIME), own!(time::m_plus_days)),
    m("plusHours", (1, 1), &[Int], Linear(TIME), own!(time::m_plus_hours)),
    m("plusMinutes", (1, 1), &[Int], Linear(TIME), own!(time::m_plus_minutes)),
    m("plusSeconds", (1, 1), &[Int], Linear(TIME), own!(time::m_plus_seconds)),
    m("minusDays", (1, 1), &[Int], Linear(TIME), own!(time::m_minus_days)),
    m("minusHours", (1, 1), &[Int], Linear(TIME), own!(time::m_minus_hours)),
    m("minusMinutes", (1, 1), &[Int], Linear(TIME), own!(time::m_minus_minutes)),
    m("minusSeconds", (1, 1), &[Int], Linear(TIME), own!(time::m_minus_seconds)),
    m("withinDays", (1, 1), &[Int], Linear(TIME), own!(time::m_within_days)).clock(),
    m("withinHours", (1, 1), &[Int], Linear(TIME), own!(time::m_within_hours)).clock(),
    m("withinMinutes", (1, 1), &[Int], Linear(TIME), own!(time::m_within_minutes)).clock(),
    m("withinSeconds", (1, 1), &[Int], Linear(TIME), own!(time::m_within_seconds)).clock(),
];

/// The namespaces of the records' static-looking calls, each once (a test checks that they
/// are exactly those of [`DEFS`]).
const NAMESPACES: [&str; 7] = [
    "String",
    "Arrays",
    "Convert",
    "Iso3166Convert",
    "Groups",
    "Time",
    "DateTime",
];

/// Whether `name` is a namespace of static-looking calls (`String`, `Arrays`, ...).
pub(crate) fn is_namespace(name: &str) -> bool {
    NAMESPACES.contains(&name)
}

/// The namespaces.
pub(crate) fn namespaces() -> impl Iterator<Item = &'static str> {
    NAMESPACES.into_iter()
}

/// The record of `ns.name(...)` (`ns` empty for a global function).
pub(crate) fn function(ns: &str, name: &str) -> Option<&'static Def> {
    DEFS.iter().find(|d| {
        d.name == name
            && match d.style {
                Style::Static(n) => n == ns,
                Style::Global => ns.is_empty(),
                Style::Method => false,
            }
    })
}

/// The record of the method `name`.
pub(crate) fn method(name: &str) -> Option<&'static Def> {
    DEFS.iter()
        .find(|d| d.style == Style::Method && d.name == name)
}

/// Levenshtein distance, for "did you mean" hints.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = Vec::with_capacity(b.len() + 1);
        cur.push(i + 1);
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(!ca.eq_ignore_ascii_case(cb));
            let best = prev
                .get(j)
                .map(|p| p + cost)
                .into_iter()
                .chain(prev.get(j + 1).map(|p| p + 1))
                .chain(cur.last().map(|c| c + 1))
                .min()
                .unwrap_or(usize::MAX);
            cur.push(best);
        }
        prev = cur;
    }
    prev.last().copied().unwrap_or(0)
}

/// The closest candidate within a small edit distance.
pub(crate) fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    // names are short: a long one has no close candidate worth the quadratic comparison
    if name.len() > 64 {
        return None;
    }
    let max = (name.chars().count() / 3).clamp(1, 3);
    candidates
        .into_iter()
        .map(|c| (edit_distance(name, c), c))
        .filter(|(d, _)| *d <= max)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// One call being evaluated: the record, the receiver (null for a function), the evaluated
/// arguments and what the compiler prepared (a regex, a group expression).
pub(crate) struct Call<'a> {
    pub(crate) def: &'static Def,
    pub(crate) recv: &'a Value,
    pub(crate) args: &'a [Val<'a>],
    pub(crate) extra: Option<&'a Extra>,
}

impl<'a> Call<'a> {
    /// The arguments, as an array of the arity the record allows (checked at compile time).
    pub(crate) fn args<const N: usize>(&self) -> Result<[&'a Value; N], EvalError> {
        let all: &'a [Val<'a>; N] = self.args.try_into().map_err(|_| self.arity())?;
        Ok(all.each_ref().map(|v| &**v))
    }

    /// The first `N` arguments and the rest.
    pub(crate) fn split<const N: usize>(
        &self,
    ) -> Result<([&'a Value; N], &'a [Val<'a>]), EvalError> {
        let (first, rest) = self
            .args
            .split_first_chunk::<N>()
            .ok_or_else(|| self.arity())?;
        Ok((first.each_ref().map(|v| &**v), rest))
    }

    fn arity(&self) -> EvalError {
        type_err(format!(
            "{} does not take {} arguments",
            self.def.display_name(),
            self.args.len()
        ))
    }

    /// The regular expression the compiler prepared.
    pub(crate) fn regex(&self) -> Result<&'a RegexArg, EvalError> {
        match self.extra {
            Some(Extra::Regex(r)) => Ok(r),
            _ => Err(type_err("missing regular expression")),
        }
    }

    /// The error for a receiver the method does not apply to.
    pub(crate) fn unsupported(&self) -> EvalError {
        type_err(format!(
            "a {} has no method {}()",
            self.recv.type_name(),
            self.def.name
        ))
    }
}

impl Env<'_> {
    /// Charges a call's [`Cost`].
    #[inline]
    pub(crate) fn charge_call(&self, c: &Call<'_>) -> Result<(), EvalError> {
        let linear = |base: u32| {
            let mut units = u64::from(base) + size_units(c.recv);
            for v in c.args {
                units += size_units(v);
            }
            units
        };
        let units = match c.def.cost {
            Cost::Fixed(u) => u64::from(u),
            Cost::Linear(u) => linear(u),
            Cost::Groups(u) => {
                linear(u) + self.ctx.user.as_ref().map_or(0, |u| u.group_count() as u64)
            }
        };
        self.charge(units)
    }
}

/// The size of a value for [`Cost::Linear`]: bytes of a string, elements of a list or map.
#[inline]
fn size_units(v: &Value) -> u64 {
    match v {
        Value::Str(s) => byte_units(s.len()),
        Value::List(l) => l.len() as u64,
        Value::Map(m) => m.len() as u64,
        _ => 0,
    }
}

pub(crate) fn type_err(msg: impl Into<String>) -> EvalError {
    EvalError::new(EvalErrorKind::Type, msg)
}

pub(crate) fn arg_err(msg: impl Into<String>) -> EvalError {
    EvalError::new(EvalErrorKind::Argument, msg)
}

/// A string argument: strings as they are; null stays `None`; numbers and booleans are
/// rendered like Java's `String.valueOf` (SpEL converts them when calling a String parameter).
pub(crate) fn opt_str<'a>(v: &'a Value, what: &str) -> Result<Option<Cow<'a, str>>, EvalError> {
    match v {
        Value::Null => Ok(None),
        Value::Str(s) => Ok(Some(Cow::Borrowed(s))),
        Value::Int(_) | Value::Long(_) | Value::Double(_) | Value::Bool(_) => {
            Ok(Some(Cow::Owned(v.to_java_string())))
        }
        _ => Err(type_err(format!(
            "{what} expects a string, not a {}",
            v.type_name()
        ))),
    }
}

/// A string argument that may not be null.
pub(crate) fn req_str<'a>(v: &'a Value, what: &str) -> Result<Cow<'a, str>, EvalError> {
    opt_str(v, what)?.ok_or_else(|| {
        EvalError::new(
            EvalErrorKind::NullValue,
            format!("{what} expects a string, not null"),
        )
    })
}

/// An integer argument (Int, or Long/Double without loss).
pub(crate) fn req_int(v: &Value, what: &str) -> Result<i64, EvalError> {
    match v {
        Value::Int(i) => Ok(i64::from(*i)),
        Value::Long(i) => Ok(*i),
        // integral and below 2^53 in magnitude: the conversion is exact
        #[allow(clippy::cast_possible_truncation)]
        Value::Double(d) if d.fract() == 0.0 && d.abs() < 9e15 => Ok(*d as i64),
        Value::Null => Err(EvalError::new(
            EvalErrorKind::NullValue,
            format!("{what} expects an integer, not null"),
        )),
        _ => Err(type_err(format!(
            "{what} expects an integer, not a {}",
            v.type_name()
        ))),
    }
}

/// A string for an error message (see [`excerpt`]).
pub(crate) fn quoted(s: &str) -> Cow<'_, str> {
    excerpt(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_record_is_unique_and_consistent() {
        for (i, d) in DEFS.iter().enumerate() {
            assert!(d.min <= d.max, "{d:?}");
            assert!(
                d.max == MANY || d.kinds.len() <= d.max.max(1),
                "{d:?}: more kinds than arguments"
            );
            let dup = DEFS
                .iter()
                .skip(i + 1)
                .any(|e| e.name == d.name && e.style == d.style);
            assert!(!dup, "{d:?} is defined twice");
        }
        let mut from_records: Vec<&str> = Vec::new();
        for d in DEFS {
            if let Style::Static(ns) = d.style
                && !from_records.contains(&ns)
            {
                from_records.push(ns);
            }
        }
        assert_eq!(from_records, NAMESPACES);
        assert_eq!(
            did_you_mean("toUpperCse", DEFS.iter().map(|d| d.name)),
            Some("toUpperCase")
        );
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}

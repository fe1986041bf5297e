//! The Classic functions (`String.*`, `Arrays.*`, `Convert.*`, `Iso3166Convert.*`, `Groups.*`,
//! `Time.*`, the global group, manager and directory functions) and the value methods.
//!
//! Names are resolved once, at compile time, to [`Func`] and [`Method`]; evaluation dispatches
//! on those enums.

pub(crate) mod arrays;
pub(crate) mod convert;
pub(crate) mod country;
pub(crate) mod directory;
pub(crate) mod groups;
pub(crate) mod strings;
pub mod time;

use std::borrow::Cow;

use super::value::Value;
use super::{EvalError, EvalErrorKind};

/// Argument kinds, for compile-time checks of literal arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// anything
    Any,
    /// a string (a number or boolean literal is refused)
    Str,
    /// an integer
    Int,
    /// a regular expression (string literal compiled at compile time)
    Regex,
    /// an expression in a string (getFilteredGroups), compiled at compile time if literal
    GroupExpr,
}

macro_rules! funcs {
    ($( $variant:ident = ($ns:literal, $name:literal, $min:expr, $max:expr, [$($k:ident),*]) ),* $(,)?) => {
        /// A static or global Classic function.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[allow(missing_docs)]
        pub enum Func { $($variant),* }

        /// (namespace, name, min args, max args, argument kinds; the last kind repeats)
        pub(crate) const FUNCS: &[(&str, &str, usize, usize, &[Kind], Func)] = &[
            $(($ns, $name, $min, $max, &[$(Kind::$k),*], Func::$variant)),*
        ];
    };
}

const MANY: usize = usize::MAX;

funcs! {
    StrAppend = ("String", "append", 2, 2, [Str, Str]),
    StrJoin = ("String", "join", 1, MANY, [Str, Any]),
    StrLen = ("String", "len", 1, 1, [Str]),
    StrRemoveSpaces = ("String", "removeSpaces", 1, 1, [Str]),
    StrReplace = ("String", "replace", 3, 3, [Str, Str, Str]),
    StrReplaceFirst = ("String", "replaceFirst", 3, 3, [Str, Str, Str]),
    StrStartsWith = ("String", "startsWith", 2, 2, [Str, Str]),
    StrContains = ("String", "stringContains", 2, 2, [Str, Str]),
    StrSwitch = ("String", "stringSwitch", 2, MANY, [Str, Str, Str]),
    StrSubstring = ("String", "substring", 3, 3, [Str, Int, Int]),
    StrSubstringAfter = ("String", "substringAfter", 2, 2, [Str, Str]),
    StrSubstringBefore = ("String", "substringBefore", 2, 2, [Str, Str]),
    StrToUpper = ("String", "toUpperCase", 1, 1, [Str]),
    StrToLower = ("String", "toLowerCase", 1, 1, [Str]),
    GToUpper = ("", "toUpperCase", 1, 1, [Str]),
    GToLower = ("", "toLowerCase", 1, 1, [Str]),
    GToUpperLegacy = ("", "toUppercase", 1, 1, [Str]),
    GToLowerLegacy = ("", "toLowercase", 1, 1, [Str]),
    GSubstringBefore = ("", "substringBefore", 2, 2, [Str, Str]),
    GSubstringAfter = ("", "substringAfter", 2, 2, [Str, Str]),
    GSubstring = ("", "substring", 3, 3, [Str, Int, Int]),
    ArrAdd = ("Arrays", "add", 2, 2, [Any, Any]),
    ArrRemove = ("Arrays", "remove", 2, 2, [Any, Any]),
    ArrClear = ("Arrays", "clear", 1, 1, [Any]),
    ArrGet = ("Arrays", "get", 2, 2, [Any, Int]),
    ArrFlatten = ("Arrays", "flatten", 1, MANY, [Any]),
    ArrContains = ("Arrays", "contains", 2, 2, [Any, Any]),
    ArrSize = ("Arrays", "size", 1, 1, [Any]),
    ArrIsEmpty = ("Arrays", "isEmpty", 1, 1, [Any]),
    ArrToCsv = ("Arrays", "toCsvString", 1, 1, [Any]),
    ConvToInt = ("Convert", "toInt", 1, 1, [Any]),
    ConvToNum = ("Convert", "toNum", 1, 1, [Any]),
    IsoToAlpha2 = ("Iso3166Convert", "toAlpha2", 1, 1, [Str]),
    IsoToAlpha3 = ("Iso3166Convert", "toAlpha3", 1, 1, [Str]),
    IsoToNumeric = ("Iso3166Convert", "toNumeric", 1, 1, [Str]),
    IsoToName = ("Iso3166Convert", "toName", 1, 1, [Str]),
    GroupsContains = ("Groups", "contains", 3, 3, [Str, Str, Int]),
    GroupsStartsWith = ("Groups", "startsWith", 3, 3, [Str, Str, Int]),
    GroupsEndsWith = ("Groups", "endsWith", 3, 3, [Str, Str, Int]),
    GetFilteredGroups = ("", "getFilteredGroups", 3, 3, [Any, GroupExpr, Int]),
    IsMemberOfGroupName = ("", "isMemberOfGroupName", 1, 1, [Str]),
    IsMemberOfGroup = ("", "isMemberOfGroup", 1, 1, [Str]),
    IsMemberOfAnyGroup = ("", "isMemberOfAnyGroup", 1, MANY, [Any]),
    IsMemberOfGroupNameStartsWith = ("", "isMemberOfGroupNameStartsWith", 1, 1, [Str]),
    IsMemberOfGroupNameContains = ("", "isMemberOfGroupNameContains", 1, 1, [Str]),
    IsMemberOfGroupNameRegex = ("", "isMemberOfGroupNameRegex", 1, 1, [Regex]),
    TimeNow = ("Time", "now", 0, 2, [Str, Str]),
    DateTimeNow = ("DateTime", "now", 0, 0, []),
    TimeFromWindows = ("Time", "fromWindowsToIso8601", 1, 1, [Str]),
    TimeFromUnix = ("Time", "fromUnixToIso8601", 1, 1, [Str]),
    TimeFromString = ("Time", "fromStringToIso8601", 2, 2, [Str, Str]),
    TimeToWindows = ("Time", "fromIso8601ToWindows", 1, 1, [Str]),
    TimeToUnix = ("Time", "fromIso8601ToUnix", 1, 1, [Str]),
    TimeToString = ("Time", "fromIso8601ToString", 2, 2, [Str, Str]),
    GetManagerUser = ("", "getManagerUser", 1, 1, [Str]),
    GetManagerAppUser = ("", "getManagerAppUser", 2, 2, [Str, Str]),
    GetAssistantUser = ("", "getAssistantUser", 1, 1, [Str]),
    GetAssistantAppUser = ("", "getAssistantAppUser", 2, 2, [Str, Str]),
    HasDirectoryUser = ("", "hasDirectoryUser", 0, 0, []),
    HasWorkdayUser = ("", "hasWorkdayUser", 0, 0, []),
    FindDirectoryUser = ("", "findDirectoryUser", 0, 0, []),
    FindWorkdayUser = ("", "findWorkdayUser", 0, 0, []),
}

/// The namespaces of static-looking Classic calls.
pub(crate) const NAMESPACES: &[&str] = &[
    "String",
    "Arrays",
    "Convert",
    "Iso3166Convert",
    "Groups",
    "Time",
    "DateTime",
];

macro_rules! methods {
    ($( $variant:ident = ($name:literal, $min:expr, $max:expr, [$($k:ident),*]) ),* $(,)?) => {
        /// A method called on a value (`'abc'.toUpperCase()`, `user.getGroups(...)`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[allow(missing_docs)]
        pub enum Method { $($variant),* }

        /// (name, min args, max args, argument kinds)
        pub(crate) const METHODS: &[(&str, usize, usize, &[Kind], Method)] = &[
            $(($name, $min, $max, &[$(Kind::$k),*], Method::$variant)),*
        ];
    };
}

methods! {
    ToUpperCase = ("toUpperCase", 0, 0, []),
    ToLowerCase = ("toLowerCase", 0, 0, []),
    Substring = ("substring", 1, 2, [Int, Int]),
    Replace = ("replace", 2, 2, [Any, Any]),
    ReplaceFirst = ("replaceFirst", 2, 2, [Regex, Str]),
    ReplaceAll = ("replaceAll", 2, 2, [Regex, Str]),
    Length = ("length", 0, 0, []),
    RemoveSpaces = ("removeSpaces", 0, 0, []),
    Contains = ("contains", 1, 1, [Any]),
    SubstringBefore = ("substringBefore", 1, 1, [Str]),
    SubstringAfter = ("substringAfter", 1, 1, [Str]),
    VersionGreaterThan = ("versionGreaterThan", 1, 1, [Str]),
    VersionLessThan = ("versionLessThan", 1, 1, [Str]),
    StartsWith = ("startsWith", 1, 1, [Str]),
    EndsWith = ("endsWith", 1, 1, [Str]),
    IndexOf = ("indexOf", 1, 1, [Any]),
    LastIndexOf = ("lastIndexOf", 1, 1, [Any]),
    Trim = ("trim", 0, 0, []),
    Concat = ("concat", 1, 1, [Str]),
    Equals = ("equals", 1, 1, [Any]),
    EqualsIgnoreCase = ("equalsIgnoreCase", 1, 1, [Str]),
    Matches = ("matches", 1, 1, [Regex]),
    CharAt = ("charAt", 1, 1, [Int]),
    CompareTo = ("compareTo", 1, 1, [Any]),
    Size = ("size", 0, 0, []),
    IsEmpty = ("isEmpty", 0, 0, []),
    Add = ("add", 1, 1, [Any]),
    Remove = ("remove", 1, 1, [Any]),
    Flatten = ("flatten", 0, 0, []),
    Get = ("get", 1, 1, [Any]),
    ContainsKey = ("containsKey", 1, 1, [Any]),
    ToInteger = ("toInteger", 0, 0, []),
    ToNumber = ("toNumber", 0, 0, []),
    IntValue = ("intValue", 0, 0, []),
    DoubleValue = ("doubleValue", 0, 0, []),
    ParseCountryCode = ("parseCountryCode", 0, 0, []),
    ToAlpha2 = ("toAlpha2", 0, 0, []),
    ToAlpha3 = ("toAlpha3", 0, 0, []),
    ToNumeric = ("toNumeric", 0, 0, []),
    ToName = ("toName", 0, 0, []),
    GetGroups = ("getGroups", 0, MANY, [Any]),
    IsMemberOf = ("isMemberOf", 1, MANY, [Any]),
    GetLinkedObject = ("getLinkedObject", 1, 1, [Str]),
    GetInternalProperty = ("getInternalProperty", 1, 1, [Str]),
    ParseWindowsTime = ("parseWindowsTime", 0, 0, []),
    ParseUnixTime = ("parseUnixTime", 0, 0, []),
    ParseStringTime = ("parseStringTime", 0, 1, [Str]),
    ToWindows = ("toWindows", 0, 0, []),
    ToUnix = ("toUnix", 0, 0, []),
    ToStringM = ("toString", 0, 1, [Str]),
    ToZone = ("toZone", 1, 1, [Str]),
    PlusDays = ("plusDays", 1, 1, [Int]),
    PlusHours = ("plusHours", 1, 1, [Int]),
    PlusMinutes = ("plusMinutes", 1, 1, [Int]),
    PlusSeconds = ("plusSeconds", 1, 1, [Int]),
    MinusDays = ("minusDays", 1, 1, [Int]),
    MinusHours = ("minusHours", 1, 1, [Int]),
    MinusMinutes = ("minusMinutes", 1, 1, [Int]),
    MinusSeconds = ("minusSeconds", 1, 1, [Int]),
    WithinDays = ("withinDays", 1, 1, [Int]),
    WithinHours = ("withinHours", 1, 1, [Int]),
    WithinMinutes = ("withinMinutes", 1, 1, [Int]),
    WithinSeconds = ("withinSeconds", 1, 1, [Int]),
}

/// Levenshtein distance, for "did you mean" hints.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(!ca.eq_ignore_ascii_case(cb));
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The closest candidate within a small edit distance.
pub(crate) fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let max = (name.chars().count() / 3).clamp(1, 3);
    candidates
        .into_iter()
        .map(|c| (edit_distance(name, c), c))
        .filter(|(d, _)| *d <= max)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
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

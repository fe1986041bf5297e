//! `Iso3166Convert.*` and country-code methods, backed by the `celes` ISO 3166-1 table.

use std::str::FromStr;

use celes::Country;

use super::{Method, opt_str, type_err};
use crate::el::value::Value;
use crate::el::{EvalError, EvalErrorKind};

/// Which field of a country to return.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Field {
    Alpha2,
    Alpha3,
    Numeric,
    Name,
}

/// A country from an alpha-2, alpha-3 or numeric code (case-insensitive).
fn from_code(s: &str) -> Option<Country> {
    let t = s.trim();
    if t.is_empty() {
        return None;
    }
    if t.chars().all(|c| c.is_ascii_digit()) {
        return Country::from_value(t.parse().ok()?).ok();
    }
    match t.len() {
        2 => Country::from_alpha2(t.to_ascii_uppercase()).ok(),
        3 => Country::from_alpha3(t.to_ascii_uppercase()).ok(),
        _ => None,
    }
}

/// A country from a code or an English name (`parseCountryCode`).
fn from_code_or_name(s: &str) -> Option<Country> {
    from_code(s).or_else(|| {
        let key: String = s.trim().chars().filter(|c| !c.is_whitespace()).collect();
        Country::from_str(&key.to_lowercase())
            .ok()
            .or_else(|| Country::from_alias(&key).ok())
    })
}

/// The common English short name. The table's official long names are tidied
/// ("The United States Of America" → "United States of America"), and a few long official
/// names are replaced by the short names Okta's examples print ("United States").
pub(crate) fn name(c: &Country) -> String {
    match c.alpha2 {
        "US" => return "United States".into(),
        "GB" => return "United Kingdom".into(),
        "RU" => return "Russia".into(),
        "KR" => return "South Korea".into(),
        "KP" => return "North Korea".into(),
        _ => {}
    }
    let n = c.long_name.strip_prefix("The ").unwrap_or(c.long_name);
    n.split(' ')
        .enumerate()
        .map(|(i, w)| match w {
            "Of" | "And" | "The" | "Da" | "De" if i > 0 => w.to_lowercase(),
            _ => w.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn field(c: &Country, f: Field) -> Value {
    match f {
        Field::Alpha2 => Value::from(c.alpha2),
        Field::Alpha3 => Value::from(c.alpha3),
        Field::Numeric => Value::from(c.code),
        Field::Name => Value::from(name(c)),
    }
}

/// `Iso3166Convert.toX(code)`: the input may be alpha-2, alpha-3 or numeric. An unknown code
/// (undocumented) gives null, and so does a null input.
pub(crate) fn convert(v: &Value, f: Field) -> Result<Value, EvalError> {
    let Some(s) = opt_str(v, "Iso3166Convert")? else {
        return Ok(Value::Null);
    };
    Ok(from_code(&s).map_or(Value::Null, |c| field(&c, f)))
}

/// `parseCountryCode()` on strings, `toAlpha2()`... on country codes.
pub(crate) fn method(m: Method, recv: &Value) -> Result<Value, EvalError> {
    match (m, recv) {
        (Method::ParseCountryCode, Value::Str(s)) => from_code_or_name(s)
            .map(|c| Value::Country(std::sync::Arc::new(c)))
            .ok_or_else(|| {
                EvalError::new(
                    EvalErrorKind::Argument,
                    format!("'{s}' is not an ISO 3166 country code or name"),
                )
            }),
        (Method::ToAlpha2, Value::Country(c)) => Ok(field(c, Field::Alpha2)),
        (Method::ToAlpha3, Value::Country(c)) => Ok(field(c, Field::Alpha3)),
        (Method::ToNumeric, Value::Country(c)) => Ok(field(c, Field::Numeric)),
        (Method::ToName, Value::Country(c)) => Ok(field(c, Field::Name)),
        _ => Err(type_err(format!(
            "a {} has no such country method",
            recv.type_name()
        ))),
    }
}

//! `Iso3166Convert.*` and country-code methods, backed by the `celes` ISO 3166-1 table.

use std::str::FromStr;

use celes::Country;

use super::{Call, opt_str};
use crate::el::cost::excerpt;
use crate::el::eval::Env;
use crate::el::value::{Value, country_name};
use crate::el::{EvalErrorKind, Fail as EvalError};

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
    // the longest country name is well under 100 bytes
    if s.len() > 200 {
        return None;
    }
    from_code(s).or_else(|| {
        let key: String = s.trim().chars().filter(|c| !c.is_whitespace()).collect();
        Country::from_str(&key.to_lowercase())
            .ok()
            .or_else(|| Country::from_alias(&key).ok())
    })
}

fn field(c: &Country, f: Field) -> Value {
    match f {
        Field::Alpha2 => Value::from(c.alpha2),
        Field::Alpha3 => Value::from(c.alpha3),
        Field::Numeric => Value::from(c.code),
        Field::Name => Value::from(country_name(c)),
    }
}

/// `Iso3166Convert.toX(code)`: the input may be alpha-2, alpha-3 or numeric. An unknown code
/// (undocumented) gives null, and so does a null input.
fn convert(c: &Call<'_>, f: Field) -> Result<Value, EvalError> {
    let [v] = c.args()?;
    let Some(s) = opt_str(v, "Iso3166Convert")? else {
        return Ok(Value::Null);
    };
    Ok(from_code(&s).map_or(Value::Null, |c| field(&c, f)))
}

/// `Iso3166Convert.toAlpha2(code)`.
pub(crate) fn to_alpha2(_: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    convert(c, Field::Alpha2)
}

/// `Iso3166Convert.toAlpha3(code)`.
pub(crate) fn to_alpha3(_: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    convert(c, Field::Alpha3)
}

/// `Iso3166Convert.toNumeric(code)`.
pub(crate) fn to_numeric(_: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    convert(c, Field::Numeric)
}

/// `Iso3166Convert.toName(code)`.
pub(crate) fn to_name(_: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    convert(c, Field::Name)
}

/// `s.parseCountryCode()`: a country from a code or an English name.
pub(crate) fn m_parse(_: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    let Value::Str(s) = c.recv else {
        return Err(c.unsupported());
    };
    from_code_or_name(s)
        .map(|c| Value::Country(crate::el::value::Country::new(c)))
        .ok_or_else(|| {
            EvalError::new(
                EvalErrorKind::Argument,
                format!("'{}' is not an ISO 3166 country code or name", excerpt(s)),
            )
        })
}

fn country_field(c: &Call<'_>, f: Field) -> Result<Value, EvalError> {
    match c.recv {
        Value::Country(country) => Ok(field(country.get(), f)),
        _ => Err(c.unsupported()),
    }
}

/// `country.toAlpha2()`.
pub(crate) fn m_alpha2(_: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    country_field(c, Field::Alpha2)
}

/// `country.toAlpha3()`.
pub(crate) fn m_alpha3(_: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    country_field(c, Field::Alpha3)
}

/// `country.toNumeric()`.
pub(crate) fn m_numeric(_: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    country_field(c, Field::Numeric)
}

/// `country.toName()`.
pub(crate) fn m_name(_: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    country_field(c, Field::Name)
}

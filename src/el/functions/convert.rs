//! `Convert.*` and the number conversions `toInteger()` / `toNumber()`.

use crate::el::cost::excerpt;
use crate::el::eval::Env;
use crate::el::value::Value;
use crate::el::{EvalErrorKind, Fail as EvalError};

use super::{Call, type_err};

/// Java's `Math.round`: half up (toward positive infinity), saturating to the long range.
pub(crate) fn round_half_up(x: f64) -> i64 {
    if x.is_nan() {
        return 0;
    }
    let f = x.floor();
    let r = if x - f >= 0.5 { f + 1.0 } else { f };
    // `as` saturates, like Java's narrowing of a double to a long: the documented result
    #[allow(clippy::cast_possible_truncation)]
    let rounded = r as i64;
    rounded
}

fn parse_number(s: &str) -> Result<f64, EvalError> {
    let t = s.trim();
    let ok = !t.is_empty()
        && t.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'));
    t.parse::<f64>().ok().filter(|_| ok).ok_or_else(|| {
        EvalError::new(
            EvalErrorKind::NumberFormat,
            format!("'{}' is not a number", excerpt(s)),
        )
    })
}

/// `Convert.toInt` / `toInteger()`: Java `(int) Math.round(x)` — round half up, then keep the
/// low 32 bits (so `2147483647.7` gives `-2147483648`, as Okta documents). Integral strings
/// are read exactly. Null stays null (undocumented; a missing attribute then omits the claim).
// Keeping the low 32 bits (`as i32`) is Java's narrowing, the documented result.
#[allow(clippy::cast_possible_truncation)]
pub(crate) fn int_of(v: &Value) -> Result<Value, EvalError> {
    Ok(match v {
        Value::Null => Value::Null,
        Value::Int(i) => Value::Int(*i),
        Value::Long(i) => Value::Int(*i as i32),
        Value::Double(d) => Value::Int(round_half_up(*d) as i32),
        Value::Str(s) => match s.trim().parse::<i64>() {
            Ok(i) => Value::Int(i as i32),
            Err(_) => Value::Int(round_half_up(parse_number(s)?) as i32),
        },
        other => {
            return Err(type_err(format!(
                "cannot convert a {} to an integer",
                other.type_name()
            )));
        }
    })
}

/// `Convert.toNum` / `toNumber()`: a double. Null stays null.
pub(crate) fn num_of(v: &Value) -> Result<Value, EvalError> {
    Ok(match v {
        Value::Null => Value::Null,
        Value::Int(i) => Value::Double(f64::from(*i)),
        Value::Long(i) => Value::Double(*i as f64),
        Value::Double(d) => Value::Double(*d),
        Value::Str(s) => Value::Double(parse_number(s)?),
        other => {
            return Err(type_err(format!(
                "cannot convert a {} to a number",
                other.type_name()
            )));
        }
    })
}

/// `Convert.toInt(v)`.
pub(crate) fn to_int(_: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    let [v] = c.args()?;
    int_of(v)
}

/// `Convert.toNum(v)`.
pub(crate) fn to_num(_: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    let [v] = c.args()?;
    num_of(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding() {
        assert_eq!(round_half_up(123.4), 123);
        assert_eq!(round_half_up(123.6), 124);
        assert_eq!(round_half_up(-1.6), -2);
        assert_eq!(round_half_up(-1.5), -1);
        assert_eq!(round_half_up(2.5), 3);
        assert_eq!(round_half_up(0.499_999_999_999_999_94), 0);
    }
}

//! `Time.*`, `DateTime.now()` and date-time methods (the patterns are in [`super::joda`], the
//! values in [`crate::el::datetime`]).
//!
//! All of them read the clock from the context's `now`; without it they fail (no hidden clock).
//!
//! Decisions on undocumented or conflicting points:
//! * `Time.now()` returns a string (Classic). The date-time methods (`plusDays`, `toZone`,
//!   ...) also accept an ISO 8601 string receiver, so the Identity Engine spelling
//!   `Time.now().minusDays(3)` works too. `DateTime.now()` returns a date-time value.
//! * Zone ids: see [`crate::el::datetime::zone`].
//! * `fromUnixToIso8601` takes seconds (Okta's draft examples); `parseUnixTime()` and
//!   `toUnix()` use milliseconds (Identity Engine examples). `fromIso8601ToUnix` gives seconds.
//! * Parsed text without an offset is UTC; `fromIso8601ToString` formats in UTC.
//! * `withinDays(n)` etc.: `|now − t| ≤ n` units, in either direction.
//!
//! Date arithmetic is checked everywhere: a date outside chrono's range (about ±262,000
//! years) is an error, never a panic.

use chrono::{DateTime, Duration, TimeZone, Utc};

use super::{Call, joda, opt_str, req_int, req_str, type_err};
use crate::el::cost::{TOKEN_UNITS, excerpt};
use crate::el::datetime::{Zdt, ZoneKind, parse_iso, time_err, zone};
use crate::el::eval::Env;
use crate::el::value::Value;
use crate::el::{EvalErrorKind, Fail as EvalError};

fn now_zdt(env: &Env<'_>) -> Result<Zdt, EvalError> {
    env.ctx.now.ok_or_else(|| {
        EvalError::new(
            EvalErrorKind::Context,
            "the context has no 'now'; time functions need the request time",
        )
    })
}

/// Charges the pieces of a Joda pattern.
fn charge_pattern(env: &Env<'_>, pattern: &str) -> Result<(), EvalError> {
    env.charge((joda::check(pattern)? as u64).saturating_mul(TOKEN_UNITS))
}

/// A date-time formatted with a Joda pattern, into a bounded string.
fn format(env: &Env<'_>, t: &Zdt, pattern: &str) -> Result<Value, EvalError> {
    charge_pattern(env, pattern)?;
    let mut out = env.bounded();
    let r = joda::format(t, pattern, &mut out)?;
    env.finish(out, r)
}

/// An ISO 8601 string value.
fn iso(env: &Env<'_>, t: &Zdt) -> Result<Value, EvalError> {
    env.new_str(&t.to_iso_string())
}

/// `Time.now()`, `Time.now(zone)`, `Time.now(zone, pattern)`.
pub(crate) fn now(env: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    let mut t = now_zdt(env)?;
    let (z, pattern) = match c.args {
        [] => (None, None),
        [z] => (Some(z), None),
        [z, p] => (Some(z), Some(p)),
        _ => return Err(c.unsupported()),
    };
    if let Some(z) = z
        && let Some(z) = opt_str(z, "Time.now")?
    {
        t = t.with_zone(zone(&z)?)?;
    }
    match pattern {
        Some(p) => format(env, &t, &req_str(p, "Time.now")?),
        None => iso(env, &t),
    }
}

/// `DateTime.now()`: a date-time value.
pub(crate) fn date_time_now(env: &Env<'_>, _: &Call<'_>) -> Result<Value, EvalError> {
    now_zdt(env).map(Value::DateTime)
}

const WINDOWS_EPOCH_OFFSET_SECS: i64 = 11_644_473_600;

fn from_windows_ticks(s: &str) -> Result<Zdt, EvalError> {
    let bad = |what: &str| time_err(format!("'{}' is {what}", excerpt(s)));
    let ticks: i64 = s
        .trim()
        .parse()
        .map_err(|_| bad("not a Windows timestamp"))?;
    let secs = ticks
        .div_euclid(10_000_000)
        .checked_sub(WINDOWS_EPOCH_OFFSET_SECS)
        .ok_or_else(|| bad("out of range as a Windows timestamp"))?;
    let nanos = u32::try_from(ticks.rem_euclid(10_000_000) * 100).unwrap_or(0);
    DateTime::from_timestamp(secs, nanos)
        .map(Zdt::utc)
        .ok_or_else(|| bad("out of range as a Windows timestamp"))
}

/// 100-ns ticks since 1601-01-01 (i128: the whole chrono range fits, no overflow).
fn to_windows_ticks(t: &Zdt) -> i128 {
    let u = t.instant();
    (i128::from(u.timestamp()) + i128::from(WINDOWS_EPOCH_OFFSET_SECS)) * 10_000_000
        + i128::from(u.timestamp_subsec_nanos() / 100)
}

fn from_unix_text(s: &str, millis: bool) -> Result<Zdt, EvalError> {
    let n: i64 = s
        .trim()
        .parse()
        .map_err(|_| time_err(format!("'{}' is not a Unix timestamp", excerpt(s))))?;
    let t = if millis {
        DateTime::from_timestamp_millis(n)
    } else {
        DateTime::from_timestamp(n, 0)
    };
    t.map(Zdt::utc).ok_or_else(|| {
        time_err(format!(
            "the Unix timestamp '{}' is out of range",
            excerpt(s)
        ))
    })
}

/// The one string argument of a `Time.*` function, null giving null.
fn null_or(
    c: &Call<'_>,
    f: impl FnOnce(&str) -> Result<Value, EvalError>,
) -> Result<Value, EvalError> {
    let [v] = c.args()?;
    match opt_str(v, "a time function")? {
        None => Ok(Value::Null),
        Some(s) => f(&s),
    }
}

/// `Time.fromWindowsToIso8601(ticks)`.
pub(crate) fn from_windows(env: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    null_or(c, |s| iso(env, &from_windows_ticks(s)?))
}

/// `Time.fromUnixToIso8601(seconds)`.
pub(crate) fn from_unix(env: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    null_or(c, |s| iso(env, &from_unix_text(s, false)?))
}

/// `Time.fromStringToIso8601(text, pattern)`.
pub(crate) fn from_string(env: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    let [v, pattern] = c.args()?;
    let pattern = req_str(pattern, "Time.fromStringToIso8601")?;
    match opt_str(v, "a time function")? {
        None => Ok(Value::Null),
        Some(s) => {
            charge_pattern(env, &pattern)?;
            iso(env, &joda::parse(&s, &pattern)?)
        }
    }
}

/// `Time.fromIso8601ToWindows(text)`.
pub(crate) fn to_windows(env: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    null_or(c, |s| {
        env.new_str(&to_windows_ticks(&parse_iso(s)?).to_string())
    })
}

/// `Time.fromIso8601ToUnix(text)`: seconds.
pub(crate) fn to_unix(env: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    null_or(c, |s| {
        env.new_str(&parse_iso(s)?.instant().timestamp().to_string())
    })
}

/// `Time.fromIso8601ToString(text, pattern)`: formatted in UTC.
pub(crate) fn to_string(env: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    let [v, pattern] = c.args()?;
    let pattern = req_str(pattern, "Time.fromIso8601ToString")?;
    match opt_str(v, "a time function")? {
        None => Ok(Value::Null),
        Some(s) => format(env, &parse_iso(&s)?, &pattern),
    }
}

/// A date-time receiver: a date-time value, or ISO 8601 text.
fn as_zdt(v: &Value) -> Result<Zdt, EvalError> {
    match v {
        Value::DateTime(z) => Ok(*z),
        Value::Str(s) => parse_iso(s),
        other => Err(type_err(format!(
            "a {} is not a date-time",
            other.type_name()
        ))),
    }
}

/// The text receiver of a `parse...Time()` method.
fn text<'a>(c: &Call<'a>) -> Result<&'a str, EvalError> {
    c.recv
        .as_str()
        .ok_or_else(|| type_err(format!("a {} is not a string", c.recv.type_name())))
}

/// `t.toString(pattern)`: a date-time (or ISO 8601 text) formatted with a Joda pattern.
pub(crate) fn format_recv(
    env: &Env<'_>,
    c: &Call<'_>,
    pattern: &Value,
) -> Result<Value, EvalError> {
    let t = as_zdt(c.recv)?;
    format(env, &t, &req_str(pattern, "toString")?)
}

/// `s.parseWindowsTime()`.
pub(crate) fn m_parse_windows(_: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    Ok(Value::DateTime(from_windows_ticks(text(c)?)?))
}

/// `s.parseUnixTime()`: milliseconds.
pub(crate) fn m_parse_unix(_: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    Ok(Value::DateTime(from_unix_text(text(c)?, true)?))
}

/// `s.parseStringTime()` (ISO 8601), `s.parseStringTime(pattern)` (Joda).
pub(crate) fn m_parse_string(env: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    let s = text(c)?;
    Ok(Value::DateTime(match c.args {
        [] => parse_iso(s)?,
        [p] => {
            let p = req_str(p, "parseStringTime")?;
            charge_pattern(env, &p)?;
            joda::parse(s, &p)?
        }
        _ => return Err(c.unsupported()),
    }))
}

/// `t.toWindows()`: 100-ns ticks since 1601.
pub(crate) fn m_to_windows(env: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    env.new_str(&to_windows_ticks(&as_zdt(c.recv)?).to_string())
}

/// `t.toUnix()`: milliseconds.
pub(crate) fn m_to_unix(env: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    env.new_str(&as_zdt(c.recv)?.instant().timestamp_millis().to_string())
}

/// `t.toZone(zone)`.
pub(crate) fn m_to_zone(_: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    let [z] = c.args()?;
    Ok(Value::DateTime(
        as_zdt(c.recv)?.with_zone(zone(&req_str(z, "toZone")?)?)?,
    ))
}

/// A unit of date arithmetic.
#[derive(Clone, Copy)]
enum Unit {
    Days,
    Hours,
    Minutes,
    Seconds,
}

/// `t` moved by `n` units: days are calendar days in the zone (Java `plusDays` on a
/// `ZonedDateTime`), the others fixed durations.
fn plus(t: Zdt, unit: Unit, n: i64) -> Result<Zdt, EvalError> {
    let overflow = || time_err("the date-time is out of range");
    let utc = match unit {
        Unit::Days => {
            let (local, _) = t.local_and_offset();
            let moved = local
                .checked_add_signed(Duration::try_days(n).ok_or_else(overflow)?)
                .ok_or_else(overflow)?;
            match t.kind() {
                ZoneKind::Utc => moved.and_utc(),
                ZoneKind::Region(tz) => tz
                    .from_local_datetime(&moved)
                    .earliest()
                    .ok_or_else(overflow)?
                    .with_timezone(&Utc),
                ZoneKind::Fixed(o) => o
                    .from_local_datetime(&moved)
                    .earliest()
                    .ok_or_else(overflow)?
                    .with_timezone(&Utc),
            }
        }
        _ => {
            let d = match unit {
                Unit::Hours => Duration::try_hours(n),
                Unit::Minutes => Duration::try_minutes(n),
                _ => Duration::try_seconds(n),
            }
            .ok_or_else(overflow)?;
            t.instant().checked_add_signed(d).ok_or_else(overflow)?
        }
    };
    Zdt::in_zone(utc, t.kind())
}

fn shift(c: &Call<'_>, unit: Unit, sign: i64) -> Result<Value, EvalError> {
    let [n] = c.args()?;
    let n = req_int(n, "the amount")?
        .checked_mul(sign)
        .ok_or_else(|| time_err("the date-time is out of range"))?;
    Ok(Value::DateTime(plus(as_zdt(c.recv)?, unit, n)?))
}

/// `t.plusDays(n)`.
pub(crate) fn m_plus_days(_: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    shift(c, Unit::Days, 1)
}

/// `t.plusHours(n)`.
pub(crate) fn m_plus_hours(_: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    shift(c, Unit::Hours, 1)
}

/// `t.plusMinutes(n)`.
pub(crate) fn m_plus_minutes(_: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    shift(c, Unit::Minutes, 1)
}

/// `t.plusSeconds(n)`.
pub(crate) fn m_plus_seconds(_: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    shift(c, Unit::Seconds, 1)
}

/// `t.minusDays(n)`.
pub(crate) fn m_minus_days(_: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    shift(c, Unit::Days, -1)
}

/// `t.minusHours(n)`.
pub(crate) fn m_minus_hours(_: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    shift(c, Unit::Hours, -1)
}

/// `t.minusMinutes(n)`.
pub(crate) fn m_minus_minutes(_: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    shift(c, Unit::Minutes, -1)
}

/// `t.minusSeconds(n)`.
pub(crate) fn m_minus_seconds(_: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    shift(c, Unit::Seconds, -1)
}

/// `t.withinDays(n)` etc.: whether `|now − t| ≤ n` units.
fn within(env: &Env<'_>, c: &Call<'_>, unit_ms: i64) -> Result<Value, EvalError> {
    let [n] = c.args()?;
    let t = as_zdt(c.recv)?;
    let now = now_zdt(env)?;
    let n = req_int(n, "the amount")?;
    // both instants lie within chrono's range, so their distance fits a TimeDelta
    let diff = now
        .instant()
        .signed_duration_since(t.instant())
        .num_milliseconds()
        .unsigned_abs();
    Ok(Value::Bool(
        i128::from(diff) <= i128::from(n) * i128::from(unit_ms),
    ))
}

/// `t.withinDays(n)`.
pub(crate) fn m_within_days(env: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    within(env, c, 86_400_000)
}

/// `t.withinHours(n)`.
pub(crate) fn m_within_hours(env: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    within(env, c, 3_600_000)
}

/// `t.withinMinutes(n)`.
pub(crate) fn m_within_minutes(env: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    within(env, c, 60_000)
}

/// `t.withinSeconds(n)`.
pub(crate) fn m_within_seconds(env: &Env<'_>, c: &Call<'_>) -> Result<Value, EvalError> {
    within(env, c, 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_and_unix() {
        assert_eq!(
            from_windows_ticks("130000000000000000")
                .unwrap()
                .to_iso_string(),
            "2012-12-14T23:06:40.000Z"
        );
        assert_eq!(
            to_windows_ticks(&parse_iso("2017-04-11T00:00:00.000Z").unwrap()),
            131_363_424_000_000_000
        );
        assert_eq!(
            from_unix_text("1491868800", false).unwrap().to_iso_string(),
            "2017-04-11T00:00:00.000Z"
        );
        assert!(from_windows_ticks(&i64::MIN.to_string()).is_ok());
        assert!(from_windows_ticks(&i64::MAX.to_string()).is_ok());
        assert!(from_unix_text(&i64::MAX.to_string(), true).is_err());
    }

    #[test]
    fn arithmetic_at_the_ends_of_the_range() {
        let t = parse_iso("2015-07-31T17:18:37.979Z").unwrap();
        for unit in [Unit::Days, Unit::Hours, Unit::Minutes, Unit::Seconds] {
            assert!(plus(t, unit, i64::MAX).is_err());
            assert!(plus(t, unit, i64::MIN).is_err());
        }
        let edge = Zdt::utc(DateTime::<Utc>::MAX_UTC - Duration::days(1))
            .with_zone(zone("Pacific/Kiritimati").unwrap())
            .unwrap();
        assert!(plus(edge, Unit::Days, 2).is_err());
        assert!(plus(edge, Unit::Hours, 20).is_err());
        assert!(plus(edge, Unit::Days, -1).is_ok());
    }
}

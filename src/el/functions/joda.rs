//! Joda-Time date patterns (`yyyy-MM-dd HH:mm:ss`, `EEE, d MMM yyyy`, ...): formatting into a
//! bounded string and parsing, both in one pass over the pattern and the text.
//!
//! In Joda, `YYYY` is the year of era (not the week year of `java.time`). Supported letters:
//! `G C Y x w y D M d e E a K h H k m s S z Z`; text in single quotes is literal (`''` is a
//! quote).

use chrono::{Datelike, Duration, NaiveDate, Timelike};

use crate::el::Fail as EvalError;
use crate::el::cost::{Bounded, Full, excerpt};
use crate::el::datetime::{Zdt, ZoneKind, offset_text, parse_offset, time_err};

/// One piece of a pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok<'a> {
    /// A run of one pattern letter.
    Field(char, usize),
    /// Literal text.
    Lit(&'a str),
}

/// The pieces of a pattern, read lazily (no allocation, whatever the pattern's length).
struct Tokens<'a> {
    p: &'a str,
    i: usize,
    quoted: bool,
}

const LETTERS: &str = "GCYxwyDMdeEaKhHkmsSzZ";

fn tokens(p: &str) -> Tokens<'_> {
    Tokens {
        p,
        i: 0,
        quoted: false,
    }
}

impl<'a> Iterator for Tokens<'a> {
    type Item = Result<Tok<'a>, EvalError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let rest = self.p.get(self.i..)?;
            let c = rest.chars().next()?;
            if self.quoted {
                // quoted text up to the next quote; '' inside is a quote
                let Some(q) = rest.find('\'') else {
                    self.i = self.p.len();
                    return Some(Ok(Tok::Lit(rest)));
                };
                if q > 0 {
                    self.i += q;
                    return rest.get(..q).map(|t| Ok(Tok::Lit(t)));
                }
                if rest.as_bytes().get(1) == Some(&b'\'') {
                    self.i += 2;
                    return Some(Ok(Tok::Lit("'")));
                }
                self.quoted = false;
                self.i += 1;
                continue;
            }
            if c == '\'' {
                if rest.as_bytes().get(1) == Some(&b'\'') {
                    self.i += 2;
                    return Some(Ok(Tok::Lit("'")));
                }
                self.quoted = true;
                self.i += 1;
                continue;
            }
            if c.is_ascii_alphabetic() {
                let n = rest.bytes().take_while(|b| *b == c as u8).count();
                self.i += n;
                if !LETTERS.contains(c) {
                    return Some(Err(time_err(format!(
                        "the date pattern letter '{c}' is not supported"
                    ))));
                }
                return Some(Ok(Tok::Field(c, n)));
            }
            // a run of other characters
            let n = rest
                .find(|ch: char| ch == '\'' || ch.is_ascii_alphabetic())
                .unwrap_or(rest.len());
            self.i += n;
            return rest.get(..n).map(|t| Ok(Tok::Lit(t)));
        }
    }
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// `v` zero-padded to `n` digits, after a `-` when negative.
fn pad(out: &mut Bounded, v: i64, n: usize) -> Result<(), Full> {
    let digits = v.unsigned_abs().to_string();
    let zeros = n.saturating_sub(digits.len());
    out.room(usize::from(v < 0) + zeros + digits.len())?;
    if v < 0 {
        out.push('-')?;
    }
    out.push_n('0', zeros)?;
    out.push_str(&digits)
}

/// The first three letters of a (ASCII) month or day name.
fn short(name: &str) -> &str {
    name.get(..3).unwrap_or(name)
}

/// Checks a pattern (every letter is supported); the number of its pieces.
pub(crate) fn check(pattern: &str) -> Result<usize, EvalError> {
    let mut n = 0;
    for t in tokens(pattern) {
        t?;
        n += 1;
    }
    Ok(n)
}

/// Formats with a Joda-Time pattern into `out`; `Err(Ok(Full))`-style results are split:
/// the outer error is a bad pattern, the inner one a full string.
pub(crate) fn format(
    t: &Zdt,
    pattern: &str,
    out: &mut Bounded,
) -> Result<Result<(), Full>, EvalError> {
    check(pattern)?;
    let (l, off) = t.local_and_offset();
    for tok in tokens(pattern) {
        let r = match tok? {
            Tok::Lit(s) => out.push_str(s),
            Tok::Field(c, n) => match c {
                'y' | 'Y' | 'x' => {
                    let y = if c == 'x' {
                        i64::from(l.iso_week().year())
                    } else {
                        i64::from(l.year())
                    };
                    if n == 2 {
                        pad(out, y.rem_euclid(100), 2)
                    } else {
                        pad(out, y, n)
                    }
                }
                'G' => out.push_str(if l.year() > 0 { "AD" } else { "BC" }),
                'C' => pad(out, i64::from(l.year() / 100), n),
                'w' => pad(out, i64::from(l.iso_week().week()), n),
                'M' => {
                    let m = l.month();
                    let name = MONTHS.get(l.month0() as usize).copied().unwrap_or("");
                    match n {
                        1 | 2 => pad(out, i64::from(m), n),
                        3 => out.push_str(short(name)),
                        _ => out.push_str(name),
                    }
                }
                'd' => pad(out, i64::from(l.day()), n),
                'D' => pad(out, i64::from(l.ordinal()), n),
                'e' => pad(out, i64::from(l.weekday().number_from_monday()), n),
                'E' => {
                    let d = DAYS
                        .get(l.weekday().num_days_from_monday() as usize)
                        .copied()
                        .unwrap_or("");
                    out.push_str(if n >= 4 { d } else { short(d) })
                }
                'a' => out.push_str(if l.hour() < 12 { "AM" } else { "PM" }),
                'H' => pad(out, i64::from(l.hour()), n),
                'k' => pad(out, i64::from(if l.hour() == 0 { 24 } else { l.hour() }), n),
                'K' => pad(out, i64::from(l.hour() % 12), n),
                'h' => pad(
                    out,
                    i64::from(if l.hour() % 12 == 0 {
                        12
                    } else {
                        l.hour() % 12
                    }),
                    n,
                ),
                'm' => pad(out, i64::from(l.minute()), n),
                's' => pad(out, i64::from(l.second()), n),
                'S' => {
                    let digits = format!("{:09}", l.nanosecond() % 1_000_000_000);
                    let take = n.min(9);
                    out.push_str(digits.get(..take).unwrap_or(""))
                        .and_then(|()| out.push_n('0', n - take))
                }
                'Z' => match n {
                    1 => out.push_str(&offset_text(off, false, false)),
                    2 => out.push_str(&offset_text(off, true, false)),
                    _ => out.push_str(match t.kind() {
                        ZoneKind::Region(tz) => tz.name(),
                        _ => "UTC",
                    }),
                },
                // 'z': the zone's abbreviation
                _ => match t.kind() {
                    ZoneKind::Region(tz) => {
                        // the local time exists (`Zdt` checks it), so formatting can't fail
                        let abbreviation = t.instant().with_timezone(&tz).format("%Z").to_string();
                        out.push_str(&abbreviation)
                    }
                    ZoneKind::Utc => out.push_str("UTC"),
                    ZoneKind::Fixed(_) => out.push_str(&offset_text(off, true, false)),
                },
            },
        };
        if let Err(full) = r {
            return Ok(Err(full));
        }
    }
    Ok(Ok(()))
}

struct Parsed {
    year: i32,
    month: u32,
    day: u32,
    doy: Option<u32>,
    hour: u32,
    pm: Option<bool>,
    minute: u32,
    second: u32,
    nanos: u32,
    offset: Option<i32>,
}

/// Whether `text` at `i` starts with `word`, ignoring ASCII case.
fn starts_with_ci(text: &str, i: usize, word: &str) -> bool {
    text.get(i..i.saturating_add(word.len()))
        .is_some_and(|t| t.eq_ignore_ascii_case(word))
}

/// The index of the name (full or first three letters, case-insensitive) at `i`, and its
/// length in bytes.
fn name_at(text: &str, i: usize, names: &[&str]) -> Option<(usize, usize)> {
    names.iter().enumerate().find_map(|(j, name)| {
        if starts_with_ci(text, i, name) {
            Some((j, name.len()))
        } else if starts_with_ci(text, i, short(name)) {
            Some((j, 3))
        } else {
            None
        }
    })
}

/// Parses text with a Joda-Time pattern into an instant (UTC unless the text has an offset).
/// Linear in the pattern and the text: every piece of the pattern consumes text in place.
pub(crate) fn parse(text: &str, pattern: &str) -> Result<Zdt, EvalError> {
    check(pattern)?;
    let bad = || {
        time_err(format!(
            "'{}' does not match the pattern '{}'",
            excerpt(text),
            excerpt(pattern)
        ))
    };
    let mut p = Parsed {
        year: 1970,
        month: 1,
        day: 1,
        doy: None,
        hour: 0,
        pm: None,
        minute: 0,
        second: 0,
        nanos: 0,
        offset: None,
    };
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut toks = tokens(pattern).peekable();
    while let Some(tok) = toks.next() {
        let next_numeric = matches!(
            toks.peek(),
            Some(Ok(Tok::Field(c, n)))
                if !matches!((c, n), ('M', 3..) | ('E', _) | ('a', _) | ('z' | 'Z', _))
        );
        let (c, n) = match tok? {
            Tok::Lit(l) => {
                if !text.get(i..).is_some_and(|t| t.starts_with(l)) {
                    return Err(bad());
                }
                i += l.len();
                continue;
            }
            Tok::Field(c, n) => (c, n),
        };
        // a number of at most `max` digits (a year may be negative); its value and length
        let num = |i: &mut usize, max: usize| -> Result<(i64, usize), EvalError> {
            let start = *i;
            let neg = c == 'y' && bytes.get(*i) == Some(&b'-');
            if neg {
                *i += 1;
            }
            let digits = bytes
                .get(*i..)
                .unwrap_or_default()
                .iter()
                .take(max)
                .take_while(|b| b.is_ascii_digit())
                .count();
            if digits == 0 {
                return Err(bad());
            }
            let v: i64 = text
                .get(*i..*i + digits)
                .and_then(|d| d.parse().ok())
                .ok_or_else(bad)?;
            *i += digits;
            Ok((if neg { -v } else { v }, *i - start))
        };
        let max = if next_numeric { n.max(1) } else { 9 };
        let max = if c == 'y' && next_numeric && n < 4 {
            4
        } else {
            max
        };
        match c {
            'y' | 'Y' | 'x' => {
                let (v, len) = num(&mut i, max)?;
                let v = i32::try_from(v).map_err(|_| bad())?;
                p.year = if n == 2 && len == 2 { 2000 + v } else { v };
            }
            'M' if n >= 3 => {
                let (idx, len) = name_at(text, i, &MONTHS).ok_or_else(bad)?;
                p.month = u32::try_from(idx).map_err(|_| bad())? + 1;
                i += len;
            }
            'E' => {
                let (_, len) = name_at(text, i, &DAYS).ok_or_else(bad)?;
                i += len;
            }
            'a' => {
                p.pm = Some(if starts_with_ci(text, i, "AM") {
                    false
                } else if starts_with_ci(text, i, "PM") {
                    true
                } else {
                    return Err(bad());
                });
                i += 2;
            }
            'Z' | 'z' => {
                if bytes.get(i) == Some(&b'Z') {
                    p.offset = Some(0);
                    i += 1;
                } else {
                    let left = bytes.len().saturating_sub(i);
                    let len = if left >= 6 && bytes.get(i + 3) == Some(&b':') {
                        6
                    } else {
                        left.min(5)
                    };
                    let o = text
                        .get(i..i + len)
                        .and_then(parse_offset)
                        .ok_or_else(bad)?;
                    p.offset = Some(o.local_minus_utc());
                    i += len;
                }
            }
            'S' => {
                let (v, len) = num(&mut i, max)?;
                let scale = 10u64.pow(9u32.saturating_sub(u32::try_from(len).unwrap_or(u32::MAX)));
                let v = u64::try_from(v).map_err(|_| bad())?;
                p.nanos =
                    u32::try_from(v.saturating_mul(scale).min(999_999_999)).unwrap_or(999_999_999);
            }
            _ => {
                let (v, _) = num(&mut i, max)?;
                let v = u32::try_from(v).map_err(|_| bad())?;
                match c {
                    'M' => p.month = v,
                    'd' => p.day = v,
                    'D' => p.doy = Some(v),
                    'H' | 'k' => p.hour = v % 24,
                    'h' | 'K' => p.hour = v % 12,
                    'm' => p.minute = v,
                    's' => p.second = v,
                    _ => {}
                }
            }
        }
    }
    if i != text.len() {
        return Err(bad());
    }
    if p.pm == Some(true) {
        p.hour = p.hour % 12 + 12;
    }
    let date = match p.doy {
        Some(d) => NaiveDate::from_yo_opt(p.year, d),
        None => NaiveDate::from_ymd_opt(p.year, p.month, p.day),
    }
    .ok_or_else(bad)?;
    let local = date
        .and_hms_nano_opt(p.hour, p.minute, p.second, p.nanos)
        .ok_or_else(bad)?;
    let offset = Duration::try_seconds(i64::from(p.offset.unwrap_or(0))).ok_or_else(bad)?;
    let utc = local.and_utc().checked_sub_signed(offset).ok_or_else(|| {
        time_err(format!(
            "'{}' is outside the supported range of dates",
            excerpt(text)
        ))
    })?;
    Ok(Zdt::utc(utc))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::el::Limits;
    use crate::el::cost::Budget;
    use crate::el::datetime::{parse_iso, zone};

    fn fmt(t: &Zdt, p: &str) -> String {
        let limits = Limits::default();
        let b = Budget::new(&limits);
        let mut out = Bounded::new(&limits, &b);
        format(t, p, &mut out).unwrap().unwrap();
        out.finish(&b).unwrap()
    }

    #[test]
    fn formats_and_parses() {
        let z = parse_iso("2015-07-31T17:18:37.979Z")
            .unwrap()
            .with_zone(zone("EST").unwrap())
            .unwrap();
        assert_eq!(fmt(&z, "YYYY-MM-dd HH:mm:ss"), "2015-07-31 13:18:37");
        assert_eq!(
            fmt(&z, "EEE, d MMM yyyy 'at' h a ''z''"),
            "Fri, 31 Jul 2015 at 1 PM 'EDT'"
        );
        assert_eq!(fmt(&z, "'it''s' SSSSSSSSSSSS"), "it's 979000000000");
        assert_eq!(z.to_iso_string(), "2015-07-31T13:18:37.979-04:00");
        assert_eq!(
            parse("17 June 2015 00:23:19", "dd MMMM yyyy HH:mm:ss")
                .unwrap()
                .to_iso_string(),
            "2015-06-17T00:23:19.000Z"
        );
        assert_eq!(
            parse("20170411", "yyyyMMdd").unwrap().to_iso_string(),
            "2017-04-11T00:00:00.000Z"
        );
        assert_eq!(
            parse(
                "Fri, 31 jul 2015 1:02 pm +05:30",
                "EEE, d MMM yyyy h:mm a Z"
            )
            .unwrap()
            .to_iso_string(),
            "2015-07-31T07:32:00.000Z"
        );
        assert!(parse("2015", "yyyy q").is_err());
    }

    #[test]
    fn huge_patterns_stay_bounded_and_linear() {
        let t = parse_iso("2015-07-31T17:18:37.979Z").unwrap();
        let limits = Limits::default().with_max_string_len(1000);
        let b = Budget::new(&limits);
        let mut out = Bounded::new(&limits, &b);
        assert!(format(&t, &"y".repeat(1 << 20), &mut out).unwrap().is_err());
        let mut out = Bounded::new(&limits, &b);
        assert!(
            format(&t, &"ZZZ ".repeat(1 << 18), &mut out)
                .unwrap()
                .is_err()
        );
        // many month names: each is matched in place
        let text = "Jan ".repeat(100_000);
        let pattern = "MMM ".repeat(100_000);
        let start = std::time::Instant::now();
        assert!(parse(text.trim_end(), pattern.trim_end()).is_ok());
        assert!(start.elapsed().as_secs_f64() < 2.0);
    }

    #[test]
    fn dates_at_the_ends_of_the_range_are_errors_not_panics() {
        let p = "yyyy-MM-dd HH:mm:ss Z";
        assert!(parse("262142-12-31 23:59:59 -18:00", p).is_err());
        assert!(parse("-262143-01-01 00:00:00 +18:00", p).is_err());
        assert!(parse("262142-12-31 23:59:59 +18:00", p).is_ok());
        assert!(parse("99999999999999999999-01-01 00:00:00 Z", p).is_err());
        assert!(parse("2015-01-01 00:00:00 +05:3é", p).is_err());
        assert!(parse("é", "MMM").is_err());
    }
}

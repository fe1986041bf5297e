//! Date-time values: a zoned instant ([`Zdt`], Java's `ZonedDateTime`), zone ids, ISO 8601.

use std::fmt::Write as _;
use std::str::FromStr;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, Offset, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

use super::cost::excerpt;
use super::{EvalErrorKind, Fail as EvalError};

/// A zone: UTC, an IANA region, or a fixed offset.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum ZoneKind {
    /// UTC (printed `Z`).
    Utc,
    /// An IANA region.
    Region(Tz),
    /// A fixed offset.
    Fixed(FixedOffset),
}

/// The zone of a [`Zdt`]: UTC, an IANA region (`Asia/Tokyo`), or a fixed offset (`+05:30`).
///
/// ```
/// use tokenmint::el::{self, Value};
///
/// let program = el::compile("Time.now().toZone('Asia/Tokyo')", &el::Limits::default()).unwrap();
/// let ctx = el::Context::from_json(&serde_json::json!({"now": "2026-01-01T00:00:00Z"})).unwrap();
/// let Value::DateTime(t) = program.eval(&ctx).unwrap() else { panic!("a date-time") };
/// assert_eq!(t.zone().id(), "Asia/Tokyo");
/// assert_eq!(t.zone().offset_at(t.instant()).local_minus_utc(), 9 * 3600);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Zone(ZoneKind);

impl Zone {
    /// The zone's id as Java prints it: `Z` for UTC, the region's IANA name, or the offset
    /// (`+05:30`).
    pub fn id(&self) -> String {
        match self.0 {
            ZoneKind::Utc => "Z".to_owned(),
            ZoneKind::Region(tz) => tz.name().to_owned(),
            ZoneKind::Fixed(o) => offset_text(o.local_minus_utc(), true, true),
        }
    }

    /// Whether it is UTC.
    pub fn is_utc(&self) -> bool {
        self.0 == ZoneKind::Utc
    }

    /// The zone's offset from UTC at an instant.
    pub fn offset_at(&self, instant: DateTime<Utc>) -> FixedOffset {
        match self.0 {
            ZoneKind::Utc => Utc.fix(),
            ZoneKind::Region(tz) => tz.offset_from_utc_datetime(&instant.naive_utc()).fix(),
            ZoneKind::Fixed(o) => o,
        }
    }
}

/// A zoned date-time (Java `ZonedDateTime`).
///
/// Its local time (the instant plus the zone's offset) is always representable: one that
/// would not be (a few hours from the ends of chrono's range of about ±262,000 years) is
/// refused when the value is made.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Zdt {
    utc: DateTime<Utc>,
    zone: ZoneKind,
}

impl Zdt {
    /// An instant in UTC.
    pub fn utc(t: DateTime<Utc>) -> Zdt {
        Zdt {
            utc: t,
            zone: ZoneKind::Utc,
        }
    }

    /// The instant.
    pub fn instant(&self) -> DateTime<Utc> {
        self.utc
    }

    /// The zone.
    pub fn zone(&self) -> Zone {
        Zone(self.zone)
    }

    /// The zone, as the engine matches on it.
    #[inline]
    pub(crate) fn kind(&self) -> ZoneKind {
        self.zone
    }

    /// The instant in a zone; an error when its local time there is out of range.
    pub(crate) fn in_zone(utc: DateTime<Utc>, zone: ZoneKind) -> Result<Zdt, EvalError> {
        let z = Zdt { utc, zone };
        match z.try_local_and_offset() {
            Some(_) => Ok(z),
            None => Err(time_err("the date-time is out of range in that time zone")),
        }
    }

    /// The same instant in another zone (see [`Zdt::in_zone`]).
    pub(crate) fn with_zone(self, zone: ZoneKind) -> Result<Zdt, EvalError> {
        Zdt::in_zone(self.utc, zone)
    }

    fn try_local_and_offset(&self) -> Option<(NaiveDateTime, i32)> {
        let off = match self.zone {
            ZoneKind::Utc => return Some((self.utc.naive_utc(), 0)),
            ZoneKind::Region(tz) => tz.offset_from_utc_datetime(&self.utc.naive_utc()).fix(),
            ZoneKind::Fixed(o) => o,
        };
        let local = self.utc.naive_utc().checked_add_offset(off)?;
        Some((local, off.local_minus_utc()))
    }

    /// The local date-time in the zone, and the zone's offset from UTC in seconds.
    pub(crate) fn local_and_offset(&self) -> (NaiveDateTime, i32) {
        // every value was checked when it was made (`in_zone`), so the fallback is not taken
        self.try_local_and_offset()
            .unwrap_or((self.utc.naive_utc(), 0))
    }

    /// ISO 8601 with milliseconds: `2015-07-31T17:18:37.979Z`, `...-04:00` in other zones.
    pub fn to_iso_string(&self) -> String {
        let (local, off) = self.local_and_offset();
        format!(
            "{}{}",
            local.format("%Y-%m-%dT%H:%M:%S%.3f"),
            offset_text(off, true, true)
        )
    }

    /// Java `ZonedDateTime.toString()`: `2015-07-30T23:58:32Z`,
    /// `2015-08-01T02:18:37.979+09:00[Asia/Tokyo]`.
    pub fn to_java_string(&self) -> String {
        let (local, off) = self.local_and_offset();
        let mut s = local.format("%Y-%m-%dT%H:%M").to_string();
        let nanos = local.nanosecond() % 1_000_000_000;
        if local.second() != 0 || nanos != 0 {
            let _ = write!(s, ":{:02}", local.second());
            if nanos != 0 {
                if nanos % 1_000_000 == 0 {
                    let _ = write!(s, ".{:03}", nanos / 1_000_000);
                } else if nanos % 1000 == 0 {
                    let _ = write!(s, ".{:06}", nanos / 1000);
                } else {
                    let _ = write!(s, ".{nanos:09}");
                }
            }
        }
        s.push_str(&offset_text(off, true, true));
        if let ZoneKind::Region(tz) = self.zone {
            let _ = write!(s, "[{}]", tz.name());
        }
        s
    }
}

/// An offset as text: `+05:30` (`colon`) or `+0530`; `Z` for zero when `z_for_zero`.
pub(crate) fn offset_text(secs: i32, colon: bool, z_for_zero: bool) -> String {
    if secs == 0 && z_for_zero {
        return "Z".into();
    }
    let sign = if secs < 0 { '-' } else { '+' };
    let a = secs.unsigned_abs();
    let (h, m) = (a / 3600, (a % 3600) / 60);
    if colon {
        format!("{sign}{h:02}:{m:02}")
    } else {
        format!("{sign}{h:02}{m:02}")
    }
}

pub(crate) fn time_err(msg: impl Into<String>) -> EvalError {
    EvalError::new(EvalErrorKind::Argument, msg)
}

/// Resolves a zone id: IANA ids and aliases, `UTC`/`GMT`/`Z`, `±hh:mm` offsets, and the
/// legacy three-letter ids (`EST`, `MST` and `HST` with daylight saving, as Okta's
/// `Time.now("EST")` example shows; the others like Java's `ZoneId.SHORT_IDS`).
pub(crate) fn zone(id: &str) -> Result<ZoneKind, EvalError> {
    let id = id.trim();
    match id {
        "UTC" | "Z" | "GMT" | "UT" | "Etc/UTC" | "Etc/GMT" | "Zulu" | "Etc/Zulu" => {
            return Ok(ZoneKind::Utc);
        }
        _ => {}
    }
    let legacy = match id {
        "EST" => Some("America/New_York"),
        "MST" => Some("America/Denver"),
        "HST" => Some("Pacific/Honolulu"),
        "ACT" => Some("Australia/Darwin"),
        "AET" => Some("Australia/Sydney"),
        "AGT" => Some("America/Argentina/Buenos_Aires"),
        "ART" => Some("Africa/Cairo"),
        "AST" => Some("America/Anchorage"),
        "BET" => Some("America/Sao_Paulo"),
        "BST" => Some("Asia/Dhaka"),
        "CAT" => Some("Africa/Harare"),
        "CNT" => Some("America/St_Johns"),
        "CST" => Some("America/Chicago"),
        "CTT" => Some("Asia/Shanghai"),
        "EAT" => Some("Africa/Addis_Ababa"),
        "ECT" => Some("Europe/Paris"),
        "IET" => Some("America/Indiana/Indianapolis"),
        "IST" => Some("Asia/Kolkata"),
        "JST" => Some("Asia/Tokyo"),
        "MIT" => Some("Pacific/Apia"),
        "NET" => Some("Asia/Yerevan"),
        "NST" => Some("Pacific/Auckland"),
        "PLT" => Some("Asia/Karachi"),
        "PNT" => Some("America/Phoenix"),
        "PRT" => Some("America/Puerto_Rico"),
        "PST" => Some("America/Los_Angeles"),
        "SST" => Some("Pacific/Guadalcanal"),
        "VST" => Some("Asia/Ho_Chi_Minh"),
        "US/Pacific-New" => Some("America/Los_Angeles"),
        "Canada/East-Saskatchewan" => Some("America/Regina"),
        _ => None,
    };
    if let Some(l) = legacy
        && let Ok(tz) = Tz::from_str(l)
    {
        return Ok(ZoneKind::Region(tz));
    }
    if let Ok(tz) = Tz::from_str(id) {
        return Ok(ZoneKind::Region(tz));
    }
    if let Some(off) = parse_offset(id) {
        return Ok(ZoneKind::Fixed(off));
    }
    Err(time_err(format!("unknown time zone '{}'", excerpt(id))))
}

/// `±h`, `±hh`, `±hhmm`, `±hh:mm`, optionally after `UTC` or `GMT`; at most ±18:00.
pub(crate) fn parse_offset(s: &str) -> Option<FixedOffset> {
    let s = s
        .strip_prefix("UTC")
        .or_else(|| s.strip_prefix("GMT"))
        .unwrap_or(s);
    let (sign, rest) = if let Some(r) = s.strip_prefix('+') {
        (1, r)
    } else {
        (-1, s.strip_prefix('-')?)
    };
    if rest.len() > 5 {
        return None;
    }
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if !digits.chars().all(|c| c.is_ascii_digit()) || digits.is_empty() || digits.len() > 4 {
        return None;
    }
    let (h, m) = if digits.len() <= 2 {
        (digits.parse::<i32>().ok()?, 0)
    } else {
        let (h, m) = digits.split_at(digits.len() - 2);
        (h.parse::<i32>().ok()?, m.parse::<i32>().ok()?)
    };
    if h > 18 || m > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

/// Parses ISO 8601 text: full date-time with or without offset/fraction, or a date.
pub(crate) fn parse_iso(s: &str) -> Result<Zdt, EvalError> {
    let t = s.trim();
    let bad = || time_err(format!("'{}' is not an ISO 8601 date-time", excerpt(s)));
    // the longest ISO 8601 text chrono reads is well under 64 bytes
    if t.len() > 64 {
        return Err(bad());
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Ok(Zdt::utc(d.with_timezone(&Utc)));
    }
    for f in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(n) = NaiveDateTime::parse_from_str(t, f) {
            return Ok(Zdt::utc(n.and_utc()));
        }
    }
    for f in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%dT%H:%M:%S%z"] {
        if let Ok(d) = DateTime::parse_from_str(t, f) {
            return Ok(Zdt::utc(d.with_timezone(&Utc)));
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return Ok(Zdt::utc(d.and_time(chrono::NaiveTime::MIN).and_utc()));
    }
    Err(bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Zdt {
        parse_iso(s).unwrap()
    }

    #[test]
    fn java_string() {
        assert_eq!(
            t("2015-07-30T23:58:32.000Z").to_java_string(),
            "2015-07-30T23:58:32Z"
        );
        let tokyo = t("2015-07-31T17:18:37.979Z")
            .with_zone(zone("Asia/Tokyo").unwrap())
            .unwrap();
        assert_eq!(
            tokyo.to_java_string(),
            "2015-08-01T02:18:37.979+09:00[Asia/Tokyo]"
        );
    }

    #[test]
    fn offsets_and_zones() {
        assert_eq!(
            parse_offset("+05:30").map(|o| o.local_minus_utc()),
            Some(19800)
        );
        assert_eq!(
            parse_offset("-7").map(|o| o.local_minus_utc()),
            Some(-25200)
        );
        assert_eq!(parse_offset("+19"), None);
        assert_eq!(parse_offset("+é"), None);
        assert!(zone("America/Argentina/Buenos_Aires").is_ok());
        assert!(zone(&"x".repeat(1000)).unwrap_err().message.len() < 200);
        assert!(offset_text(i32::MIN, true, true).starts_with('-'));
    }

    #[test]
    fn the_ends_of_the_range_print() {
        for t in [DateTime::<Utc>::MAX_UTC, DateTime::<Utc>::MIN_UTC] {
            for z in [
                "Pacific/Kiritimati",
                "America/Adak",
                "+18:00",
                "-18:00",
                "UTC",
            ] {
                match Zdt::utc(t).with_zone(zone(z).unwrap()) {
                    Ok(z) => {
                        assert!(!z.to_iso_string().is_empty());
                        assert!(!z.to_java_string().is_empty());
                    }
                    Err(e) => assert!(e.message.contains("out of range"), "{e}"),
                }
            }
        }
        let max = Zdt::utc(DateTime::<Utc>::MAX_UTC);
        assert!(max.with_zone(zone("+18:00").unwrap()).is_err());
        assert!(max.with_zone(zone("-18:00").unwrap()).is_ok());
        assert!(parse_iso(&"9".repeat(100_000)).is_err());
    }
}

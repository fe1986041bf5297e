//! The per-evaluation budget: what every operator, function and method charges, and when.
//!
//! One evaluation ([`Program::eval`](super::Program::eval)) gets one [`Budget`] with two
//! meters, both charged *before* the work they pay for is done:
//!
//! * **cost**, in cost units, bounded by [`Limits::max_cost`]: one unit per node of the
//!   program visited and per list element touched, one per [`BYTES_PER_UNIT`] bytes scanned,
//!   copied or produced, and the units of the table below;
//! * **bytes**, bounded by [`Limits::max_total_bytes`]: the bytes of every string, list and
//!   map the evaluation produces ([`STR_OVERHEAD`] + length for a string, [`VALUE_BYTES`] per
//!   list element, [`ENTRY_BYTES`] + key per map entry), of the patterns it compiles, and of
//!   the lazy-DFA caches its searches grow. Bytes are never given back, so this is a
//!   conservative bound on the bytes live at any moment (values read from the context are
//!   shared, not copied, and not counted; a string read out of a user's JSON is copied, and
//!   counted).
//!
//! Where the size of a result can't be known before it is built (a value rendered as text, a
//! date pattern, a regex replacement with group references, Unicode case mapping), it is
//! built into a [`Bounded`] string that refuses to grow past what the budget and
//! [`Limits::max_string_len`] still allow, and charged for what it holds.
//!
//! # What is charged
//!
//! | work | cost units |
//! |---|---|
//! | a node of the program visited; a step of a chain; an operator applied | 1 (a property lookup or a comparison 2) |
//! | a list element touched or produced; a map entry | 1; a map entry [`ALLOC_UNITS`] more |
//! | a string, list or map allocated | [`ALLOC_UNITS`] |
//! | bytes scanned, copied, compared or produced | 1 per [`BYTES_PER_UNIT`] (a substring search 1 per 4) |
//! | non-ASCII text walked by character (UTF-16 positions, case mapping) | 1 per [`CHAR_BYTES_PER_UNIT`] bytes |
//! | a call | its record's [`Cost`](super::functions::Cost): fixed, plus its inputs' size, plus one per group of the user |
//! | a value rendered as text | [`RENDER_UNITS`] (a date-time 4 times, a user by its JSON's size) |
//! | a possible match of a literal replace | [`MATCH_UNITS`] |
//! | a piece of a Joda pattern | [`TOKEN_UNITS`] |
//! | a group tested against criteria, by name or by source | [`GROUP_UNITS`] per criterion |
//! | a regular-expression search | [`SEARCH_UNITS`], then 1 per [`REGEX_BYTES_PER_UNIT`] bytes scanned (charged block by block before they are scanned; a lazy DFA also 1 per [`REGEX_STATE_BYTES_PER_UNIT`] bytes of states it builds) |
//! | capture groups, or a Unicode word boundary next to non-ASCII text (a PikeVM) | NFA states, plus bytes × NFA states / [`PIKEVM_STEPS_PER_UNIT`], before |
//! | compiling a pattern at evaluation time | [`REGEX_COMPILE_UNITS`] + [`REGEX_PATTERN_UNITS_PER_BYTE`] per byte of pattern before; [`REGEX_UNITS_PER_COMPILED_BYTE`] per byte built once known (one compilation is bounded by the size limit) |
//! | compiling a group expression at evaluation time | [`COMPILE_UNITS_PER_BYTE`] per byte of source |
//!
//! # Calibration
//!
//! The `cost_calibration` example runs 66 workloads, each stressing one of the charges above
//! on inputs chosen to make it slow (1 KiB and 1 MiB strings, non-ASCII text, 100,000-element
//! lists, a user of 20,000 groups, the slowest regular expressions within the size limit,
//! patterns compiled in turn at evaluation time), until each exhausts a budget of 10,000,000
//! units or finishes, and prints the time per unit (the fastest of three runs; release
//! build, 2-core x86-64, shared). On 2026-11-29 the median was 3.8 ns per unit and the worst
//! 15.1 ns (splitting CSV strings into new lists); 63 of the 66 workloads ran under 8 ns per
//! unit. (The first position of a PikeVM search was charged half a unit per NFA state until a
//! fuzzed input, capture groups with an empty match at every byte, ran at 15 ns per unit: its
//! searches are all first positions, whose closures visit every state; it runs at 10.6 ns now.)
//! The default budget, 10,000,000 units, thus bounds an evaluation to about 0.15 s of
//! work in a release build (about 0.6 s in an unoptimized build: `tests/hostile.rs` runs every
//! hostile input within 2 s there). The most expensive expression of the documented corpora
//! (`tests/el/*.jsonl`, 1,357 expressions) costs 25,906 units, a pattern compiled at
//! evaluation time; the median costs 56.
//!
//! [`Limits::max_cost`]: super::Limits::max_cost
//! [`Limits::max_total_bytes`]: super::Limits::max_total_bytes
//! [`Limits::max_string_len`]: super::Limits::max_string_len

use std::cell::Cell;
use std::fmt;

use super::value::Value;
use super::{EvalErrorKind, Fail as EvalError, Limits};

/// Bytes scanned, copied, compared or produced per cost unit.
pub(crate) const BYTES_PER_UNIT: u64 = 16;
/// Bytes of non-ASCII text walked character by character (UTF-16 positions, case mapping) per
/// cost unit.
pub(crate) const CHAR_BYTES_PER_UNIT: u64 = 2;
/// Bytes a regular-expression search (lazy DFA) scans per cost unit.
pub(crate) const REGEX_BYTES_PER_UNIT: u64 = 2;
/// The fixed part of a regular-expression search (setting up the lazy DFA for it).
pub(crate) const SEARCH_UNITS: u64 = 10;
/// NFA steps (haystack bytes × NFA states) a PikeVM search makes per cost unit after its first
/// position (whose closure is charged a unit per state).
pub(crate) const PIKEVM_STEPS_PER_UNIT: u64 = 2;
/// The fixed part of compiling a regular expression at evaluation time.
pub(crate) const REGEX_COMPILE_UNITS: u64 = 10_000;
/// Cost units per byte of what compiling a regular expression at evaluation time builds (its
/// NFAs and DFAs; building takes 15 to 70 ns per byte).
pub(crate) const REGEX_UNITS_PER_COMPILED_BYTE: u64 = 5;
/// Bytes of lazy-DFA states built per cost unit (building a state is the expensive part of an
/// adversarial search).
pub(crate) const REGEX_STATE_BYTES_PER_UNIT: u64 = 1;
/// Cost units per byte of a pattern compiled at evaluation time (parsing).
pub(crate) const REGEX_PATTERN_UNITS_PER_BYTE: u64 = 40;
/// Cost units of making the lazy-DFA caches of a pattern for one evaluation.
pub(crate) const CACHE_UNITS: u64 = 100;
/// Cost units per byte of a group expression compiled at evaluation time.
pub(crate) const COMPILE_UNITS_PER_BYTE: u64 = 60;

/// Cost units of an allocation (a string, a list, a map entry), besides its bytes.
pub(crate) const ALLOC_UNITS: u64 = 4;
/// Cost units per value rendered as text (a list's element, a map's entry).
pub(crate) const RENDER_UNITS: u64 = 3;
/// Cost units per possible match of a literal search-and-replace (each match has a fixed cost).
pub(crate) const MATCH_UNITS: u64 = 2;
/// Cost units per piece of a date pattern formatted or parsed.
pub(crate) const TOKEN_UNITS: u64 = 16;
/// Cost units per group of the user a group function tests (a few map lookups).
pub(crate) const GROUP_UNITS: u64 = 4;

/// Bytes charged for a string besides its text (the shared allocation's header and rounding).
pub(crate) const STR_OVERHEAD: u64 = 32;
/// Bytes charged per list element.
pub(crate) const VALUE_BYTES: u64 = std::mem::size_of::<Value>() as u64;
/// Bytes charged per map entry (key, value, hash index).
pub(crate) const ENTRY_BYTES: u64 = VALUE_BYTES + 32;

/// Cost units for scanning `bytes` bytes.
#[inline]
pub(crate) fn byte_units(bytes: usize) -> u64 {
    (bytes as u64).div_ceil(BYTES_PER_UNIT)
}

/// The two meters of one evaluation.
#[derive(Debug)]
pub(crate) struct Budget {
    cost: Cell<u64>,
    bytes: Cell<u64>,
    max_cost: u64,
    max_bytes: u64,
    /// Set when something asked how much room is left ([`Budget::reserve`],
    /// [`Budget::cost_left`], [`Budget::bytes_left`]): what such an evaluation charges may
    /// depend on the room it had, not only on its values, so it is not folded.
    asked_room: Cell<bool>,
}

impl Budget {
    pub(crate) fn new(limits: &Limits) -> Budget {
        Budget {
            cost: Cell::new(0),
            bytes: Cell::new(0),
            max_cost: limits.max_cost,
            max_bytes: limits.max_total_bytes as u64,
            asked_room: Cell::new(false),
        }
    }

    /// The budget of evaluating a constant subexpression ahead of time: the limits' bytes, at
    /// most `max_cost` units.
    pub(crate) fn for_folding(limits: &Limits, max_cost: u64) -> Budget {
        Budget {
            max_cost: max_cost.min(limits.max_cost),
            ..Budget::new(limits)
        }
    }

    /// Whether anything asked this budget how much room it had left.
    pub(crate) fn asked_room(&self) -> bool {
        self.asked_room.get()
    }

    /// Charges `units` cost units and `bytes` bytes in one step if both fit, and answers
    /// whether they did (nothing is charged when they don't). A folded subexpression charges
    /// what evaluating it charged this way: its evaluation charges only by [`Budget::charge`]
    /// and [`Budget::alloc`], each of which fails exactly when its new total would pass the
    /// limit, so the whole fits exactly when every step of it would have.
    pub(crate) fn charge_all(&self, units: u64, bytes: u64) -> bool {
        let c = self.cost.get().saturating_add(units);
        let b = self.bytes.get().saturating_add(bytes);
        if c > self.max_cost || b > self.max_bytes {
            return false;
        }
        self.cost.set(c);
        self.bytes.set(b);
        true
    }

    /// Cost units used so far.
    pub(crate) fn cost(&self) -> u64 {
        self.cost.get()
    }

    /// Bytes produced so far.
    pub(crate) fn bytes(&self) -> u64 {
        self.bytes.get()
    }

    /// Charges `units` cost units.
    #[inline]
    pub(crate) fn charge(&self, units: u64) -> Result<(), EvalError> {
        let c = self.cost.get().saturating_add(units);
        if c > self.max_cost {
            return Err(self.cost_exceeded());
        }
        self.cost.set(c);
        Ok(())
    }

    /// Checks that `units` more cost units would fit, without charging them (for work whose
    /// exact cost is known only afterwards: the caller charges it then).
    pub(crate) fn reserve(&self, units: u64) -> Result<(), EvalError> {
        self.asked_room.set(true);
        if self.cost.get().saturating_add(units) > self.max_cost {
            return Err(self.cost_exceeded());
        }
        Ok(())
    }

    /// Cost units left.
    pub(crate) fn cost_left(&self) -> u64 {
        self.asked_room.set(true);
        self.max_cost.saturating_sub(self.cost.get())
    }

    /// Charges `bytes` produced bytes (and the cost units of writing them).
    #[inline]
    pub(crate) fn alloc(&self, bytes: u64) -> Result<(), EvalError> {
        let b = self.bytes.get().saturating_add(bytes);
        if b > self.max_bytes {
            return Err(self.bytes_exceeded(bytes));
        }
        self.charge(bytes.div_ceil(BYTES_PER_UNIT))?;
        self.bytes.set(b);
        Ok(())
    }

    /// Bytes left.
    pub(crate) fn bytes_left(&self) -> u64 {
        self.asked_room.set(true);
        self.max_bytes.saturating_sub(self.bytes.get())
    }

    #[cold]
    #[inline(never)]
    pub(crate) fn cost_exceeded(&self) -> EvalError {
        EvalError::new(
            EvalErrorKind::Limit,
            format!(
                "the evaluation exceeded its cost budget of {} units (steps of work)",
                self.max_cost
            ),
        )
    }

    #[cold]
    #[inline(never)]
    fn bytes_exceeded(&self, more: u64) -> EvalError {
        EvalError::new(
            EvalErrorKind::Limit,
            format!(
                "the evaluation would allocate more than {} bytes in total ({} more after {}); \
                 the limit is {}",
                self.max_bytes,
                more,
                self.bytes.get(),
                self.max_bytes
            ),
        )
    }
}

/// The error for a string longer than [`Limits::max_string_len`](super::Limits::max_string_len).
pub(crate) fn string_too_long(len: impl fmt::Display, max: usize) -> EvalError {
    EvalError::new(
        EvalErrorKind::Limit,
        format!("the result string would be {len} bytes long; the limit is {max}"),
    )
}

/// The error for a list longer than [`Limits::max_list_len`](super::Limits::max_list_len).
pub(crate) fn list_too_long(len: impl fmt::Display, max: usize) -> EvalError {
    EvalError::new(
        EvalErrorKind::Limit,
        format!("the result list would have {len} elements; the limit is {max}"),
    )
}

/// A string that refuses to grow past a bound: the longest string still allowed and the bytes
/// the budget has left, whichever is smaller. Writing past it fails with [`Full`], and the
/// string keeps what fitted.
#[derive(Debug)]
pub(crate) struct Bounded {
    s: String,
    /// Values rendered into it (each charged [`RENDER_UNITS`] when it is finished).
    pub(crate) visits: u64,
    max: usize,
    /// Whether `max` is the string limit (else what the byte budget has left).
    by_len: bool,
    max_len: usize,
}

/// A [`Bounded`] string is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Full;

impl From<Full> for fmt::Error {
    fn from(_: Full) -> fmt::Error {
        fmt::Error
    }
}

impl Bounded {
    /// A bounded string for an evaluation with these limits and this budget.
    pub(crate) fn new(limits: &Limits, budget: &Budget) -> Bounded {
        let left = budget
            .bytes_left()
            .saturating_sub(STR_OVERHEAD)
            .try_into()
            .unwrap_or(usize::MAX);
        Bounded {
            s: String::new(),
            visits: 0,
            max: limits.max_string_len.min(left),
            by_len: limits.max_string_len <= left,
            max_len: limits.max_string_len,
        }
    }

    /// Whether `n` more bytes would fit.
    pub(crate) fn fits(&self, n: usize) -> bool {
        self.s.len().saturating_add(n) <= self.max
    }

    /// Checks that `n` more bytes would fit.
    pub(crate) fn room(&self, n: usize) -> Result<(), Full> {
        if self.fits(n) { Ok(()) } else { Err(Full) }
    }

    pub(crate) fn push_str(&mut self, t: &str) -> Result<(), Full> {
        self.room(t.len())?;
        self.s.push_str(t);
        Ok(())
    }

    pub(crate) fn push(&mut self, c: char) -> Result<(), Full> {
        self.room(c.len_utf8())?;
        self.s.push(c);
        Ok(())
    }

    /// Pushes `c` `n` times.
    pub(crate) fn push_n(&mut self, c: char, n: usize) -> Result<(), Full> {
        self.room(c.len_utf8().saturating_mul(n))?;
        self.s.extend(std::iter::repeat_n(c, n));
        Ok(())
    }

    /// The error to report when this string was full: the string limit or the byte budget.
    pub(crate) fn overflow(&self, budget: &Budget) -> EvalError {
        if self.by_len {
            string_too_long(format_args!("more than {}", self.max_len), self.max_len)
        } else {
            budget.bytes_exceeded((self.max as u64).saturating_add(1))
        }
    }

    /// The string, once its bytes are charged to the budget (they fit, by construction), and
    /// the values rendered into it (their number is bounded by its length).
    pub(crate) fn finish(self, budget: &Budget) -> Result<String, EvalError> {
        budget.charge(ALLOC_UNITS + self.visits.saturating_mul(RENDER_UNITS))?;
        budget.alloc(self.s.len() as u64 + STR_OVERHEAD)?;
        Ok(self.s)
    }
}

impl fmt::Write for Bounded {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        Ok(self.push_str(s)?)
    }
}

/// Counts the bytes a serializer writes (the size of a user's JSON).
#[derive(Default)]
pub(crate) struct CountingWriter(pub(crate) usize);

impl std::io::Write for CountingWriter {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0 = self.0.saturating_add(b.len());
        Ok(b.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Text for an error message: the whole of a short string, the start of a long one (never cut
/// inside a character).
pub(crate) fn excerpt(s: &str) -> std::borrow::Cow<'_, str> {
    const MAX: usize = 64;
    if s.len() <= MAX {
        return s.into();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes)", s.get(..end).unwrap_or(""), s.len()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets_refuse_before_exceeding() {
        let limits = Limits::default()
            .with_max_cost(10)
            .with_max_total_bytes(100);
        let b = Budget::new(&limits);
        assert!(b.charge(10).is_ok());
        assert!(b.charge(1).is_err());
        assert_eq!(b.cost(), 10, "a refused charge is not counted");
        let b = Budget::new(&limits.clone().with_max_cost(1000));
        assert!(b.alloc(100).is_ok());
        assert_eq!(b.cost(), 7);
        assert_eq!(b.bytes(), 100);
        assert!(b.alloc(1).is_err());
        assert_eq!(b.bytes(), 100);
    }

    #[test]
    fn bounded_strings_stop_at_the_bound() {
        let limits = Limits::default().with_max_string_len(5);
        let b = Budget::new(&limits);
        let mut s = Bounded::new(&limits, &b);
        assert!(s.push_str("abc").is_ok());
        assert!(s.push_str("def").is_err());
        assert!(s.push_n('x', 2).is_ok());
        assert!(s.push('é').is_err());
        assert!(s.overflow(&b).message.contains("limit is 5"));
        assert_eq!(s.finish(&b).unwrap(), "abcxx");
        assert_eq!(b.bytes(), 5 + STR_OVERHEAD);
        assert_eq!(
            b.cost(),
            ALLOC_UNITS + (5 + STR_OVERHEAD).div_ceil(BYTES_PER_UNIT)
        );
    }

    #[test]
    fn excerpts_never_cut_a_character() {
        let s = "é".repeat(100);
        let e = excerpt(&s);
        assert!(e.starts_with(&"é".repeat(32)), "{e}");
        assert!(e.ends_with("(200 bytes)"));
        assert_eq!(excerpt("short"), "short");
    }
}

//! Okta's regular expressions: Java syntax checked for what a linear-time engine can't run,
//! compiled once, and searched with every byte charged to the evaluation's budget.
//!
//! A pattern compiles to a pair of DFAs (regex-automata's), one run forward to find where the
//! leftmost-first match ends, one run backward from there to find where it starts; capture
//! groups (for `$1` in a replacement) are resolved by a PikeVM over the match alone. The DFAs
//! are driven here, byte by byte, so a search is charged as it goes and stops when the budget
//! runs out (iterated searches, as in `replaceAll`, may rescan text: each rescan is charged).
//!
//! * Most patterns compile to **dense** DFAs, built in full when the program is compiled (within
//!   [`Limits::max_regex_size`]): a search is a table lookup per byte, builds nothing, and costs
//!   the same whatever ran before.
//! * A pattern whose full DFA would be larger runs on a **lazy** DFA, whose states are built as
//!   a search needs them, in caches that belong to the evaluation (so what it costs depends
//!   only on the inputs); the bytes of states built are charged too.
//!
//! Neither falls back to a slower engine on its own: the PikeVM runs only for capture groups
//! and for Unicode word boundaries next to non-ASCII text (which a DFA can't decide), and is
//! charged its worst case (bytes × NFA states) before it runs.
//!
//! The `/…/` delimiters of Okta's group-name patterns are handled here too, by one rule
//! ([`strip_slashes`]) for `isMemberOfGroupNameRegex` and the REGEX filters of GROUPS claims,
//! which compile with the same builder ([`GroupNameRegex`]) when the configuration loads.

use std::cell::{OnceCell, RefCell};
use std::ops::Range;
use std::sync::{Arc, Mutex};

use regex_automata::dfa::{self, Automaton, StartKind};
use regex_automata::hybrid::{self, LazyStateID};
use regex_automata::nfa::thompson::{self, WhichCaptures, pikevm::PikeVM};
use regex_automata::{Anchored, Input, MatchKind, PatternID};
use regex_syntax::hir::{Hir, Look};

use super::cost::{
    self, Bounded, Budget, CACHE_UNITS, Full, PIKEVM_STEPS_PER_UNIT, REGEX_BYTES_PER_UNIT,
    REGEX_COMPILE_UNITS, REGEX_PATTERN_UNITS_PER_BYTE, REGEX_STATE_BYTES_PER_UNIT,
    REGEX_UNITS_PER_COMPILED_BYTE, SEARCH_UNITS,
};
use super::{EvalErrorKind, Fail as EvalError, Limits};

/// A compiled Okta regular expression.
pub(crate) struct Pattern {
    engine: Engine,
    pikevm: PikeVM,
    /// NFA states, for the worst case of a PikeVM search.
    states: u64,
    /// The bytes of what compiling it built (NFAs, full DFAs or the attempt at them).
    nfa_bytes: usize,
    /// Heap bytes it keeps.
    heap_bytes: usize,
    /// Whether every match starts where the search starts (`\A...`).
    anchored: bool,
    /// The most memory one lazy-DFA cache may use.
    cache_capacity: usize,
}

impl std::fmt::Debug for Pattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pattern")
            .field("states", &self.states)
            .field("nfa_bytes", &self.nfa_bytes)
            .finish_non_exhaustive()
    }
}

/// The DFAs of a pattern.
enum Engine {
    /// Built in full: searches only look up transitions.
    Dense {
        fwd: dfa::dense::DFA<Vec<u32>>,
        rev: dfa::dense::DFA<Vec<u32>>,
    },
    /// Built as searches need them (a pattern whose full DFA would be too large).
    Lazy {
        fwd: hybrid::dfa::DFA,
        rev: hybrid::dfa::DFA,
    },
}

struct DfaCaches {
    fwd: hybrid::dfa::Cache,
    rev: hybrid::dfa::Cache,
}

/// What one evaluation keeps of its regular expressions: the lazy-DFA caches of each pattern
/// it searches with, and the patterns it compiled (per call site).
///
/// They live as long as the evaluation, never longer: the states a search builds and the
/// patterns compiled are paid for by the evaluation that uses them, so what an evaluation
/// costs depends only on the program and the context, never on what earlier (or concurrent)
/// evaluations left behind.
#[derive(Default)]
pub(crate) struct Scratch {
    dfa: RefCell<Vec<(Arc<Pattern>, DfaCaches)>>,
    patterns: RefCell<Vec<Compiled>>,
}

/// A pattern an evaluation compiled (or found compiled): its call site (the address of the
/// site's [`PatternCache`]), its text, and the pattern.
type Compiled = (usize, Arc<str>, Arc<Pattern>);

impl Scratch {
    /// Takes the lazy-DFA caches of `p` out (made, and charged, on first use).
    fn take(
        &self,
        p: &Arc<Pattern>,
        fwd: &hybrid::dfa::DFA,
        rev: &hybrid::dfa::DFA,
        budget: &Budget,
    ) -> Result<DfaCaches, EvalError> {
        let mut all = self.dfa.borrow_mut();
        if let Some(i) = all.iter().position(|(q, _)| Arc::ptr_eq(p, q)) {
            return Ok(all.swap_remove(i).1);
        }
        budget.charge(all.len() as u64 + CACHE_UNITS)?;
        let c = DfaCaches {
            fwd: fwd.create_cache(),
            rev: rev.create_cache(),
        };
        budget.alloc((c.fwd.memory_usage() + c.rev.memory_usage()) as u64)?;
        Ok(c)
    }

    fn put(&self, p: &Arc<Pattern>, c: DfaCaches) {
        self.dfa.borrow_mut().push((p.clone(), c));
    }
}

/// Why a DFA search stopped without an answer.
enum Stop {
    /// The lazy DFA can't decide here (a Unicode word boundary next to non-ASCII text).
    Quit,
    /// The budget ran out (or the engine failed).
    Err(EvalError),
}

impl From<EvalError> for Stop {
    fn from(e: EvalError) -> Stop {
        Stop::Err(e)
    }
}

fn engine_err(what: impl std::fmt::Display) -> EvalError {
    EvalError::new(
        EvalErrorKind::InvalidPattern,
        format!("the regular expression could not be run: {what}"),
    )
}

/// Charges a lazy DFA's work as it goes: bytes scanned, and the bytes of the states it builds
/// (measured on its cache every few bytes; a cleared cache counts as full).
struct Meter<'b> {
    budget: &'b Budget,
    capacity: usize,
    mem: usize,
    clears: usize,
    scanned: usize,
}

/// Bytes between two readings of the DFA's cache.
const METER_EVERY: usize = 64;

impl<'b> Meter<'b> {
    fn new(budget: &'b Budget, capacity: usize, cache: &hybrid::dfa::Cache) -> Meter<'b> {
        Meter {
            budget,
            capacity,
            mem: cache.memory_usage(),
            clears: cache.clear_count(),
            scanned: 0,
        }
    }

    fn settle(&mut self, cache: &hybrid::dfa::Cache) -> Result<(), EvalError> {
        let (mem, clears) = (cache.memory_usage(), cache.clear_count());
        let built = if clears == self.clears {
            mem.saturating_sub(self.mem)
        } else {
            (clears - self.clears)
                .saturating_mul(self.capacity)
                .saturating_add(mem)
        };
        let units = (self.scanned as u64).div_ceil(REGEX_BYTES_PER_UNIT)
            + (built as u64).div_ceil(REGEX_STATE_BYTES_PER_UNIT);
        self.budget.charge(units)?;
        if mem > self.mem {
            self.budget.alloc((mem - self.mem) as u64)?;
        }
        self.mem = mem;
        self.clears = clears;
        self.scanned = 0;
        Ok(())
    }
}

/// Why a pattern doesn't compile. Its `Display` is the message expressions report; [`reason`]
/// is the same without the words that name the subject (for a message that names it itself,
/// as the validator's does for GROUPS filters).
///
/// [`reason`]: PatternError::reason
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PatternError {
    /// Longer than [`max_pattern_len`]: refused before it is parsed.
    TooLong { len: usize, max: usize },
    /// A Java construct a linear-time engine can't run (look-around, backreferences, …).
    Unsupported(&'static str),
    /// Not a regular expression: the parser's reason.
    Syntax(String),
    /// Larger than [`Limits::max_regex_size`] once compiled.
    TooLarge,
    /// The engine could not be built.
    Failed(String),
}

impl PatternError {
    /// What is wrong with the pattern, in a phrase that doesn't name it.
    pub(crate) fn reason(&self) -> String {
        match self {
            PatternError::TooLong { len, max } => {
                format!("it is {len} bytes long; the limit is {max}")
            }
            PatternError::Unsupported(what) => {
                format!("{what} is not supported (patterns must run in linear time)")
            }
            PatternError::Syntax(why) => why.clone(),
            PatternError::TooLarge => "it is too large once compiled".to_owned(),
            PatternError::Failed(why) => format!("it could not be compiled: {why}"),
        }
    }
}

impl std::fmt::Display for PatternError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PatternError::TooLong { len, max } => write!(
                f,
                "the regular expression is {len} bytes long; the limit is {max}"
            ),
            PatternError::Unsupported(what) => write!(
                f,
                "the regular expression uses {what}, which Okta expressions here do not support \
                 (patterns must run in linear time)"
            ),
            PatternError::Syntax(why) => write!(f, "invalid regular expression: {why}"),
            PatternError::TooLarge => {
                f.write_str("the regular expression is too large once compiled")
            }
            PatternError::Failed(why) => {
                write!(f, "the regular expression could not be compiled: {why}")
            }
        }
    }
}

/// Builds an Okta (Java) pattern. `whole` anchors it at both ends (Java `matches()`).
/// Constructs a linear-time engine cannot run are refused with a clear message.
pub(crate) fn build(pattern: &str, whole: bool, limits: &Limits) -> Result<Pattern, String> {
    compile(pattern, whole, limits).map_err(|e| e.to_string())
}

/// [`build`], with the reason it failed as a value: the one regex builder of the crate (Okta
/// expressions, literal or from data, and the REGEX filters of GROUPS claims).
fn compile(pattern: &str, whole: bool, limits: &Limits) -> Result<Pattern, PatternError> {
    // parsing takes about a hundred bytes of memory per byte of pattern: a pattern longer than
    // its compiled size could usefully be is refused before it is parsed
    if pattern.len() > max_pattern_len(limits) {
        return Err(PatternError::TooLong {
            len: pattern.len(),
            max: max_pattern_len(limits),
        });
    }
    if let Some(what) = java_only_construct(pattern) {
        return Err(PatternError::Unsupported(what));
    }
    // Parsed once, on its own, and anchored as a syntax tree: wrapping the text in `\A(?:…)\z`
    // would let `a)(?:b` balance into `a` then `b`.
    let hir = regex_automata::util::syntax::parse(pattern)
        .map_err(|e| PatternError::Syntax(first_line(&e.to_string())))?;
    let hir = if whole {
        Hir::concat(vec![Hir::look(Look::Start), hir, Hir::look(Look::End)])
    } else {
        hir
    };
    let nfa_config = thompson::Config::new().nfa_size_limit(Some(limits.max_regex_size));
    let nfa = |config: thompson::Config| {
        thompson::Compiler::new()
            .configure(config)
            .build_from_hir(&hir)
            .map_err(nfa_error)
    };
    let fwd_nfa = nfa(nfa_config.clone())?;
    let rev_nfa = nfa(nfa_config.reverse(true).which_captures(WhichCaptures::None))?;
    let failed = |e: &dyn std::fmt::Display| PatternError::Failed(e.to_string());
    // full DFAs up to an eighth of the size limit each (determinizing costs about a
    // microsecond per 10 bytes of DFA, so bigger ones would make compiling slow)
    let dense_limit = limits.max_regex_size / 8;
    let dense = dfa::dense::Config::new()
        .dfa_size_limit(Some(dense_limit))
        .determinize_size_limit(Some(dense_limit))
        .unicode_word_boundary(true)
        .minimize(false);
    let dense_fwd = dfa::dense::Builder::new()
        .configure(dense.clone())
        .build_from_nfa(&fwd_nfa);
    let dense_rev = dfa::dense::Builder::new()
        .configure(
            dense
                .prefilter(None)
                .specialize_start_states(false)
                .start_kind(StartKind::Anchored)
                .match_kind(MatchKind::All),
        )
        .build_from_nfa(&rev_nfa);
    let engine = match (dense_fwd, dense_rev) {
        (Ok(fwd), Ok(rev)) => Engine::Dense { fwd, rev },
        // too large in full: a lazy DFA, built as searches need it
        _ => {
            let lazy = hybrid::dfa::Config::new()
                .cache_capacity(limits.max_regex_size)
                .skip_cache_capacity_check(true)
                .unicode_word_boundary(true)
                .minimum_cache_clear_count(None);
            let fwd = hybrid::dfa::Builder::new()
                .configure(lazy.clone())
                .build_from_nfa(fwd_nfa.clone())
                .map_err(|e| failed(&e))?;
            let rev = hybrid::dfa::Builder::new()
                .configure(
                    lazy.prefilter(None)
                        .specialize_start_states(false)
                        .match_kind(MatchKind::All),
                )
                .build_from_nfa(rev_nfa.clone())
                .map_err(|e| failed(&e))?;
            Engine::Lazy { fwd, rev }
        }
    };
    let states = fwd_nfa.states().len() as u64;
    // what building it took: the NFAs, and the full DFAs (or the attempt at them)
    let nfa_bytes = fwd_nfa.memory_usage()
        + rev_nfa.memory_usage()
        + match &engine {
            Engine::Dense { fwd, rev } => fwd.memory_usage() + rev.memory_usage(),
            Engine::Lazy { .. } => dense_limit.saturating_mul(2),
        };
    let heap_bytes = fwd_nfa.memory_usage()
        + rev_nfa.memory_usage()
        + match &engine {
            Engine::Dense { fwd, rev } => fwd.memory_usage() + rev.memory_usage(),
            Engine::Lazy { fwd, rev } => fwd.memory_usage() + rev.memory_usage(),
        };
    let anchored = fwd_nfa.is_always_start_anchored();
    let pikevm = PikeVM::new_from_nfa(fwd_nfa).map_err(|e| failed(&e))?;
    Ok(Pattern {
        engine,
        pikevm,
        states: states.max(1),
        nfa_bytes,
        heap_bytes,
        anchored,
        cache_capacity: limits.max_regex_size,
    })
}

/// The longest pattern accepted: a sixteenth of [`Limits::max_regex_size`] (64 KiB by
/// default), far beyond any real pattern, and short enough that parsing one stays cheap.
pub(crate) fn max_pattern_len(limits: &Limits) -> usize {
    limits.max_regex_size / 16
}

fn nfa_error(e: thompson::BuildError) -> PatternError {
    if e.size_limit().is_some() {
        return PatternError::TooLarge;
    }
    let text = std::error::Error::source(&e).map_or_else(|| e.to_string(), ToString::to_string);
    PatternError::Syntax(first_line(&text))
}

fn first_line(s: &str) -> String {
    // syntax errors print the pattern and a caret over several lines; keep the reason
    s.lines()
        .rev()
        .find(|l| l.starts_with("error:"))
        .map_or_else(
            || s.lines().next().unwrap_or("").to_owned(),
            |l| l.trim_start_matches("error: ").to_owned(),
        )
}

/// Java-only regex syntax, detected outside character classes and escapes.
pub(crate) fn java_only_construct(p: &str) -> Option<&'static str> {
    let b = p.as_bytes();
    let at = |i: usize| b.get(i).copied();
    let mut i = 0;
    let mut in_class = 0usize;
    while let Some(c) = at(i) {
        match c {
            b'\\' => {
                if let Some(n) = at(i + 1) {
                    if in_class == 0 && n.is_ascii_digit() && n != b'0' {
                        return Some("a backreference (\\1)");
                    }
                    if n == b'k' && at(i + 2) == Some(b'<') {
                        return Some("a named backreference (\\k<name>)");
                    }
                    if n == b'Q' {
                        return Some("quoting (\\Q...\\E)");
                    }
                    if n == b'G' || n == b'Z' {
                        return Some("the \\G or \\Z anchor");
                    }
                }
                i += 2;
                continue;
            }
            b'[' => in_class += 1,
            b']' if in_class > 0 => in_class -= 1,
            b'(' if in_class == 0 && at(i + 1) == Some(b'?') => match (at(i + 2), at(i + 3)) {
                (Some(b'='), _) | (Some(b'!'), _) => {
                    return Some("a look-ahead ((?=...), (?!...))");
                }
                (Some(b'<'), Some(b'=')) | (Some(b'<'), Some(b'!')) => {
                    return Some("a look-behind ((?<=...), (?<!...))");
                }
                (Some(b'>'), _) => return Some("an atomic group ((?>...))"),
                _ => {}
            },
            b'+' if in_class == 0
                && i > 0
                && matches!(at(i - 1), Some(b'*' | b'+' | b'?' | b'}'))
                && !(i > 1 && at(i - 2) == Some(b'\\')) =>
            {
                return Some("a possessive quantifier (*+, ++, ?+)");
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Okta's `/…/` delimiters, the one rule for every pattern the crate reads (the regex of
/// `isMemberOfGroupNameRegex` and the REGEX filters of GROUPS claims): a leading `/` is a
/// delimiter and is removed; then a trailing `/` is the closing delimiter and is removed too,
/// when something is left between the two. Nothing else is removed.
///
/// | written | pattern |
/// |---|---|
/// | `/.*admin.*` (a lone leading slash) | `.*admin.*` |
/// | `/^[a-z0-9_-]{3,16}$/` (a pair) | `^[a-z0-9_-]{3,16}$` |
/// | `admin/` (a lone trailing slash) | `admin/` |
/// | `//` | `/` |
/// | `/` | the empty pattern |
///
/// Why this rule: Okta documents both forms and explains neither. Its Expression Language
/// reference gives `isMemberOfGroupNameRegex("/.*admin.*")` for "names that contain admin",
/// which only holds if the lone leading slash is a delimiter; its Management API reference
/// gives `/^[a-z0-9_-]{3,16}$/` as the value of a REGEX group filter, a pair. One rule reads
/// both examples as documented. A trailing slash without a leading one is text (Okta shows no
/// such example, and Java patterns have no delimiters of their own). A pattern that must
/// start with a literal slash is written with a delimiter before it (`//x` is `/x`), or as
/// `\/` or `[/]`.
pub(crate) fn strip_slashes(s: &str) -> &str {
    match s.strip_prefix('/') {
        Some(t) if t.len() > 1 => t.strip_suffix('/').unwrap_or(t),
        Some(t) => t,
        None => s,
    }
}

/// The regex of a GROUPS claim's REGEX filter, compiled when the configuration loads, by the
/// expressions' builder ([`build`]: the same syntax, limits and refusals) after the `/…/`
/// delimiters are removed ([`strip_slashes`]). It must match the whole group name, case
/// sensitively.
///
/// Matching runs when a token is minted; every search is charged to a budget of the server's
/// [`Limits`] per claim ([`GroupNameRegex::search`]), as an expression's are.
#[derive(Debug, Clone)]
pub(crate) struct GroupNameRegex {
    pattern: Arc<Pattern>,
    limits: Limits,
}

impl GroupNameRegex {
    /// Compiles the filter `value` (as written in the claim) under `limits`.
    pub(crate) fn new(value: &str, limits: &Limits) -> Result<Self, PatternError> {
        #[cfg(test)]
        super::compile_counts::GROUP_REGEXES.with(|n| n.set(n.get() + 1));
        let pattern = compile(strip_slashes(value), true, limits)?;
        Ok(GroupNameRegex {
            pattern: Arc::new(pattern),
            limits: limits.clone(),
        })
    }

    /// A search over the group names of one claim: one budget for all of them.
    pub(crate) fn search(&self) -> GroupNameSearch<'_> {
        GroupNameSearch {
            regex: self,
            budget: Budget::new(&self.limits),
            scratch: OnceCell::new(),
        }
    }
}

/// The matching of one GROUPS claim's names against its regex, charged to one budget.
pub(crate) struct GroupNameSearch<'r> {
    regex: &'r GroupNameRegex,
    budget: Budget,
    scratch: OnceCell<Scratch>,
}

impl GroupNameSearch<'_> {
    /// Whether the regex matches the whole of `name`; `Err` when the budget runs out.
    pub(crate) fn is_match(&self, name: &str) -> Result<bool, super::EvalError> {
        self.regex
            .pattern
            .is_match(name, &self.budget, &self.scratch)
            .map_err(EvalError::into_error)
    }
}

impl Pattern {
    /// The bytes of what compiling it built (the measure of its compilation's cost).
    pub(crate) fn nfa_bytes(&self) -> usize {
        self.nfa_bytes
    }

    /// Whether the pattern matches somewhere in `hay` (the whole of it when built `whole`).
    pub(crate) fn is_match(
        self: &Arc<Self>,
        hay: &str,
        budget: &Budget,
        caches: &OnceCell<Scratch>,
    ) -> Result<bool, EvalError> {
        let r = match &self.engine {
            Engine::Dense { fwd, .. } => dense_fwd(fwd, hay.as_bytes(), 0, true, budget),
            Engine::Lazy { fwd, rev } => {
                // the scratch is made on the first lazy search of the evaluation
                let caches = caches.get_or_init(Scratch::default);
                let mut c = caches.take(self, fwd, rev, budget)?;
                let r = self.lazy_fwd(fwd, &mut c.fwd, hay.as_bytes(), 0, true, budget);
                caches.put(self, c);
                r
            }
        };
        match r {
            Ok(m) => Ok(m.is_some()),
            Err(Stop::Err(e)) => Err(e),
            Err(Stop::Quit) => Ok(self.pikevm_find(hay, 0, budget)?.is_some()),
        }
    }

    /// The leftmost-first match at or after `at`; an empty match inside a character is
    /// skipped (the search goes on from the next byte), as the `regex` crate does.
    fn find(
        &self,
        mut c: Option<&mut DfaCaches>,
        hay: &str,
        mut at: usize,
        budget: &Budget,
    ) -> Result<Option<Range<usize>>, EvalError> {
        loop {
            let fwd = match (&self.engine, c.as_deref_mut()) {
                (Engine::Dense { fwd, .. }, _) => dense_fwd(fwd, hay.as_bytes(), at, false, budget),
                (Engine::Lazy { fwd, .. }, Some(c)) => {
                    self.lazy_fwd(fwd, &mut c.fwd, hay.as_bytes(), at, false, budget)
                }
                (Engine::Lazy { .. }, None) => Err(Stop::Err(engine_err("no cache"))),
            };
            let m = match fwd {
                Ok(None) => None,
                Ok(Some(end)) if end == at || self.anchored => Some(at..end),
                Ok(Some(end)) => {
                    let rev = match (&self.engine, c.as_deref_mut()) {
                        (Engine::Dense { rev, .. }, _) => {
                            dense_rev(rev, hay.as_bytes(), at, end, budget)
                        }
                        (Engine::Lazy { rev, .. }, Some(c)) => {
                            self.lazy_rev(rev, &mut c.rev, hay.as_bytes(), at, end, budget)
                        }
                        (Engine::Lazy { .. }, None) => Err(Stop::Err(engine_err("no cache"))),
                    };
                    match rev {
                        Ok(start) => Some(start..end),
                        Err(Stop::Err(e)) => return Err(e),
                        Err(Stop::Quit) => self.pikevm_find(hay, at, budget)?,
                    }
                }
                Err(Stop::Err(e)) => return Err(e),
                Err(Stop::Quit) => self.pikevm_find(hay, at, budget)?,
            };
            match m {
                Some(m) if m.is_empty() && !hay.is_char_boundary(m.start) => at = m.start + 1,
                other => return Ok(other),
            }
        }
    }

    /// Where the leftmost-first match that starts at or after `at` ends (lazy DFA).
    fn lazy_fwd(
        &self,
        dfa: &hybrid::dfa::DFA,
        cache: &mut hybrid::dfa::Cache,
        hay: &[u8],
        at: usize,
        earliest: bool,
        budget: &Budget,
    ) -> Result<Option<usize>, Stop> {
        let input = Input::new(hay).range(at..).earliest(earliest);
        budget.charge(SEARCH_UNITS)?;
        // the whole rest may be scanned: make sure the scan alone would fit
        budget.reserve(((hay.len() - at) as u64).div_ceil(REGEX_BYTES_PER_UNIT))?;
        let mut meter = Meter::new(budget, self.cache_capacity, cache);
        let mut sid = dfa.start_state_forward(cache, &input).map_err(match_err)?;
        let mut mat = None;
        let mut i = at;
        while let Some(&b) = hay.get(i) {
            sid = dfa
                .next_state(cache, sid, b)
                .map_err(|e| Stop::Err(engine_err(e)))?;
            meter.scanned += 1;
            if meter.scanned >= METER_EVERY {
                meter.settle(cache)?;
            }
            if sid.is_tagged() {
                if sid.is_match() {
                    mat = Some(i);
                    if earliest {
                        meter.settle(cache)?;
                        return Ok(mat);
                    }
                } else if sid.is_dead() {
                    meter.settle(cache)?;
                    return Ok(mat);
                } else if sid.is_quit() {
                    return Err(Stop::Quit);
                }
            }
            i += 1;
        }
        sid = dfa
            .next_eoi_state(cache, sid)
            .map_err(|e| Stop::Err(engine_err(e)))?;
        if sid.is_match() {
            mat = Some(hay.len());
        }
        meter.settle(cache)?;
        Ok(mat)
    }

    /// Where the match that ends at `end` starts (lazy DFA; an anchored search backwards, at
    /// most to `at`).
    fn lazy_rev(
        &self,
        dfa: &hybrid::dfa::DFA,
        cache: &mut hybrid::dfa::Cache,
        hay: &[u8],
        at: usize,
        end: usize,
        budget: &Budget,
    ) -> Result<usize, Stop> {
        let input = Input::new(hay).range(at..end).anchored(Anchored::Yes);
        budget.reserve(((end - at) as u64).div_ceil(REGEX_BYTES_PER_UNIT))?;
        let mut meter = Meter::new(budget, self.cache_capacity, cache);
        let mut sid = dfa.start_state_reverse(cache, &input).map_err(match_err)?;
        let mut mat = None;
        let mut i = end;
        while i > at {
            i -= 1;
            let b = hay.get(i).copied().unwrap_or_default();
            sid = dfa
                .next_state(cache, sid, b)
                .map_err(|e| Stop::Err(engine_err(e)))?;
            meter.scanned += 1;
            if meter.scanned >= METER_EVERY {
                meter.settle(cache)?;
            }
            if sid.is_tagged() {
                if sid.is_match() {
                    mat = Some(i + 1);
                } else if sid.is_dead() {
                    meter.settle(cache)?;
                    return mat.ok_or_else(|| Stop::Err(engine_err("no match backwards")));
                } else if sid.is_quit() {
                    return Err(Stop::Quit);
                }
            }
        }
        // the byte before the search (or the start of the text) decides look-behind
        sid = match at.checked_sub(1).and_then(|p| hay.get(p)) {
            Some(&b) => dfa.next_state(cache, sid, b),
            None => dfa.next_eoi_state(cache, sid),
        }
        .map_err(|e| Stop::Err(engine_err(e)))?;
        if is_match_state(sid) {
            mat = Some(at);
        } else if sid.is_quit() {
            return Err(Stop::Quit);
        }
        meter.settle(cache)?;
        mat.ok_or_else(|| Stop::Err(engine_err("no match backwards")))
    }

    /// The leftmost-first match at or after `at`, by the PikeVM (charged its worst case).
    fn pikevm_find(
        &self,
        hay: &str,
        at: usize,
        budget: &Budget,
    ) -> Result<Option<Range<usize>>, EvalError> {
        budget.charge(self.pikevm_units(hay.len() - at))?;
        let mut cache = self.pikevm.create_cache();
        budget.alloc(cache.memory_usage() as u64)?;
        Ok(self
            .pikevm
            .find(&mut cache, Input::new(hay).range(at..))
            .map(|m| m.range()))
    }

    /// A PikeVM search over `bytes` bytes: the closure of its first position may visit every
    /// state (about 10 ns each in an NFA of nested optional groups), a unit each; each byte
    /// after it steps the active states, at most all of them.
    fn pikevm_units(&self, bytes: usize) -> u64 {
        (bytes as u64)
            .saturating_mul(self.states)
            .div_ceil(PIKEVM_STEPS_PER_UNIT)
            .saturating_add(self.states)
    }

    /// Replaces the first (or every) match in `hay` by `rep`, into `out`.
    pub(crate) fn replace(
        self: &Arc<Self>,
        hay: &str,
        rep: &Replacement,
        all: bool,
        out: &mut Bounded,
        budget: &Budget,
        caches: &Scratch,
    ) -> Result<Result<(), Full>, EvalError> {
        match &self.engine {
            Engine::Dense { .. } => self.replace_with(None, hay, rep, all, out, budget),
            Engine::Lazy { fwd, rev } => {
                let mut c = caches.take(self, fwd, rev, budget)?;
                let r = self.replace_with(Some(&mut c), hay, rep, all, out, budget);
                caches.put(self, c);
                r
            }
        }
    }

    fn replace_with(
        &self,
        mut c: Option<&mut DfaCaches>,
        hay: &str,
        rep: &Replacement,
        all: bool,
        out: &mut Bounded,
        budget: &Budget,
    ) -> Result<Result<(), Full>, EvalError> {
        let piece = |r: Range<usize>| {
            hay.get(r)
                .ok_or_else(|| engine_err("a match inside a character"))
        };
        let mut caps = rep
            .needs_groups()
            .then(|| (self.pikevm.create_captures(), self.pikevm.create_cache()));
        let (mut at, mut copied, mut last_end) = (0, 0, None);
        while at <= hay.len() {
            let Some(mut m) = self.find(c.as_deref_mut(), hay, at, budget)? else {
                break;
            };
            if m.is_empty() && Some(m.end) == last_end {
                // an empty match right after the previous match: look one byte further
                if at + 1 > hay.len() {
                    break;
                }
                match self.find(c.as_deref_mut(), hay, at + 1, budget)? {
                    Some(next) => m = next,
                    None => break,
                }
            }
            if let Err(full) = out.push_str(piece(copied..m.start)?) {
                return Ok(Err(full));
            }
            let whole = m.clone();
            let expanded = match &mut caps {
                None => rep.expand(out, |g| if g == 0 { hay.get(whole.clone()) } else { None }),
                Some((groups, pcache)) => {
                    budget.charge(self.pikevm_units(m.len()))?;
                    let input = Input::new(hay).range(m.clone()).anchored(Anchored::Yes);
                    self.pikevm.captures(pcache, input, groups);
                    rep.expand(out, |g| {
                        groups.get_group(g).and_then(|s| hay.get(s.range()))
                    })
                }
            };
            if let Err(full) = expanded {
                return Ok(Err(full));
            }
            copied = m.end;
            at = m.end;
            last_end = Some(m.end);
            if !all {
                break;
            }
        }
        budget.charge(cost::byte_units(hay.len() - copied))?;
        Ok(out.push_str(piece(copied..hay.len())?))
    }

    /// Reads a Java replacement string (`$1`, `${name}`, `\$`) against this pattern's groups.
    pub(crate) fn replacement(&self, r: &str) -> Result<Replacement, EvalError> {
        let info = self.pikevm.get_nfa().group_info();
        let groups = info.group_len(PatternID::ZERO).saturating_sub(1);
        let bad = |m: String| EvalError::new(EvalErrorKind::Argument, m);
        let mut pieces = Vec::new();
        let mut lit = String::new();
        let mut chars = r.char_indices().peekable();
        while let Some((_, c)) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some((_, n)) => lit.push(n),
                    None => return Err(bad("character to be escaped is missing".into())),
                },
                '$' => {
                    let group = match chars.peek() {
                        Some(&(start, '{')) => {
                            chars.next();
                            let rest = r.get(start + 1..).unwrap_or("");
                            let Some(close) = rest.find('}') else {
                                return Err(bad(
                                    "named capturing group is missing trailing '}'".into()
                                ));
                            };
                            let name = rest.get(..close).unwrap_or("");
                            for _ in 0..=name.chars().count() {
                                chars.next();
                            }
                            info.to_index(PatternID::ZERO, name).ok_or_else(|| {
                                bad(format!("no group with name {{{}}}", cost::excerpt(name)))
                            })?
                        }
                        Some(&(_, d)) if d.is_ascii_digit() => {
                            chars.next();
                            // Java: the first digit always counts; later ones while the number
                            // is still a group
                            let mut n = d as usize - '0' as usize;
                            if n > groups {
                                return Err(bad(format!("no group {n}")));
                            }
                            while let Some(&(_, d)) = chars.peek() {
                                let Some(next) = d
                                    .to_digit(10)
                                    .and_then(|d| n.checked_mul(10)?.checked_add(d as usize))
                                else {
                                    break;
                                };
                                if next > groups {
                                    break;
                                }
                                n = next;
                                chars.next();
                            }
                            n
                        }
                        _ => return Err(bad("illegal group reference in the replacement".into())),
                    };
                    if !lit.is_empty() {
                        pieces.push(Piece::Lit(std::mem::take(&mut lit)));
                    }
                    pieces.push(Piece::Group(group));
                }
                _ => lit.push(c),
            }
        }
        if !lit.is_empty() {
            pieces.push(Piece::Lit(lit));
        }
        Ok(Replacement { pieces })
    }
}

/// Where the leftmost-first match that starts at or after `at` ends (dense DFA), each block
/// of bytes charged before it is scanned.
fn dense_fwd(
    dfa: &dfa::dense::DFA<Vec<u32>>,
    hay: &[u8],
    at: usize,
    earliest: bool,
    budget: &Budget,
) -> Result<Option<usize>, Stop> {
    budget.charge(SEARCH_UNITS)?;
    let input = Input::new(hay).range(at..).earliest(earliest);
    let mut sid = dfa.start_state_forward(&input).map_err(match_err)?;
    let mut mat = None;
    let mut i = at;
    // charged a block of bytes at a time, before the block is searched
    for block in hay.get(at..).unwrap_or_default().chunks(METER_EVERY) {
        budget.charge((METER_EVERY as u64).div_ceil(REGEX_BYTES_PER_UNIT))?;
        for &b in block {
            sid = dfa.next_state(sid, b);
            if dfa.is_special_state(sid) {
                if dfa.is_match_state(sid) {
                    mat = Some(i);
                    if earliest {
                        return Ok(mat);
                    }
                } else if dfa.is_dead_state(sid) {
                    return Ok(mat);
                } else if dfa.is_quit_state(sid) {
                    return Err(Stop::Quit);
                }
            }
            i += 1;
        }
    }
    sid = dfa.next_eoi_state(sid);
    if dfa.is_match_state(sid) {
        mat = Some(hay.len());
    }
    Ok(mat)
}

/// Where the match that ends at `end` starts (dense DFA; anchored, backwards, at most to `at`).
fn dense_rev(
    dfa: &dfa::dense::DFA<Vec<u32>>,
    hay: &[u8],
    at: usize,
    end: usize,
    budget: &Budget,
) -> Result<usize, Stop> {
    let input = Input::new(hay).range(at..end).anchored(Anchored::Yes);
    let mut sid = dfa.start_state_reverse(&input).map_err(match_err)?;
    let mut mat = None;
    for i in (at..end).rev() {
        if (end - i - 1).is_multiple_of(METER_EVERY) {
            budget.charge((METER_EVERY as u64).div_ceil(REGEX_BYTES_PER_UNIT))?;
        }
        sid = dfa.next_state(sid, hay.get(i).copied().unwrap_or_default());
        if dfa.is_special_state(sid) {
            if dfa.is_match_state(sid) {
                mat = Some(i + 1);
            } else if dfa.is_dead_state(sid) {
                return mat.ok_or_else(|| Stop::Err(engine_err("no match backwards")));
            } else if dfa.is_quit_state(sid) {
                return Err(Stop::Quit);
            }
        }
    }
    // the byte before the search (or the start of the text) decides look-behind
    sid = match at.checked_sub(1).and_then(|p| hay.get(p)) {
        Some(&b) => dfa.next_state(sid, b),
        None => dfa.next_eoi_state(sid),
    };
    if dfa.is_match_state(sid) {
        mat = Some(at);
    } else if dfa.is_quit_state(sid) {
        return Err(Stop::Quit);
    }
    mat.ok_or_else(|| Stop::Err(engine_err("no match backwards")))
}

fn is_match_state(sid: LazyStateID) -> bool {
    sid.is_tagged() && sid.is_match()
}

fn match_err(e: regex_automata::MatchError) -> Stop {
    match e.kind() {
        regex_automata::MatchErrorKind::Quit { .. } => Stop::Quit,
        _ => Stop::Err(engine_err(e)),
    }
}

/// A parsed Java replacement.
#[derive(Debug)]
pub(crate) struct Replacement {
    pieces: Vec<Piece>,
}

#[derive(Debug)]
enum Piece {
    Lit(String),
    Group(usize),
}

impl Replacement {
    /// Whether a group other than the whole match is referred to.
    fn needs_groups(&self) -> bool {
        self.pieces
            .iter()
            .any(|p| matches!(p, Piece::Group(g) if *g > 0))
    }

    fn expand<'h>(
        &self,
        out: &mut Bounded,
        group: impl Fn(usize) -> Option<&'h str>,
    ) -> Result<(), Full> {
        for p in &self.pieces {
            match p {
                Piece::Lit(s) => out.push_str(s)?,
                Piece::Group(g) => out.push_str(group(*g).unwrap_or(""))?,
            }
        }
        Ok(())
    }
}

/// A regex operand: compiled with the program when literal, else through a bounded cache of
/// patterns compiled at evaluation time (each compilation charged).
#[derive(Debug)]
pub(crate) enum RegexArg {
    Fixed(Arc<Pattern>),
    Dynamic(PatternCache),
}

/// Patterns compiled at evaluation time at one call site, shared by the evaluations of a
/// program so that a pattern is compiled once, whatever the number of evaluations.
///
/// What an evaluation is charged does not depend on this sharing: each evaluation is charged as
/// if it had its own cache of [`Limits::regex_cache_capacity`] patterns per call site (kept in
/// its [`Scratch`]), so a pattern costs its compilation the first time an evaluation uses it
/// (and again if that evaluation's own cache evicted it), whoever compiled it first.
#[derive(Debug, Default)]
pub(crate) struct PatternCache(Mutex<Vec<(Arc<str>, Arc<Pattern>)>>);

impl PatternCache {
    pub(crate) fn get(
        &self,
        pattern: &str,
        whole: bool,
        limits: &Limits,
        budget: &Budget,
        scratch: &Scratch,
    ) -> Result<Arc<Pattern>, EvalError> {
        let site = std::ptr::from_ref(self) as usize;
        {
            let seen = scratch.patterns.borrow();
            budget.charge(seen.len() as u64 + cost::byte_units(pattern.len()))?;
            if let Some((_, _, p)) = seen.iter().find(|(s, t, _)| *s == site && &**t == pattern) {
                return Ok(p.clone());
            }
        }
        // Compiling: parsing is linear in the pattern (refused beyond its limit), and charged
        // before; building is linear in what it builds (at most a few times the size limit,
        // which bounds the work of one compilation), and charged once that is known.
        let parse = (pattern.len().min(max_pattern_len(limits)) as u64)
            .saturating_mul(REGEX_PATTERN_UNITS_PER_BYTE);
        budget.charge(REGEX_COMPILE_UNITS + parse)?;
        let shared = self.0.lock().ok().and_then(|c| {
            c.iter()
                .find(|(p, _)| &**p == pattern)
                .map(|(_, r)| r.clone())
        });
        let built = match shared {
            Some(p) => Ok(p),
            None => build(pattern, whole, limits).map(Arc::new),
        };
        // a compilation that failed stopped at the size limit (or before)
        let compiled = built
            .as_ref()
            .map_or(limits.max_regex_size, |p| p.nfa_bytes());
        budget.charge((compiled as u64).saturating_mul(REGEX_UNITS_PER_COMPILED_BYTE))?;
        let r = built.map_err(|m| EvalError::new(EvalErrorKind::InvalidPattern, m))?;
        budget.alloc(r.heap_bytes as u64 + pattern.len() as u64)?;
        let key: Arc<str> = Arc::from(pattern);
        let cap = limits.regex_cache_capacity;
        if cap > 0 {
            let mut seen = scratch.patterns.borrow_mut();
            if seen.iter().filter(|(s, _, _)| *s == site).count() >= cap
                && let Some(i) = seen.iter().position(|(s, _, _)| *s == site)
            {
                // evicted: its lazy-DFA caches go too
                let (_, _, old) = seen.remove(i);
                scratch
                    .dfa
                    .borrow_mut()
                    .retain(|(p, _)| !Arc::ptr_eq(p, &old));
            }
            seen.push((site, key.clone(), r.clone()));
            if let Ok(mut c) = self.0.lock()
                && !c.iter().any(|(p, _)| Arc::ptr_eq(p, &key) || **p == *key)
            {
                if c.len() >= cap {
                    c.remove(0);
                }
                c.push((key, r.clone()));
            }
        }
        Ok(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_only_regex_detected() {
        assert!(java_only_construct("(?=a)b").is_some());
        assert!(java_only_construct("(?<!a)b").is_some());
        assert!(java_only_construct(r"(a)\1").is_some());
        assert!(java_only_construct("a*+").is_some());
        assert!(java_only_construct("(?>a)").is_some());
        assert!(java_only_construct(r"(?i)engineer").is_none());
        assert!(java_only_construct(r"(?<name>a)").is_none());
        assert!(java_only_construct(r"[+*]+").is_none());
        assert!(java_only_construct(r"\d{1,2}+").is_some());
        assert!(java_only_construct(r"\++").is_none());
        assert!(java_only_construct("+é\\").is_none());
    }

    #[test]
    fn slashes() {
        assert_eq!(strip_slashes("/a.*/"), "a.*");
        assert_eq!(strip_slashes("/a.*"), "a.*");
        assert_eq!(strip_slashes("//"), "/");
        assert_eq!(strip_slashes("/"), "");
        assert_eq!(strip_slashes("/é/"), "é");
        assert_eq!(strip_slashes("a/"), "a/");
    }

    fn replace_all(p: &str, hay: &str, rep: &str) -> Result<String, EvalError> {
        let limits = Limits::default();
        let budget = Budget::new(&limits);
        let re = Arc::new(build(p, false, &limits).unwrap());
        let rep = re.replacement(rep)?;
        let mut out = Bounded::new(&limits, &budget);
        re.replace(hay, &rep, true, &mut out, &budget, &Scratch::default())?
            .unwrap();
        out.finish(&budget)
    }

    #[test]
    fn replacements_follow_java() {
        assert_eq!(replace_all("(a)-(b)", "a-b", "$2-$1").unwrap(), "b-a");
        assert_eq!(replace_all("l+", "hello", "L").unwrap(), "heLo");
        assert_eq!(replace_all("x*", "abc", "-").unwrap(), "-a-b-c-");
        assert_eq!(replace_all("", "é", "-").unwrap(), "-é-");
        assert_eq!(replace_all("(a)", "a", "$10").unwrap(), "a0");
        assert_eq!(replace_all("(?<x>a)", "a", "${x}\\$").unwrap(), "a$");
        assert!(replace_all("(a)", "a", "$2").is_err());
        assert!(replace_all("(a)", "a", "$x").is_err());
        assert!(replace_all("(a)", "a", "\\").is_err());
        assert_eq!(replace_all(r"\bé", "é é", "x").unwrap(), "x x");
        assert_eq!(replace_all("a|", "ba", "-").unwrap(), "-b-");
    }

    #[test]
    fn matches_agree_with_the_regex_crate() {
        let limits = Limits::default();
        let budget = Budget::new(&limits);
        for (p, hay) in [
            ("a+", "baaa"),
            ("^b", "ab"),
            (r"\bfoo\b", "a foo b"),
            (r"\bfoo\b", "éfoo"),
            ("(?i)ÉCOLE", "école"),
            ("[0-9]{3}", "ab12"),
            ("", ""),
        ] {
            let caches = OnceCell::new();
            let ours = Arc::new(build(p, false, &limits).unwrap());
            let theirs = regex::Regex::new(p).unwrap();
            let got = ours.is_match(hay, &budget, &caches).unwrap();
            assert_eq!(got, theirs.is_match(hay), "{p} {hay}");
            let whole = Arc::new(build(p, true, &limits).unwrap());
            let anchored = regex::Regex::new(&format!(r"\A(?:{p})\z")).unwrap();
            let got = whole.is_match(hay, &budget, &caches).unwrap();
            assert_eq!(got, anchored.is_match(hay), "{p} {hay}");
        }
    }

    #[test]
    fn patterns_too_large_for_a_full_dfa_run_on_a_lazy_one() {
        // the classic exponential DFA: a small NFA, 2^13 DFA states
        let limits = Limits::default().with_max_regex_size(64 << 10);
        let re = Arc::new(build("[01]*1[01]{12}", false, &limits).unwrap());
        assert!(matches!(re.engine, Engine::Lazy { .. }));
        let small = Arc::new(build("a[bc]+d", false, &limits).unwrap());
        assert!(matches!(small.engine, Engine::Dense { .. }));
        let theirs = regex::Regex::new("[01]*1[01]{12}").unwrap();
        let budget = Budget::new(&Limits::default());
        let scratch = OnceCell::new();
        for hay in [
            "0100000000000",
            "x1000000000000y",
            "0".repeat(5000).as_str(),
            "10".repeat(3000).as_str(),
        ] {
            assert_eq!(
                re.is_match(hay, &budget, &scratch).unwrap(),
                theirs.is_match(hay),
                "{hay}"
            );
            let rep = re.replacement("<$0>").unwrap();
            let mut out = Bounded::new(&limits, &budget);
            re.replace(
                hay,
                &rep,
                true,
                &mut out,
                &budget,
                scratch.get_or_init(Scratch::default),
            )
            .unwrap()
            .unwrap();
            assert_eq!(
                out.finish(&budget).unwrap(),
                theirs.replace_all(hay, "<$0>"),
                "{hay}"
            );
        }
    }

    #[test]
    fn searches_are_charged() {
        let limits = Limits::default().with_max_cost(1000);
        let budget = Budget::new(&limits);
        let re = Arc::new(build("(.{0,30}){0,30}x", false, &Limits::default()).unwrap());
        let hay = "a".repeat(1 << 20);
        let e = re.is_match(&hay, &budget, &OnceCell::new()).unwrap_err();
        assert_eq!(e.kind, EvalErrorKind::Limit);
        assert!(budget.cost() <= 1000);
    }
}

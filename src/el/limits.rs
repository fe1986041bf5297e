//! The resource limits of one engine instance.

/// Resource limits of one engine instance (one server), checked at compile and evaluation time.
///
/// Nothing here is process-global: two servers may use different limits side by side. Set
/// them with the `with_*` methods (the struct is `#[non_exhaustive]`, so it can't be built
/// with a literal outside this crate):
///
/// ```
/// use tokenmint::el::Limits;
///
/// let strict = Limits::default()
///     .with_max_cost(1_000_000)
///     .with_max_string_len(64 << 10)
///     .with_max_total_bytes(4 << 20);
/// assert_eq!(strict.max_cost, 1_000_000);
/// assert_eq!(strict.max_length, 1024); // the others keep their defaults
/// ```
///
/// # What the evaluation limits bound
///
/// Every operator, function and method charges the evaluation's budget *before* it does its
/// work or builds its result (see the [cost model](super#limits-and-the-cost-model)): `max_cost` bounds the
/// work (and so the time) of one evaluation, `max_total_bytes` the bytes it allocates for the
/// strings, lists and maps it produces, and `max_string_len` and `max_list_len` each value.
/// Exceeding any of them is an [`EvalErrorKind::Limit`](super::EvalErrorKind::Limit) error.
///
/// The defaults keep every evaluation of any expression of up to 1024 characters under about
/// 0.15 s of work and 64 MiB of memory (measured on a 2-core x86-64 machine in a release
/// build; the calibration is documented in `src/el/cost.rs`), while every documented Okta
/// example evaluates with room to spare: the most expensive costs 26,000 units, a four
/// hundredth of the budget.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Longest accepted expression, in characters. Okta's limit, 1024, by default.
    pub max_length: usize,
    /// Deepest accepted nesting of parentheses, brackets, braces and ternary/Elvis chains.
    /// 64 by default.
    pub max_depth: usize,
    /// The cost budget of one evaluation, in cost units (at most about 15 ns of work each,
    /// 4 ns typically, on the reference machine): every node visited, byte scanned or
    /// produced, list element touched and regular expression compiled charges it, before the
    /// work. 10,000,000 by default.
    pub max_cost: u64,
    /// Longest string an evaluation may produce, in bytes (1 MiB by default).
    pub max_string_len: usize,
    /// Longest list (or map) an evaluation may produce (100,000 elements by default).
    pub max_list_len: usize,
    /// Most bytes one evaluation may allocate for the strings, lists and maps it produces, in
    /// total (32 MiB by default). Bytes are counted when produced and never given back, so
    /// this also bounds the bytes live at any moment (a conservative bound: temporaries count
    /// although they are freed). Values read from the context are shared, not counted.
    pub max_total_bytes: usize,
    /// Largest compiled size of one regular expression, in bytes (1 MiB by default); also
    /// the most memory one search's lazy-DFA cache may use. A pattern longer than a sixteenth
    /// of this (64 KiB by default) is refused before it is parsed.
    pub max_regex_size: usize,
    /// How many regular expressions computed at evaluation time (a pattern that is not a
    /// literal) each call site keeps compiled (16 by default). A pattern not in the cache is
    /// compiled again, and charged again.
    pub regex_cache_capacity: usize,
    /// Most cost units compiling one expression may spend evaluating its constant
    /// subexpressions ahead of time (`60 * 60 * 24`, `{'Admins', 'Ops'}`,
    /// `'sales'.toUpperCase()`), 256 by default; 0 turns this folding off. A folded
    /// subexpression is charged, when the program is evaluated, exactly what evaluating it would
    /// charge, so values, errors and [`Usage`](super::Usage) are the same either way; this bounds
    /// the work moved to compile time and the memory folded values keep (at most 16 bytes per
    /// unit).
    pub max_fold_cost: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_length: 1024,
            max_depth: 64,
            max_cost: 10_000_000,
            max_string_len: 1 << 20,
            max_list_len: 100_000,
            max_total_bytes: 32 << 20,
            max_regex_size: 1 << 20,
            regex_cache_capacity: 16,
            max_fold_cost: 256,
        }
    }
}

impl Limits {
    /// Sets [`Limits::max_length`].
    #[must_use]
    pub fn with_max_length(mut self, chars: usize) -> Self {
        self.max_length = chars;
        self
    }

    /// Sets [`Limits::max_depth`].
    #[must_use]
    pub fn with_max_depth(mut self, depth: usize) -> Self {
        self.max_depth = depth;
        self
    }

    /// Sets [`Limits::max_cost`].
    #[must_use]
    pub fn with_max_cost(mut self, units: u64) -> Self {
        self.max_cost = units;
        self
    }

    /// Sets [`Limits::max_string_len`].
    #[must_use]
    pub fn with_max_string_len(mut self, bytes: usize) -> Self {
        self.max_string_len = bytes;
        self
    }

    /// Sets [`Limits::max_list_len`].
    #[must_use]
    pub fn with_max_list_len(mut self, elements: usize) -> Self {
        self.max_list_len = elements;
        self
    }

    /// Sets [`Limits::max_total_bytes`].
    #[must_use]
    pub fn with_max_total_bytes(mut self, bytes: usize) -> Self {
        self.max_total_bytes = bytes;
        self
    }

    /// Sets [`Limits::max_regex_size`].
    #[must_use]
    pub fn with_max_regex_size(mut self, bytes: usize) -> Self {
        self.max_regex_size = bytes;
        self
    }

    /// Sets [`Limits::regex_cache_capacity`].
    #[must_use]
    pub fn with_regex_cache_capacity(mut self, patterns: usize) -> Self {
        self.regex_cache_capacity = patterns;
        self
    }

    /// Sets [`Limits::max_fold_cost`] (0 turns constant folding off).
    #[must_use]
    pub fn with_max_fold_cost(mut self, units: u64) -> Self {
        self.max_fold_cost = units;
        self
    }
}

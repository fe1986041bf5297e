//! The JSON member names of the configuration types, derived from their declarations.
//!
//! serde's own list of a struct's fields can't be read here: the types keep the members they
//! don't know in a `#[serde(flatten)] extra` field, and a struct with a flattened field is
//! read as a map, without a field list. So the types are declared through `config_struct!`,
//! which writes the struct as given (with `#[serde(rename_all = "camelCase")]`) and, from the
//! same tokens, its `FIELDS`: the member name of every field but `extra`, in declaration
//! order — the field's `rename` when it has one, else its name in camelCase. The validator
//! suggests these names for unknown members; nothing is typed twice.

/// Declares a configuration struct whose last field is `extra` (the members the model doesn't
/// know), adds `#[serde(rename_all = "camelCase")]`, and defines `FIELDS`, the JSON names of
/// its other fields. A `rename = "…"` inside a field's `#[serde(…)]` attribute is read; other
/// attributes pass through unread.
macro_rules! config_struct {
    (
        $(#[$($sattr:tt)*])*
        $vis:vis struct $name:ident {
            $(
                $(#[$($fattr:tt)*])*
                $fvis:vis $field:ident : $ty:ty
            ),* $(,)?
        }
    ) => {
        $(#[$($sattr)*])*
        #[serde(rename_all = "camelCase")]
        $vis struct $name {
            $(
                $(#[$($fattr)*])*
                $fvis $field : $ty,
            )*
        }

        impl $name {
            /// Every field's JSON member name, `None` for `extra`.
            const MEMBERS: &'static [Option<&'static str>] =
                &[$(config_struct!(@member $field $([$($fattr)*])*)),*];

            /// The JSON member names serde reads into fields (all but the unknown ones kept
            /// in `extra`), in declaration order.
            pub(crate) const FIELDS: &'static [&'static str] = {
                const N: usize = $crate::config::members::count_named($name::MEMBERS);
                const LIST: [&str; N] = $crate::config::members::named($name::MEMBERS);
                &LIST
            };
        }
    };
    // the member of a field: none for `extra`, else its name
    (@member extra $($attrs:tt)*) => {
        None
    };
    (@member $field:ident $($attrs:tt)*) => {
        Some(config_struct!(@json $field $($attrs)*))
    };
    // the JSON name: the first `rename = "…"` of a `serde` attribute, else camelCase
    (@json $field:ident) => {{
        const SNAKE: &str = stringify!($field);
        const CAMEL: [u8; $crate::config::members::camel_len(SNAKE)] =
            $crate::config::members::camel_case(SNAKE);
        const NAME: &str = match std::str::from_utf8(&CAMEL) {
            Ok(name) => name,
            Err(_) => panic!("field names are ASCII"),
        };
        NAME
    }};
    (@json $field:ident [serde($($inner:tt)*)] $($rest:tt)*) => {
        config_struct!(@serde $field [$($rest)*] $($inner)*)
    };
    (@json $field:ident [$($other:tt)*] $($rest:tt)*) => {
        config_struct!(@json $field $($rest)*)
    };
    (@serde $field:ident [$($rest:tt)*] rename = $json:literal $($more:tt)*) => {
        $json
    };
    (@serde $field:ident [$($rest:tt)*] $skip:tt $($more:tt)*) => {
        config_struct!(@serde $field [$($rest)*] $($more)*)
    };
    (@serde $field:ident [$($rest:tt)*]) => {
        config_struct!(@json $field $($rest)*)
    };
}

/// How many of `members` are named.
pub(crate) const fn count_named(members: &[Option<&'static str>]) -> usize {
    let (mut i, mut n) = (0, 0);
    while i < members.len() {
        // i < len: the loop's condition; this runs at compile time
        #[allow(clippy::indexing_slicing)]
        if members[i].is_some() {
            n += 1;
        }
        i += 1;
    }
    n
}

/// The named ones of `members`, in order; `N` is [`count_named`] of them (run at compile time,
/// a wrong `N` fails the build).
pub(crate) const fn named<const N: usize>(members: &[Option<&'static str>]) -> [&'static str; N] {
    let mut out = [""; N];
    let (mut i, mut o) = (0, 0);
    while i < members.len() {
        // i < len by the loop's condition, o < N by the choice of N: evaluated at compile
        // time, where an index out of bounds is a build error
        #[allow(clippy::indexing_slicing)]
        if let Some(name) = members[i] {
            out[o] = name;
            o += 1;
        }
        i += 1;
    }
    out
}

/// The length of a snake_case name in camelCase: one byte less per underscore.
pub(crate) const fn camel_len(snake: &str) -> usize {
    let bytes = snake.as_bytes();
    let (mut i, mut n) = (0, 0);
    while i < bytes.len() {
        // i < len: the loop's condition; this runs at compile time
        #[allow(clippy::indexing_slicing)]
        if bytes[i] != b'_' {
            n += 1;
        }
        i += 1;
    }
    n
}

/// A snake_case field name in camelCase, as serde's `rename_all = "camelCase"` spells it. `N`
/// is [`camel_len`] of it; run at compile time, a wrong `N` fails the build.
pub(crate) const fn camel_case<const N: usize>(snake: &str) -> [u8; N] {
    let bytes = snake.as_bytes();
    let mut out = [0u8; N];
    let (mut i, mut o, mut upper) = (0, 0, false);
    while i < bytes.len() {
        // i < len by the loop's condition, o < N by the choice of N: evaluated at compile
        // time, where an index out of bounds is a build error
        #[allow(clippy::indexing_slicing)]
        {
            let b = bytes[i];
            if b == b'_' {
                upper = true;
            } else {
                out[o] = if upper { b.to_ascii_uppercase() } else { b };
                upper = false;
                o += 1;
            }
        }
        i += 1;
    }
    out
}

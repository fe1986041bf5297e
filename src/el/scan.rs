//! A linear pre-scan of the source, run before the pest parser.
//!
//! It bounds the nesting depth (brackets, parentheses, braces and ternary/Elvis operators outside
//! strings), which is what the parser's recursion (pest's descent into brackets) and the later
//! compile passes are proportional to, and it rejects the SpEL constructs Okta does not allow
//! with a message that says so. It runs in one pass over the bytes, without recursion.

use super::{CompileError, Limits, Span};

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c == b'$'
}

fn is_ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'$'
}

fn err(src: &str, start: usize, end: usize, msg: &str, hint: Option<&str>) -> CompileError {
    CompileError::new(msg, Span::new(src, start, end), hint.map(str::to_owned))
}

/// Checks length, nesting depth and forbidden constructs.
/// Returns the deepest nesting found.
pub(crate) fn prescan(src: &str, limits: &Limits) -> Result<usize, CompileError> {
    // A character takes at least one byte: only a source longer in bytes than the limit needs
    // its characters counted.
    let chars = if src.len() > limits.max_length {
        src.chars().count()
    } else {
        src.len()
    };
    if chars > limits.max_length {
        return Err(err(
            src,
            0,
            0,
            &format!(
                "expression is {chars} characters long; the limit is {}",
                limits.max_length
            ),
            None,
        ));
    }
    let b = src.as_bytes();
    // One entry per open bracket: number of ternary/Elvis operators seen inside it, which its
    // closing bracket takes off the depth with it. (Those of the top level stay counted.)
    let mut levels: Vec<usize> = Vec::new();
    let mut depth = 1usize; // sum over levels of (1 + ternaries)
    let mut deepest = 1usize;
    let mut prev_dot = false;
    let mut i = 0;
    let check = |depth: usize, deepest: &mut usize, i: usize| -> Result<(), CompileError> {
        *deepest = (*deepest).max(depth);
        if depth > limits.max_depth {
            Err(err(
                src,
                i,
                i + 1,
                &format!(
                    "expression is nested too deeply (more than {} levels)",
                    limits.max_depth
                ),
                None,
            ))
        } else {
            Ok(())
        }
    };
    while let Some(&c) = b.get(i) {
        let was_dot = prev_dot;
        prev_dot = false;
        match c {
            b' ' | b'\t' | b'\r' | b'\n' => {
                prev_dot = was_dot;
                i += 1;
            }
            b'\'' | b'"' => {
                let start = i;
                i += 1;
                loop {
                    if i >= b.len() {
                        return Err(err(
                            src,
                            start,
                            b.len(),
                            "unterminated string literal",
                            Some(
                                "close the string with the quote it starts with; write a quote inside it twice",
                            ),
                        ));
                    }
                    if b.get(i) == Some(&c) {
                        if b.get(i + 1) == Some(&c) {
                            i += 2;
                            continue;
                        }
                        i += 1;
                        break;
                    }
                    i += 1;
                }
            }
            b'(' | b'[' | b'{' => {
                levels.push(0);
                depth += 1;
                check(depth, &mut deepest, i)?;
                i += 1;
            }
            b')' | b']' | b'}' => {
                if let Some(q) = levels.pop() {
                    depth -= 1 + q;
                }
                i += 1;
            }
            b'?' => {
                let next = b.get(i + 1).copied();
                match next {
                    Some(b'.') => {
                        prev_dot = true;
                        i += 2;
                    }
                    Some(b'[') => i += 1,
                    _ => {
                        if let Some(q) = levels.last_mut() {
                            *q += 1;
                        }
                        depth += 1;
                        check(depth, &mut deepest, i)?;
                        i += if next == Some(b':') { 2 } else { 1 };
                    }
                }
            }
            b'.' => {
                prev_dot = true;
                i += 1;
            }
            b'#' => {
                return Err(err(
                    src,
                    i,
                    i + 1,
                    "variable and function references (#name) are not allowed in Okta expressions",
                    None,
                ));
            }
            b'@' => {
                return Err(err(
                    src,
                    i,
                    i + 1,
                    "bean references (@name) are not allowed in Okta expressions",
                    None,
                ));
            }
            b'&' => {
                if b.get(i + 1) == Some(&b'&') {
                    i += 2;
                } else {
                    return Err(err(
                        src,
                        i,
                        i + 1,
                        "bean references (&name) are not allowed in Okta expressions",
                        Some("for a logical and, write '&&' or 'AND'"),
                    ));
                }
            }
            b'|' => {
                if b.get(i + 1) == Some(&b'|') {
                    i += 2;
                } else {
                    return Err(err(
                        src,
                        i,
                        i + 1,
                        "'|' is not an operator",
                        Some("for a logical or, write '||' or 'OR'"),
                    ));
                }
            }
            b'\\' => {
                return Err(err(
                    src,
                    i,
                    i + 1,
                    "a backslash is only allowed inside a string literal",
                    None,
                ));
            }
            b'+' | b'-' => {
                if b.get(i + 1) == Some(&c) {
                    let what = if c == b'+' { "increment" } else { "decrement" };
                    return Err(err(
                        src,
                        i,
                        i + 2,
                        &format!(
                            "the {what} operator ({}{}) is not allowed in Okta expressions",
                            c as char, c as char
                        ),
                        Some("separate two signs with a space"),
                    ));
                }
                i += 1;
            }
            b'=' | b'!' | b'<' | b'>' => {
                if b.get(i + 1) == Some(&b'=') {
                    i += 2;
                } else if c == b'=' {
                    return Err(err(
                        src,
                        i,
                        i + 1,
                        "assignment (=) is not allowed in Okta expressions",
                        Some("to compare, write '=='"),
                    ));
                } else {
                    i += 1;
                }
            }
            c if c.is_ascii_digit() => {
                // a number: digits, letters (suffixes, hex, exponent), `.digit`, exponent signs
                i += 1;
                while let Some(&d) = b.get(i) {
                    if is_ident_char(d)
                        || (d == b'.' && b.get(i + 1).is_some_and(u8::is_ascii_digit))
                        || ((d == b'+' || d == b'-')
                            && matches!(b.get(i.wrapping_sub(1)), Some(b'e' | b'E')))
                    {
                        i += 1;
                    } else {
                        break;
                    }
                }
            }
            c if is_ident_start(c) => {
                let start = i;
                while b.get(i).is_some_and(|c| is_ident_char(*c)) {
                    i += 1;
                }
                let word = src.get(start..i).unwrap_or_default();
                if !was_dot {
                    let is = |w: &str| word.eq_ignore_ascii_case(w);
                    let forbidden = if is("new") {
                        Some("constructor references (new) are")
                    } else if is("instanceof") {
                        Some("the instanceof operator is")
                    } else if is("between") {
                        Some("the between operator is")
                    } else {
                        None
                    };
                    if let Some(what) = forbidden {
                        return Err(err(
                            src,
                            start,
                            i,
                            &format!("{what} not allowed in Okta expressions"),
                            None,
                        ));
                    }
                    if word == "T" {
                        let mut j = i;
                        while b.get(j).is_some_and(u8::is_ascii_whitespace) {
                            j += 1;
                        }
                        if b.get(j) == Some(&b'(') {
                            return Err(err(
                                src,
                                start,
                                j + 1,
                                "type references (T(...)) are not allowed in Okta expressions",
                                None,
                            ));
                        }
                    }
                }
            }
            _ => {
                // any other character (including non-ASCII): leave it to the parser
                let ch_len = src
                    .get(i..)
                    .and_then(|r| r.chars().next())
                    .map_or(1, char::len_utf8);
                i += ch_len;
            }
        }
    }
    Ok(deepest)
}

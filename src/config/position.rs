//! Line and column of values in JSON text, by JSON pointer (RFC 6901), found in one pass.
//!
//! serde_json keeps no positions; diagnostics about a file a person edits (a Terraform plan, a
//! scenario file) are more useful with a line. The scanner walks text that has already been
//! parsed as JSON, iteratively (no recursion, whatever the nesting), in time linear in the text,
//! and records the position of each requested pointer.

use std::collections::{HashMap, HashSet};

/// A 1-based line and column (columns count characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Position {
    pub(crate) line: usize,
    pub(crate) column: usize,
}

enum Frame {
    /// An object; `len` is the pointer length before the current member's token.
    Object { len: usize },
    /// An array with the index of the next element.
    Array { len: usize, next: usize },
}

struct Cursor<'a> {
    bytes: &'a [u8],
    text: &'a str,
    at: usize,
    line: usize,
    line_start: usize,
    /// The last position computed, so that columns on one long line are counted once.
    counted_to: usize,
    counted_column: usize,
}

impl Cursor<'_> {
    fn position(&mut self) -> Position {
        if self.counted_to < self.line_start {
            self.counted_to = self.line_start;
            self.counted_column = 1;
        }
        self.counted_column += self
            .text
            .get(self.counted_to..self.at)
            .map_or(0, |s| s.chars().count());
        self.counted_to = self.at;
        Position {
            line: self.line,
            column: self.counted_column,
        }
    }

    fn skip_ws(&mut self) {
        while let Some(&b) = self.bytes.get(self.at) {
            match b {
                b'\n' => {
                    self.at += 1;
                    self.line += 1;
                    self.line_start = self.at;
                }
                b' ' | b'\t' | b'\r' => self.at += 1,
                _ => break,
            }
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    /// Reads a string starting at its opening quote; returns its decoded content.
    fn string(&mut self) -> Option<String> {
        self.at += 1;
        let mut out = String::new();
        let mut run = self.at;
        loop {
            let b = *self.bytes.get(self.at)?;
            match b {
                b'"' => {
                    out.push_str(self.text.get(run..self.at)?);
                    self.at += 1;
                    return Some(out);
                }
                b'\\' => {
                    out.push_str(self.text.get(run..self.at)?);
                    let esc = *self.bytes.get(self.at + 1)?;
                    self.at += 2;
                    match esc {
                        b'n' => out.push('\n'),
                        b't' => out.push('\t'),
                        b'r' => out.push('\r'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'u' => {
                            let hi = self.hex4()?;
                            let c = if (0xD800..0xDC00).contains(&hi)
                                && self.bytes.get(self.at) == Some(&b'\\')
                                && self.bytes.get(self.at + 1) == Some(&b'u')
                            {
                                self.at += 2;
                                let lo = self.hex4()?;
                                char::from_u32(
                                    0x10000
                                        + ((hi - 0xD800) << 10)
                                        + (lo.wrapping_sub(0xDC00) & 0x3FF),
                                )
                            } else {
                                char::from_u32(hi)
                            };
                            out.push(c.unwrap_or('\u{FFFD}'));
                        }
                        other => out.push(char::from(other)),
                    }
                    run = self.at;
                }
                _ => self.at += 1,
            }
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let s = self.text.get(self.at..self.at + 4)?;
        self.at += 4;
        u32::from_str_radix(s, 16).ok()
    }

    /// Skips a number or a literal.
    fn scalar(&mut self) {
        while let Some(&b) = self.bytes.get(self.at) {
            if matches!(b, b',' | b']' | b'}' | b' ' | b'\t' | b'\r' | b'\n') {
                break;
            }
            self.at += 1;
        }
    }
}

fn push_token(pointer: &mut String, token: &str) {
    pointer.push('/');
    for c in token.chars() {
        match c {
            '~' => pointer.push_str("~0"),
            '/' => pointer.push_str("~1"),
            c => pointer.push(c),
        }
    }
}

/// The positions of the values at `targets` (JSON pointers) in `text`. Pointers that name no
/// value, or text that is not JSON, simply give no entry.
pub(crate) fn positions(text: &str, targets: &HashSet<String>) -> HashMap<String, Position> {
    let mut found = HashMap::new();
    if targets.is_empty() {
        return found;
    }
    let mut c = Cursor {
        bytes: text.as_bytes(),
        text,
        at: 0,
        line: 1,
        line_start: 0,
        counted_to: 0,
        counted_column: 1,
    };
    // Hashing a long pointer at every value would make deep or long-keyed text quadratic:
    // only pointers as long as some target are looked up.
    let lengths: HashSet<usize> = targets.iter().map(String::len).collect();
    let mut stack: Vec<Frame> = Vec::new();
    let mut pointer = String::new();
    // Whether the next token is a value (true) or what follows a value (false).
    let mut expect_value = true;
    loop {
        c.skip_ws();
        if expect_value {
            if lengths.contains(&pointer.len())
                && c.peek().is_some()
                && targets.contains(&pointer)
                && !found.contains_key(&pointer)
            {
                found.insert(pointer.clone(), c.position());
                if found.len() == targets.len() {
                    return found;
                }
            }
            match c.peek() {
                Some(b'{') => {
                    c.at += 1;
                    c.skip_ws();
                    if c.peek() == Some(b'}') {
                        c.at += 1;
                        expect_value = false;
                    } else {
                        let len = pointer.len();
                        let Some(key) = member_key(&mut c) else {
                            return found;
                        };
                        push_token(&mut pointer, &key);
                        stack.push(Frame::Object { len });
                    }
                }
                Some(b'[') => {
                    c.at += 1;
                    c.skip_ws();
                    if c.peek() == Some(b']') {
                        c.at += 1;
                        expect_value = false;
                    } else {
                        let len = pointer.len();
                        pointer.push_str("/0");
                        stack.push(Frame::Array { len, next: 1 });
                    }
                }
                Some(b'"') => {
                    if c.string().is_none() {
                        return found;
                    }
                    expect_value = false;
                }
                Some(_) => {
                    c.scalar();
                    expect_value = false;
                }
                None => return found,
            }
        } else {
            let Some(top) = stack.last_mut() else {
                return found;
            };
            match (c.peek(), top) {
                (Some(b','), Frame::Object { len }) => {
                    c.at += 1;
                    pointer.truncate(*len);
                    let Some(key) = member_key(&mut c) else {
                        return found;
                    };
                    push_token(&mut pointer, &key);
                    expect_value = true;
                }
                (Some(b','), Frame::Array { len, next }) => {
                    c.at += 1;
                    pointer.truncate(*len);
                    pointer.push('/');
                    pointer.push_str(&next.to_string());
                    *next += 1;
                    expect_value = true;
                }
                (Some(b'}' | b']'), Frame::Object { len } | Frame::Array { len, .. }) => {
                    c.at += 1;
                    pointer.truncate(*len);
                    stack.pop();
                }
                _ => return found,
            }
        }
    }
}

/// Reads `"key" :` and leaves the cursor before the member's value.
fn member_key(c: &mut Cursor<'_>) -> Option<String> {
    c.skip_ws();
    if c.peek() != Some(b'"') {
        return None;
    }
    let key = c.string()?;
    c.skip_ws();
    if c.peek() != Some(b':') {
        return None;
    }
    c.at += 1;
    Some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str, pointer: &str) -> Option<(usize, usize)> {
        let targets = HashSet::from([pointer.to_owned()]);
        positions(text, &targets)
            .get(pointer)
            .map(|p| (p.line, p.column))
    }

    #[test]
    fn finds_members_elements_and_escaped_keys() {
        let text = "{\n  \"a\": [1, {\"b/c\": \"x\"}],\n  \"é~\": {\"\\u00e9\": true}\n}";
        assert_eq!(at(text, ""), Some((1, 1)));
        assert_eq!(at(text, "/a"), Some((2, 8)));
        assert_eq!(at(text, "/a/0"), Some((2, 9)));
        assert_eq!(at(text, "/a/1/b~1c"), Some((2, 20)));
        assert_eq!(at(text, "/é~0/é"), Some((3, 20)));
        assert_eq!(at(text, "/a/2"), None);
        assert_eq!(at(text, "/zz"), None);
    }

    #[test]
    fn empty_containers_and_deep_nesting() {
        assert_eq!(at("{\"a\": {}, \"b\": []}", "/b"), Some((1, 16)));
        let deep = format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000));
        let p = "/0".repeat(100_000);
        assert_eq!(at(&deep, &p), Some((1, 100_001)));
    }

    #[test]
    fn not_json_gives_nothing() {
        assert_eq!(at("{\"a\" 1}", "/a"), None);
        assert_eq!(at("", ""), None);
    }
}

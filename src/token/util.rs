//! base64url helpers (RFC 7515 §2: unpadded URL-safe alphabet, canonical trailing bits).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Unpadded base64url.
pub(crate) fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Appends unpadded base64url to `out`, encoded in one pass into its spare room. `None` only
/// if the encoded length overflows `usize` (`out` is then unchanged).
pub(crate) fn b64url_append(bytes: &[u8], out: &mut Vec<u8>) -> Option<()> {
    let start = out.len();
    let len = base64::encoded_len(bytes.len(), false)?;
    out.resize(start.checked_add(len)?, 0);
    let written = out
        .get_mut(start..)
        .and_then(|room| URL_SAFE_NO_PAD.encode_slice(bytes, room).ok());
    match written {
        Some(written) => {
            out.truncate(start.saturating_add(written));
            Some(())
        }
        None => {
            out.truncate(start);
            None
        }
    }
}

/// Decodes unpadded base64url; `None` on padding, a foreign character or non-zero trailing bits.
pub(crate) fn b64url_decode(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text).ok()
}

/// A short string built on the stack (a jti, an `at_hash`): its text is written into a token
/// payload without a heap allocation of its own.
#[derive(Clone, Copy)]
pub(crate) struct StackStr<const N: usize> {
    buf: [u8; N],
    len: usize,
}

impl<const N: usize> StackStr<N> {
    /// `prefix` followed by the unpadded base64url of `bytes`; `None` if that is longer than
    /// `N` bytes.
    pub(crate) fn b64url(prefix: &str, bytes: &[u8]) -> Option<Self> {
        let mut s = StackStr {
            buf: [0; N],
            len: prefix.len(),
        };
        s.buf
            .get_mut(..prefix.len())?
            .copy_from_slice(prefix.as_bytes());
        let room = s.buf.get_mut(prefix.len()..)?;
        let written = URL_SAFE_NO_PAD.encode_slice(bytes, room).ok()?;
        s.len = s.len.checked_add(written)?;
        // A prefix that is not ASCII could be cut by nothing here, but `as_str` must hold.
        std::str::from_utf8(s.buf.get(..s.len)?).ok()?;
        Some(s)
    }

    pub(crate) fn as_str(&self) -> &str {
        // Checked in `b64url`, the only constructor.
        let bytes = self.buf.get(..self.len).unwrap_or_default();
        std::str::from_utf8(bytes).unwrap_or_default()
    }
}

impl<const N: usize> serde::Serialize for StackStr<N> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

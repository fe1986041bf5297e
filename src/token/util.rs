//! base64url helpers (RFC 7515 §2: unpadded URL-safe alphabet, canonical trailing bits).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Unpadded base64url.
pub(crate) fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Appends unpadded base64url to `out`.
pub(crate) fn b64url_into(bytes: &[u8], out: &mut String) {
    URL_SAFE_NO_PAD.encode_string(bytes, out);
}

/// Appends unpadded base64url to `out`, encoded in one pass into its spare room. `None` only
/// if the encoded length overflows `usize` (`out` is then unchanged).
pub(crate) fn b64url_append(bytes: &[u8], out: &mut Vec<u8>) -> Option<()> {
    let start = out.len();
    let len = base64::encoded_len(bytes.len(), false)?;
    out.resize(start.checked_add(len)?, 0);
    match URL_SAFE_NO_PAD.encode_slice(bytes, &mut out[start..]) {
        Ok(written) => {
            out.truncate(start + written);
            Some(())
        }
        Err(_) => {
            out.truncate(start);
            None
        }
    }
}

/// Decodes unpadded base64url; `None` on padding, a foreign character or non-zero trailing bits.
pub(crate) fn b64url_decode(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text).ok()
}

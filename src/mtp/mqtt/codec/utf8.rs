//! [`Utf8Bytes`]: an MQTT UTF-8 Encoded String (§1.5.4) that stays a slice of the buffer it
//! was received in. It is validated once, when decoded, and read as `&str` for free after, so
//! topics and user properties travel through the hub without being copied into `String`s.

use std::{borrow::Borrow, fmt, hash, ops::Deref, str};

use bytes::Bytes;

/// Bytes known to be UTF-8. Decoded strings also hold no U+0000 [MQTT-1.5.4-2]; strings built
/// locally (`From<&str>`) are trusted, as the encoder does not re-check what we send.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Utf8Bytes(Bytes);

/// Why received bytes are not an MQTT UTF-8 Encoded String; both are Malformed Packets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Utf8Violation {
    /// Ill-formed UTF-8, including encoded surrogates [MQTT-1.5.4-1].
    Invalid,
    /// The null character U+0000 [MQTT-1.5.4-2].
    Null,
}

impl Utf8Bytes {
    /// A string from a literal, without allocating.
    pub const fn from_static(s: &'static str) -> Self {
        Self(Bytes::from_static(s.as_bytes()))
    }

    /// Validates `bytes` as an MQTT string and wraps them without copying.
    pub fn try_from_bytes(bytes: Bytes) -> Result<Self, Utf8Violation> {
        // `from_utf8` already refuses encoded surrogates and overlong forms.
        str::from_utf8(&bytes).map_err(|_| Utf8Violation::Invalid)?;
        if bytes.contains(&0) {
            return Err(Utf8Violation::Null);
        }
        Ok(Self(bytes))
    }

    pub fn as_str(&self) -> &str {
        // SAFETY: every constructor either validated the bytes as UTF-8 or took them from a
        // `str`/`String`, and the bytes are immutable afterwards.
        unsafe { str::from_utf8_unchecked(&self.0) }
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The underlying bytes, still sharing the receive buffer.
    pub fn into_bytes(self) -> Bytes {
        self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Deref for Utf8Bytes {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Utf8Bytes {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for Utf8Bytes {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

// Hashed as `str` so that `Borrow<str>` lets maps keyed by `Utf8Bytes` be searched by `&str`.
impl hash::Hash for Utf8Bytes {
    fn hash<H: hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl PartialEq<str> for Utf8Bytes {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Utf8Bytes {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl From<&str> for Utf8Bytes {
    fn from(s: &str) -> Self {
        Self(Bytes::copy_from_slice(s.as_bytes()))
    }
}

impl From<String> for Utf8Bytes {
    fn from(s: String) -> Self {
        Self(Bytes::from(s))
    }
}

impl From<Utf8Bytes> for Bytes {
    fn from(s: Utf8Bytes) -> Bytes {
        s.0
    }
}

impl fmt::Debug for Utf8Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Utf8Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(bytes: &'static [u8]) -> Result<Utf8Bytes, Utf8Violation> {
        Utf8Bytes::try_from_bytes(Bytes::from_static(bytes))
    }

    #[test]
    fn accepts_utf8_and_shares_the_buffer() {
        let buf = Bytes::from_static("héllo/wörld".as_bytes());
        let s = Utf8Bytes::try_from_bytes(buf.clone()).unwrap();
        assert_eq!(s, "héllo/wörld");
        assert_eq!(s.as_bytes().as_ptr(), buf.as_ptr());
    }

    #[test]
    fn refuses_ill_formed_utf8_surrogates_and_null() {
        assert_eq!(check(b"\xff"), Err(Utf8Violation::Invalid));
        assert_eq!(check(b"\xc0\xaf"), Err(Utf8Violation::Invalid)); // overlong '/'
        assert_eq!(check(b"\xed\xa0\x80"), Err(Utf8Violation::Invalid)); // U+D800
        assert_eq!(check(b"a\0b"), Err(Utf8Violation::Null));
        // U+FEFF is a character like any other and is kept [MQTT-1.5.4-3].
        assert_eq!(check(b"\xef\xbb\xbfa").unwrap().len(), 4);
    }

    #[test]
    fn looks_up_by_str() {
        let mut map = std::collections::HashMap::new();
        map.insert(Utf8Bytes::from("usp-endpoint-id"), 1);
        assert_eq!(map.get("usp-endpoint-id"), Some(&1));
    }
}

//! STOMP frame headers: an ordered list with "first occurrence wins" lookup, and the STOMP 1.2
//! value escaping (`\r \n \c \\`). Order is kept because STOMP gives a repeated header's first
//! value precedence (STOMP 1.2 §Repeated Header Entries), so a map would lose meaning.

use bytes::{BufMut, BytesMut};

use super::decoder::DecodeError;

/// The headers of one frame, in wire order, already unescaped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers {
    entries: Vec<(String, String)>,
}

impl Headers {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a header; an earlier header of the same name keeps precedence on lookup.
    pub fn push(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.entries.push((name.into(), value.into()));
    }

    /// The value of the first header called `name` (names are case-sensitive in STOMP).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every header in wire order, repeats included.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl<N: Into<String>, V: Into<String>> FromIterator<(N, V)> for Headers {
    fn from_iter<I: IntoIterator<Item = (N, V)>>(iter: I) -> Self {
        Headers {
            entries: iter
                .into_iter()
                .map(|(n, v)| (n.into(), v.into()))
                .collect(),
        }
    }
}

/// Turns the raw bytes of a header name or value into text, undoing STOMP 1.2 escapes when
/// `escaped` (every frame but CONNECT/CONNECTED). An undefined escape such as `\t` is a fatal
/// protocol error per STOMP 1.2 §Value Encoding.
pub(super) fn decode_text(raw: &[u8], escaped: bool) -> Result<String, DecodeError> {
    // Escapes are ASCII, so validating the raw bytes validates the result too.
    let text = std::str::from_utf8(raw).map_err(|_| DecodeError::NonUtf8Header)?;
    if !escaped || !text.contains('\\') {
        return Ok(text.to_owned());
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('r') => out.push('\r'),
            Some('n') => out.push('\n'),
            Some('c') => out.push(':'),
            Some('\\') => out.push('\\'),
            other => {
                return Err(DecodeError::BadEscape {
                    sequence: format!("\\{}", other.map(String::from).unwrap_or_default()),
                });
            }
        }
    }
    Ok(out)
}

/// Writes a header name or value, escaping it when the frame is escaped. NUL bytes are dropped.
/// Public so that a writer can encode a hot frame's head straight into its output buffer.
pub fn encode_text(text: &str, escaped: bool, dst: &mut BytesMut) {
    for &b in text.as_bytes() {
        match b {
            b'\\' if escaped => dst.put_slice(b"\\\\"),
            b':' if escaped => dst.put_slice(b"\\c"),
            // CONNECT/CONNECTED are unescaped on the wire, yet a raw CR or LF there would end
            // the header early and let a value inject headers; the escape text is harmless.
            b'\r' => dst.put_slice(b"\\r"),
            b'\n' => dst.put_slice(b"\\n"),
            // STOMP has no way to write a NUL in a header, and a raw one ends the frame.
            0 => {}
            _ => dst.put_u8(b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_occurrence_wins() {
        let h: Headers = [("a", "1"), ("b", "2"), ("a", "3")].into_iter().collect();
        assert_eq!(h.get("a"), Some("1"));
        assert_eq!(h.get("A"), None);
        assert_eq!(h.iter().count(), 3);
    }

    #[test]
    fn escapes_round_trip() {
        let text = "os::a\\b\r\nc";
        let mut buf = BytesMut::new();
        encode_text(text, true, &mut buf);
        assert_eq!(&buf[..], b"os\\c\\ca\\\\b\\r\\nc");
        assert_eq!(decode_text(&buf, true).unwrap(), text);
    }

    #[test]
    fn unescaped_frames_keep_backslashes() {
        assert_eq!(decode_text(b"a\\tb", false).unwrap(), "a\\tb");
        assert_eq!(decode_text(b"os::x", false).unwrap(), "os::x");
    }

    #[test]
    fn undefined_and_dangling_escapes_are_errors() {
        for raw in [&b"a\\tb"[..], b"a\\", b"\\C"] {
            assert!(matches!(
                decode_text(raw, true),
                Err(DecodeError::BadEscape { .. })
            ));
        }
    }
}

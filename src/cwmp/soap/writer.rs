//! A minimal XML writer over `BytesMut` with correct escaping and byte-exact output.
//!
//! Hand-written rather than quick-xml's `Writer` because CWMP output is a fixed, flat shape and
//! the escaping rules matter more than generality: text must survive a round trip through a
//! conforming parser (`\r` becomes `&#13;` so line-end normalisation cannot eat it), and
//! characters XML 1.0 cannot carry at all become U+FFFD instead of producing a broken document.

use bytes::{BufMut, BytesMut};

pub(crate) struct XmlWriter<'a> {
    out: &'a mut BytesMut,
}

impl<'a> XmlWriter<'a> {
    pub fn new(out: &'a mut BytesMut) -> Self {
        Self { out }
    }

    /// Markup written as is; callers pass only literals and validated names.
    pub fn raw(&mut self, markup: &str) {
        self.out.put_slice(markup.as_bytes());
    }

    pub fn open(&mut self, name: &str) {
        self.open_with(name, &[]);
    }

    pub fn open_with(&mut self, name: &str, attributes: &[(&str, &str)]) {
        self.raw("<");
        self.raw(name);
        for (key, value) in attributes {
            self.raw(" ");
            self.raw(key);
            self.raw("=\"");
            escape(self.out, value, true);
            self.raw("\"");
        }
        self.raw(">");
    }

    pub fn close(&mut self, name: &str) {
        self.raw("</");
        self.raw(name);
        self.raw(">");
    }

    /// `<name>text</name>`; always a start/end pair, never `<name/>`, which some CPE string
    /// matchers mishandle.
    pub fn leaf(&mut self, name: &str, text: &str) {
        self.open(name);
        escape(self.out, text, false);
        self.close(name);
    }

    pub fn leaf_with(&mut self, name: &str, attributes: &[(&str, &str)], text: &str) {
        self.open_with(name, attributes);
        escape(self.out, text, false);
        self.close(name);
    }

    pub fn leaf_u32(&mut self, name: &str, value: u32) {
        self.leaf(name, &value.to_string());
    }

    /// Booleans as `1`/`0`: valid `xsd:boolean`, and accepted by CPE that refuse `true`/`false`.
    pub fn leaf_bool(&mut self, name: &str, value: bool) {
        self.leaf(name, if value { "1" } else { "0" });
    }

    /// Opens a SOAP-encoded array with its exact `arrayType` count.
    pub fn open_array(&mut self, name: &str, item_type: &str, count: usize) {
        let array_type = format!("{item_type}[{count}]");
        self.open_with(name, &[("soap-enc:arrayType", &array_type)]);
    }

    /// An array of strings, each in a `<string>` item.
    pub fn string_array(&mut self, name: &str, items: &[String]) {
        self.open_array(name, "xsd:string", items.len());
        for item in items {
            self.leaf("string", item);
        }
        self.close(name);
    }
}

/// Escapes character data (`in_attribute` = false) or a double-quoted attribute value.
fn escape(out: &mut BytesMut, text: &str, in_attribute: bool) {
    for ch in text.chars() {
        match ch {
            '&' => out.put_slice(b"&amp;"),
            '<' => out.put_slice(b"&lt;"),
            '>' => out.put_slice(b"&gt;"),
            '"' if in_attribute => out.put_slice(b"&quot;"),
            '\r' => out.put_slice(b"&#13;"),
            '\t' if in_attribute => out.put_slice(b"&#9;"),
            '\n' if in_attribute => out.put_slice(b"&#10;"),
            ch if is_xml_char(ch) => {
                let mut utf8 = [0; 4];
                out.put_slice(ch.encode_utf8(&mut utf8).as_bytes());
            }
            _ => out.put_slice("\u{FFFD}".as_bytes()),
        }
    }
}

/// XML 1.0 `Char` production (Rust `char` already excludes surrogates).
pub(crate) fn is_xml_char(ch: char) -> bool {
    matches!(ch, '\t' | '\n' | '\r' | '\u{20}'..='\u{FFFD}' | '\u{10000}'..)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(write: impl FnOnce(&mut XmlWriter<'_>)) -> String {
        let mut out = BytesMut::new();
        write(&mut XmlWriter::new(&mut out));
        String::from_utf8(out.to_vec()).unwrap()
    }

    #[test]
    fn escapes_text_and_attributes() {
        let text = written(|w| w.leaf("V", "a<b>&\"c\"\r\n\u{1}\u{FFFE}"));
        assert_eq!(text, "<V>a&lt;b&gt;&amp;\"c\"&#13;\n\u{FFFD}\u{FFFD}</V>");
        let attr = written(|w| w.open_with("A", &[("k", "\"<&>\t\n")]));
        assert_eq!(attr, "<A k=\"&quot;&lt;&amp;&gt;&#9;&#10;\">");
    }

    #[test]
    fn arrays_carry_exact_counts() {
        let xml = written(|w| w.string_array("ParameterNames", &["A.".into(), "B".into()]));
        assert_eq!(
            xml,
            "<ParameterNames soap-enc:arrayType=\"xsd:string[2]\"><string>A.</string><string>B</string></ParameterNames>"
        );
    }
}

//! A small namespace-resolved element tree built from quick-xml's `NsReader`.
//!
//! CWMP messages are small and their children come in any order from real CPE, so decoding
//! looks elements up by local name in a tree rather than following a strict event sequence.
//! The tree keeps only what decoding needs: resolved names, text, children and the resolved
//! `xsi:type`. Depth is capped so that hostile nesting cannot exhaust the stack.

use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::name::{Namespace, QName, ResolveResult};
use quick_xml::reader::NsReader;

use super::SoapError;
use super::namespace::is_schema_instance_namespace;

/// The deepest element nesting accepted. CWMP needs 7 (Envelope/Body/method/list/struct/…);
/// the margin leaves room for vendor extensions while bounding recursion.
pub(crate) const MAX_DEPTH: usize = 32;

/// One element with its namespace resolved.
#[derive(Debug, Default)]
pub(crate) struct Element {
    /// Namespace URI; `None` for unqualified names (all CWMP argument elements).
    pub namespace: Option<String>,
    pub local_name: String,
    /// Concatenated character data, entity references resolved, line ends normalised.
    pub text: String,
    pub children: Vec<Element>,
    /// The `xsi:type` attribute, if any.
    pub xsi_type: Option<TypeName>,
}

/// An `xsi:type` value with its prefix resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TypeName {
    /// `None` when unprefixed without default namespace, or the prefix was never declared
    /// (sloppy stacks write `xsd:string` without declaring `xsd`).
    pub namespace: Option<String>,
    pub local_name: String,
}

impl Element {
    /// The first child with this local name, whatever its namespace: CWMP arguments are
    /// unqualified, but some stacks qualify them.
    pub fn child(&self, local_name: &str) -> Option<&Element> {
        self.children
            .iter()
            .find(|child| child.local_name == local_name)
    }

    pub fn is(&self, namespace: &str, local_name: &str) -> bool {
        self.local_name == local_name && self.namespace.as_deref() == Some(namespace)
    }

    /// `prefix`-free display name for error messages: `{uri}local` or `local`.
    pub fn display_name(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{{{ns}}}{}", self.local_name),
            None => self.local_name.clone(),
        }
    }
}

/// Parses a whole document into its root element.
pub(crate) fn parse_document(xml: &[u8]) -> Result<Element, SoapError> {
    let mut reader = NsReader::from_reader(xml);
    let config = reader.config_mut();
    config.check_end_names = true;
    config.trim_text(false);
    let mut open: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let event = reader.read_event().map_err(|err| malformed(&reader, err))?;
        match event {
            Event::Start(_) | Event::Empty(_) if root.is_some() => {
                return Err(malformed(&reader, "content after the root element"));
            }
            Event::Start(start) => {
                if open.len() >= MAX_DEPTH {
                    return Err(SoapError::TooDeep { limit: MAX_DEPTH });
                }
                open.push(new_element(&reader, &start)?);
            }
            Event::Empty(start) => {
                let element = new_element(&reader, &start)?;
                close(&mut open, &mut root, element);
            }
            Event::End(_) => {
                // check_end_names guarantees a matching Start was open.
                let element = open
                    .pop()
                    .ok_or_else(|| malformed(&reader, "unmatched end tag"))?;
                close(&mut open, &mut root, element);
            }
            Event::Text(text) => {
                let text = text
                    .xml10_content()
                    .map_err(|err| malformed(&reader, err))?;
                append_text(&reader, &mut open, &text)?;
            }
            Event::CData(data) => {
                let data = data
                    .xml10_content()
                    .map_err(|err| malformed(&reader, err))?;
                append_text(&reader, &mut open, &data)?;
            }
            Event::GeneralRef(reference) => {
                let resolved = resolve_reference(&reference).ok_or_else(|| {
                    malformed(&reader, "unknown entity or invalid character reference")
                })?;
                append_text(&reader, &mut open, &resolved)?;
            }
            // A DTD could declare entities or attribute defaults that change the meaning of
            // the document; SOAP 1.1 forbids it, so refuse rather than half-honour it.
            Event::DocType(_) => return Err(malformed(&reader, "DOCTYPE is not allowed in SOAP")),
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    if !open.is_empty() {
        return Err(malformed(&reader, "truncated document: unclosed elements"));
    }
    root.ok_or_else(|| malformed(&reader, "no root element"))
}

fn close(open: &mut [Element], root: &mut Option<Element>, element: Element) {
    match open.last_mut() {
        Some(parent) => parent.children.push(element),
        None => *root = Some(element),
    }
}

fn append_text(
    reader: &NsReader<&[u8]>,
    open: &mut [Element],
    text: &str,
) -> Result<(), SoapError> {
    match open.last_mut() {
        Some(element) => element.text.push_str(text),
        None if text.trim().is_empty() => {}
        None => return Err(malformed(reader, "text outside the root element")),
    }
    Ok(())
}

fn new_element(reader: &NsReader<&[u8]>, start: &BytesStart<'_>) -> Result<Element, SoapError> {
    let (namespace, local_name) = reader.resolver().resolve_element(start.name());
    let local_name = utf8(reader, local_name.as_ref())?.to_owned();
    let namespace = match namespace {
        ResolveResult::Bound(ns) => Some(namespace_uri(reader, ns)?),
        ResolveResult::Unbound => None,
        ResolveResult::Unknown(prefix) => {
            let prefix = String::from_utf8_lossy(&prefix);
            return Err(malformed(
                reader,
                format!("undeclared namespace prefix {prefix:?}"),
            ));
        }
    };
    let mut element = Element {
        namespace,
        local_name,
        ..Element::default()
    };
    for attribute in start.attributes() {
        let attribute = attribute.map_err(|err| malformed(reader, err))?;
        let (attr_ns, attr_local) = reader.resolver().resolve_attribute(attribute.key);
        if attr_local.as_ref() != b"type" || !names_schema_instance(&attr_ns, attribute.key) {
            continue;
        }
        let value = attribute
            .decoded_and_normalized_value(quick_xml::XmlVersion::Implicit1_0, reader.decoder())
            .map_err(|err| malformed(reader, err))?;
        element.xsi_type = Some(resolve_type_name(reader, value.trim())?);
    }
    Ok(element)
}

/// Whether an attribute named `type` is `xsi:type`: bound to an XML Schema instance URI, or
/// written with the conventional `xsi` prefix that the CPE forgot to declare.
fn names_schema_instance(namespace: &ResolveResult<'_>, key: QName<'_>) -> bool {
    match namespace {
        ResolveResult::Bound(ns) => {
            std::str::from_utf8(ns.as_ref()).is_ok_and(is_schema_instance_namespace)
        }
        ResolveResult::Unknown(prefix) => prefix.as_slice() == b"xsi",
        ResolveResult::Unbound => key.as_ref() == b"xsi:type",
    }
}

fn resolve_type_name(reader: &NsReader<&[u8]>, value: &str) -> Result<TypeName, SoapError> {
    let (namespace, local) = reader.resolver().resolve_element(QName(value.as_bytes()));
    let namespace = match namespace {
        ResolveResult::Bound(ns) => Some(namespace_uri(reader, ns)?),
        ResolveResult::Unbound | ResolveResult::Unknown(_) => None,
    };
    Ok(TypeName {
        namespace,
        local_name: utf8(reader, local.as_ref())?.to_owned(),
    })
}

/// Resolves `&name;` (the five predefined entities) and `&#N;`/`&#xN;` character references.
fn resolve_reference(reference: &BytesRef<'_>) -> Option<String> {
    if reference.is_char_ref() {
        return reference
            .resolve_char_ref()
            .ok()
            .flatten()
            .map(String::from);
    }
    let name = reference.decode().ok()?;
    quick_xml::escape::resolve_predefined_entity(&name).map(str::to_owned)
}

fn namespace_uri(reader: &NsReader<&[u8]>, namespace: Namespace<'_>) -> Result<String, SoapError> {
    Ok(utf8(reader, namespace.as_ref())?.to_owned())
}

fn utf8<'a>(reader: &NsReader<&[u8]>, bytes: &'a [u8]) -> Result<&'a str, SoapError> {
    std::str::from_utf8(bytes).map_err(|_| malformed(reader, "invalid UTF-8"))
}

fn malformed(reader: &NsReader<&[u8]>, reason: impl ToString) -> SoapError {
    SoapError::MalformedXml {
        position: reader.error_position().max(reader.buffer_position()),
        reason: reason.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_prefixes_text_and_xsi_type() {
        let xml = br#"<a:Root xmlns:a="urn:a" xmlns:t="http://www.w3.org/2001/XMLSchema"
            xmlns:i="http://www.w3.org/2001/XMLSchema-instance">
            <V i:type="t:unsignedInt">4&amp;2&#x41;<![CDATA[<x>]]></V><E/></a:Root>"#;
        let root = parse_document(xml).unwrap();
        assert!(root.is("urn:a", "Root"));
        let value = root.child("V").unwrap();
        assert_eq!(value.text, "4&2A<x>");
        let xsi_type = value.xsi_type.as_ref().unwrap();
        assert_eq!(xsi_type.local_name, "unsignedInt");
        assert_eq!(
            xsi_type.namespace.as_deref(),
            Some("http://www.w3.org/2001/XMLSchema")
        );
        assert!(root.child("E").is_some_and(|e| e.text.is_empty()));
    }

    #[test]
    fn normalises_crlf_in_text() {
        let root = parse_document(b"<R>a\r\nb\rc</R>").unwrap();
        assert_eq!(root.text, "a\nb\nc");
    }

    #[test]
    fn rejects_broken_documents() {
        for xml in [
            &b"<R><A></R>"[..],
            b"<R>",
            b"<R/><S/>",
            b"text<R/>",
            b"<p:R/>",
            b"<!DOCTYPE R [<!ENTITY e 'x'>]><R>&e;</R>",
            b"<R>&bogus;</R>",
            b"",
        ] {
            let err = parse_document(xml).unwrap_err();
            assert!(
                matches!(err, SoapError::MalformedXml { .. }),
                "{xml:?}: {err:?}"
            );
        }
    }

    #[test]
    fn caps_nesting_depth() {
        let xml = "<a>".repeat(MAX_DEPTH + 1) + &"</a>".repeat(MAX_DEPTH + 1);
        assert_eq!(
            parse_document(xml.as_bytes()).unwrap_err(),
            SoapError::TooDeep { limit: MAX_DEPTH }
        );
        let ok = "<a>".repeat(MAX_DEPTH) + &"</a>".repeat(MAX_DEPTH);
        assert!(parse_document(ok.as_bytes()).is_ok());
    }
}

//! Typed access to a method element's children, producing [`ArgumentError`]s that name the
//! method and element at fault.
//!
//! Leniency is deliberate and uniform: children are found by local name in any order, unknown
//! children are ignored, structural text is trimmed, and array items are all element children
//! whatever their name (`arrayType` counts are never trusted: genieacs-sim always says 16).

use super::super::rpc::ChangeStatus;
use super::error::ArgumentError;
use super::tree::Element;

/// The children of one element, read on behalf of `method`.
#[derive(Clone, Copy)]
pub(crate) struct Fields<'a> {
    pub method: &'static str,
    pub element: &'a Element,
}

pub(crate) type Decoded<T> = Result<T, ArgumentError>;

impl<'a> Fields<'a> {
    pub fn new(method: &'static str, element: &'a Element) -> Self {
        Self { method, element }
    }

    /// The same method's view of a nested element (a struct inside a list).
    pub fn of(&self, element: &'a Element) -> Self {
        Self {
            method: self.method,
            element,
        }
    }

    pub fn required(&self, name: &'static str) -> Decoded<&'a Element> {
        self.element.child(name).ok_or(ArgumentError::Missing {
            method: self.method,
            element: name,
        })
    }

    pub fn nested(&self, name: &'static str) -> Decoded<Self> {
        Ok(self.of(self.required(name)?))
    }

    /// Trimmed text of a required child.
    pub fn text(&self, name: &'static str) -> Decoded<String> {
        Ok(self.required(name)?.text.trim().to_owned())
    }

    /// Trimmed text of a child, or empty when absent.
    pub fn text_or_empty(&self, name: &str) -> String {
        self.element
            .child(name)
            .map(|child| child.text.trim().to_owned())
            .unwrap_or_default()
    }

    pub fn u32(&self, name: &'static str) -> Decoded<u32> {
        self.parse(name, &self.required(name)?.text, |text| text.parse().ok())
    }

    /// An optional number: `default` when absent, an error when present but not a number.
    pub fn u32_or(&self, name: &'static str, default: u32) -> Decoded<u32> {
        match self.element.child(name) {
            Some(child) => self.parse(name, &child.text, |text| text.parse().ok()),
            None => Ok(default),
        }
    }

    pub fn u8(&self, name: &'static str) -> Decoded<u8> {
        self.parse(name, &self.required(name)?.text, |text| text.parse().ok())
    }

    pub fn bool(&self, name: &'static str) -> Decoded<bool> {
        self.parse(name, &self.required(name)?.text, parse_bool)
    }

    pub fn status(&self) -> Decoded<ChangeStatus> {
        let text = &self.required("Status")?.text;
        self.parse("Status", text, |t| {
            t.parse().ok().and_then(ChangeStatus::from_wire)
        })
    }

    /// The items of a required array.
    pub fn list(&self, name: &'static str) -> Decoded<&'a [Element]> {
        Ok(&self.required(name)?.children)
    }

    /// The items of an array that may be absent.
    pub fn list_or_empty(&self, name: &str) -> &'a [Element] {
        self.element
            .child(name)
            .map(|child| child.children.as_slice())
            .unwrap_or_default()
    }

    /// The trimmed texts of a required array of strings.
    pub fn strings(&self, name: &'static str) -> Decoded<Vec<String>> {
        Ok(self
            .list(name)?
            .iter()
            .map(|item| item.text.trim().to_owned())
            .collect())
    }

    fn parse<T>(
        &self,
        name: &'static str,
        text: &str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Decoded<T> {
        parse(text.trim()).ok_or_else(|| ArgumentError::Invalid {
            method: self.method,
            element: name,
            value: text.to_owned(),
        })
    }
}

/// `xsd:boolean`, plus the capitalised spellings some stacks emit.
pub(crate) fn parse_bool(text: &str) -> Option<bool> {
    match text {
        "1" | "true" | "True" | "TRUE" => Some(true),
        "0" | "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

//! USP Path Names (TR-369 §"Path Names", architecture/index.md) as the translation needs them:
//! what kind of path it is, its segments (keeping `[…]` search expressions whole), and the
//! relative names and depths that GetResp and GetSupportedDMResp are built from.
//!
//! CWMP names are a subset of USP Path Names (no search, no `{i}`, no commands), so a USP path
//! without search segments goes to the CPE unchanged.

use super::search::{Condition, parse_expression};
use super::usp_msg::codes;

/// Why a path cannot be used; answered with 7008 "Invalid path syntax" (or 7000 for syntax
/// the adapter understands but cannot carry out over CWMP).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    #[error("empty path")]
    Empty,
    #[error("empty segment in path {0:?}")]
    EmptySegment(String),
    #[error("unbalanced '[' in path {0:?}")]
    UnbalancedBracket(String),
    #[error("invalid search expression {0:?}: {1}")]
    BadExpression(String, &'static str),
    #[error("reference following ('+', '#') is not supported by the CWMP adapter: {0:?}")]
    ReferenceFollowing(String),
}

impl PathError {
    /// 7008 for malformed paths; 7000 (a failure explained in err_msg) for valid syntax that
    /// CWMP cannot express.
    pub fn usp_code(&self) -> u32 {
        match self {
            Self::ReferenceFollowing(_) => codes::MESSAGE_FAILED,
            _ => codes::INVALID_PATH_SYNTAX,
        }
    }
}

/// What a path addresses, from its last character(s).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathKind {
    /// Ends in `.`: an object, table or instance (a CWMP "partial path").
    Object,
    Parameter,
    /// Ends in `()`.
    Command,
    /// Ends in `!`.
    Event,
}

/// One dot-separated element of a USP path.
#[derive(Debug, Clone, PartialEq)]
pub enum Segment {
    /// An object or parameter name (`WiFi`, `SSID`, `Reboot()`).
    Name(String),
    /// An instance number (`1`).
    Instance(u32),
    /// `*`: every instance.
    Wildcard,
    /// `[expr]`: the instances whose parameters satisfy every condition.
    Search(Vec<Condition>),
}

impl Segment {
    pub fn is_search(&self) -> bool {
        matches!(self, Self::Wildcard | Self::Search(_))
    }
}

/// A parsed USP path.
#[derive(Debug, Clone, PartialEq)]
pub struct UspPath {
    pub segments: Vec<Segment>,
    pub kind: PathKind,
}

impl UspPath {
    pub fn parse(path: &str) -> Result<Self, PathError> {
        if path.is_empty() {
            return Err(PathError::Empty);
        }
        let kind = kind_of(path);
        let body = path.strip_suffix('.').unwrap_or(path);
        let mut segments = Vec::new();
        for raw in split_segments(body, path)? {
            if raw.is_empty() {
                return Err(PathError::EmptySegment(path.to_owned()));
            }
            segments.push(parse_segment(raw, path)?);
        }
        Ok(Self { segments, kind })
    }

    pub fn is_search(&self) -> bool {
        self.segments.iter().any(Segment::is_search)
    }

    /// The path up to (excluding) the first search segment, ending in `.`: the object whose
    /// sub-tree a GetParameterNames must list to resolve the search.
    pub fn static_prefix(&self) -> String {
        let mut prefix = String::new();
        for segment in &self.segments {
            match segment {
                Segment::Name(name) => prefix.push_str(name),
                Segment::Instance(number) => prefix.push_str(&number.to_string()),
                Segment::Wildcard | Segment::Search(_) => break,
            }
            prefix.push('.');
        }
        prefix
    }
}

impl UspPath {
    /// The Supported Data Model form of the path (`Device.WiFi.SSID.{i}.` for
    /// `Device.WiFi.SSID.[SSID=="x"].`): what every object it matches has in common.
    pub fn supported_form(&self) -> String {
        let mut form = String::new();
        for segment in &self.segments {
            match segment {
                Segment::Name(name) => form.push_str(name),
                _ => form.push_str("{i}"),
            }
            form.push('.');
        }
        if self.kind != PathKind::Object {
            form.pop();
        }
        form
    }
}

fn kind_of(path: &str) -> PathKind {
    if path.ends_with('.') {
        PathKind::Object
    } else if path.ends_with("()") {
        PathKind::Command
    } else if path.ends_with('!') {
        PathKind::Event
    } else {
        PathKind::Parameter
    }
}

/// Splits on `.` outside brackets and outside quoted strings inside brackets.
fn split_segments<'a>(body: &'a str, whole: &str) -> Result<Vec<&'a str>, PathError> {
    let mut segments = Vec::new();
    let (mut depth, mut quoted, mut start) = (0usize, false, 0usize);
    for (index, ch) in body.char_indices() {
        match ch {
            '"' if depth > 0 => quoted = !quoted,
            '[' if !quoted => depth += 1,
            ']' if !quoted => {
                depth = depth
                    .checked_sub(1)
                    .ok_or_else(|| PathError::UnbalancedBracket(whole.to_owned()))?
            }
            '.' if depth == 0 => {
                segments.push(&body[start..index]);
                start = index + 1;
            }
            _ => {}
        }
    }
    if depth != 0 || quoted {
        return Err(PathError::UnbalancedBracket(whole.to_owned()));
    }
    segments.push(&body[start..]);
    Ok(segments)
}

fn parse_segment(raw: &str, whole: &str) -> Result<Segment, PathError> {
    if raw == "*" {
        return Ok(Segment::Wildcard);
    }
    if let Some(expr) = raw.strip_prefix('[') {
        let expr = expr
            .strip_suffix(']')
            .ok_or_else(|| PathError::UnbalancedBracket(whole.to_owned()))?;
        let conditions = parse_expression(expr)
            .map_err(|why| PathError::BadExpression(whole.to_owned(), why))?;
        if conditions.iter().any(|c| c.param.contains(['#', '+'])) {
            return Err(PathError::ReferenceFollowing(whole.to_owned()));
        }
        return Ok(Segment::Search(conditions));
    }
    if raw.contains(['#', '+']) {
        return Err(PathError::ReferenceFollowing(whole.to_owned()));
    }
    if let Some(number) = instance_number(raw) {
        return Ok(Segment::Instance(number));
    }
    Ok(Segment::Name(raw.to_owned()))
}

/// `Some(n)` for a positive decimal instance number.
pub fn instance_number(segment: &str) -> Option<u32> {
    if segment.is_empty() || !segment.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    segment.parse().ok().filter(|n| *n > 0)
}

/// Whether an object path (ending in `.`) names a table row (`….Table.3.`).
pub fn is_instance_path(object_path: &str) -> bool {
    object_path
        .strip_suffix('.')
        .and_then(|body| body.rsplit('.').next())
        .and_then(instance_number)
        .is_some()
}

/// Splits a parameter path into its object (with the trailing `.`) and its name.
pub fn split_parameter(path: &str) -> (&str, &str) {
    match path.rfind('.') {
        Some(dot) => (&path[..=dot], &path[dot + 1..]),
        None => ("", path),
    }
}

/// The object a CWMP name belongs to: itself for an object name (ending in `.`), else its
/// parent.
pub fn owning_object(name: &str) -> &str {
    if name.ends_with('.') {
        name
    } else {
        split_parameter(name).0
    }
}

/// The Supported Data Model form of an instantiated name: instance numbers become `{i}`.
pub fn supported_form(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for (index, segment) in name.split('.').enumerate() {
        if index > 0 {
            out.push('.');
        }
        if instance_number(segment).is_some() {
            out.push_str("{i}");
        } else {
            out.push_str(segment);
        }
    }
    out
}

/// How many object levels `object` lies below `base` (both ending in `.`), counting a table
/// and its instance number as one level, as TR-369's `max_depth` examples do
/// (`TemperatureStatus.TemperatureSensor.{i}.` is depth 3 below `DeviceInfo.`). `base`
/// itself is depth 1; `None` when `object` is not inside `base`.
pub fn object_depth(object: &str, base: &str) -> Option<u32> {
    let rest = object.strip_prefix(base)?;
    let levels = rest
        .split('.')
        .filter(|segment| !segment.is_empty() && instance_number(segment).is_none())
        .count();
    Some(1 + levels as u32)
}

/// Truncates to at most `max` bytes on a character boundary (CWMP string limits).
pub fn truncate(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_segments() {
        let path = UspPath::parse("Device.WiFi.SSID.1.Status").unwrap();
        assert_eq!(path.kind, PathKind::Parameter);
        assert_eq!(path.segments[3], Segment::Instance(1));
        assert!(!path.is_search());
        assert_eq!(
            UspPath::parse("Device.Reboot()").unwrap().kind,
            PathKind::Command
        );
        assert_eq!(
            UspPath::parse("Device.Boot!").unwrap().kind,
            PathKind::Event
        );
        let search = UspPath::parse(r#"Device.IP.Interface.[Name=="a.b"].IPv4Address.*."#).unwrap();
        assert_eq!(search.kind, PathKind::Object);
        assert!(matches!(search.segments[3], Segment::Search(_)));
        assert_eq!(search.segments[5], Segment::Wildcard);
        assert_eq!(search.static_prefix(), "Device.IP.Interface.");
    }

    #[test]
    fn malformed_paths() {
        assert_eq!(UspPath::parse(""), Err(PathError::Empty));
        assert!(matches!(
            UspPath::parse("Device..X"),
            Err(PathError::EmptySegment(_))
        ));
        assert!(matches!(
            UspPath::parse("Device.X.[A==1"),
            Err(PathError::UnbalancedBracket(_))
        ));
        assert!(matches!(
            UspPath::parse("Device.X.[]."),
            Err(PathError::BadExpression(..))
        ));
        let follow = UspPath::parse("Device.NAT.PortMapping.1.Interface+.Name").unwrap_err();
        assert_eq!(follow.usp_code(), 7000);
    }

    #[test]
    fn names_and_depths() {
        assert_eq!(
            supported_form("Device.WiFi.SSID.12.SSID"),
            "Device.WiFi.SSID.{i}.SSID"
        );
        assert!(is_instance_path("Device.WiFi.SSID.12."));
        assert!(!is_instance_path("Device.WiFi.SSID."));
        assert_eq!(
            split_parameter("Device.DeviceInfo.Uptime"),
            ("Device.DeviceInfo.", "Uptime")
        );
        let base = "Device.DeviceInfo.";
        assert_eq!(object_depth(base, base), Some(1));
        assert_eq!(
            object_depth("Device.DeviceInfo.TemperatureStatus.", base),
            Some(2)
        );
        let sensor = "Device.DeviceInfo.TemperatureStatus.TemperatureSensor.2.";
        assert_eq!(object_depth(sensor, base), Some(3));
        assert_eq!(object_depth("Device.WiFi.", base), None);
        assert_eq!(truncate("ééé", 3), "é");
    }
}

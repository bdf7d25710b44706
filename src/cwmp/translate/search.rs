//! USP Search Paths (`*` and `[expr]`, TR-369 architecture §"Searching") evaluated over what a
//! CPE reports, because CWMP has no search: the adapter lists the table with
//! GetParameterNames, reads the parameters the expressions test with GetParameterValues, and
//! filters locally. Only `&&` exists in USP expressions; operators are `== != ~= < > <= >=`.

use std::collections::{BTreeSet, HashMap};

use super::path::{PathKind, Segment, UspPath, instance_number};

/// One `param op value` component of a search expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// Relative path below the instance (`Name`, `Stats.ErrorsSent`).
    pub param: String,
    pub operator: Operator,
    pub constant: Constant,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    Eq,
    Ne,
    /// `~=`: the comma-separated list value contains the constant.
    Contains,
    Lt,
    Gt,
    Le,
    Ge,
}

/// The right-hand side: a double-quoted string (`%22`/`%25` escapes decoded) or a bare literal
/// (number, boolean, dateTime).
#[derive(Debug, Clone, PartialEq)]
pub enum Constant {
    Quoted(String),
    Literal(String),
}

/// Operators in matching order (two-character ones first).
const OPERATORS: [(&str, Operator); 7] = [
    ("==", Operator::Eq),
    ("!=", Operator::Ne),
    ("~=", Operator::Contains),
    ("<=", Operator::Le),
    (">=", Operator::Ge),
    ("<", Operator::Lt),
    (">", Operator::Gt),
];

/// Parses the inside of `[…]`.
pub fn parse_expression(expr: &str) -> Result<Vec<Condition>, &'static str> {
    if expr.trim().is_empty() {
        return Err("empty expression");
    }
    split_outside_quotes(expr, "&&")
        .into_iter()
        .map(parse_condition)
        .collect()
}

fn parse_condition(component: &str) -> Result<Condition, &'static str> {
    let (at, text, operator) = find_operator(component).ok_or("no operator")?;
    let param = component[..at].trim();
    let value = component[at + text.len()..].trim();
    let name_ok = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '#' | '+' | '*');
    if param.is_empty() || !param.chars().all(name_ok) {
        return Err("bad parameter name");
    }
    let constant = if let Some(quoted) = value.strip_prefix('"') {
        let inner = quoted.strip_suffix('"').ok_or("unterminated string")?;
        Constant::Quoted(percent_decode(inner))
    } else if value.is_empty() || value.contains('"') {
        return Err("bad constant");
    } else {
        Constant::Literal(value.to_owned())
    };
    Ok(Condition {
        param: param.to_owned(),
        operator,
        constant,
    })
}

fn find_operator(component: &str) -> Option<(usize, &'static str, Operator)> {
    let mut quoted = false;
    for (index, ch) in component.char_indices() {
        if ch == '"' {
            quoted = !quoted;
        }
        if quoted {
            continue;
        }
        for (text, operator) in OPERATORS {
            if component[index..].starts_with(text) {
                return Some((index, text, operator));
            }
        }
    }
    None
}

fn split_outside_quotes<'a>(text: &'a str, separator: &str) -> Vec<&'a str> {
    let (mut parts, mut quoted, mut start) = (Vec::new(), false, 0);
    let mut index = 0;
    while index < text.len() {
        if text[index..].starts_with('"') {
            quoted = !quoted;
        } else if !quoted && text[index..].starts_with(separator) {
            parts.push(&text[start..index]);
            index += separator.len();
            start = index;
            continue;
        }
        index += text[index..].chars().next().map_or(1, char::len_utf8);
    }
    parts.push(&text[start..]);
    parts
}

fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

impl Condition {
    /// Whether a parameter value (as the CPE reported it) satisfies the condition. Literals
    /// compare as numbers when both sides are numbers and as booleans when both are
    /// booleans (`1` ≡ `true`), else as text; dateTimes in the same format order as text.
    pub fn holds_for(&self, actual: &str) -> bool {
        match self.operator {
            Operator::Contains => actual
                .split(',')
                .any(|item| self.compare(item.trim()) == Some(std::cmp::Ordering::Equal)),
            Operator::Eq => self.compare(actual) == Some(std::cmp::Ordering::Equal),
            Operator::Ne => self.compare(actual) != Some(std::cmp::Ordering::Equal),
            Operator::Lt => self.compare(actual) == Some(std::cmp::Ordering::Less),
            Operator::Gt => self.compare(actual) == Some(std::cmp::Ordering::Greater),
            Operator::Le => self.compare(actual).is_some_and(|o| o.is_le()),
            Operator::Ge => self.compare(actual).is_some_and(|o| o.is_ge()),
        }
    }

    /// `actual` compared with the constant (`actual.cmp(constant)`).
    fn compare(&self, actual: &str) -> Option<std::cmp::Ordering> {
        match &self.constant {
            Constant::Quoted(text) => Some(actual.cmp(text.as_str())),
            Constant::Literal(literal) => {
                if let (Ok(a), Ok(b)) = (actual.trim().parse::<f64>(), literal.parse::<f64>()) {
                    return a.partial_cmp(&b);
                }
                if let (Some(a), Some(b)) = (boolean(actual), boolean(literal)) {
                    return Some(a.cmp(&b));
                }
                Some(actual.cmp(literal.as_str()))
            }
        }
    }
}

fn boolean(text: &str) -> Option<bool> {
    match text.trim() {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

/// A concrete name matching a search path's shape, and the values its expressions test.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// The concrete object (ending `.`) or parameter path.
    pub path: String,
    /// `(full parameter name, condition)` for every expression component on the way.
    pub checks: Vec<(String, Condition)>,
}

/// The names among `listed` (a GetParameterNames result) that have the pattern's shape:
/// same names, same instance numbers, any instance number where the pattern searches.
pub fn candidates<'a>(
    pattern: &UspPath,
    listed: impl IntoIterator<Item = &'a str>,
) -> Vec<Candidate> {
    let want_object = pattern.kind == PathKind::Object;
    let mut found = Vec::new();
    for name in listed {
        if name.ends_with('.') != want_object {
            continue;
        }
        let body = name.strip_suffix('.').unwrap_or(name);
        let parts: Vec<&str> = body.split('.').collect();
        if parts.len() != pattern.segments.len() {
            continue;
        }
        if let Some(checks) = match_segments(&pattern.segments, &parts) {
            found.push(Candidate {
                path: name.to_owned(),
                checks,
            });
        }
    }
    found
}

fn match_segments(pattern: &[Segment], parts: &[&str]) -> Option<Vec<(String, Condition)>> {
    let mut checks = Vec::new();
    for (index, (segment, part)) in pattern.iter().zip(parts).enumerate() {
        let ok = match segment {
            Segment::Name(name) => name == part,
            Segment::Instance(number) => instance_number(part) == Some(*number),
            Segment::Wildcard => instance_number(part).is_some(),
            Segment::Search(conditions) => {
                instance_number(part)?;
                let prefix = parts[..=index].join(".");
                checks.extend(
                    conditions
                        .iter()
                        .map(|c| (format!("{prefix}.{}", c.param), c.clone())),
                );
                true
            }
        };
        if !ok {
            return None;
        }
    }
    Some(checks)
}

/// The parameter names whose values the candidates' expressions need, restricted to names
/// the CPE listed (GetParameterValues is all-or-nothing: one unknown name faults it all; a
/// condition on a missing parameter is simply false).
pub fn needed_values(candidates: &[Candidate], listed: &BTreeSet<String>) -> Vec<String> {
    let names: BTreeSet<&String> = candidates
        .iter()
        .flat_map(|c| c.checks.iter().map(|(name, _)| name))
        .filter(|name| listed.contains(*name))
        .collect();
    names.into_iter().cloned().collect()
}

/// The candidates whose every condition holds.
pub fn select(candidates: Vec<Candidate>, values: &HashMap<String, String>) -> Vec<String> {
    candidates
        .into_iter()
        .filter(|c| {
            c.checks
                .iter()
                .all(|(name, condition)| values.get(name).is_some_and(|v| condition.holds_for(v)))
        })
        .map(|c| c.path)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn condition(text: &str) -> Condition {
        parse_expression(text).unwrap().remove(0)
    }

    #[test]
    fn parses_components() {
        let parts = parse_expression(r#"Type=="Normal"&&Stats.ErrorsSent>0"#).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[1].param, "Stats.ErrorsSent");
        assert_eq!(parts[1].operator, Operator::Gt);
        assert_eq!(
            condition(r#"A == "x%22y""#).constant,
            Constant::Quoted("x\"y".into())
        );
        assert!(parse_expression("A").is_err());
        assert!(parse_expression(r#"A=="x"#).is_err());
    }

    #[test]
    fn evaluates_by_type() {
        assert!(condition("Enable==true").holds_for("1"));
        assert!(condition("Port==0080").holds_for("80"));
        assert!(condition("Port>=80").holds_for("443"));
        assert!(!condition("Port<80").holds_for("443"));
        assert!(condition(r#"Name!="eth0""#).holds_for("eth1"));
        assert!(condition(r#"Capabilities~="IPv6Firewall""#).holds_for("PCP, IPv6Firewall"));
        assert!(condition("T<2021-06-06T08:00:00Z").holds_for("2020-01-01T00:00:00Z"));
    }

    #[test]
    fn matches_and_selects() {
        let pattern = UspPath::parse(r#"Device.IP.Interface.[Name=="wan"].Status"#).unwrap();
        let listed = [
            "Device.IP.Interface.1.Status",
            "Device.IP.Interface.2.Status",
            "Device.IP.Interface.2.Name",
            "Device.IP.Interface.1.Name",
            "Device.IP.Interface.3.Status",
        ];
        let found = candidates(&pattern, listed);
        assert_eq!(found.len(), 3);
        let set: BTreeSet<String> = listed.iter().map(|s| s.to_string()).collect();
        let needed = needed_values(&found, &set);
        assert_eq!(
            needed,
            ["Device.IP.Interface.1.Name", "Device.IP.Interface.2.Name"]
        );
        let values = HashMap::from([
            ("Device.IP.Interface.1.Name".to_owned(), "lan".to_owned()),
            ("Device.IP.Interface.2.Name".to_owned(), "wan".to_owned()),
        ]);
        assert_eq!(select(found, &values), ["Device.IP.Interface.2.Status"]);
    }
}

//! Topic access control (R-MQTT.42, R-STOMP.34 for the same idea on STOMP).
//!
//! A rule is a topic filter pattern in which `%e` stands for the client's endpoint ID, `%c` for
//! its ClientId and `%u` for its user name. A SUBSCRIBE is allowed when its filter lies within
//! an allowed pattern, so `usp/v1/%e/#` lets an endpoint subscribe to its own topic and below,
//! and nothing broader. A PUBLISH is allowed when its topic matches a publish pattern.
//! A pattern naming an identity the client does not have (no endpoint ID, no user name)
//! allows nothing.

use super::topic_tree::filter_within;

/// The identity a client's rules are expanded with.
#[derive(Debug, Clone, Default)]
pub struct Identity<'a> {
    pub eid: Option<&'a str>,
    pub client_id: &'a str,
    pub username: Option<&'a str>,
}

/// Allowed subscribe and publish patterns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acl {
    pub subscribe: Vec<String>,
    pub publish: Vec<String>,
}

impl Acl {
    pub fn may_subscribe(&self, who: &Identity<'_>, filter: &str) -> bool {
        self.subscribe.iter().filter_map(|p| expand(p, who)).any(|allowed| filter_within(filter, &allowed))
    }

    pub fn may_publish(&self, who: &Identity<'_>, topic: &str) -> bool {
        self.publish.iter().filter_map(|p| expand(p, who)).any(|allowed| filter_within(topic, &allowed))
    }
}

/// Substitutes the identity into `pattern`; `None` if it names one the client lacks, or one
/// that would smuggle a level separator or wildcard into the filter.
fn expand(pattern: &str, who: &Identity<'_>) -> Option<String> {
    let mut out = String::with_capacity(pattern.len() + 32);
    let mut rest = pattern;
    while let Some(at) = rest.find('%') {
        out.push_str(&rest[..at]);
        let value = match rest.as_bytes().get(at + 1) {
            Some(b'e') => who.eid?,
            Some(b'c') => who.client_id,
            Some(b'u') => who.username?,
            _ => {
                out.push('%');
                rest = &rest[at + 1..];
                continue;
            }
        };
        if value.is_empty() || value.contains(['/', '+', '#']) {
            return None;
        }
        out.push_str(value);
        rest = &rest[at + 2..];
    }
    out.push_str(rest);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usp_default() -> Acl {
        Acl {
            subscribe: vec!["usp/v1/%e/#".into(), "+/%e/#".into(), "+/+/%e/#".into()],
            publish: vec!["#".into()],
        }
    }

    #[test]
    fn endpoints_subscribe_only_to_their_own_topics() {
        let acl = usp_default();
        let me = Identity { eid: Some("os::012345-A"), client_id: "c1", username: None };
        assert!(acl.may_subscribe(&me, "usp/v1/os::012345-A"));
        assert!(acl.may_subscribe(&me, "usp/v1/os::012345-A/#"));
        assert!(acl.may_subscribe(&me, "usp/agents/os::012345-A/#"), "R-MQTT.45 +/<EID>/#");
        assert!(!acl.may_subscribe(&me, "usp/v1/os::012345-B"));
        assert!(!acl.may_subscribe(&me, "usp/v1/#"));
        assert!(!acl.may_subscribe(&me, "#"));
        assert!(acl.may_publish(&me, "usp/v1/os::012345-B"));
    }

    #[test]
    fn missing_or_unsafe_identities_allow_nothing() {
        let acl = usp_default();
        let anonymous = Identity { eid: None, client_id: "c1", username: None };
        assert!(!acl.may_subscribe(&anonymous, "usp/v1/c1"));
        let sneaky = Identity { eid: Some("x/#"), client_id: "c1", username: None };
        assert!(!acl.may_subscribe(&sneaky, "usp/v1/x/#"));
        let by_user = Acl { subscribe: vec!["users/%u/#".into()], publish: vec![] };
        let bob = Identity { eid: None, client_id: "c", username: Some("bob") };
        assert!(by_user.may_subscribe(&bob, "users/bob/inbox"));
        assert!(!by_user.may_publish(&bob, "users/bob/inbox"));
    }
}

//! What TR-369 adds to MQTT (§MQTT, R-MQTT.*): where an endpoint's Records go and how replies
//! find their way back. Pure string rules, so they are tested here rather than over sockets.

/// The Content Type a USP Record carries on MQTT 5 (R-MQTT.27).
pub const CONTENT_TYPE: &str = "usp.msg";
/// The Content Type USP 1.1 senders used; still accepted (R-MQTT.27a).
pub const LEGACY_CONTENT_TYPE: &str = "application/vnd.bbf.usp.msg";
/// The CONNECT user property naming the endpoint (R-MQTT.13).
pub const ENDPOINT_ID_PROPERTY: &str = "usp-endpoint-id";
/// The CONNACK user property naming the topic the client must subscribe to (R-MQTT.15).
pub const SUBSCRIBE_TOPIC_PROPERTY: &str = "subscribe-topic";

const REPLY_TO: &str = "/reply-to=";

/// Whether a Content Type says the payload is a USP Record.
pub fn is_usp_content_type(content_type: &str) -> bool {
    content_type == CONTENT_TYPE || content_type.eq_ignore_ascii_case(LEGACY_CONTENT_TYPE)
}

/// The topic an endpoint is reachable on when it has told us nothing else.
pub fn canonical_topic(prefix: &str, eid: &str) -> String {
    format!("{}/{eid}", prefix.trim_end_matches('/'))
}

/// Whether an endpoint ID can stand inside a topic: no level separator, no wildcard, no NUL.
/// TR-369 endpoint IDs never contain these (R-ARC.5), but peers send what they like.
pub fn eid_fits_topic(eid: &str) -> bool {
    !eid.contains(['/', '+', '#', '\0'])
}

/// Splits a 3.1.1 topic into the topic proper and the reply topic after the **last**
/// `/reply-to=`, with `%2F` turned back into `/` (R-MQTT.24/25).
pub fn split_reply_to(topic: &str) -> (&str, Option<String>) {
    match topic.rfind(REPLY_TO) {
        Some(at) => {
            let encoded = &topic[at + REPLY_TO.len()..];
            (&topic[..at], Some(encoded.replace("%2F", "/").replace("%2f", "/")))
        }
        None => (topic, None),
    }
}

/// The 3.1.1 way to tell the receiver where to answer: `<topic>/reply-to=<reply, / as %2F>`.
pub fn with_reply_to(topic: &str, reply: &str) -> String {
    format!("{topic}{REPLY_TO}{}", reply.replace('/', "%2F"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_to_round_trip_as_in_the_spec() {
        let topic = "usp/agents/cid:3AA3F8:my-unique-usp-id-42";
        let reply = "usp/controllers/oui:00256D:my-unique-bbf-id-42";
        let wire = with_reply_to(topic, reply);
        assert_eq!(
            wire,
            "usp/agents/cid:3AA3F8:my-unique-usp-id-42/reply-to=usp%2Fcontrollers%2Foui:00256D:my-unique-bbf-id-42"
        );
        assert_eq!(split_reply_to(&wire), (topic, Some(reply.to_owned())));
    }

    #[test]
    fn last_reply_to_wins_and_obuspa_form_parses() {
        assert_eq!(
            split_reply_to("/usp/controller/reply-to=%2Fusp%2Fagent"),
            ("/usp/controller", Some("/usp/agent".to_owned()))
        );
        assert_eq!(split_reply_to("a/reply-to=b/reply-to=c%2fd"), ("a/reply-to=b", Some("c/d".to_owned())));
        assert_eq!(split_reply_to("plain/topic"), ("plain/topic", None));
    }

    #[test]
    fn content_types_and_topics() {
        assert!(is_usp_content_type("usp.msg"));
        assert!(is_usp_content_type("application/vnd.bbf.usp.msg"));
        assert!(!is_usp_content_type("application/json; charset=UTF-8"));
        assert_eq!(canonical_topic("usp/v1/", "os::1-2"), "usp/v1/os::1-2");
        assert!(eid_fits_topic("os::012345-OBUSPA-MQTT"));
        assert!(!eid_fits_topic("evil/#"));
    }
}

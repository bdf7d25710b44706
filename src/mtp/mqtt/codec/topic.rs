//! Topic Name and Topic Filter syntax (§4.7, §4.8.2). The decoder enforces Topic Names itself;
//! Topic Filters it leaves to the session, because on 5.0 a bad filter is answered per filter
//! in the SUBACK (0x8F) rather than by closing the connection.
//!
//! Checking bytes is sound on UTF-8: `/`, `+` and `#` never occur inside a multi-byte character.

/// The prefix of a Shared Subscription's filter (§4.8.2).
pub const SHARED_PREFIX: &str = "$share/";

/// A Topic Name is at least one character [MQTT-4.7.3-1] and holds no wildcard
/// [MQTT-3.3.2-2].
pub fn is_valid_topic_name(topic: &str) -> bool {
    !topic.is_empty() && !topic.bytes().any(|b| b == b'+' || b == b'#')
}

/// A Topic Filter is at least one character [MQTT-4.7.3-1]; `#` stands alone as the last
/// level [MQTT-4.7.1-1]; `+` stands alone in its level [MQTT-4.7.1-2]. A Shared Subscription
/// also needs a non-empty share name without `/`, `+` or `#` [MQTT-4.8.2-1] [MQTT-4.8.2-2].
pub fn is_valid_topic_filter(filter: &str) -> bool {
    match shared_subscription(filter) {
        Some((share_name, inner)) => {
            !share_name.is_empty()
                && !share_name.bytes().any(|b| b == b'+' || b == b'#')
                && is_valid_plain_filter(inner)
        }
        None => !filter.starts_with(SHARED_PREFIX) && is_valid_plain_filter(filter),
    }
}

fn is_valid_plain_filter(filter: &str) -> bool {
    if filter.is_empty() {
        return false;
    }
    let mut levels = filter.split('/').peekable();
    while let Some(level) = levels.next() {
        let is_last = levels.peek().is_none();
        let valid = match level {
            "#" => is_last,
            "+" => true,
            _ => !level.bytes().any(|b| b == b'+' || b == b'#'),
        };
        if !valid {
            return false;
        }
    }
    true
}

/// Splits `$share/{ShareName}/{filter}` into its share name and filter, or `None` if
/// `filter` is not a Shared Subscription (or has no `/` after the share name).
pub fn shared_subscription(filter: &str) -> Option<(&str, &str)> {
    filter.strip_prefix(SHARED_PREFIX)?.split_once('/')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_names() {
        assert!(is_valid_topic_name("usp/agents/os::012345-OBUSPA-MQTT"));
        assert!(is_valid_topic_name("/"));
        assert!(!is_valid_topic_name(""));
        assert!(!is_valid_topic_name("a/+/b"));
        assert!(!is_valid_topic_name("a/#"));
    }

    #[test]
    fn topic_filters() {
        for ok in [
            "#",
            "+",
            "a/#",
            "+/eid/#",
            "+/+/eid/#",
            "a/+/b",
            "/",
            "$share/g/a/#",
        ] {
            assert!(is_valid_topic_filter(ok), "{ok}");
        }
        for bad in [
            "",
            "a#",
            "a/#/b",
            "a+/b",
            "$share//a",
            "$share/g+/a",
            "$share/g",
            "$share/g/",
        ] {
            assert!(!is_valid_topic_filter(bad), "{bad}");
        }
        assert_eq!(shared_subscription("$share/g/a/b"), Some(("g", "a/b")));
        assert_eq!(shared_subscription("a/b"), None);
    }
}

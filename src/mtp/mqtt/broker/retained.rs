//! Retained messages (§3.3.1.3): the last message of each topic published with RETAIN, handed
//! to every new matching subscriber.

use std::collections::HashMap;
use std::time::Instant;

use super::message::Message;

/// The store, bounded by count so retained flags cannot fill memory.
#[derive(Debug)]
pub struct Retained {
    by_topic: HashMap<Box<str>, Message>,
    max: usize,
}

/// What a retained PUBLISH did to the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetainOutcome {
    Stored,
    Cleared,
    /// The store is full and the topic is new: refused.
    Full,
}

impl Retained {
    pub fn new(max: usize) -> Self {
        Self { by_topic: HashMap::new(), max }
    }

    /// Stores `msg` for its topic; an empty payload clears the topic [MQTT-3.3.1-6/7].
    pub fn apply(&mut self, msg: &Message) -> RetainOutcome {
        let topic = msg.topic.as_str();
        if msg.payload.is_empty() {
            self.by_topic.remove(topic);
            return RetainOutcome::Cleared;
        }
        if self.by_topic.len() >= self.max && !self.by_topic.contains_key(topic) {
            return RetainOutcome::Full;
        }
        self.by_topic.insert(topic.into(), msg.clone());
        RetainOutcome::Stored
    }

    /// Retained messages whose topic matches `filter`, dropping expired ones on the way.
    pub fn matching(&mut self, filter: &str, now: Instant) -> Vec<Message> {
        self.by_topic.retain(|_, m| !m.is_expired(now));
        self.by_topic
            .iter()
            .filter(|(topic, _)| topic_matches(filter, topic))
            .map(|(_, m)| m.clone())
            .collect()
    }

    pub fn len(&self) -> usize {
        self.by_topic.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_topic.is_empty()
    }
}

/// Whether `topic` matches `filter` (§4.7), for the one-off checks the tree does not serve.
pub fn topic_matches(filter: &str, topic: &str) -> bool {
    if topic.starts_with('$') && (filter.starts_with('+') || filter.starts_with('#')) {
        return false;
    }
    let mut f = filter.split('/');
    let mut t = topic.split('/');
    loop {
        match (f.next(), t.next()) {
            (Some("#"), _) => return true,
            (Some("+"), Some(_)) => {}
            (Some(a), Some(b)) if a == b => {}
            (None, None) => return true,
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matching_follows_the_wildcard_rules() {
        assert!(topic_matches("a/+/c", "a/b/c"));
        assert!(topic_matches("a/#", "a"));
        assert!(topic_matches("#", "a/b"));
        assert!(!topic_matches("#", "$SYS/x"));
        assert!(topic_matches("$SYS/#", "$SYS/x"));
        assert!(!topic_matches("a/+", "a/b/c"));
        assert!(!topic_matches("a/b", "a"));
    }
}

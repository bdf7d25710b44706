//! Subscriptions indexed by topic level, so a PUBLISH finds its subscribers in time
//! proportional to the topic's depth, not to the number of subscriptions.
//!
//! Matching follows MQTT 5.0 §4.7: `+` matches one level, `#` matches the rest including the
//! parent level (`a/#` matches `a`), empty levels are levels, and a topic starting with `$` is
//! not matched by a filter starting with a wildcard [MQTT-4.7.2-1].

use std::collections::HashMap;
use std::hash::Hash;

/// Subscribers of type `K` (a client), each with options `V`, by topic filter.
#[derive(Debug)]
pub struct TopicTree<K, V> {
    root: Node<K, V>,
    len: usize,
}

#[derive(Debug)]
struct Node<K, V> {
    literal: HashMap<Box<str>, Node<K, V>>,
    plus: Option<Box<Node<K, V>>>,
    /// Subscribers whose filter ends in `#` at this node.
    hash: Subscribers<K, V>,
    /// Subscribers whose filter ends exactly here.
    exact: Subscribers<K, V>,
}

impl<K, V> Default for Node<K, V> {
    fn default() -> Self {
        Self { literal: HashMap::new(), plus: None, hash: Subscribers::default(), exact: Subscribers::default() }
    }
}

/// Most filter nodes have one subscriber (each USP endpoint subscribes to its own topic), so a
/// short Vec holds them: a map with one entry allocates several times the memory, and there is
/// one such node per connected endpoint. A node with many subscribers switches to a map so
/// subscribing and unsubscribing stay O(1).
#[derive(Debug)]
enum Subscribers<K, V> {
    Few(Vec<(K, V)>),
    Many(HashMap<K, V>),
}

/// Subscribers kept in a Vec at most; beyond that a map.
const FEW: usize = 16;

impl<K, V> Default for Subscribers<K, V> {
    fn default() -> Self {
        Self::Few(Vec::new())
    }
}

impl<K: Eq + Hash, V> Subscribers<K, V> {
    fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self {
            Self::Many(map) => map.insert(key, value),
            Self::Few(list) => {
                if let Some(slot) = list.iter_mut().find(|(k, _)| *k == key) {
                    return Some(std::mem::replace(&mut slot.1, value));
                }
                if list.len() < FEW {
                    list.push((key, value));
                } else {
                    let mut map: HashMap<K, V> = std::mem::take(list).into_iter().collect();
                    map.insert(key, value);
                    *self = Self::Many(map);
                }
                None
            }
        }
    }

    fn remove(&mut self, key: &K) -> Option<V> {
        match self {
            Self::Many(map) => map.remove(key),
            Self::Few(list) => {
                let at = list.iter().position(|(k, _)| k == key)?;
                let (_, value) = list.swap_remove(at);
                if list.is_empty() {
                    *list = Vec::new();
                }
                Some(value)
            }
        }
    }

}

impl<K, V> Subscribers<K, V> {
    fn is_empty(&self) -> bool {
        match self {
            Self::Few(list) => list.is_empty(),
            Self::Many(map) => map.is_empty(),
        }
    }

    fn for_each(&self, visit: &mut impl FnMut(&K, &V)) {
        match self {
            Self::Few(list) => list.iter().for_each(|(k, v)| visit(k, v)),
            Self::Many(map) => map.iter().for_each(|(k, v)| visit(k, v)),
        }
    }
}

impl<K, V> Node<K, V> {
    fn is_empty(&self) -> bool {
        self.literal.is_empty() && self.plus.is_none() && self.hash.is_empty() && self.exact.is_empty()
    }
}

impl<K: Eq + Hash + Clone, V> Default for TopicTree<K, V> {
    fn default() -> Self {
        Self { root: Node::default(), len: 0 }
    }
}

impl<K: Eq + Hash + Clone, V> TopicTree<K, V> {
    /// Subscribes `key` to `filter` (already validated), replacing its earlier options for the
    /// same filter, which are returned [MQTT-3.8.4-3].
    pub fn insert(&mut self, filter: &str, key: K, value: V) -> Option<V> {
        let mut node = &mut self.root;
        let mut levels = filter.split('/').peekable();
        while let Some(level) = levels.next() {
            if level == "#" && levels.peek().is_none() {
                let old = node.hash.insert(key, value);
                self.len += usize::from(old.is_none());
                return old;
            }
            node = match level {
                "+" => node.plus.get_or_insert_with(Default::default),
                _ => node.literal.entry(level.into()).or_default(),
            };
        }
        let old = node.exact.insert(key, value);
        self.len += usize::from(old.is_none());
        old
    }

    /// Removes `key`'s subscription to `filter`, pruning empty branches.
    pub fn remove(&mut self, filter: &str, key: &K) -> Option<V> {
        let levels: Vec<&str> = filter.split('/').collect();
        let removed = remove_at(&mut self.root, &levels, key);
        self.len -= usize::from(removed.is_some());
        removed
    }

    /// Calls `visit` for every subscription matching `topic`. A client with several matching
    /// filters is visited once per filter; the caller merges (§3.3.4: the broker may deliver one
    /// copy with the highest QoS).
    pub fn for_each_match(&self, topic: &str, mut visit: impl FnMut(&K, &V)) {
        let levels: Vec<&str> = topic.split('/').collect();
        let dollar = topic.starts_with('$');
        visit_matches(&self.root, &levels, dollar, &mut visit);
    }

    /// Subscriptions held.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

fn remove_at<K: Eq + Hash, V>(node: &mut Node<K, V>, levels: &[&str], key: &K) -> Option<V> {
    match levels {
        [] => node.exact.remove(key),
        ["#"] => node.hash.remove(key),
        [level, rest @ ..] => {
            let (removed, prune) = if *level == "+" {
                let child = node.plus.as_deref_mut()?;
                let removed = remove_at(child, rest, key);
                (removed, child.is_empty())
            } else {
                let child = node.literal.get_mut(*level)?;
                let removed = remove_at(child, rest, key);
                (removed, child.is_empty())
            };
            if prune {
                if *level == "+" {
                    node.plus = None;
                } else {
                    node.literal.remove(*level);
                }
            }
            removed
        }
    }
}

fn visit_matches<K, V>(node: &Node<K, V>, levels: &[&str], dollar_first: bool, visit: &mut impl FnMut(&K, &V)) {
    // `#` matches this level and everything below, except a `$` topic at the root.
    if !dollar_first {
        node.hash.for_each(visit);
    }
    let Some((level, rest)) = levels.split_first() else {
        node.exact.for_each(visit);
        return;
    };
    if let Some(child) = node.literal.get(*level) {
        visit_matches(child, rest, false, visit);
    }
    if let (Some(child), false) = (&node.plus, dollar_first) {
        visit_matches(child, rest, false, visit);
    }
}

/// Whether every topic matched by `filter` is also matched by `allowed`: the ACL question
/// "may a client subscribe to `filter` if it may subscribe to `allowed`?".
pub fn filter_within(filter: &str, allowed: &str) -> bool {
    let mut f = filter.split('/');
    let mut a = allowed.split('/');
    loop {
        match (f.next(), a.next()) {
            (_, Some("#")) => return true,
            (None, None) => return true,
            // `x/#` within `x`? No: it also matches `x/y`.
            (Some(_), None) | (None, Some(_)) => return false,
            (Some("#"), Some(_)) => return false,
            (Some("+"), Some("+")) => {}
            (Some("+"), Some(_)) => return false,
            (Some(_), Some("+")) => {}
            (Some(x), Some(y)) if x == y => {}
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(tree: &TopicTree<&'static str, u8>, topic: &str) -> Vec<&'static str> {
        let mut out = Vec::new();
        tree.for_each_match(topic, |k, _| out.push(*k));
        out.sort();
        out
    }

    #[test]
    fn wildcards_match_as_the_spec_says() {
        let mut t = TopicTree::default();
        t.insert("sport/tennis/player1", "exact", 0);
        t.insert("sport/tennis/player1/#", "hash", 0);
        t.insert("sport/+/player1", "plus", 0);
        t.insert("#", "all", 0);
        t.insert("+/+", "two", 0);
        t.insert("/finance", "lead", 0);
        assert_eq!(matches(&t, "sport/tennis/player1"), ["all", "exact", "hash", "plus"]);
        assert_eq!(matches(&t, "sport/tennis/player1/ranking"), ["all", "hash"]);
        assert_eq!(matches(&t, "sport/tennis"), ["all", "two"]);
        assert_eq!(matches(&t, "/finance"), ["all", "lead", "two"]);
        // `$` topics escape leading wildcards [MQTT-4.7.2-1].
        assert_eq!(matches(&t, "$SYS/x"), Vec::<&str>::new());
        t.insert("$SYS/#", "sys", 0);
        assert_eq!(matches(&t, "$SYS/x"), ["sys"]);
    }

    #[test]
    fn insert_replaces_and_remove_prunes() {
        let mut t = TopicTree::default();
        assert_eq!(t.insert("a/+/c", "k", 1), None);
        assert_eq!(t.insert("a/+/c", "k", 2), Some(1));
        assert_eq!(t.len(), 1);
        assert_eq!(t.remove("a/+/c", &"k"), Some(2));
        assert_eq!(t.remove("a/+/c", &"k"), None);
        assert!(t.is_empty() && t.root.is_empty());
    }

    #[test]
    fn acl_containment() {
        assert!(filter_within("usp/v1/os::1", "usp/v1/os::1/#"));
        assert!(filter_within("usp/v1/os::1/#", "usp/v1/os::1/#"));
        assert!(filter_within("usp/v1/os::1/+/x", "usp/v1/os::1/#"));
        assert!(filter_within("a/b", "+/b"));
        assert!(!filter_within("usp/v1/#", "usp/v1/os::1/#"));
        assert!(!filter_within("usp/v1/+", "usp/v1/os::1"));
        assert!(!filter_within("usp/v1/os::2", "usp/v1/os::1/#"));
        assert!(!filter_within("a/#", "a"));
        assert!(filter_within("anything/at/all", "#"));
    }

    #[test]
    fn many_subscribers_on_one_filter_move_to_a_map_and_back_out() {
        let mut tree: TopicTree<String, u8> = TopicTree::default();
        let clients: Vec<String> = (0..40).map(|i| format!("c{i}")).collect();
        for (i, c) in clients.iter().enumerate() {
            assert_eq!(tree.insert("a/b", c.clone(), i as u8), None);
            assert_eq!(tree.insert("a/#", c.clone(), i as u8), None);
        }
        assert_eq!(tree.insert("a/b", "c3".into(), 99), Some(3), "options replaced, not duplicated");
        assert_eq!(tree.len(), 80);
        let mut seen = Vec::new();
        tree.for_each_match("a/b", |k, _| seen.push(k.clone()));
        assert_eq!(seen.len(), 80, "each client once per matching filter");
        for c in &clients {
            assert!(tree.remove("a/b", c).is_some());
            assert!(tree.remove("a/#", c).is_some());
        }
        assert!(tree.is_empty() && tree.root.is_empty(), "empty branches pruned");
    }
}

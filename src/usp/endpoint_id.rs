//! Endpoint IDs: the names the router routes by.
//!
//! TR-369 §9 makes an endpoint ID `scheme:authority:instance`, but also tells relays to treat it
//! as opaque: real IDs contain `: . - _ %`, and OB-USP-Agent accepts up to 256 bytes. We check
//! only what keeps the hub safe (length, no control characters or spaces, which would let a peer
//! forge log lines or metric output) and otherwise keep the exact bytes the peer sent.

use std::{borrow::Borrow, fmt, sync::Arc};

/// Longest endpoint ID accepted, in bytes. The longest legal one is about 66 characters;
/// OB-USP-Agent allows 256, so we do too.
pub const MAX_LEN: usize = 256;

/// A validated endpoint ID. Cloning is a reference-count increment, so it can name a route,
/// a presence event and every Delivery without allocating.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EndpointId(Arc<str>);

/// Why a string is not accepted as an endpoint ID.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EndpointIdError {
    #[error("endpoint ID is empty")]
    Empty,
    #[error("endpoint ID is {0} bytes long; at most {MAX_LEN} are accepted")]
    TooLong(usize),
    #[error("endpoint ID contains a control character or white space")]
    BadCharacter,
}

impl EndpointId {
    /// Validates `s` and makes an endpoint ID of it.
    pub fn new(s: &str) -> Result<Self, EndpointIdError> {
        Self::validate(s)?;
        Ok(Self(Arc::from(s)))
    }

    /// Checks `s` without allocating.
    pub fn validate(s: &str) -> Result<(), EndpointIdError> {
        if s.is_empty() {
            return Err(EndpointIdError::Empty);
        }
        if s.len() > MAX_LEN {
            return Err(EndpointIdError::TooLong(s.len()));
        }
        if s.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(EndpointIdError::BadCharacter);
        }
        Ok(())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for EndpointId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for EndpointId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EndpointId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for EndpointId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl TryFrom<&str> for EndpointId {
    type Error = EndpointIdError;
    fn try_from(s: &str) -> Result<Self, Self::Error> {
        Self::new(s)
    }
}

impl serde::Serialize for EndpointId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_real_world_ids() {
        for id in [
            "os::012345-OBUSPA-WS",
            "oui:00256D:my-unique-bbf-id-42",
            "self::usp-controller",
            "doc::agent%21",
            "fqdn::www.example.org",
        ] {
            assert_eq!(EndpointId::new(id).unwrap().as_str(), id);
        }
    }

    #[test]
    fn rejects_unsafe_ids() {
        assert_eq!(EndpointId::new(""), Err(EndpointIdError::Empty));
        assert_eq!(EndpointId::new("a b"), Err(EndpointIdError::BadCharacter));
        assert_eq!(EndpointId::new("a\nb"), Err(EndpointIdError::BadCharacter));
        assert_eq!(EndpointId::new(&"x".repeat(257)), Err(EndpointIdError::TooLong(257)));
        assert!(EndpointId::new(&"x".repeat(256)).is_ok());
    }
}

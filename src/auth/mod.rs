//! Who may connect, and as which endpoint (R-MQTT.42/43, R-STOMP.34/35).
//!
//! A credentials file lists users, each with a salted PBKDF2 password hash and the endpoint IDs
//! it may act as. Binding users to endpoint IDs is what stops a valid device from posing as
//! another: the broker checks it once at connect, and the router checks every Record's
//! `from_id` against that identity afterwards.
//!
//! Verifying a PBKDF2 hash costs milliseconds by design. A fleet reconnecting after an outage
//! would pay that thousands of times a second, so a successful check is remembered as a SHA-256
//! of the password, and the same user presenting the same password again costs one hash.

mod file;
mod hash;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

pub use file::{CredentialsError, User};
pub use hash::{PasswordHash, hash_password};

/// Why a client may not connect. Deliberately coarse: a refusal must not tell a prober whether
/// the user, the password or the endpoint ID was wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    #[error("bad user name or password")]
    BadCredentials,
    #[error("not authorized for this endpoint ID")]
    EndpointNotAllowed,
}

/// The authentication policy of a listener.
#[derive(Debug, Default)]
pub struct Authenticator {
    users: HashMap<String, User>,
    allow_anonymous: bool,
    /// User name → SHA-256 of the password last verified for it.
    verified: Mutex<HashMap<String, [u8; 32]>>,
}

impl Authenticator {
    /// Everyone may connect as the endpoint they claim: the loopback default.
    pub fn allow_all() -> Self {
        Self { allow_anonymous: true, ..Self::default() }
    }

    pub fn new(users: Vec<User>, allow_anonymous: bool) -> Self {
        let users = users.into_iter().map(|u| (u.name.clone(), u)).collect();
        Self { users, allow_anonymous, verified: Mutex::default() }
    }

    /// Reads a credentials file (see `config/credentials.example.toml`).
    pub fn from_file(path: &Path, allow_anonymous: bool) -> Result<Self, CredentialsError> {
        Ok(Self::new(file::load(path)?, allow_anonymous))
    }

    /// Checks a connecting client: `username`/`password` as presented (either may be absent),
    /// and the endpoint ID it wants to act as, if it has one.
    pub fn check(&self, username: Option<&str>, password: Option<&[u8]>, eid: Option<&str>) -> Result<(), Denied> {
        let Some(name) = username else {
            return if self.allow_anonymous { Ok(()) } else { Err(Denied::BadCredentials) };
        };
        let Some(user) = self.users.get(name) else {
            // Where anonymous clients are welcome, an unknown name is no worse than none: agents
            // often send the login configured for another broker. Otherwise it is refused.
            return if self.allow_anonymous { Ok(()) } else { Err(Denied::BadCredentials) };
        };
        self.verify(user, password.unwrap_or_default())?;
        match eid {
            Some(eid) if !user.may_act_as(eid) => Err(Denied::EndpointNotAllowed),
            _ => Ok(()),
        }
    }

    /// Whether checking `username` may take a PBKDF2 verification (milliseconds of CPU), so
    /// that async callers can move it to a blocking thread.
    pub fn may_be_slow(&self, username: Option<&str>) -> bool {
        username.is_some_and(|u| self.users.contains_key(u))
    }

    fn verify(&self, user: &User, password: &[u8]) -> Result<(), Denied> {
        let digest = hash::sha256(password);
        let mut verified = self.verified.lock().unwrap_or_else(|e| e.into_inner());
        if verified.get(&user.name).is_some_and(|d| hash::constant_time_eq(d, &digest)) {
            return Ok(());
        }
        drop(verified);
        if !user.password.verify(password) {
            return Err(Denied::BadCredentials);
        }
        verified = self.verified.lock().unwrap_or_else(|e| e.into_inner());
        verified.insert(user.name.clone(), digest);
        Ok(())
    }

    pub fn is_open(&self) -> bool {
        self.allow_anonymous && self.users.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(name: &str, password: &str, endpoints: &[&str]) -> User {
        User {
            name: name.into(),
            password: PasswordHash::parse(&hash_password(password.as_bytes(), 1000)).unwrap(),
            endpoints: endpoints.iter().map(|e| e.to_string()).collect(),
        }
    }

    #[test]
    fn users_are_bound_to_their_endpoints() {
        let auth = Authenticator::new(vec![user("fleet", "s3cret", &["os::00256D-*", "self::ctrl"])], false);
        assert_eq!(auth.check(Some("fleet"), Some(b"s3cret"), Some("os::00256D-0001")), Ok(()));
        assert_eq!(auth.check(Some("fleet"), Some(b"s3cret"), Some("self::ctrl")), Ok(()));
        assert_eq!(auth.check(Some("fleet"), Some(b"s3cret"), Some("os::AAAAAA-0001")), Err(Denied::EndpointNotAllowed));
        assert_eq!(auth.check(Some("fleet"), Some(b"wrong"), Some("self::ctrl")), Err(Denied::BadCredentials));
        assert_eq!(auth.check(Some("nobody"), Some(b"s3cret"), None), Err(Denied::BadCredentials));
        assert_eq!(auth.check(None, None, Some("self::ctrl")), Err(Denied::BadCredentials));
        // Cached after the first success, and a wrong password still fails afterwards.
        assert_eq!(auth.check(Some("fleet"), Some(b"s3cret"), None), Ok(()));
        assert_eq!(auth.check(Some("fleet"), Some(b"s3cret!"), None), Err(Denied::BadCredentials));
    }

    #[test]
    fn anonymous_clients_only_when_allowed() {
        let open = Authenticator::new(vec![user("u", "p", &["*"])], true);
        assert_eq!(open.check(None, None, Some("any::thing")), Ok(()));
        assert_eq!(open.check(Some("someone-else"), Some(b"x"), None), Ok(()), "unknown = anonymous");
        assert_eq!(open.check(Some("u"), Some(b"bad"), None), Err(Denied::BadCredentials), "known users must match");
        let closed = Authenticator::new(vec![user("u", "p", &["*"])], false);
        assert_eq!(closed.check(Some("someone-else"), Some(b"x"), None), Err(Denied::BadCredentials));
        assert!(Authenticator::allow_all().is_open());
    }
}

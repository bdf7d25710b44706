//! Who may connect: the seam where STOMP client authentication plugs in (R-STOMP.34/35).
//!
//! A STOMP server MUST authenticate its clients. This build has no credential store yet (it
//! comes with the MQTT broker, which needs the same login/password check), so the listener is
//! built with [`AllowAll`]: any `login`/`passcode`, or none, may connect under the endpoint ID
//! it claims. TLS with client certificates (`[stomp.tls]`) is the way to restrict access
//! until then. A credentials file becomes another [`Authenticator`], and nothing else changes.

use crate::usp::EndpointId;

/// What a client presented in its STOMP/CONNECT frame.
#[derive(Debug, Clone, Copy)]
pub struct Credentials<'a> {
    pub login: Option<&'a str>,
    pub passcode: Option<&'a str>,
    /// The `endpoint-id` it wants to act as (R-STOMP.4).
    pub eid: &'a EndpointId,
}

/// Why a client may not connect; the text goes into the ERROR frame, so it must not reveal
/// which of login, passcode or endpoint ID was wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Denied(pub String);

/// Decides whether `(login, passcode, endpoint-id)` may connect. Called once per connection,
/// before CONNECTED is sent; implementations must not block.
pub trait Authenticator: Send + Sync + 'static {
    fn authorize(&self, credentials: Credentials<'_>) -> Result<(), Denied>;
}

/// Lets every client in: today's policy, until a credential store exists.
#[derive(Debug, Clone, Copy, Default)]
pub struct AllowAll;

impl Authenticator for AllowAll {
    fn authorize(&self, _: Credentials<'_>) -> Result<(), Denied> {
        Ok(())
    }
}

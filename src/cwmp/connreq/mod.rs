//! Connection requests (TR-069 §3.2.2): how the ACS asks a CPE to open a session now, so that
//! a USP request waiting for it is served in seconds rather than at the next periodic Inform.
//!
//! The device engine decides *when* (per-device spacing, retries, giving up); this module only
//! does one request well: paced globally ([`pace`]), bounded in time, Digest-authenticated
//! ([`http_get`]). Success means the CPE accepted; the session itself arrives later as an
//! Inform with `6 CONNECTION REQUEST` (some CPE even start it before answering the GET).

mod http_get;
mod pace;

use std::time::Duration;

use crate::cwmp::registry::Credentials;
use http_get::Target;
use pace::Pace;

/// Why a connection request did not reach an accepting CPE.
#[derive(Debug, thiserror::Error)]
pub enum ConnectionRequestError {
    #[error("the CPE has reported no ConnectionRequestURL")]
    NoUrl,
    #[error("ConnectionRequestURL {0:?} is not an absolute http URL")]
    BadUrl(String),
    #[error("ConnectionRequestURL scheme {0:?} is not supported (only http)")]
    UnsupportedScheme(String),
    #[error("connecting: {0}")]
    Connect(std::io::Error),
    #[error("HTTP: {0}")]
    Http(#[from] hyper::Error),
    #[error("the CPE asks for credentials and none are configured for it")]
    NoCredentials,
    #[error("unusable challenge: {0}")]
    BadChallenge(String),
    #[error("the CPE refused the credentials")]
    Refused,
    #[error("the CPE answered HTTP {0}")]
    Status(u16),
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("too many connection requests queued; not sent")]
    Paced,
}

/// Sends connection requests; shared by every device.
pub struct ConnectionRequester {
    pace: Pace,
    timeout: Duration,
}

impl ConnectionRequester {
    /// At most `rate_per_second` requests start per second; each must finish within `timeout`.
    pub fn new(rate_per_second: u32, timeout: Duration) -> Self {
        // Waiting longer for a turn than a request may take makes the request stale.
        Self { pace: Pace::new(rate_per_second, timeout), timeout }
    }

    /// Asks the CPE at `url` to open a session, answering its challenge with `credentials`.
    pub async fn request(
        &self,
        url: Option<&str>,
        credentials: Option<&Credentials>,
    ) -> Result<(), ConnectionRequestError> {
        let target = Target::parse(url.ok_or(ConnectionRequestError::NoUrl)?)?;
        if !self.pace.turn().await {
            return Err(ConnectionRequestError::Paced);
        }
        tokio::time::timeout(self.timeout, http_get::connection_request(&target, credentials))
            .await
            .map_err(|_| ConnectionRequestError::Timeout(self.timeout))?
    }
}

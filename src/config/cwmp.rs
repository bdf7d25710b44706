//! `[cwmp]`: the TR-069 ACS front of the CWMP adapter, its device registry, and how the hub
//! reaches CPE with connection requests.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{ConfigError, Listen, TlsConfig};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CwmpConfig {
    pub listen: Listen,
    /// The HTTP path CPE post to: the path of their `ManagementServer.URL`.
    pub path: String,
    /// Largest request body accepted, in bytes; larger ones get 413.
    pub max_body: usize,
    /// A CPE silent this long in the middle of a session loses the session; its running task
    /// ends with a USP Error. Also bounds reading one request.
    #[serde(with = "humantime_serde")]
    pub session_timeout: Duration,
    /// A USP request not taken up by a CWMP session within this time is answered with a USP
    /// Error (the CPE could not be reached).
    #[serde(with = "humantime_serde")]
    pub request_timeout: Duration,
    pub max_connections: usize,
    /// How CPE authenticate to the ACS: `none`, `basic` or `digest`.
    pub auth: CwmpAuthMode,
    /// The realm of Basic and Digest challenges.
    pub realm: String,
    /// Credentials any CPE may use (unset: only per-device credentials from the registry).
    pub username: Option<String>,
    pub password: Option<String>,
    /// The device registry's database file, created if missing.
    pub database: PathBuf,
    /// How a CPE's USP endpoint ID is formed: `os` (`os::<OUI>-<SerialNumber>`) or `ops`
    /// (`ops::<OUI>-<ProductClass>-<SerialNumber>`).
    pub endpoint_scheme: EndpointScheme,
    /// Controllers that get every CPE's notifications (Boot!, ValueChange …) besides those
    /// subscribed through `Device.LocalAgent.Subscription.`.
    pub notify_controllers: Vec<String>,
    pub connection_request: ConnectionRequestConfig,
    /// Notify messages sent with `send_resp` (OnBoardRequest, NotifRetry subscriptions) are
    /// sent again until their NotifyResp arrives (`[cwmp.notify_retry]`).
    pub notify_retry: NotifyRetryConfig,
    /// How USP requests become CWMP RPCs (`[cwmp.translate]`).
    pub translate: crate::cwmp::translate::TranslateConfig,
    pub tls: Option<TlsConfig>,
}

/// CPE authentication on the ACS port (TR-069 §3.4.4: Digest without TLS, Basic over TLS).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CwmpAuthMode {
    None,
    Basic,
    Digest,
}

/// The scheme of the endpoint IDs given to CPE (TR-369 §Endpoint Identifier).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EndpointScheme {
    Os,
    Ops,
}

/// `[cwmp.connection_request]`: the HTTP GET that asks a CPE to open a session (TR-069 §3.2.2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConnectionRequestConfig {
    /// Credentials for CPE whose registry entry has none (`ConnectionRequestUsername/Password`).
    pub username: Option<String>,
    pub password: Option<String>,
    /// One connection request (connect, challenge, answer) must finish within this time.
    #[serde(with = "humantime_serde")]
    pub timeout: Duration,
    /// Connection requests sent per second across all CPE; beyond it they wait their turn.
    pub rate_per_second: u32,
    /// Least time between two connection requests to one CPE.
    #[serde(with = "humantime_serde")]
    pub min_interval: Duration,
    /// A CPE that opens no session after a connection request is asked again after this time,
    /// while work waits for it.
    #[serde(with = "humantime_serde")]
    pub retry_interval: Duration,
}

/// `[cwmp.notify_retry]`: TR-369's Notify retry (R-NOT.6, TR-181
/// `LocalAgent.Controller.{i}.USPNotifRetryMinimumWaitInterval` / `…IntervalMultiplier`), bounded
/// so that a Controller that never answers costs a fixed number of messages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NotifyRetryConfig {
    /// Wait before the first retry.
    #[serde(with = "humantime_serde")]
    pub min_wait: Duration,
    /// Each wait is the previous one times this, in thousandths (2000: doubled), as in TR-181.
    pub interval_multiplier: u32,
    /// Sends in all, the first included; then the Notify is given up.
    pub max_attempts: u32,
}

impl Default for NotifyRetryConfig {
    fn default() -> Self {
        Self { min_wait: Duration::from_secs(5), interval_multiplier: 2000, max_attempts: 10 }
    }
}

impl Default for CwmpConfig {
    fn default() -> Self {
        Self {
            listen: Listen::addr("127.0.0.1:7547"),
            path: "/".into(),
            max_body: crate::cwmp::soap::MAX_ENVELOPE_BYTES,
            session_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(60),
            max_connections: 100_000,
            auth: CwmpAuthMode::None,
            realm: "usphub".into(),
            username: None,
            password: None,
            database: PathBuf::from("usphub-cwmp.db"),
            endpoint_scheme: EndpointScheme::Os,
            notify_controllers: Vec::new(),
            connection_request: ConnectionRequestConfig::default(),
            notify_retry: NotifyRetryConfig::default(),
            translate: Default::default(),
            tls: None,
        }
    }
}

impl Default for ConnectionRequestConfig {
    fn default() -> Self {
        Self {
            username: None,
            password: None,
            timeout: Duration::from_secs(3),
            rate_per_second: 50,
            min_interval: Duration::from_secs(5),
            retry_interval: Duration::from_secs(30),
        }
    }
}

impl CwmpConfig {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        let bad = |m: &str| Err(ConfigError::Invalid(format!("cwmp.{m}")));
        if !self.path.starts_with('/') {
            return bad("path must start with '/'");
        }
        if self.max_body < 32 << 10 {
            return bad("max_body must be at least 32768 (TR-069 requires envelopes of 32 KiB)");
        }
        if self.session_timeout.is_zero() || self.request_timeout.is_zero() {
            return bad("session_timeout and request_timeout must be positive");
        }
        if self.username.is_some() != self.password.is_some() {
            return bad("username and password go together");
        }
        if self.database.as_os_str().is_empty() {
            return bad("database must not be empty");
        }
        for eid in &self.notify_controllers {
            if let Err(e) = crate::usp::EndpointId::validate(eid) {
                return bad(&format!("notify_controllers: {eid:?}: {e}"));
            }
        }
        let cr = &self.connection_request;
        if cr.username.is_some() != cr.password.is_some() {
            return bad("connection_request.username and password go together");
        }
        if cr.timeout.is_zero() || cr.rate_per_second == 0 {
            return bad("connection_request.timeout and rate_per_second must be positive");
        }
        let retry = &self.notify_retry;
        if retry.min_wait.is_zero() || retry.interval_multiplier < 1000 || retry.max_attempts == 0 {
            return bad("notify_retry: min_wait and max_attempts must be positive, interval_multiplier at least 1000");
        }
        if self.translate.gpv_batch_size == 0 {
            return bad("translate.gpv_batch_size must be positive");
        }
        if self.tls.as_ref().is_some_and(|t| t.require_client_cert && t.client_ca.is_none()) {
            return bad("tls.require_client_cert needs cwmp.tls.client_ca");
        }
        Ok(())
    }
}

//! The admin API's view of the CWMP gateway: list, inspect and forget CPE, and set the
//! credentials an operator owns (a CPE's own ACS login, its connection request login).
//!
//! The admin listener starts before the gateway, and may run without one, so it reaches the
//! gateway through [`CwmpSlot`], filled once the gateway is up. The [`CwmpAdmin`] trait is
//! defined here, on the consumer's side, so the admin code knows nothing of the engine, the
//! registry or redb, and its routing can be tested with a fake.

mod handler;
mod routes;

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

pub(super) use handler::handle;
pub(super) use routes::is_cwmp_path;

/// A boxed future: the trait is used as `dyn CwmpAdmin`, which `async fn` in traits is not.
pub type AdminFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What the admin API needs from the CWMP gateway.
pub trait CwmpAdmin: Send + Sync {
    /// Every registered CPE, in endpoint ID order.
    fn devices(&self) -> AdminFuture<'_, Result<Vec<CwmpDevice>, CwmpAdminError>>;
    fn device(&self, eid: String) -> AdminFuture<'_, Result<CwmpDevice, CwmpAdminError>>;
    /// Gives the CPE its own ACS login (`None`: back to the shared one).
    fn set_acs_login(&self, eid: String, login: Option<Login>) -> AdminFuture<'_, Result<(), CwmpAdminError>>;
    /// The login its next connection request answers the CPE's challenge with (`None`: the
    /// `[cwmp.connection_request]` defaults).
    fn set_connection_request_login(
        &self,
        eid: String,
        login: Option<Login>,
    ) -> AdminFuture<'_, Result<(), CwmpAdminError>>;
    /// Stops the CPE's virtual agent and deletes it from the registry.
    fn forget(&self, eid: String) -> AdminFuture<'_, Result<(), CwmpAdminError>>;
}

/// Why the gateway refused or failed an admin request.
#[derive(Debug, thiserror::Error)]
pub enum CwmpAdminError {
    #[error("no CWMP device {0}")]
    UnknownDevice(String),
    #[error("user name {username:?} already belongs to {owner}")]
    UsernameTaken { username: String, owner: String },
    /// The registry failed; logged in full, answered with 500.
    #[error("device registry: {0}")]
    Registry(String),
}

/// A user name and password as the API receives them; never serialised back.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Login {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for Login {
    /// Never prints the password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Login").field("username", &self.username).finish_non_exhaustive()
    }
}

/// One CPE as the API shows it: what the registry knows, with credentials reduced to the
/// user name (the passwords stay in the registry).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CwmpDevice {
    pub endpoint_id: String,
    pub manufacturer: String,
    pub oui: String,
    pub product_class: String,
    pub serial_number: String,
    pub connection_request_url: Option<String>,
    #[serde(with = "humantime_serde")]
    pub registered_at: SystemTime,
    #[serde(with = "humantime_serde")]
    pub last_inform_at: Option<SystemTime>,
    /// The event codes of the last Inform (`1 BOOT`, `M Reboot` …).
    pub last_events: Vec<String>,
    /// Its own ACS login, if it has one; `null`: the shared `[cwmp]` login applies.
    pub acs_login: Option<LoginName>,
    /// Its connection request login, if set; `null`: `[cwmp.connection_request]` applies.
    pub connection_request_login: Option<LoginName>,
}

/// The public half of a login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoginName {
    pub username: String,
}

/// Where the admin listener finds the gateway once it is started; empty while CWMP is off.
#[derive(Clone, Default)]
pub struct CwmpSlot(Arc<OnceLock<Arc<dyn CwmpAdmin>>>);

impl CwmpSlot {
    /// Fills the slot; a second gateway (there is none) would be ignored.
    pub fn set(&self, gateway: Arc<dyn CwmpAdmin>) {
        let _ = self.0.set(gateway);
    }

    pub fn get(&self) -> Option<&Arc<dyn CwmpAdmin>> {
        self.0.get()
    }
}

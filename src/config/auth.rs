//! `[auth]`: client authentication, shared by the MQTT and STOMP listeners.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// Users, their password hashes and the endpoint IDs each may act as
    /// (format: `config/credentials.example.toml`). Unset: no users.
    pub credentials_file: Option<PathBuf>,
    /// Whether a client that presents no user name may connect (as the endpoint it claims).
    /// Fine on loopback; turn it off on any listener a network can reach.
    pub allow_anonymous: bool,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self { credentials_file: None, allow_anonymous: true }
    }
}

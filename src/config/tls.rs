//! TLS settings shared by every listener.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// TLS for a listener.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// PEM certificate chain.
    pub cert: PathBuf,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
    /// PEM CA certificates that client certificates must chain to.
    #[serde(default)]
    pub client_ca: Option<PathBuf>,
    /// Refuse clients without a certificate from `client_ca`.
    #[serde(default)]
    pub require_client_cert: bool,
}

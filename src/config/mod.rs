//! Configuration: the TOML file, command-line flags over it, and the built-in defaults.
//!
//! Every option has a default, so `usphub` with no arguments runs on loopback. The documented
//! example is `config/usphub.toml` at the project root; a test keeps it equal to these defaults.

mod auth;
mod cli;
mod cwmp;
mod listen;
mod mqtt;
mod stomp;
mod tls;
mod uds;
mod ws;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use auth::AuthConfig;
pub use cli::{Cli, Command};
pub use cwmp::{ConnectionRequestConfig, CwmpAuthMode, CwmpConfig, EndpointScheme};
pub use listen::Listen;
pub use mqtt::MqttConfig;
pub use stomp::StompConfig;
pub use tls::TlsConfig;
pub use uds::UdsConfig;
pub use ws::WsConfig;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub log: LogConfig,
    pub auth: AuthConfig,
    pub router: RouterConfig,
    pub ws: WsConfig,
    pub mqtt: MqttConfig,
    pub stomp: StompConfig,
    pub uds: UdsConfig,
    pub cwmp: CwmpConfig,
    pub admin: AdminConfig,
    /// How long a graceful shutdown may take to drain queues before connections are cut.
    #[serde(with = "humantime_serde")]
    pub shutdown_grace: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    pub format: LogFormat,
    /// A tracing filter (`info`, `usphub=debug`, ...); `RUST_LOG` overrides it.
    pub level: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RouterConfig {
    /// Records waiting to be written to one connection before new ones are dropped.
    pub queue_max_records: usize,
    /// Bytes waiting to be written to one connection before new Records are dropped.
    pub queue_max_bytes: usize,
    /// Records kept per offline endpoint; 0 disables the offline hold.
    pub hold_max_records: usize,
    /// How long a held Record stays deliverable.
    #[serde(with = "humantime_serde")]
    pub hold_ttl: Duration,
    /// Bytes held across all offline endpoints.
    pub hold_max_bytes: usize,
}



#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdminConfig {
    pub listen: Listen,
    /// Bearer token the admin API's changing routes (PUT, DELETE) require. Unset: those routes
    /// are served to loopback peers only, so a default install is not writable from the network.
    pub api_token: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            log: LogConfig::default(),
            auth: AuthConfig::default(),
            router: RouterConfig::default(),
            ws: WsConfig::default(),
            mqtt: MqttConfig::default(),
            stomp: StompConfig::default(),
            uds: UdsConfig::default(),
            cwmp: CwmpConfig::default(),
            admin: AdminConfig::default(),
            shutdown_grace: Duration::from_secs(5),
        }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        Self { format: LogFormat::Text, level: "info".into() }
    }
}

impl Default for RouterConfig {
    fn default() -> Self {
        Self {
            queue_max_records: 1024,
            queue_max_bytes: 16 << 20,
            hold_max_records: 100,
            hold_ttl: Duration::from_secs(120),
            hold_max_bytes: 256 << 20,
        }
    }
}


impl Default for AdminConfig {
    fn default() -> Self {
        Self { listen: Listen::addr("127.0.0.1:9100"), api_token: None }
    }
}

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path}: {source}")]
    Parse { path: PathBuf, source: toml::de::Error },
    #[error("{0}")]
    Invalid(String),
}

impl Config {
    /// Reads a TOML file; options it leaves out keep their defaults.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| ConfigError::Read { path: path.into(), source })?;
        let config: Config = toml::from_str(&text)
            .map_err(|source| ConfigError::Parse { path: path.into(), source })?;
        config.validate()?;
        Ok(config)
    }

    /// Defaults, then the file named by `--config`, then the other flags.
    pub fn load(cli: &Cli) -> Result<Self, ConfigError> {
        let mut config = match &cli.config {
            Some(path) => Self::from_file(path)?,
            None => Self::default(),
        };
        cli.apply(&mut config);
        config.validate()?;
        Ok(config)
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |m: String| Err(ConfigError::Invalid(m));
        if !self.ws.path.starts_with('/') {
            return bad(format!("ws.path {:?} must start with '/'", self.ws.path));
        }
        if self.ws.max_record_size == 0 {
            return bad("ws.max_record_size must be positive".into());
        }
        if self.ws.ping_interval.is_zero() || self.ws.idle_timeout < self.ws.ping_interval {
            return bad("ws.idle_timeout must be at least ws.ping_interval, which must be positive".into());
        }
        if self.router.queue_max_records == 0 {
            return bad("router.queue_max_records must be positive".into());
        }
        if let Some(eid) = &self.ws.server_eid {
            if let Err(e) = crate::usp::EndpointId::validate(eid) {
                return bad(format!("ws.server_eid: {e}"));
            }
        }
        if let Some(tls) = &self.ws.tls {
            if tls.require_client_cert && tls.client_ca.is_none() {
                return bad("ws.tls.require_client_cert needs ws.tls.client_ca".into());
            }
        }
        self.stomp.validate()?;
        self.uds.validate()?;
        self.cwmp.validate()?;
        if self.admin.api_token.as_deref().is_some_and(|t| t.trim().is_empty()) {
            return bad("admin.api_token must not be empty (leave it out to allow loopback only)".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_file_documents_the_defaults() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/usphub.toml");
        assert_eq!(Config::from_file(&path).unwrap(), Config::default());
    }

    #[test]
    fn empty_file_is_the_defaults() {
        assert_eq!(toml::from_str::<Config>("").unwrap(), Config::default());
    }

    #[test]
    fn unknown_keys_are_refused() {
        assert!(toml::from_str::<Config>("[ws]\nlisten = \"off\"\nbogus = 1\n").is_err());
    }

    #[test]
    fn admin_api_token_is_read_and_must_not_be_blank() {
        let c: Config = toml::from_str("[admin]\napi_token = \"s3cret\"\n").unwrap();
        assert_eq!(c.admin.api_token.as_deref(), Some("s3cret"));
        assert!(c.validate().is_ok());
        let blank: Config = toml::from_str("[admin]\napi_token = \" \"\n").unwrap();
        assert!(blank.validate().is_err());
    }

    #[test]
    fn listeners_can_be_turned_off() {
        let c: Config = toml::from_str("[ws]\nlisten = \"off\"\n").unwrap();
        assert_eq!(c.ws.listen, Listen::Off);
    }
}

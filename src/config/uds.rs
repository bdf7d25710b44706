//! `[uds]`: the USP Unix-domain-socket listener (TR-369 §UNIX Domain Socket), where usphub is
//! the UDS server that local agents and services connect to.

use std::{path::PathBuf, time::Duration};

use serde::{Deserialize, Serialize};

use super::ConfigError;
use crate::mtp::uds::codec::DEFAULT_MAX_FRAME_LEN;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UdsConfig {
    /// Socket path; unset (or `off` on the command line) disables the listener.
    pub path: Option<PathBuf>,
    /// Permission bits of the socket file, written in octal ("660"): who may connect.
    #[serde(with = "octal")]
    pub mode: u32,
    /// The endpoint ID the hub answers a client's handshake with (R-UDS.17).
    pub server_eid: String,
    /// Largest frame accepted: the length field, i.e. the bytes after the 8-byte header.
    pub max_frame_size: usize,
    /// A client must complete its handshake within this time (R-UDS.18 gives clients 30 s).
    #[serde(with = "humantime_serde")]
    pub handshake_timeout: Duration,
    /// A write that cannot finish within this time closes the connection (a stuck peer).
    #[serde(with = "humantime_serde")]
    pub write_timeout: Duration,
    pub max_connections: usize,
}

impl Default for UdsConfig {
    fn default() -> Self {
        Self {
            path: None,
            mode: 0o660,
            server_eid: "self::usphub".into(),
            max_frame_size: DEFAULT_MAX_FRAME_LEN,
            handshake_timeout: Duration::from_secs(30),
            write_timeout: Duration::from_secs(30),
            max_connections: 10_000,
        }
    }
}

impl UdsConfig {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        let bad = |m: String| Err(ConfigError::Invalid(format!("uds.{m}")));
        if self.mode > 0o777 {
            return bad(format!("mode {:o} has bits beyond 777", self.mode));
        }
        if let Err(e) = crate::usp::EndpointId::validate(&self.server_eid) {
            return bad(format!("server_eid: {e}"));
        }
        if self.max_frame_size == 0 || self.max_connections == 0 {
            return bad("max_frame_size and max_connections must be positive".into());
        }
        if self.handshake_timeout.is_zero() {
            return bad("handshake_timeout must be positive".into());
        }
        if self.path.as_ref().is_some_and(|p| p.as_os_str().is_empty()) {
            return bad("path must not be empty".into());
        }
        Ok(())
    }
}

/// File modes as people write them: the octal string "660", not the decimal 432.
mod octal {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(mode: &u32, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_args!("{mode:o}"))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
        let text = String::deserialize(d)?;
        let digits = text.strip_prefix("0o").unwrap_or(&text);
        u32::from_str_radix(digits, 8)
            .map_err(|_| D::Error::custom(format!("mode {text:?} is not an octal number such as \"660\"")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mode_is_written_in_octal() {
        let c: UdsConfig = toml::from_str("mode = \"600\"").unwrap();
        assert_eq!(c.mode, 0o600);
        assert!(toml::from_str::<UdsConfig>("mode = \"9\"").is_err());
        assert!(toml::to_string(&UdsConfig::default()).unwrap().contains("mode = \"660\""));
    }
}

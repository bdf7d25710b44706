//! The command line. Its flags are a public interface that operators' scripts rely on: keep
//! them stable.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use super::{Config, Listen};

/// usphub: a USP (TR-369) message hub and CWMP (TR-069) gateway.
///
/// With no arguments it listens on loopback: ws 127.0.0.1:8080 (path /usp), mqtt
/// 127.0.0.1:1883, stomp 127.0.0.1:61613, cwmp 127.0.0.1:7547, admin 127.0.0.1:9100, uds off.
/// ADDR is host:port, or `off` to disable that listener. Flags override the file.
#[derive(Debug, Clone, Default, Parser)]
#[command(name = "usphub", version)]
pub struct Cli {
    /// TOML configuration file (see config/usphub.toml).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// USP WebSocket listener.
    #[arg(long, value_name = "ADDR")]
    pub ws: Option<Listen>,
    /// MQTT 5.0/3.1.1 listener.
    #[arg(long, value_name = "ADDR")]
    pub mqtt: Option<Listen>,
    /// STOMP 1.2 listener.
    #[arg(long, value_name = "ADDR")]
    pub stomp: Option<Listen>,
    /// Unix domain socket path, or `off`.
    #[arg(long, value_name = "PATH")]
    pub uds: Option<String>,
    /// CWMP (TR-069 ACS) listener.
    #[arg(long, value_name = "ADDR")]
    pub cwmp: Option<Listen>,
    /// Admin listener: /healthz, /metrics, /api/v1/endpoints, /api/v1/cwmp/devices.
    #[arg(long, value_name = "ADDR")]
    pub admin: Option<Listen>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Tools beside running the hub.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Reads a password on standard input and prints its hash for the credentials file.
    Passwd {
        /// PBKDF2 iterations: more is slower for attackers and for every fresh connect.
        #[arg(long, default_value_t = 10_000)]
        iterations: u32,
    },
}

impl Cli {
    pub fn apply(&self, config: &mut Config) {
        let set = |slot: &mut Listen, flag: &Option<Listen>| {
            if let Some(v) = flag {
                *slot = v.clone();
            }
        };
        set(&mut config.ws.listen, &self.ws);
        set(&mut config.mqtt.listen, &self.mqtt);
        set(&mut config.stomp.listen, &self.stomp);
        set(&mut config.cwmp.listen, &self.cwmp);
        set(&mut config.admin.listen, &self.admin);
        if let Some(uds) = &self.uds {
            config.uds.path = (!uds.eq_ignore_ascii_case("off")).then(|| PathBuf::from(uds));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_override_the_file() {
        let cli = Cli::parse_from(["usphub", "--ws", "0.0.0.0:9000", "--mqtt", "off", "--uds", "/tmp/u.sock"]);
        let mut config = Config::default();
        cli.apply(&mut config);
        assert_eq!(config.ws.listen, Listen::addr("0.0.0.0:9000"));
        assert_eq!(config.mqtt.listen, Listen::Off);
        assert_eq!(config.uds.path, Some(PathBuf::from("/tmp/u.sock")));
        assert_eq!(config.admin.listen, Listen::addr("127.0.0.1:9100"));
    }
}

//! A listener address: `host:port`, or `off`.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listen {
    Off,
    /// `host:port`; the host may be a name, resolved when the listener binds.
    Addr(String),
}

impl Listen {
    pub fn addr(s: &str) -> Self {
        Self::Addr(s.to_owned())
    }

    pub fn as_addr(&self) -> Option<&str> {
        match self {
            Self::Off => None,
            Self::Addr(a) => Some(a),
        }
    }
}

impl FromStr for Listen {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        if s.eq_ignore_ascii_case("off") {
            return Ok(Self::Off);
        }
        let (host, port) = s
            .rsplit_once(':')
            .ok_or_else(|| format!("{s:?} is neither host:port nor off"))?;
        if host.is_empty() || port.parse::<u16>().is_err() {
            return Err(format!("{s:?} is neither host:port nor off"));
        }
        Ok(Self::Addr(s.to_owned()))
    }
}

impl fmt::Display for Listen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Off => f.write_str("off"),
            Self::Addr(a) => f.write_str(a),
        }
    }
}

impl Serialize for Listen {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Listen {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses() {
        assert_eq!("off".parse::<Listen>().unwrap(), Listen::Off);
        assert_eq!("0.0.0.0:8080".parse::<Listen>().unwrap(), Listen::addr("0.0.0.0:8080"));
        assert_eq!("[::1]:1883".parse::<Listen>().unwrap(), Listen::addr("[::1]:1883"));
        assert!("8080".parse::<Listen>().is_err());
        assert!("host:notaport".parse::<Listen>().is_err());
    }
}

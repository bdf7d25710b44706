//! The `heart-beat` header and its negotiation (STOMP 1.2 §Heart-beating; R-STOMP.8–11), kept
//! pure so the session only has to arm timers with the result.

use std::{fmt, str::FromStr, time::Duration};

use thiserror::Error;

/// One side's `heart-beat:<cx>,<cy>` header, in milliseconds; 0 means "no".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HeartBeat {
    /// The smallest interval at which this side can send heart-beats.
    pub can_send_ms: u64,
    /// The interval at which this side would like to receive them.
    pub wants_receive_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("heart-beat {value:?} is not two comma-separated millisecond counts")]
pub struct HeartBeatError {
    pub value: String,
}

impl HeartBeat {
    /// What an absent header means.
    pub const OFF: HeartBeat = HeartBeat {
        can_send_ms: 0,
        wants_receive_ms: 0,
    };

    /// Parses `cx,cy`. Surrounding spaces are tolerated; anything else is an error.
    pub fn parse(value: &str) -> Result<HeartBeat, HeartBeatError> {
        let error = || HeartBeatError {
            value: value.chars().take(40).collect(),
        };
        let (cx, cy) = value.split_once(',').ok_or_else(error)?;
        let millis = |part: &str| {
            let part = part.trim_matches(' ');
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            part.parse::<u64>().ok()
        };
        Ok(HeartBeat {
            can_send_ms: millis(cx).ok_or_else(error)?,
            wants_receive_ms: millis(cy).ok_or_else(error)?,
        })
    }
}

impl FromStr for HeartBeat {
    type Err = HeartBeatError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        HeartBeat::parse(value)
    }
}

/// The header value, `cx,cy`.
impl fmt::Display for HeartBeat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{},{}", self.can_send_ms, self.wants_receive_ms)
    }
}

/// The agreed intervals, in milliseconds; 0 means that direction has no heart-beats.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HeartBeatIntervals {
    /// How often the client must send something (the server's read-idle basis).
    pub client_to_server_ms: u64,
    /// How often the server must send something when otherwise idle.
    pub server_to_client_ms: u64,
}

impl HeartBeatIntervals {
    pub fn client_to_server(&self) -> Option<Duration> {
        non_zero(self.client_to_server_ms)
    }

    pub fn server_to_client(&self) -> Option<Duration> {
        non_zero(self.server_to_client_ms)
    }
}

fn non_zero(ms: u64) -> Option<Duration> {
    (ms != 0).then(|| Duration::from_millis(ms))
}

/// STOMP 1.2 §Heart-beating: a direction is off if its sender cannot send or its receiver does
/// not want them; otherwise it runs at the slower of the two wishes.
pub fn negotiate(client: HeartBeat, server: HeartBeat) -> HeartBeatIntervals {
    let interval = |sender_can: u64, receiver_wants: u64| {
        if sender_can == 0 || receiver_wants == 0 {
            0
        } else {
            sender_can.max(receiver_wants)
        }
    };
    HeartBeatIntervals {
        client_to_server_ms: interval(client.can_send_ms, server.wants_receive_ms),
        server_to_client_ms: interval(server.can_send_ms, client.wants_receive_ms),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        let hb = HeartBeat::parse("30000,300000").unwrap();
        assert_eq!(hb.can_send_ms, 30000);
        assert_eq!(hb.wants_receive_ms, 300000);
        assert_eq!(hb.to_string(), "30000,300000");
        assert_eq!("0, 0".parse::<HeartBeat>().unwrap(), HeartBeat::OFF);
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            "",
            "1",
            "1,",
            ",1",
            "a,1",
            "1,2,3",
            "-1,0",
            "+1,0",
            "99999999999999999999,0",
        ] {
            assert!(HeartBeat::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn negotiation_follows_the_spec() {
        // OB-USP-Agent: can send every 30 s, wants one every 300 s.
        let client = HeartBeat::parse("30000,300000").unwrap();
        let server = HeartBeat::parse("10000,60000").unwrap();
        let got = negotiate(client, server);
        assert_eq!(got.client_to_server_ms, 60000);
        assert_eq!(got.server_to_client_ms, 300000);
        assert_eq!(got.server_to_client(), Some(Duration::from_secs(300)));
    }

    #[test]
    fn zero_on_either_side_turns_a_direction_off() {
        let got = negotiate(
            HeartBeat::parse("0,5000").unwrap(),
            HeartBeat::parse("1000,1000").unwrap(),
        );
        assert_eq!(got.client_to_server(), None);
        assert_eq!(got.server_to_client_ms, 5000);
        assert_eq!(
            negotiate(HeartBeat::OFF, HeartBeat::parse("1,1").unwrap()),
            HeartBeatIntervals::default()
        );
    }
}

//! The STOMP opening: judging a client's STOMP/CONNECT frame and writing CONNECTED, as pure
//! functions so every refusal is tested without a socket.
//!
//! What is checked, in order: the command (R-STOMP.2 says `STOMP`; `CONNECT` is accepted too,
//! as STOMP 1.2 requires of servers), `accept-version` (1.2 only), `host` against the configured
//! virtual host (R-STOMP.5), `endpoint-id` (R-STOMP.4), `heart-beat` (R-STOMP.8–11), and finally
//! `login`/`passcode` and the endpoint ID against the hub's [`Authenticator`] (R-STOMP.34/35),
//! the same credentials file and anonymous policy as MQTT (`[auth]`).

use std::borrow::Cow;

use super::codec::{Command, Frame, HeartBeat, HeartBeatError, HeartBeatIntervals, negotiate};
use crate::auth::{Authenticator, Denied};
use crate::usp::{EndpointId, EndpointIdError};

/// The only protocol version served (TR-369 §STOMP is STOMP 1.2 only).
pub const VERSION: &str = "1.2";

/// What the listener's configuration says about accepting clients.
#[derive(Debug, Clone)]
pub struct ConnectPolicy {
    /// `None`: any `host` is accepted.
    pub virtual_host: Option<String>,
    /// An endpoint's destination is `<destination_prefix>/<endpoint id>`.
    pub destination_prefix: String,
    /// The server's own `heart-beat` wishes, before negotiation.
    pub heartbeat: HeartBeat,
}

impl ConnectPolicy {
    /// The destination an endpoint subscribes to and other endpoints reply to.
    pub fn destination_of(&self, eid: &str) -> String {
        format!("{}/{eid}", self.destination_prefix)
    }
}

/// A client that may proceed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub eid: EndpointId,
    /// Sent as `subscribe-dest` (R-STOMP.6); the client must subscribe to it (R-STOMP.14).
    pub destination: String,
    pub heartbeats: HeartBeatIntervals,
}

/// Why a client is refused; the text is the ERROR frame's `message` (R-STOMP.7).
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("expected a STOMP or CONNECT frame, got {0}")]
    NotConnect(Command),
    #[error("usphub speaks STOMP 1.2 only, the client accepts {offered:?}")]
    UnsupportedVersion { offered: String },
    #[error("host {found:?} is not served here (virtual host {expected:?})")]
    WrongHost { found: Option<String>, expected: String },
    #[error("the endpoint-id header is missing (R-STOMP.4)")]
    MissingEndpointId,
    #[error("endpoint-id {value:?} has an undefined escape sequence")]
    BadEndpointIdEscape { value: String },
    #[error("endpoint-id is not acceptable: {0}")]
    BadEndpointId(#[from] EndpointIdError),
    #[error("{0}")]
    BadHeartBeat(#[from] HeartBeatError),
    #[error("access denied: {0}")]
    Denied(#[from] Denied),
    #[error("server shutting down")]
    ShuttingDown,
}

impl Refusal {
    /// The ERROR frame sent before closing. A version refusal names the versions served, as
    /// STOMP 1.2 §Protocol Negotiation asks.
    pub fn error_frame(&self) -> Frame {
        let frame = Frame::new(Command::Error).with_header("message", self.to_string());
        match self {
            Refusal::UnsupportedVersion { .. } => frame.with_header("version", VERSION),
            _ => frame,
        }
    }
}

/// Judges the first frame of a connection.
///
/// Verifying a password may take milliseconds (PBKDF2): call this off the I/O threads when the
/// frame carries a `login`.
pub fn accept(frame: &Frame, policy: &ConnectPolicy, auth: &Authenticator) -> Result<Accepted, Refusal> {
    if !matches!(frame.command, Command::Stomp | Command::Connect) {
        return Err(Refusal::NotConnect(frame.command));
    }
    let headers = &frame.headers;
    // No accept-version means a STOMP 1.0 client.
    let offered = headers.get("accept-version").unwrap_or("1.0");
    if !offered.split(',').any(|v| v.trim() == VERSION) {
        return Err(Refusal::UnsupportedVersion { offered: offered.chars().take(40).collect() });
    }
    if let Some(expected) = &policy.virtual_host {
        let found = headers.get("host");
        if found != Some(expected.as_str()) {
            return Err(Refusal::WrongHost { found: found.map(str::to_owned), expected: expected.clone() });
        }
    }
    let eid = endpoint_id(frame)?;
    let client_heartbeat = headers.get("heart-beat").map(HeartBeat::parse).transpose()?.unwrap_or(HeartBeat::OFF);
    // An open hub (no users, anonymous clients allowed) lets everyone in, credentials or not:
    // OB-USP-Agent sends login/passcode whenever they are configured on it (R-STOMP.3).
    if !auth.is_open() {
        let passcode = headers.get("passcode").map(str::as_bytes);
        auth.check(headers.get("login"), passcode, Some(eid.as_str()))?;
    }
    Ok(Accepted {
        destination: policy.destination_of(eid.as_str()),
        heartbeats: negotiate(client_heartbeat, policy.heartbeat),
        eid,
    })
}

/// Reads `endpoint-id`. The codec has already unescaped it in a `STOMP` frame. A `CONNECT`
/// frame is exempt from escaping (STOMP 1.2 §Value Encoding), yet clients written for R-STOMP.4
/// send `\c` there too; since a backslash can never be part of an endpoint ID (R-ARC.5 allows
/// `A-Z a-z 0-9 - . _ %` and the scheme's colons), escapes are read in CONNECT as well.
fn endpoint_id(frame: &Frame) -> Result<EndpointId, Refusal> {
    let raw = frame.headers.get("endpoint-id").ok_or(Refusal::MissingEndpointId)?;
    let text = match frame.command {
        Command::Connect if raw.contains('\\') => Cow::Owned(
            unescape(raw).ok_or_else(|| Refusal::BadEndpointIdEscape { value: raw.chars().take(80).collect() })?,
        ),
        _ => Cow::Borrowed(raw),
    };
    Ok(EndpointId::new(&text)?)
}

/// STOMP 1.2 header unescaping; `None` on an undefined or dangling escape.
fn unescape(raw: &str) -> Option<String> {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        out.push(match c {
            '\\' => match chars.next()? {
                'c' => ':',
                '\\' => '\\',
                'n' => '\n',
                'r' => '\r',
                _ => return None,
            },
            c => c,
        });
    }
    Some(out)
}

/// CONNECTED for an accepted client. `heart-beat` carries the negotiated intervals, so a
/// client that simply obeys the values it is given (as OB-USP-Agent does, R-STOMP.11) agrees
/// with the server: `<server sends every>,<server expects every>`.
pub fn connected_frame(accepted: &Accepted) -> Frame {
    let hb = accepted.heartbeats;
    Frame::new(Command::Connected)
        .with_header("version", VERSION)
        .with_header("server", concat!("usphub/", env!("CARGO_PKG_VERSION")))
        .with_header("heart-beat", format!("{},{}", hb.server_to_client_ms, hb.client_to_server_ms))
        .with_header("subscribe-dest", accepted.destination.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{PasswordHash, User, hash_password};

    /// The default policy: anonymous clients may connect as the endpoint they claim.
    fn open() -> Authenticator {
        Authenticator::allow_all()
    }

    fn policy(virtual_host: Option<&str>) -> ConnectPolicy {
        ConnectPolicy {
            virtual_host: virtual_host.map(str::to_owned),
            destination_prefix: "/usp/v1".into(),
            heartbeat: HeartBeat { can_send_ms: 10_000, wants_receive_ms: 10_000 },
        }
    }

    fn stomp(headers: &[(&str, &str)]) -> Frame {
        let mut frame = Frame::new(Command::Stomp);
        for (n, v) in headers {
            frame.headers.push(*n, *v);
        }
        frame
    }

    #[test]
    fn obuspa_style_stomp_frame_is_accepted() {
        // The codec has unescaped `os\c\c…` already; OB-USP-Agent's heart-beat 30000,300000.
        let frame = stomp(&[
            ("accept-version", "1.2"),
            ("host", "usp"),
            ("heart-beat", "30000,300000"),
            ("endpoint-id", "os::012345-OBUSPA-STOMP"),
            ("login", "agent"),
            ("passcode", "secret"),
        ]);
        let accepted = accept(&frame, &policy(None), &open()).unwrap();
        assert_eq!(accepted.eid.as_str(), "os::012345-OBUSPA-STOMP");
        assert_eq!(accepted.destination, "/usp/v1/os::012345-OBUSPA-STOMP");
        assert_eq!(accepted.heartbeats.client_to_server_ms, 30_000);
        assert_eq!(accepted.heartbeats.server_to_client_ms, 300_000);

        let connected = connected_frame(&accepted);
        assert_eq!(connected.headers.get("version"), Some("1.2"));
        assert_eq!(connected.headers.get("heart-beat"), Some("300000,30000"));
        assert_eq!(connected.headers.get("subscribe-dest"), Some("/usp/v1/os::012345-OBUSPA-STOMP"));
        assert!(connected.headers.get("server").unwrap().starts_with("usphub/"));
    }

    #[test]
    fn connect_frame_reads_escapes_and_raw_colons() {
        for raw in ["os\\c\\c012345-X", "os::012345-X"] {
            let mut frame = stomp(&[("accept-version", "1.1,1.2"), ("endpoint-id", raw)]);
            frame.command = Command::Connect;
            assert_eq!(accept(&frame, &policy(None), &open()).unwrap().eid.as_str(), "os::012345-X");
        }
        let mut frame = stomp(&[("accept-version", "1.2"), ("endpoint-id", "os\\t")]);
        frame.command = Command::Connect;
        assert!(matches!(accept(&frame, &policy(None), &open()), Err(Refusal::BadEndpointIdEscape { .. })));
    }

    #[test]
    fn refusals() {
        let p = policy(Some("usp"));
        let ok = [("accept-version", "1.2"), ("host", "usp"), ("endpoint-id", "self::c")];
        assert!(accept(&stomp(&ok), &p, &open()).is_ok());

        let mut send = stomp(&ok);
        send.command = Command::Send;
        assert_eq!(accept(&send, &p, &open()), Err(Refusal::NotConnect(Command::Send)));

        let old =
            accept(&stomp(&[("accept-version", "1.0,1.1"), ("host", "usp"), ("endpoint-id", "self::c")]), &p, &open());
        let refusal = old.unwrap_err();
        assert!(matches!(refusal, Refusal::UnsupportedVersion { .. }));
        assert_eq!(refusal.error_frame().headers.get("version"), Some("1.2"));
        let v10 = accept(&stomp(&[("host", "usp"), ("endpoint-id", "self::c")]), &p, &open());
        assert!(matches!(v10, Err(Refusal::UnsupportedVersion { .. })));

        let wrong_host =
            accept(&stomp(&[("accept-version", "1.2"), ("host", "other"), ("endpoint-id", "self::c")]), &p, &open());
        assert!(matches!(wrong_host, Err(Refusal::WrongHost { .. })));
        // Without a configured virtual host any host, or none, is fine.
        assert!(
            accept(&stomp(&[("accept-version", "1.2"), ("endpoint-id", "self::c")]), &policy(None), &open()).is_ok()
        );

        let no_eid = accept(&stomp(&[("accept-version", "1.2"), ("host", "usp")]), &p, &open());
        assert_eq!(no_eid, Err(Refusal::MissingEndpointId));
        let bad_eid =
            accept(&stomp(&[("accept-version", "1.2"), ("host", "usp"), ("endpoint-id", "a b")]), &p, &open());
        assert!(matches!(bad_eid, Err(Refusal::BadEndpointId(_))));
        let bad_hb = accept(
            &stomp(&[("accept-version", "1.2"), ("host", "usp"), ("endpoint-id", "self::c"), ("heart-beat", "x")]),
            &p,
            &open(),
        );
        assert!(matches!(bad_hb, Err(Refusal::BadHeartBeat(_))));
    }

    #[test]
    fn login_passcode_and_endpoint_id_are_checked() {
        let alice = User {
            name: "alice".into(),
            password: PasswordHash::parse(&hash_password(b"pw", 1000)).unwrap(),
            endpoints: vec!["self::c".into()],
        };
        let auth = Authenticator::new(vec![alice], false);
        let frame = |login, eid| {
            stomp(&[("accept-version", "1.2"), ("endpoint-id", eid), ("login", login), ("passcode", "pw")])
        };
        assert!(accept(&frame("alice", "self::c"), &policy(None), &auth).is_ok());
        assert_eq!(
            accept(&frame("bob", "self::c"), &policy(None), &auth),
            Err(Refusal::Denied(Denied::BadCredentials))
        );
        assert_eq!(
            accept(&frame("alice", "self::d"), &policy(None), &auth),
            Err(Refusal::Denied(Denied::EndpointNotAllowed))
        );
        let anonymous = stomp(&[("accept-version", "1.2"), ("endpoint-id", "self::c")]);
        assert!(matches!(accept(&anonymous, &policy(None), &auth), Err(Refusal::Denied(_))));
    }
}

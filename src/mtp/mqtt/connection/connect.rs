//! CONNECT → CONNACK (§3.1, §3.2), as a pure function: who the client is, which session it
//! gets, and what the CONNACK tells it, including what TR-369 adds (R-MQTT.13/.15/.21).

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use crate::auth::{Authenticator, Denied};
use crate::mtp::mqtt::codec::{ConnAck, Connect, Properties, ProtocolVersion, ReasonCode, UserProperty, Utf8Bytes, Will};
use crate::mtp::mqtt::settings::MqttSettings;
use crate::mtp::mqtt::usp;
use crate::usp::EndpointId;

/// What was agreed for one connection.
#[derive(Debug)]
pub struct Negotiated {
    pub version: ProtocolVersion,
    pub client_id: Arc<str>,
    /// The client sent an empty ClientId and we chose one (Assigned Client Identifier).
    pub assigned: bool,
    pub eid: Option<EndpointId>,
    pub clean_start: bool,
    pub session_expiry: Duration,
    /// Silence after which the connection is dropped: 1.5 × the Keep Alive in force
    /// [MQTT-3.1.2-22]; `None` when the client asked for none and we allow that.
    pub idle_limit: Option<Duration>,
    /// Sent as Server Keep Alive when it differs from what the client asked.
    pub server_keep_alive: Option<u16>,
    /// QoS 1/2 messages we may have unacknowledged towards the client.
    pub out_window: usize,
    /// Largest packet the client accepts [MQTT-3.1.2-24].
    pub out_max_packet: u32,
    pub request_response_information: bool,
    /// Boxed and detached from the read buffer: it waits for the whole connection, usually
    /// unused, and an idle connection should pin neither its size nor the CONNECT's buffer.
    pub will: Option<Box<Will>>,
    pub username: Option<String>,
}

/// Decides on a CONNECT. `Err` carries the reason code of a refusing CONNACK.
pub fn negotiate(
    connect: Connect,
    settings: &MqttSettings,
    auth: &Authenticator,
    assign_id: impl FnOnce() -> String,
) -> Result<Negotiated, ReasonCode> {
    let v5 = connect.protocol_version.is_v5();
    let supplied = connect.client_id.as_str();
    let (client_id, assigned) = if supplied.is_empty() {
        // 3.1.1 allows an empty ClientId only with a clean session [MQTT-3.1.3-8 of 3.1.1].
        if !v5 && !connect.clean_start {
            return Err(ReasonCode::ClientIdentifierNotValid);
        }
        (assign_id(), true)
    } else {
        (supplied.to_owned(), false)
    };

    // The endpoint ID: the usp-endpoint-id property (R-MQTT.13), else a ClientId that the
    // client chose itself (3.1.1 agents use their endpoint ID, R-MQTT.8).
    let claimed = connect
        .properties
        .user_properties
        .iter()
        .find(|p| p.name.as_str() == usp::ENDPOINT_ID_PROPERTY)
        .map(|p| p.value.as_str().to_owned())
        .or_else(|| (!assigned).then(|| client_id.clone()));
    let eid = match claimed {
        Some(e) => match EndpointId::new(&e) {
            Ok(eid) if usp::eid_fits_topic(eid.as_str()) => Some(eid),
            // A ClientId that is no endpoint ID just makes a plain MQTT client.
            _ if connect.properties.user_property(usp::ENDPOINT_ID_PROPERTY).is_none() => None,
            _ => return Err(ReasonCode::ClientIdentifierNotValid),
        },
        None => None,
    };
    // R-MQTT.42: authenticate, and bind the user to the endpoint IDs it may use. A PBKDF2
    // check takes milliseconds, so the caller runs this on a blocking thread when it may be slow.
    let username = connect.username.as_ref().map(|u| u.as_str());
    auth.check(username, connect.password.as_deref(), eid.as_ref().map(|e| e.as_str())).map_err(refusal)?;

    let session_expiry = if v5 {
        Duration::from_secs(u64::from(connect.properties.session_expiry_interval.unwrap_or(0)))
    } else if connect.clean_start {
        Duration::ZERO
    } else {
        settings.max_session_expiry
    }
    .min(settings.max_session_expiry);

    let max_keep_alive = settings.max_keep_alive.as_secs().min(u64::from(u16::MAX)) as u16;
    let asked = connect.keep_alive;
    let in_force = if asked == 0 || asked > max_keep_alive { max_keep_alive } else { asked };
    let server_keep_alive = (v5 && in_force != asked).then_some(in_force);
    let idle_limit = (in_force > 0).then(|| Duration::from_millis(u64::from(in_force) * 1500));

    let out_window = usize::from(connect.properties.receive_maximum.unwrap_or(u16::MAX).min(settings.max_inflight));
    Ok(Negotiated {
        version: connect.protocol_version,
        client_id: client_id.into(),
        assigned,
        eid,
        clean_start: connect.clean_start,
        session_expiry,
        idle_limit,
        server_keep_alive,
        out_window,
        out_max_packet: connect.properties.maximum_packet_size.unwrap_or(u32::MAX),
        request_response_information: connect.properties.request_response_information.unwrap_or(false),
        will: connect.will.map(detach),
        username: connect.username.map(|u| u.as_str().to_owned()),
    })
}

/// The Will on its own allocations: its topic and payload are slices of the buffer the CONNECT
/// was read into, which would otherwise stay allocated as long as the connection lasts.
fn detach(will: Will) -> Box<Will> {
    Box::new(Will {
        topic: Utf8Bytes::from(will.topic.as_str()),
        payload: Bytes::copy_from_slice(&will.payload),
        ..will
    })
}

/// The CONNACK code for a refused login.
pub fn refusal(denied: Denied) -> ReasonCode {
    match denied {
        Denied::BadCredentials => ReasonCode::BadUserNameOrPassword,
        Denied::EndpointNotAllowed => ReasonCode::NotAuthorized,
    }
}

/// The accepting CONNACK. On 5.0 it carries the limits we hold the client to and, for an
/// endpoint, `subscribe-topic` (R-MQTT.15) and, if asked, Response Information (R-MQTT.12).
pub fn accept(n: &Negotiated, session_present: bool, settings: &MqttSettings) -> ConnAck {
    let mut p = Properties::default();
    if n.version.is_v5() {
        p.receive_maximum = Some(settings.receive_maximum);
        p.maximum_packet_size = Some(settings.max_packet_size);
        p.topic_alias_maximum = Some(settings.topic_alias_maximum);
        p.server_keep_alive = n.server_keep_alive;
        p.retain_available = Some(true);
        p.wildcard_subscription_available = Some(true);
        p.subscription_identifier_available = Some(true);
        p.shared_subscription_available = Some(false);
        if n.session_expiry != Duration::ZERO || n.clean_start {
            p.session_expiry_interval = Some(n.session_expiry.as_secs().min(u64::from(u32::MAX)) as u32);
        }
        if n.assigned {
            p.assigned_client_identifier = Some(n.client_id.as_ref().into());
        }
        if let Some(eid) = &n.eid {
            let topic = usp::canonical_topic(&settings.topic_prefix, eid.as_str());
            if n.request_response_information {
                p.response_information = Some(topic.as_str().into());
            }
            p.user_properties.push(UserProperty {
                name: usp::SUBSCRIBE_TOPIC_PROPERTY.into(),
                value: topic.into(),
            });
        }
    }
    ConnAck { session_present, reason_code: ReasonCode::Success, properties: p }
}

/// A refusing CONNACK [MQTT-3.2.2-6/7]; the codec writes 3.1.1 return codes for 3.1.1.
pub fn refuse(code: ReasonCode) -> ConnAck {
    ConnAck { session_present: false, reason_code: code, properties: Properties::default() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::MqttConfig;
    use crate::mtp::mqtt::codec::Utf8Bytes;

    fn settings() -> MqttSettings {
        MqttSettings::from_config(&MqttConfig::default())
    }

    fn connect(version: ProtocolVersion, client_id: &str, eid: Option<&str>) -> Connect {
        let mut c = Connect {
            protocol_version: version,
            clean_start: true,
            keep_alive: 60,
            properties: Properties::default(),
            client_id: Utf8Bytes::from(client_id),
            will: None,
            username: None,
            password: None,
        };
        if let Some(e) = eid {
            c.properties.user_properties.push(UserProperty { name: "usp-endpoint-id".into(), value: e.into() });
        }
        c
    }

    #[test]
    fn obuspa_v5_connect_gets_an_assigned_id_and_its_topic() {
        let mut c = connect(ProtocolVersion::V5, "", Some("os::012345-OBUSPA-MQTT"));
        c.properties.request_response_information = Some(true);
        let n = negotiate(c, &settings(), &Authenticator::allow_all(), || "auto-1".into()).unwrap();
        assert_eq!((&*n.client_id, n.assigned), ("auto-1", true));
        assert_eq!(n.eid.as_ref().unwrap().as_str(), "os::012345-OBUSPA-MQTT");
        let ack = accept(&n, false, &settings());
        assert_eq!(ack.properties.assigned_client_identifier.as_ref().unwrap().as_str(), "auto-1");
        assert_eq!(ack.properties.response_information.as_ref().unwrap().as_str(), "usp/v1/os::012345-OBUSPA-MQTT");
        let topics: Vec<&str> = ack.properties.user_properties.iter().map(|p| p.value.as_str()).collect();
        assert_eq!(topics, ["usp/v1/os::012345-OBUSPA-MQTT"]);
    }

    #[test]
    fn v311_endpoint_id_is_the_client_id() {
        let n = negotiate(connect(ProtocolVersion::V3_1_1, "os::012345-OBUSPA-MQTT", None), &settings(), &Authenticator::allow_all(), || unreachable!()).unwrap();
        assert_eq!(n.eid.unwrap().as_str(), "os::012345-OBUSPA-MQTT");
        assert_eq!(n.session_expiry, Duration::ZERO);
    }

    #[test]
    fn refusals_and_plain_clients() {
        let mut c = connect(ProtocolVersion::V3_1_1, "", None);
        c.clean_start = false;
        assert_eq!(negotiate(c, &settings(), &Authenticator::allow_all(), || "x".into()).unwrap_err(), ReasonCode::ClientIdentifierNotValid);
        let bad = connect(ProtocolVersion::V5, "c", Some("evil/#"));
        assert_eq!(negotiate(bad, &settings(), &Authenticator::allow_all(), || "x".into()).unwrap_err(), ReasonCode::ClientIdentifierNotValid);
        let plain = negotiate(connect(ProtocolVersion::V5, "sensor 7", None), &settings(), &Authenticator::allow_all(), || "x".into()).unwrap();
        assert!(plain.eid.is_none(), "a ClientId that is no endpoint ID makes a plain client");
    }

    #[test]
    fn users_may_only_claim_their_endpoints() {
        let hash = crate::auth::hash_password(b"pw", 1000);
        let user = crate::auth::User {
            name: "fleet".into(),
            password: crate::auth::PasswordHash::parse(&hash).unwrap(),
            endpoints: vec!["os::012345-*".into()],
        };
        let auth = Authenticator::new(vec![user], false);
        let with = |eid: &str, password: &'static [u8]| {
            let mut c = connect(ProtocolVersion::V5, "c", Some(eid));
            c.username = Some("fleet".into());
            c.password = Some(bytes::Bytes::from_static(password));
            negotiate(c, &settings(), &auth, || "x".into()).map(|n| n.eid.unwrap().to_string())
        };
        assert_eq!(with("os::012345-A", b"pw").unwrap(), "os::012345-A");
        assert_eq!(with("os::999999-A", b"pw").unwrap_err(), ReasonCode::NotAuthorized);
        assert_eq!(with("os::012345-A", b"no").unwrap_err(), ReasonCode::BadUserNameOrPassword);
        let anonymous = connect(ProtocolVersion::V5, "c", Some("os::012345-A"));
        assert_eq!(negotiate(anonymous, &settings(), &auth, || "x".into()).unwrap_err(), ReasonCode::BadUserNameOrPassword);
    }

    #[test]
    fn keep_alive_is_capped_and_announced() {
        let mut c = connect(ProtocolVersion::V5, "c", None);
        c.keep_alive = 0;
        let n = negotiate(c, &settings(), &Authenticator::allow_all(), || "x".into()).unwrap();
        assert_eq!(n.server_keep_alive, Some(600));
        assert_eq!(n.idle_limit, Some(Duration::from_secs(900)));
        let n = negotiate(connect(ProtocolVersion::V5, "c", None), &settings(), &Authenticator::allow_all(), || "x".into()).unwrap();
        assert_eq!((n.server_keep_alive, n.idle_limit), (None, Some(Duration::from_secs(90))));
    }
}

//! proptest strategies for valid MQTT 5.0 property blocks: any combination of valid values,
//! then cut down to what a given packet allows.

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::select;

use super::super::*;
use super::strategies::{binary, topic_name, utf8};

fn sometimes<S: Strategy>(s: S) -> option::OptionStrategy<S> {
    option::weighted(0.25, s)
}

/// Any combination of properties with valid values, not yet restricted to a scope.
fn any_properties() -> impl Strategy<Value = Properties> {
    let flag = || sometimes(any::<bool>());
    let messages = (
        sometimes(select(vec![
            PayloadFormat::Unspecified,
            PayloadFormat::Utf8,
        ])),
        sometimes(any::<u32>()),
        sometimes(utf8()),
        sometimes(topic_name()),
        sometimes(binary(8)),
        vec(1..=MAX_REMAINING_LENGTH, 0..3),
        sometimes(any::<u32>()),
        sometimes(utf8()),
        sometimes(any::<u16>()),
    );
    let sessions = (
        sometimes(utf8()),
        sometimes(binary(8)),
        flag(),
        sometimes(any::<u32>()),
        flag(),
        sometimes(utf8()),
        sometimes(utf8()),
        sometimes(utf8()),
        sometimes(1..=u16::MAX),
    );
    let limits = (
        sometimes(any::<u16>()),
        sometimes(1..=u16::MAX),
        sometimes(select(vec![QoS::AtMostOnce, QoS::AtLeastOnce])),
        flag(),
        vec(
            (utf8(), utf8()).prop_map(|(name, value)| UserProperty { name, value }),
            0..3,
        ),
        sometimes(1..=u32::MAX),
        (flag(), flag(), flag()),
    );
    (messages, sessions, limits).prop_map(|(m, s, l)| Properties {
        payload_format_indicator: m.0,
        message_expiry_interval: m.1,
        content_type: m.2,
        response_topic: m.3,
        correlation_data: m.4,
        subscription_identifiers: m.5,
        session_expiry_interval: m.6,
        assigned_client_identifier: m.7,
        server_keep_alive: m.8,
        authentication_method: s.0,
        authentication_data: s.1,
        request_problem_information: s.2,
        will_delay_interval: s.3,
        request_response_information: s.4,
        response_information: s.5,
        server_reference: s.6,
        reason_string: s.7,
        receive_maximum: s.8,
        topic_alias_maximum: l.0,
        topic_alias: l.1,
        maximum_qos: l.2,
        retain_available: l.3,
        user_properties: l.4,
        maximum_packet_size: l.5,
        wildcard_subscription_available: l.6.0,
        subscription_identifier_available: l.6.1,
        shared_subscription_available: l.6.2,
    })
}

/// Clears one property.
fn remove(p: &mut Properties, id: PropertyId) {
    use PropertyId as P;
    match id {
        P::PayloadFormatIndicator => p.payload_format_indicator = None,
        P::MessageExpiryInterval => p.message_expiry_interval = None,
        P::ContentType => p.content_type = None,
        P::ResponseTopic => p.response_topic = None,
        P::CorrelationData => p.correlation_data = None,
        P::SubscriptionIdentifier => p.subscription_identifiers.clear(),
        P::SessionExpiryInterval => p.session_expiry_interval = None,
        P::AssignedClientIdentifier => p.assigned_client_identifier = None,
        P::ServerKeepAlive => p.server_keep_alive = None,
        P::AuthenticationMethod => p.authentication_method = None,
        P::AuthenticationData => p.authentication_data = None,
        P::RequestProblemInformation => p.request_problem_information = None,
        P::WillDelayInterval => p.will_delay_interval = None,
        P::RequestResponseInformation => p.request_response_information = None,
        P::ResponseInformation => p.response_information = None,
        P::ServerReference => p.server_reference = None,
        P::ReasonString => p.reason_string = None,
        P::ReceiveMaximum => p.receive_maximum = None,
        P::TopicAliasMaximum => p.topic_alias_maximum = None,
        P::TopicAlias => p.topic_alias = None,
        P::MaximumQoS => p.maximum_qos = None,
        P::RetainAvailable => p.retain_available = None,
        P::UserProperty => p.user_properties.clear(),
        P::MaximumPacketSize => p.maximum_packet_size = None,
        P::WildcardSubscriptionAvailable => p.wildcard_subscription_available = None,
        P::SubscriptionIdentifierAvailable => p.subscription_identifier_available = None,
        P::SharedSubscriptionAvailable => p.shared_subscription_available = None,
    }
}

/// Valid properties for `scope` on `version` (none before 5.0).
pub fn properties(version: ProtocolVersion, scope: PropertyScope) -> BoxedStrategy<Properties> {
    if !version.is_v5() {
        return Just(Properties::default()).boxed();
    }
    any_properties()
        .prop_map(move |mut p| {
            for id in p.present() {
                if !id.allowed_in(scope) {
                    remove(&mut p, id);
                }
            }
            if !PropertyId::SubscriptionIdentifier.repeatable_in(scope) {
                p.subscription_identifiers.truncate(1);
            }
            if p.authentication_method.is_none() {
                p.authentication_data = None;
            }
            p
        })
        .boxed()
}

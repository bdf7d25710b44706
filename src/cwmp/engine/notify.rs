//! Fan-out of a CPE's notifications: one Notify Msg per recipient, each with its own
//! subscription ID, to the Controllers whose subscriptions match and to the configured
//! `notify_controllers`.

use crate::cwmp::translate::NotifType;
use crate::usp::EndpointId;
use crate::usp::proto::msg::Msg;

use super::translator::Notification;

/// The subscription ID given to `notify_controllers`, which hold no subscription of their own.
pub const DEFAULT_SUBSCRIPTION_ID: &str = "usphub-notify-controllers";

/// The Notify Msgs for `notification`: subscribers first, then each default Controller that
/// is not already among them (one Controller gets one copy). `msg_id` numbers them.
pub fn fan_out(
    notification: &Notification,
    defaults: &[EndpointId],
    mut msg_id: impl FnMut() -> String,
) -> Vec<(EndpointId, Msg)> {
    let content = &notification.content;
    // OnBoardRequest belongs to no subscription: its subscription_id is empty (R-NOT.7).
    let default_id = if content.notif_type == NotifType::OnBoardRequest { "" } else { DEFAULT_SUBSCRIPTION_ID };
    let subscribed =
        notification.subscribers.iter().map(|s| (s.controller.clone(), s.subscription_id.as_str(), s.send_resp));
    let extra = defaults
        .iter()
        .filter(|d| !notification.subscribers.iter().any(|s| &s.controller == *d))
        .map(|d| (d.clone(), default_id, false));
    subscribed
        .chain(extra)
        .map(|(controller, subscription_id, send_resp)| {
            (controller, content.to_msg(&msg_id(), subscription_id, send_resp))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::translator::Subscriber;
    use super::*;
    use crate::cwmp::translate::NotifyContent;
    use crate::usp::proto::msg;

    fn notify(m: &Msg) -> msg::Notify {
        match m.body.as_ref().unwrap().msg_body.as_ref().unwrap() {
            msg::body::MsgBody::Request(msg::Request { req_type: Some(msg::request::ReqType::Notify(n)) }) => n.clone(),
            _ => panic!(),
        }
    }

    #[test]
    fn subscribers_and_defaults_each_get_one_copy() {
        let eid = |s: &str| EndpointId::new(s).unwrap();
        let notification = Notification {
            content: NotifyContent {
                notif_type: NotifType::ValueChange,
                reference: "Device.X".into(),
                notification: msg::notify::Notification::ValueChange(msg::notify::ValueChange {
                    param_path: "Device.X".into(),
                    param_value: "1".into(),
                }),
            },
            subscribers: vec![Subscriber {
                controller: eid("self::a"),
                subscription_id: "sub-1".into(),
                send_resp: true,
            }],
        };
        let mut n = 0;
        let out = fan_out(&notification, &[eid("self::a"), eid("self::b")], || {
            n += 1;
            format!("n{n}")
        });
        assert_eq!(out.len(), 2);
        assert_eq!((out[0].0.as_str(), notify(&out[0].1).subscription_id.as_str()), ("self::a", "sub-1"));
        assert!(notify(&out[0].1).send_resp);
        assert_eq!(
            (out[1].0.as_str(), notify(&out[1].1).subscription_id.as_str()),
            ("self::b", DEFAULT_SUBSCRIPTION_ID)
        );
        assert_eq!(out[1].1.header.as_ref().unwrap().msg_id, "n2");
    }
}

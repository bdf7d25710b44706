//! Notify messages sent with `send_resp`, kept until their NotifyResp arrives.
//!
//! TR-369 requires OnBoardRequest to be sent with `send_resp = true` and repeated until the
//! Controller answers (R-NOT.6), and a subscription with `NotifRetry = true` asks the same of
//! its notifications. The virtual Agent does it like a native one: the same Msg (same
//! `msg_id`) again after `min_wait`, each wait `interval_multiplier`/1000 times the previous,
//! `max_attempts` sends in all; then it gives up (logged, counted). A NotifyResp from that
//! Controller with that `msg_id` and `subscription_id` ends it. The outbox lives in the
//! device's actor, so a deleted device stops retrying with it.

use std::time::Duration;

use tokio::time::Instant;
use tracing::{debug, info};

use super::DeviceActor;
use crate::usp::EndpointId;
use crate::usp::proto::msg::{self, Msg};

/// A Notify waiting for its NotifyResp.
pub(super) struct Unanswered {
    controller: EndpointId,
    msg: Msg,
    sends: u32,
    wait: Duration,
    next: Instant,
}

/// `(msg_id, subscription_id, send_resp)` of a Notify.
fn notify_keys(msg: &Msg) -> Option<(&str, &str, bool)> {
    let msg_id = msg.header.as_ref()?.msg_id.as_str();
    match msg.body.as_ref()?.msg_body.as_ref()? {
        msg::body::MsgBody::Request(msg::Request { req_type: Some(msg::request::ReqType::Notify(n)) }) => {
            Some((msg_id, n.subscription_id.as_str(), n.send_resp))
        }
        _ => None,
    }
}

/// `(msg_id, subscription_id)` of a NotifyResp.
fn resp_keys(msg: &Msg) -> Option<(&str, &str)> {
    let msg_id = msg.header.as_ref()?.msg_id.as_str();
    match msg.body.as_ref()?.msg_body.as_ref()? {
        msg::body::MsgBody::Response(msg::Response { resp_type: Some(msg::response::RespType::NotifyResp(r)) }) => {
            Some((msg_id, r.subscription_id.as_str()))
        }
        _ => None,
    }
}

impl DeviceActor {
    /// Sends a Notify; keeps it for retries if it asks for a NotifyResp.
    pub(super) fn send_notify(&mut self, controller: EndpointId, msg: Msg) {
        self.send(&controller, &msg);
        if notify_keys(&msg).is_some_and(|(_, _, send_resp)| send_resp) {
            let wait = self.engine.0.settings.notify_retry.min_wait;
            self.outbox.push(Unanswered { controller, msg, sends: 1, wait, next: Instant::now() + wait });
        }
    }

    /// A Controller's NotifyResp: the Notify it answers is done.
    pub(super) fn notify_answered(&mut self, from: &EndpointId, resp: &Msg) {
        let Some((msg_id, subscription_id)) = resp_keys(resp) else { return };
        let before = self.outbox.len();
        self.outbox.retain(|u| {
            &u.controller != from || notify_keys(&u.msg).is_none_or(|(m, s, _)| m != msg_id || s != subscription_id)
        });
        debug!(eid = %self.eid(), %from, msg_id, answered = before != self.outbox.len(), "NotifyResp");
    }

    /// Sends again what is due; gives up on what has had all its attempts.
    pub(super) fn retry_notifies(&mut self, now: Instant) {
        let retry = self.engine.0.settings.notify_retry.clone();
        let mut due = Vec::new();
        self.outbox.retain_mut(|u| {
            if u.next > now {
                return true;
            }
            if u.sends >= retry.max_attempts {
                info!(controller = %u.controller, sends = u.sends, "no NotifyResp: Notify given up");
                return false;
            }
            u.sends += 1;
            u.wait = u.wait.mul_f64(retry.multiplier);
            u.next = now + u.wait;
            due.push((u.controller.clone(), u.msg.clone()));
            true
        });
        for (controller, msg) in due {
            self.engine.0.metrics.notify_retried();
            self.send(&controller, &msg);
        }
    }

    /// When the next retry is due.
    pub(super) fn next_retry(&self) -> Option<Instant> {
        self.outbox.iter().map(|u| u.next).min()
    }
}

//! The seam between the device engine and USP translation: what the engine asks of
//! [`crate::cwmp::translate`] (a task per USP request, the notifications an Inform causes), and
//! the per-device state it lends for that.
//!
//! A trait rather than direct calls, so the engine's timing rules (queues, deadlines, session
//! loss) are tested with scripted tasks, independently of the translation's own tests.

use crate::cwmp::registry::Identity;
use crate::cwmp::rpc::Inform;
use crate::cwmp::task::{CwmpTask, DeviceModel};
use crate::usp::EndpointId;
use crate::usp::proto::msg::{self, Msg};

/// What the engine keeps per CPE for translation, persisted in the registry.
#[derive(Debug, Clone)]
pub struct DeviceState {
    pub endpoint_id: EndpointId,
    pub identity: Identity,
    pub model: DeviceModel,
    /// The translator's subscription table of this CPE, opaque here (stored as is).
    pub subscriptions: Vec<u8>,
}

/// One notification, and the subscriptions it matches.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    pub notification: msg::notify::Notification,
    pub subscribers: Vec<Subscriber>,
}

/// A Controller subscribed to a notification (`Device.LocalAgent.Subscription.{i}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscriber {
    pub controller: EndpointId,
    pub subscription_id: String,
    pub send_resp: bool,
}

/// USP translation as the device engine uses it.
pub trait Translator: Send + Sync + 'static {
    /// A task carrying out one USP request from `controller`, or the Msg to answer at once
    /// (an Error, or a response that needs no CPE round trip). May change `device`
    /// (subscriptions); the engine persists it afterwards.
    #[allow(clippy::result_large_err)] // the Msg is the answer itself, sent right away
    fn task(&self, request: Msg, controller: &EndpointId, device: &mut DeviceState) -> Result<Box<dyn CwmpTask>, Msg>;

    /// The notifications an Inform causes (Boot!, ValueChange …).
    fn inform_notifications(&self, inform: &Inform, device: &DeviceState) -> Vec<Notification>;
}

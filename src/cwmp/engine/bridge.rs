//! The production [`Translator`]: the engine's way into [`crate::cwmp::translate`].
//!
//! Requests on `Device.LocalAgent.Subscription.` are answered from the device's own table
//! first, as `translate` asks; everything else becomes a task. Notifications get their
//! recipients from the same table, and the table's ValueChange paths become notification
//! attributes on the CPE (upkeep).

use super::translator::{CpeReport, DeviceState, Notification, Started, Subscriber, Translator, Upkeep};
use crate::cwmp::translate::{
    self, InformHints, LocalAnswer, NotifyContent, Subscriptions, TranslateConfig, autonomous_transfer_complete,
    notifications_with, operation_complete,
};
use crate::usp::EndpointId;
use crate::usp::proto::msg::{Body, Msg, Response, body::MsgBody};

#[derive(Default)]
pub struct TranslateBridge {
    pub config: TranslateConfig,
}

impl Translator for TranslateBridge {
    fn task(&self, request: Msg, controller: &EndpointId, device: &mut DeviceState) -> Result<Started, Msg> {
        if let LocalAnswer::Answer(answer) = device.subscriptions.handle(controller.as_str(), &request) {
            return Err(answer);
        }
        let task = translate::start(&request, &device.model, &self.config)?;
        Ok(Started { task, send_response: wants_response(&request) })
    }

    fn notifications(&self, report: CpeReport<'_>, device: &DeviceState) -> Vec<Notification> {
        let contents = match report {
            CpeReport::Inform { inform, previous_values } => {
                let hints = InformHints {
                    factory_reset_requested: device.model.factory_reset_requested,
                    previous_values: previous_values.clone(),
                    agent_supported_protocol_versions: self.config.agent_supported_protocol_versions.clone(),
                };
                notifications_with(inform, device.endpoint_id.as_str(), &hints)
            }
            CpeReport::TransferComplete { report, operation, requestor } => {
                operation_complete(report, operation, requestor.as_str())
            }
            CpeReport::AutonomousTransferComplete(atc) => vec![autonomous_transfer_complete(atc)],
        };
        contents.into_iter().map(|content| addressed(content, &device.subscriptions)).collect()
    }

    fn upkeep(&self, device: &DeviceState) -> Upkeep {
        let upkeep = translate::attribute_upkeep(&device.subscriptions, &device.model);
        Upkeep {
            settled: upkeep.settled,
            task: upkeep.task.map(|task| Box::new(task) as Box<dyn crate::cwmp::task::CwmpTask>),
        }
    }
}

/// A notification with the Controllers whose subscriptions cover it.
fn addressed(content: NotifyContent, subscriptions: &Subscriptions) -> Notification {
    let subscribers = subscriptions
        .recipients(content.notif_type, &content.reference)
        .into_iter()
        .filter_map(|target| {
            let controller = EndpointId::new(&target.controller_eid).ok()?;
            Some(Subscriber { controller, subscription_id: target.subscription_id, send_resp: target.send_resp })
        })
        .collect();
    Notification { content, subscribers }
}

/// Whether the request wants its successful answer (R-OPR.4), asked of `translate` with a
/// stand-in response, since the real one exists only when the task ends.
fn wants_response(request: &Msg) -> bool {
    let response = Msg { header: None, body: Some(Body { msg_body: Some(MsgBody::Response(Response::default())) }) };
    translate::should_send(request, &response)
}

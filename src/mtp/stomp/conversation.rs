//! What a connected STOMP client may do, as a pure state machine: the session feeds it each
//! frame and carries out the [`Step`] it returns, or sends ERROR with the [`Violation`] as the
//! message and closes (R-STOMP.7). Kept free of I/O so every rule is unit-tested.
//!
//! Routing never looks at STOMP destinations: every SEND is routed by its Record's `to_id`
//! (the hub is an MTP proxy that reads the Record, TR-369 §Communications Proxying), so a
//! destination is only a label. That is why subscribing is restricted to the endpoint's own
//! destination (R-STOMP.34) without any security riding on it.

use bytes::Bytes;

use super::codec::{CONTENT_LENGTH, Command, Frame};
use super::message::Subscription;

/// The content type of a USP Record on STOMP (R-STOMP.20).
pub const USP_CONTENT_TYPE: &str = "application/vnd.bbf.usp.msg";

/// What the session must do for one frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Hand the SEND body, a Record, to the router.
    Route(Bytes),
    /// The client subscribed: Records queued for it may now flow.
    Subscribed,
    /// The client unsubscribed: Records wait in its queue again.
    Unsubscribed,
    /// Nothing to do beyond a receipt (UNSUBSCRIBE of an unknown id).
    Nothing,
    /// DISCONNECT: answer its receipt, then close (STOMP 1.2 §DISCONNECT).
    Disconnect,
}

/// A frame a USP client must not send. Fatal: ERROR, then close.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Violation {
    #[error("already connected")]
    AlreadyConnected,
    #[error("{0} is a server frame")]
    ServerFrame(Command),
    // R-STOMP.26/27 forbid these to USP clients. Refusing beats ignoring: an ignored BEGIN
    // would let the client believe its SENDs wait for COMMIT (and that ABORT undoes them),
    // and ACK/NACK mean nothing under ack:auto, so a client sending them is confused either
    // way. A clear ERROR points at the bug at once.
    #[error("{0} is not allowed for USP clients (R-STOMP.26/27)")]
    Forbidden(Command),
    #[error("transactions are not supported (R-STOMP.26): remove the transaction header")]
    Transaction,
    #[error("{command} needs a {header} header")]
    MissingHeader { command: Command, header: &'static str },
    #[error("SUBSCRIBE only to your own destination {own:?} (R-STOMP.34), not {requested:?}")]
    ForeignDestination { requested: String, own: String },
    #[error("ack:{0} is not supported: USP subscriptions use ack:auto (R-STOMP.17)")]
    AckMode(String),
    #[error("already subscribed with id {0:?}: one subscription per connection")]
    AlreadySubscribed(String),
    #[error("content-type must be {USP_CONTENT_TYPE} (R-STOMP.20), not {0:?}")]
    ContentType(String),
    #[error("SEND needs content-length (R-STOMP.19): USP Records are binary and contain NULs")]
    NoContentLength,
}

/// The state of one connected client.
#[derive(Debug)]
pub struct Conversation {
    /// The `subscribe-dest` it was given in CONNECTED.
    own_destination: String,
    /// Destinations it announced in STOMPConnect Records (`subscribed_destination`).
    announced: Vec<String>,
    subscription: Option<Subscription>,
    /// Where it says replies should go (R-STOMP.21). The hub answers by `to_id` anyway; this
    /// is kept for logs.
    reply_to_dest: Option<String>,
}

/// At most this many announced destinations are remembered: a client cannot grow our memory
/// by announcing new ones forever.
const MAX_ANNOUNCED: usize = 4;

impl Conversation {
    pub fn new(own_destination: String) -> Self {
        Self { own_destination, announced: Vec::new(), subscription: None, reply_to_dest: None }
    }

    pub fn subscription(&self) -> Option<&Subscription> {
        self.subscription.as_ref()
    }

    pub fn reply_to_dest(&self) -> Option<&str> {
        self.reply_to_dest.as_deref()
    }

    /// Learns the `subscribed_destination` of a STOMPConnect Record the client sent: it may
    /// subscribe there too. Returns whether it was new.
    pub fn announce(&mut self, destination: String) -> bool {
        if destination.is_empty() || destination == self.own_destination || self.announced.contains(&destination) {
            return false;
        }
        if self.announced.len() == MAX_ANNOUNCED {
            self.announced.remove(0);
        }
        self.announced.push(destination);
        true
    }

    /// Applies one frame received after CONNECTED.
    pub fn on_frame(&mut self, frame: Frame) -> Result<Step, Violation> {
        let command = frame.command;
        match command {
            Command::Send => self.send(frame),
            Command::Subscribe => self.subscribe(&frame),
            Command::Unsubscribe => self.unsubscribe(&frame),
            Command::Disconnect => Ok(Step::Disconnect),
            Command::Stomp | Command::Connect => Err(Violation::AlreadyConnected),
            Command::Ack | Command::Nack | Command::Begin | Command::Commit | Command::Abort => {
                Err(Violation::Forbidden(command))
            }
            Command::Connected | Command::Message | Command::Receipt | Command::Error => {
                Err(Violation::ServerFrame(command))
            }
        }
    }

    fn send(&mut self, frame: Frame) -> Result<Step, Violation> {
        let headers = &frame.headers;
        required(&frame, "destination")?;
        if headers.get("transaction").is_some() {
            return Err(Violation::Transaction);
        }
        if headers.get(CONTENT_LENGTH).is_none() {
            return Err(Violation::NoContentLength);
        }
        let content_type = headers.get("content-type").unwrap_or_default();
        // Media types are case-insensitive and may carry parameters.
        let media_type = content_type.split(';').next().unwrap_or_default().trim();
        if !media_type.eq_ignore_ascii_case(USP_CONTENT_TYPE) {
            return Err(Violation::ContentType(content_type.chars().take(80).collect()));
        }
        if let Some(reply_to) = headers.get("reply-to-dest") {
            if self.reply_to_dest.as_deref() != Some(reply_to) {
                self.reply_to_dest = Some(reply_to.to_owned());
            }
        }
        Ok(Step::Route(frame.body))
    }

    fn subscribe(&mut self, frame: &Frame) -> Result<Step, Violation> {
        let id = required(frame, "id")?;
        let destination = required(frame, "destination")?;
        if let Some(ack) = frame.headers.get("ack").filter(|a| *a != "auto") {
            return Err(Violation::AckMode(ack.chars().take(40).collect()));
        }
        if destination != self.own_destination && !self.announced.iter().any(|d| d == destination) {
            return Err(Violation::ForeignDestination {
                requested: destination.chars().take(300).collect(),
                own: self.own_destination.clone(),
            });
        }
        if let Some(existing) = &self.subscription {
            return Err(Violation::AlreadySubscribed(existing.id().to_owned()));
        }
        self.subscription = Some(Subscription::new(id, destination));
        Ok(Step::Subscribed)
    }

    fn unsubscribe(&mut self, frame: &Frame) -> Result<Step, Violation> {
        let id = required(frame, "id")?;
        match &self.subscription {
            Some(s) if s.id() == id => {
                self.subscription = None;
                Ok(Step::Unsubscribed)
            }
            // Unknown ids are harmless: nothing was subscribed under them.
            _ => Ok(Step::Nothing),
        }
    }
}

/// The `subscribed_destination` of a STOMPConnect Record. Only Connect Records are decoded in
/// full; they are a few dozen bytes.
pub fn announced_destination(record: &[u8]) -> Option<String> {
    use crate::usp::proto::record::{Record, record::RecordType};
    use prost::Message as _;
    match Record::decode(record).ok()?.record_type? {
        RecordType::StompConnect(connect) => Some(connect.subscribed_destination),
        _ => None,
    }
}

fn required<'f>(frame: &'f Frame, header: &'static str) -> Result<&'f str, Violation> {
    frame.headers.get(header).ok_or(Violation::MissingHeader { command: frame.command, header })
}

#[cfg(test)]
mod tests;

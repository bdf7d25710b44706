//! The device engine: every registered CPE as a virtual USP agent.
//!
//! Each CPE gets one actor ([`actor`]): a task that owns the CPE's router session (it is an
//! endpoint like any other, with MTP `cwmp`), its queue of USP work, its CWMP session state
//! and its model. Everything about one CPE happens in that task, in order: a Controller's Get
//! arriving, the CPE's POSTs relayed by the ACS front, timers. No lock is shared between
//! devices, and the front never waits on anything but the one device it serves.
//!
//! Actors start with the hub for every registered CPE, and on the first Inform of a new one.

mod actor;
mod admin;
mod bridge;
pub mod metrics;
mod notify;
mod queue;
pub mod translator;
mod usp;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use dashmap::DashMap;
use tokio::sync::{mpsc, oneshot};
use tokio_util::{sync::CancellationToken, task::TaskTracker};
use tracing::warn;

use crate::config::EndpointScheme;
use crate::cwmp::acs::session::CpePost;
use crate::cwmp::connreq::{ConnectionRequestError, ConnectionRequester};
use crate::cwmp::registry::{Credentials, DeviceRecord, Identity, Registry, RegistryError};
use crate::cwmp::rpc::DeviceId;
use crate::cwmp::soap::Envelope;
use crate::cwmp::task::DeviceModel;
use crate::cwmp::translate::Subscriptions;
use crate::router::Router;
use crate::usp::{EndpointId, EndpointIdError};
pub use bridge::TranslateBridge;
use translator::{DeviceState, Translator};

/// Events one device actor handles, besides its USP Records.
const EVENT_QUEUE: usize = 16;

/// How the engine treats CPE.
#[derive(Debug, Clone)]
pub struct EngineSettings {
    pub endpoint_scheme: EndpointScheme,
    pub session_timeout: Duration,
    pub request_timeout: Duration,
    /// Controllers that get every notification.
    pub notify_controllers: Vec<EndpointId>,
    /// Least time between two connection requests to one CPE after it last called in.
    pub connection_request_min_interval: Duration,
    /// Time before asking again a CPE that did not call in after a connection request.
    pub connection_request_retry: Duration,
    /// Connection request credentials for CPE with none of their own.
    pub connection_request_credentials: Option<Credentials>,
    /// Retries of Notify messages sent with `send_resp`.
    pub notify_retry: NotifyRetry,
}

/// `[cwmp.notify_retry]` as the engine uses it.
#[derive(Debug, Clone)]
pub struct NotifyRetry {
    pub min_wait: Duration,
    /// Each wait is the previous one times this.
    pub multiplier: f64,
    /// Sends in all, the first included.
    pub max_attempts: u32,
}

/// The identifier of one CWMP session, handed to the CPE as its cookie: 128 random bits, so
/// it also proves the POST belongs to the CPE that authenticated at the Inform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SessionId(pub u128);

impl SessionId {
    pub fn random() -> Self {
        let mut bytes = [0u8; 16];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes).expect("system randomness");
        Self(u128::from_be_bytes(bytes))
    }
}

impl std::fmt::Display for SessionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:032x}", self.0)
    }
}

impl std::str::FromStr for SessionId {
    type Err = std::num::ParseIntError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        u128::from_str_radix(s, 16).map(Self)
    }
}

/// What the ACS front writes back for one POST.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AcsAnswer {
    /// 200 with this SOAP envelope.
    Envelope(Bytes),
    /// 204: the session is over.
    NoContent,
    /// The POST names a session the device no longer has (ended, timed out, replaced).
    NoSession,
}

/// What the ACS front hands a device actor.
enum DeviceEvent {
    /// A session begins: the CPE's Inform, already authenticated and checked.
    Inform { envelope: Envelope, peer: IpAddr, session: SessionId, answer: oneshot::Sender<AcsAnswer> },
    /// A later POST of session `session`.
    Post { session: SessionId, post: CpePost, answer: oneshot::Sender<AcsAnswer> },
    /// A connection request the actor started has finished.
    ConnectionRequestDone(Result<(), ConnectionRequestError>),
    /// An operator changed the CPE's registry record (a login): read it again.
    RecordChanged,
    /// The device is being deleted: stop (waiting tasks get their USP Error), then say so.
    Forget { stopped: oneshot::Sender<()> },
}

/// The engine; cheap to clone.
#[derive(Clone)]
pub struct Engine(Arc<Shared>);

struct Shared {
    devices: DashMap<EndpointId, mpsc::Sender<DeviceEvent>>,
    router: Router,
    registry: Registry,
    translator: Arc<dyn Translator>,
    requester: ConnectionRequester,
    settings: EngineSettings,
    shutdown: CancellationToken,
    tracker: TaskTracker,
    metrics: metrics::CwmpMetrics,
}

impl Engine {
    /// Starts an actor, attached to the router, for every CPE in the registry.
    pub fn start(
        router: Router,
        registry: Registry,
        translator: Arc<dyn Translator>,
        requester: ConnectionRequester,
        settings: EngineSettings,
        shutdown: CancellationToken,
        tracker: TaskTracker,
    ) -> Result<Self, RegistryError> {
        let engine = Self(Arc::new(Shared {
            devices: DashMap::new(),
            router,
            registry,
            translator,
            requester,
            settings,
            shutdown,
            tracker,
            metrics: metrics::CwmpMetrics::default(),
        }));
        for record in engine.0.registry.devices()? {
            match EndpointId::new(&record.endpoint_id) {
                Ok(eid) => {
                    let state = engine.stored_state(&eid, &record)?;
                    let operations = actor::load_operations(&engine.0.registry, eid.as_str())?;
                    engine.spawn(eid, Some(record), state, operations);
                }
                Err(e) => warn!(endpoint_id = %record.endpoint_id, error = %e, "registry entry skipped"),
            }
        }
        Ok(engine)
    }

    /// The endpoint ID of a CPE, under the configured scheme.
    pub fn endpoint_id(&self, device_id: &DeviceId) -> Result<EndpointId, EndpointIdError> {
        crate::cwmp::registry::endpoint_id(self.0.settings.endpoint_scheme, device_id)
    }

    pub fn registry(&self) -> &Registry {
        &self.0.registry
    }

    /// How many CPE have an actor.
    pub fn device_count(&self) -> usize {
        self.0.devices.len()
    }

    /// Starts a session for the CPE `eid` with its Inform; spawns its actor on first contact.
    pub async fn inform(
        &self,
        eid: EndpointId,
        envelope: Envelope,
        peer: IpAddr,
        session: SessionId,
    ) -> Option<AcsAnswer> {
        let events = match self.0.devices.get(&eid) {
            Some(events) => events.clone(),
            None => {
                let crate::cwmp::soap::Body::Inform(inform) = &envelope.body else { return None };
                let root = data_model_root(inform);
                let state = DeviceState {
                    endpoint_id: eid.clone(),
                    identity: Identity::from(&inform.device_id),
                    model: DeviceModel::new(root),
                    subscriptions: Subscriptions::new(),
                };
                self.spawn(eid, None, state, Vec::new())
            }
        };
        let (answer, reply) = oneshot::channel();
        events.send(DeviceEvent::Inform { envelope, peer, session, answer }).await.ok()?;
        reply.await.ok()
    }

    /// Deletes a CPE: stops its virtual agent (its waiting USP requests are answered with an
    /// Error, its Notify retries end) and removes it from the registry. `false` if unknown.
    /// A CPE that informs again afterwards is registered anew.
    pub async fn forget(&self, eid: &EndpointId) -> Result<bool, RegistryError> {
        let events = self.0.devices.get(eid).map(|e| e.clone());
        if let Some(events) = events {
            let (stopped, done) = oneshot::channel();
            if events.send(DeviceEvent::Forget { stopped }).await.is_ok() {
                let _ = done.await;
            }
        }
        let (registry, key) = (self.0.registry.clone(), eid.to_string());
        tokio::task::spawn_blocking(move || registry.delete_device(&key))
            .await
            .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
    }

    /// Hands a later POST of `session` to the CPE `eid`.
    pub async fn post(&self, eid: &EndpointId, session: SessionId, post: CpePost) -> Option<AcsAnswer> {
        let events = self.0.devices.get(eid)?.clone();
        let (answer, reply) = oneshot::channel();
        events.send(DeviceEvent::Post { session, post, answer }).await.ok()?;
        reply.await.ok()
    }

    fn spawn(
        &self,
        eid: EndpointId,
        record: Option<DeviceRecord>,
        state: DeviceState,
        operations: Vec<actor::Awaited>,
    ) -> mpsc::Sender<DeviceEvent> {
        use dashmap::mapref::entry::Entry;
        match self.0.devices.entry(eid.clone()) {
            Entry::Occupied(existing) => existing.get().clone(),
            Entry::Vacant(slot) => {
                let (events, inbox) = mpsc::channel(EVENT_QUEUE);
                slot.insert(events.clone());
                let peer = record.as_ref().and_then(|r| r.connection_request_url.clone()).unwrap_or_default();
                let usp = self.0.router.attach(eid, crate::usp::Mtp::Cwmp, peer);
                let actor = actor::DeviceActor::new(self.clone(), usp, inbox, events.clone(), record, state, operations);
                self.0.tracker.spawn(actor.run());
                events
            }
        }
    }

    /// A registered CPE's state as stored: its model (fresh if unreadable) and subscriptions.
    fn stored_state(&self, eid: &EndpointId, record: &DeviceRecord) -> Result<DeviceState, RegistryError> {
        let registry = &self.0.registry;
        let model = registry
            .model(eid.as_str())?
            .and_then(|blob| serde_json::from_slice(&blob).ok())
            .unwrap_or_else(|| DeviceModel::new("Device."));
        let subscriptions = registry.subscriptions(eid.as_str())?.and_then(|blob| serde_json::from_slice(&blob).ok());
        Ok(DeviceState {
            endpoint_id: eid.clone(),
            identity: record.identity.clone(),
            model,
            subscriptions: subscriptions.unwrap_or_default(),
        })
    }
}

/// The gateway's figures on `/metrics`.
impl crate::telemetry::MetricsSource for Engine {
    fn render(&self, out: &mut String) {
        self.0.metrics.render(self.device_count(), out);
    }
}

/// `InternetGatewayDevice.` for TR-098 CPE (their Inform names it), else `Device.`.
fn data_model_root(inform: &crate::cwmp::rpc::Inform) -> &'static str {
    let tr098 = inform.parameter_list.iter().any(|p| p.name.starts_with("InternetGatewayDevice."));
    if tr098 { "InternetGatewayDevice." } else { "Device." }
}

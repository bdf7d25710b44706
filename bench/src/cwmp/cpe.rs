//! One simulated CPE's side of a session (Inform, InformResponse, empty POST, 204) and what a
//! fleet of them shares: the ACS's address, the session timeout, the error tally.

use std::{
    collections::BTreeMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering::Relaxed},
    },
    time::{Duration, Instant, SystemTime},
};

use serde::Serialize;

use super::{
    http::{HttpConn, HttpError},
    soap::{self, Events},
};
use crate::scenario::CwmpSpec;
use crate::source::Sources;
use crate::stats::{ErrorKind, Live};

/// Failed sessions by kind, and the first one's story.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Errors {
    pub total: u64,
    pub by_kind: BTreeMap<String, u64>,
    pub first: Option<String>,
}

/// Why a session failed.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("{0}")]
    Http(#[from] HttpError),
    #[error("{step} answered HTTP {status}")]
    Status { step: &'static str, status: u16 },
    #[error("the Inform was answered with SOAP Fault {0}")]
    Fault(String),
    #[error("the ACS sent a request ({0}) that a load CPE cannot answer")]
    AcsRequest(String),
    #[error("{0}")]
    Unexpected(String),
    #[error("no answer within --timeout")]
    Timeout,
}

impl SessionError {
    fn kind(&self) -> String {
        match self {
            Self::Http(HttpError::Connect(_)) => "connect".into(),
            Self::Http(_) => "http".into(),
            Self::Status { status, .. } => format!("HTTP {status}"),
            Self::Fault(code) => format!("fault {code}"),
            Self::AcsRequest(method) => format!("acs request {method}"),
            Self::Unexpected(_) => "unexpected answer".into(),
            Self::Timeout => "timeout".into(),
        }
    }
}

/// What every simulated CPE of a run shares.
pub struct Fleet {
    pub spec: CwmpSpec,
    pub target: String,
    pub sources: Arc<Sources>,
    pub timeout: Duration,
    pub next_id: AtomicU64,
    pub errors: Mutex<Errors>,
    pub live: Arc<Live>,
}

impl Fleet {
    pub fn error(&self, e: &SessionError) {
        self.live.error(ErrorKind::Unexpected);
        let mut errors = self.errors.lock().unwrap_or_else(|p| p.into_inner());
        errors.total += 1;
        *errors.by_kind.entry(e.kind()).or_default() += 1;
        if errors.first.is_none() {
            errors.first = Some(e.to_string());
        }
    }
}

/// One simulated CPE's connection (the devices a worker serves take turns on it).
pub struct Cpe {
    pub conn: Option<HttpConn>,
    pub shared: Arc<Fleet>,
}

impl Cpe {
    /// One whole session of device `index`; its time from the Inform to the 204.
    pub async fn session(&mut self, index: usize, events: Events) -> Result<Duration, SessionError> {
        let shared = self.shared.clone();
        let started = Instant::now();
        let result = tokio::time::timeout(shared.timeout, self.exchange(index, events)).await;
        let result = result.unwrap_or(Err(SessionError::Timeout));
        if result.is_err() || shared.spec.new_connection_per_session {
            self.drop_connection();
        }
        result.map(|()| started.elapsed())
    }

    async fn exchange(&mut self, index: usize, events: Events) -> Result<(), SessionError> {
        let shared = self.shared.clone();
        let path = &shared.spec.path;
        let id = shared.next_id.fetch_add(1, Relaxed);
        let inform = soap::inform(index, events, id, SystemTime::now());
        let answer = self.connection().await?.post(path, None, &inform).await?;
        if answer.status != 200 {
            return Err(SessionError::Status { step: "the Inform", status: answer.status });
        }
        match soap::body_method(&answer.body) {
            Some("InformResponse") => {}
            Some("Fault") => return Err(SessionError::Fault(soap::fault_code(&answer.body).unwrap_or("?").into())),
            other => return Err(SessionError::Unexpected(format!("{other:?} instead of InformResponse"))),
        }
        if answer.close {
            self.drop_connection();
        }
        let cookie = answer.cookie;
        let done = self.connection().await?.post(path, cookie.as_deref(), "").await?;
        if done.close {
            self.drop_connection();
        }
        match (done.status, soap::body_method(&done.body)) {
            (204, _) => Ok(()),
            (200, Some(method)) => Err(SessionError::AcsRequest(method.to_owned())),
            (status, _) => Err(SessionError::Status { step: "the empty POST", status }),
        }
    }

    async fn connection(&mut self) -> Result<&mut HttpConn, SessionError> {
        if self.conn.is_none() {
            self.conn = Some(HttpConn::connect(&self.shared.sources, &self.shared.target).await?);
            self.shared.live.connections.fetch_add(1, Relaxed);
        }
        Ok(self.conn.as_mut().expect("just connected"))
    }

    pub fn drop_connection(&mut self) {
        if self.conn.take().is_some() {
            self.shared.live.connections.fetch_sub(1, Relaxed);
        }
    }
}

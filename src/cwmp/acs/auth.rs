//! CPE authentication on the ACS port (TR-069 §3.4.4, cwmp.md §2.6): HTTP Basic or Digest,
//! against the shared `[cwmp]` credentials or a CPE's own from the registry.
//!
//! A CPE authenticates where a session starts (its Inform) and whenever a POST can only be
//! tied to a session by its address; within a session, the connection or the unguessable
//! session cookie is the proof. Digest nonces are not bound to the TCP connection: AVM
//! FRITZ!Box and others reconnect after the 401 (cwmp.md §10), and the verifier's nonce book
//! already refuses replays.

use std::sync::Mutex;
use std::time::SystemTime;

use hyper::HeaderMap;
use hyper::header::AUTHORIZATION;

use crate::config::{CwmpAuthMode, CwmpConfig};
use crate::cwmp::digest::{Authorization, DigestConfig, DigestVerifier, basic_challenge};
use crate::cwmp::registry::{Credentials, Registry};

/// Who a request authenticated as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// Authentication is off.
    Anyone,
    /// The shared credentials: may act for any CPE.
    Shared,
    /// A CPE's own credentials: may act only for the CPE with this endpoint ID.
    Device(String),
}

impl Principal {
    /// Whether this principal may run sessions of the CPE `eid`.
    pub fn may_act_for(&self, eid: &str) -> bool {
        match self {
            Self::Anyone | Self::Shared => true,
            Self::Device(own) => own == eid,
        }
    }
}

/// A refusal: answer 401 with these `WWW-Authenticate` values.
#[derive(Debug)]
pub struct Challenge(pub Vec<String>);

/// Why an authenticated principal may not run a given CPE's session.
#[derive(Debug)]
pub enum NotAdmitted {
    /// Another CPE's own login: 403.
    OtherDevice,
    /// The shared login, for a CPE that has its own: 401, so it logs in with its own.
    OwnLoginRequired(Challenge),
}

pub struct CpeAuth {
    mode: CwmpAuthMode,
    realm: String,
    shared: Option<Credentials>,
    registry: Registry,
    digest: Mutex<DigestVerifier>,
}

impl CpeAuth {
    pub fn new(config: &CwmpConfig, registry: Registry) -> Self {
        let mut secret = [0u8; 32];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut secret).expect("system randomness");
        let shared = config.username.clone().zip(config.password.clone()).map(|(u, p)| Credentials::new(u, p));
        Self {
            mode: config.auth,
            realm: config.realm.clone(),
            shared,
            registry,
            digest: Mutex::new(DigestVerifier::new(DigestConfig::new(config.realm.clone()), secret)),
        }
    }

    pub fn is_on(&self) -> bool {
        self.mode != CwmpAuthMode::None
    }

    /// Checks the request's `Authorization` for `method` on `request_uri`.
    pub async fn check(&self, method: &str, request_uri: &str, headers: &HeaderMap) -> Result<Principal, Challenge> {
        if self.mode == CwmpAuthMode::None {
            return Ok(Principal::Anyone);
        }
        let header = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok());
        let Some(authorization) = header.and_then(|h| Authorization::parse(h).ok()) else {
            return Err(self.challenge(false));
        };
        let Some((principal, credentials)) = self.lookup(authorization.username()).await else {
            return Err(self.challenge(false));
        };
        match (&authorization, self.mode) {
            (Authorization::Basic(basic), CwmpAuthMode::Basic)
                if basic.matches(&credentials.username, &credentials.password) =>
            {
                Ok(principal)
            }
            (Authorization::Digest(digest), CwmpAuthMode::Digest) => {
                let mut verifier = self.digest.lock().unwrap_or_else(|e| e.into_inner());
                match verifier.verify(digest, method, request_uri, &credentials.password, SystemTime::now()) {
                    Ok(()) => Ok(principal),
                    Err(e) => {
                        drop(verifier);
                        Err(self.challenge(e.is_stale()))
                    }
                }
            }
            _ => Err(self.challenge(false)),
        }
    }

    /// Whether `principal` may run sessions of the CPE `eid`. A CPE's own login binds it to
    /// that CPE; and once an operator gave a CPE its own login, the shared one no longer
    /// admits it (else the per-device login would add nothing).
    pub async fn admit(&self, principal: &Principal, eid: &str) -> Result<(), NotAdmitted> {
        match principal {
            Principal::Anyone => Ok(()),
            Principal::Device(_) if principal.may_act_for(eid) => Ok(()),
            Principal::Device(_) => Err(NotAdmitted::OtherDevice),
            Principal::Shared => {
                let (registry, key) = (self.registry.clone(), eid.to_owned());
                let own = tokio::task::spawn_blocking(move || registry.device(&key)).await;
                match own {
                    Ok(Ok(record)) if record.as_ref().is_none_or(|r| r.acs_credentials.is_none()) => Ok(()),
                    // Has its own login, or the registry cannot tell: refuse rather than guess.
                    _ => Err(NotAdmitted::OwnLoginRequired(self.challenge(false))),
                }
            }
        }
    }

    /// A CPE's own login first (it binds the CPE), then the shared one.
    async fn lookup(&self, username: &str) -> Option<(Principal, Credentials)> {
        let (registry, name) = (self.registry.clone(), username.to_owned());
        let own = tokio::task::spawn_blocking(move || registry.acs_login(&name)).await.ok()?.ok()?;
        if let Some((eid, credentials)) = own {
            return Some((Principal::Device(eid), credentials));
        }
        self.shared.clone().filter(|shared| shared.username == username).map(|shared| (Principal::Shared, shared))
    }

    fn challenge(&self, stale: bool) -> Challenge {
        Challenge(match self.mode {
            CwmpAuthMode::None => Vec::new(),
            CwmpAuthMode::Basic => vec![basic_challenge(&self.realm)],
            CwmpAuthMode::Digest => {
                self.digest.lock().unwrap_or_else(|e| e.into_inner()).challenges(SystemTime::now(), stale)
            }
        })
    }
}

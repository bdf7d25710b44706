//! Which live CWMP session a POST belongs to.
//!
//! A CWMP session spans several HTTP requests, and CPE differ in how they tie them together,
//! so the front tries, in order (cwmp.md §2.5):
//! 1. the TCP connection: most CPE keep one connection per session (GenieACS keys on it too);
//! 2. the `usphub-session` cookie set on the InformResponse, for CPE that reconnect;
//! 3. the peer's IP address, for CPE that reconnect *and* drop cookies: the POST joins the one
//!    live session whose Inform came from that address. Behind a NAT several CPE share an
//!    address; then no session is unique and the POST is refused (400), because guessing
//!    would hand one CPE's answers to another. With authentication on, this path also demands
//!    credentials that belong to the session's device, so a neighbour behind the same address
//!    cannot join someone else's session.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use crate::cwmp::engine::SessionId;
use crate::usp::EndpointId;

/// The cookie carrying the session ID.
pub const COOKIE_NAME: &str = "usphub-session";

#[derive(Debug, Clone)]
struct Entry {
    eid: EndpointId,
    peer: IpAddr,
    last_seen: Instant,
}

/// The live sessions the front knows of. One short lock per request; sessions are few compared
/// with requests, and the IP fallback scan runs only for CPE that keep neither connection nor
/// cookie.
#[derive(Default)]
pub struct SessionTable {
    entries: Mutex<HashMap<SessionId, Entry>>,
}

impl SessionTable {
    pub fn insert(&self, id: SessionId, eid: EndpointId, peer: IpAddr) {
        self.lock().insert(id, Entry { eid, peer, last_seen: Instant::now() });
    }

    /// The device of session `id`, refreshing its last use.
    pub fn get(&self, id: SessionId) -> Option<EndpointId> {
        let mut entries = self.lock();
        let entry = entries.get_mut(&id)?;
        entry.last_seen = Instant::now();
        Some(entry.eid.clone())
    }

    /// The only live session whose Inform came from `peer`, if exactly one did.
    pub fn unique_for_peer(&self, peer: IpAddr) -> Option<(SessionId, EndpointId)> {
        let entries = self.lock();
        let mut from_peer = entries.iter().filter(|(_, e)| e.peer == peer);
        let (id, entry) = from_peer.next()?;
        from_peer.next().is_none().then(|| (*id, entry.eid.clone()))
    }

    pub fn remove(&self, id: SessionId) {
        self.lock().remove(&id);
    }

    /// Forgets sessions unused for `idle`: the device already dropped them on its own timer.
    pub fn sweep(&self, idle: Duration) {
        let now = Instant::now();
        self.lock().retain(|_, e| now.duration_since(e.last_seen) < idle);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<SessionId, Entry>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The session ID in a request's `Cookie` headers. Tolerant of the separators CPE use:
/// `;` as RFC 6265 says, and `,` as some devices do (GenieACS accepts both).
pub fn session_cookie<'a>(cookie_headers: impl IntoIterator<Item = &'a str>) -> Option<SessionId> {
    cookie_headers
        .into_iter()
        .flat_map(|header| header.split([';', ',']))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE_NAME)
        .and_then(|(_, value)| value.trim().trim_matches('"').parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_with_either_separator() {
        let id = SessionId(0xabc);
        let value = format!("{COOKIE_NAME}={id}");
        assert_eq!(session_cookie([value.as_str()]), Some(id));
        let mixed = format!("a=1, {COOKIE_NAME}=\"{id}\"; b=2");
        assert_eq!(session_cookie(["x=y", mixed.as_str()]), Some(id));
        assert_eq!(session_cookie([format!("{COOKIE_NAME}=zz").as_str()]), None);
        assert_eq!(session_cookie(["other=1"]), None);
    }

    #[test]
    fn peer_fallback_needs_a_unique_session() {
        let table = SessionTable::default();
        let eid = |s: &str| EndpointId::new(s).unwrap();
        let (nat, alone) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        table.insert(SessionId(1), eid("os::A-1"), nat);
        table.insert(SessionId(2), eid("os::A-2"), nat);
        table.insert(SessionId(3), eid("os::A-3"), alone);
        assert_eq!(table.unique_for_peer(nat), None, "two CPE behind one address");
        assert_eq!(table.unique_for_peer(alone), Some((SessionId(3), eid("os::A-3"))));
        table.remove(SessionId(2));
        assert_eq!(table.unique_for_peer(nat).map(|(id, _)| id), Some(SessionId(1)));
        table.sweep(Duration::ZERO);
        assert_eq!(table.get(SessionId(1)), None);
    }
}

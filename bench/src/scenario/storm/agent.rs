//! The two sides of a storm: an agent that answers Gets and, when ordered, drops its
//! connection and reconnects (timing it and counting refusals); and the controller's routing
//! check, one Get to every agent.

use std::{
    collections::HashSet,
    sync::{Arc, atomic::Ordering::Relaxed},
    time::{Duration, Instant},
};

use tokio::{
    sync::mpsc,
    time::{sleep, sleep_until, timeout_at},
};
use tokio_util::sync::CancellationToken;

use super::{GIVE_UP, RETRY_PAUSE, VERIFY_WINDOW};
use crate::scenario::{p2p::answer_batch, ramp::Failures};
use crate::stats::{ErrorKind, Live};
use crate::transport::{Connector, Endpoint, LinkError, RecordLink};
use crate::usp::{self, RequestEncoder, ResponseEncoder};

/// Tells an agent to drop its connection and when to reconnect.
pub struct Order {
    pub reconnect_at: Instant,
}

/// An agent back (or not) after its drop.
pub struct Back {
    pub latency: Duration,
    pub at: Instant,
    pub ok: bool,
    pub failures: Failures,
}

/// One simulated agent: answers Gets, drops and reconnects when ordered to.
pub struct Agent<A: Connector> {
    pub endpoint: Endpoint,
    pub connector: Arc<A>,
    pub live: Arc<Live>,
    pub answers: ResponseEncoder,
}

impl<A: Connector> Agent<A> {
    pub async fn run(
        mut self,
        link: A::Link,
        mut orders: mpsc::Receiver<Order>,
        back: mpsc::UnboundedSender<Back>,
        done: CancellationToken,
    ) {
        let mut link = Some(link);
        loop {
            let received = tokio::select! {
                biased;
                _ = done.cancelled() => break,
                order = orders.recv() => {
                    let Some(order) = order else { break };
                    // Abrupt: the socket closes with no DISCONNECT, close frame or goodbye.
                    if link.take().is_some() {
                        self.live.connections.fetch_sub(1, Relaxed);
                    }
                    link = self.reconnect(order, &back).await;
                    continue;
                }
                received = recv_or_wait(&mut link) => received,
            };
            let Some(l) = link.as_mut() else { continue };
            if let Err(e) = answer_batch(l, received, &mut self.answers, &self.live).await {
                self.live.error_with(ErrorKind::Disconnected, format_args!("{}: {e}", self.endpoint.eid));
                self.live.connections.fetch_sub(1, Relaxed);
                link = None;
            }
        }
        if let Some(l) = link {
            l.close().await;
            self.live.connections.fetch_sub(1, Relaxed);
        }
    }

    async fn reconnect(&self, order: Order, back: &mpsc::UnboundedSender<Back>) -> Option<A::Link> {
        sleep_until(order.reconnect_at.into()).await;
        let began = Instant::now();
        let mut failures = Failures::default();
        let link = loop {
            match self.connector.connect(&self.endpoint).await {
                Ok(link) => break Some(link),
                Err(e) => failures.add(&e),
            }
            if began.elapsed() >= GIVE_UP {
                break None;
            }
            sleep(RETRY_PAUSE).await;
        };
        if link.is_some() {
            self.live.connections.fetch_add(1, Relaxed);
        }
        let at = Instant::now();
        let _ = back.send(Back { latency: at - began, at, ok: link.is_some(), failures });
        link
    }
}

/// The next Record of `link`; never, without a link.
async fn recv_or_wait<L: RecordLink>(link: &mut Option<L>) -> Result<Option<bytes::Bytes>, LinkError> {
    match link {
        Some(l) => l.recv().await,
        None => std::future::pending().await,
    }
}

/// The controller sends one Get to every agent, at most [`VERIFY_WINDOW`] outstanding, and
/// counts the answers; Gets unanswered for `timeout` are lost. Returns (answered, lost).
pub async fn verify<L: RecordLink>(
    controller: &mut L,
    requests: &mut [RequestEncoder],
    round: u64,
    timeout: Duration,
    live: &Live,
) -> anyhow::Result<(u64, u64)> {
    let n = requests.len();
    let (mut next, mut outstanding, mut answered, mut lost) = (0, HashSet::new(), 0, 0);
    let mut last_progress = Instant::now();
    while next < n || !outstanding.is_empty() {
        while next < n && outstanding.len() < VERIFY_WINDOW {
            let seq = round << 32 | next as u64;
            controller.feed_to(&Endpoint::agent(next).eid, requests[next].encode(seq)).await?;
            outstanding.insert(seq);
            next += 1;
        }
        controller.flush().await?;
        let Ok(mut received) = timeout_at((last_progress + timeout).into(), controller.recv()).await else {
            lost += outstanding.len() as u64;
            outstanding.clear();
            last_progress = Instant::now();
            continue;
        };
        loop {
            let record = received?.ok_or(LinkError::Closed)?;
            match usp::decode_response(record) {
                Ok(id) if outstanding.remove(&id.seq) => {
                    answered += 1;
                    last_progress = Instant::now();
                }
                Ok(id) => live.error_with(ErrorKind::Unexpected, format_args!("an answer to {id}, not outstanding")),
                Err(e) => live.error_with(ErrorKind::Malformed, format_args!("controller received: {e}")),
            }
            match controller.try_recv() {
                Some(next) => received = next,
                None => break,
            }
        }
    }
    Ok((answered, lost))
}

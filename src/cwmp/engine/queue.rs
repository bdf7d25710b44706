//! One CPE's USP work: tasks waiting for a CWMP session, and the one running in it.
//!
//! CWMP allows one ACS request in flight per session, so tasks run one after another, in
//! arrival order. A task waits at most until its deadline for a session to take it up; once
//! running it is bounded by the session instead (each CPE round trip by the session timeout).

use std::collections::VecDeque;

use tokio::time::Instant;

use crate::cwmp::soap::Body;
use crate::cwmp::task::{AbortReason, AttributeChange, CpeReply, CwmpTask, PendingOperation, TaskStep};
use crate::usp::EndpointId;
use crate::usp::proto::msg::Msg;

/// A task and who asked for it.
pub struct Queued {
    pub task: Box<dyn CwmpTask>,
    /// `None` for the engine's own upkeep (notification attributes): no answer goes anywhere.
    pub controller: Option<EndpointId>,
    /// Aborted with [`AbortReason::Timeout`] if no session has started it by then.
    pub deadline: Instant,
    /// Whether a successful answer is sent (errors always are).
    pub send_response: bool,
}

/// The USP answer of a task that ended, for its Controller.
#[derive(Debug)]
pub struct Finished {
    pub controller: Option<EndpointId>,
    pub msg: Msg,
    /// `false`: send `msg` only if it is an Error.
    pub send_response: bool,
    /// Asynchronous operations (Download()) the task left running on the CPE.
    pub operations: Vec<PendingOperation>,
    /// Notification attributes the task changed on the CPE (also when aborted).
    pub attribute_changes: Vec<AttributeChange>,
}

#[derive(Default)]
pub struct TaskQueue {
    waiting: VecDeque<Queued>,
    running: Option<Queued>,
}

impl TaskQueue {
    pub fn push(&mut self, queued: Queued) {
        self.waiting.push_back(queued);
    }

    pub fn has_waiting(&self) -> bool {
        !self.waiting.is_empty()
    }

    /// The earliest deadline of a waiting task.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.waiting.iter().map(|q| q.deadline).min()
    }

    /// Aborts the waiting tasks whose deadline has passed.
    pub fn expire(&mut self, now: Instant, reason: AbortReason, out: &mut Vec<Finished>) {
        let (expired, kept): (VecDeque<_>, VecDeque<_>) = self.waiting.drain(..).partition(|q| q.deadline <= now);
        self.waiting = kept;
        out.extend(expired.into_iter().map(|q| abort(q, reason)));
    }

    /// Moves the work on: feeds `reply` to the running task (if any), then starts waiting tasks
    /// until one needs the CPE. Returns the RPC to send, or `None` when nothing is left to do.
    /// Every task that ends on the way is pushed to `out`.
    pub fn advance(&mut self, reply: Option<CpeReply>, out: &mut Vec<Finished>) -> Option<Body> {
        let mut reply = reply;
        loop {
            let mut current = match self.running.take() {
                Some(running) => running,
                None => {
                    // A task is started with no reply; a stray reply has no task to go to.
                    reply = None;
                    self.waiting.pop_front()?
                }
            };
            match current.task.step(reply.take()) {
                TaskStep::Rpc(body) => {
                    self.running = Some(current);
                    return Some(body);
                }
                TaskStep::Done(msg) => {
                    let operations = current.task.started_operations();
                    let attribute_changes = current.task.attribute_changes();
                    let send_response = current.send_response;
                    out.push(Finished { controller: current.controller, msg, send_response, operations, attribute_changes });
                }
            }
        }
    }

    /// Ends the running task early (its session is gone).
    pub fn abort_running(&mut self, reason: AbortReason) -> Option<Finished> {
        self.running.take().map(|q| abort(q, reason))
    }

    /// Ends every task (the hub is shutting down, or the device is being dropped).
    pub fn abort_all(&mut self, reason: AbortReason, out: &mut Vec<Finished>) {
        out.extend(self.running.take().map(|q| abort(q, reason)));
        out.extend(self.waiting.drain(..).map(|q| abort(q, reason)));
    }
}

fn abort(mut queued: Queued, reason: AbortReason) -> Finished {
    let msg = queued.task.abort(reason);
    let attribute_changes = queued.task.attribute_changes();
    Finished { controller: queued.controller, msg, send_response: true, operations: Vec::new(), attribute_changes }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::cwmp::rpc::GetParameterValues;
    use crate::usp::proto::msg;

    /// A task that sends `rpcs` GPVs, then answers with a Msg whose id is its name.
    struct Scripted {
        name: &'static str,
        rpcs: usize,
    }

    fn msg_named(id: &str) -> Msg {
        Msg { header: Some(msg::Header { msg_id: id.into(), msg_type: 0 }), body: None }
    }

    impl CwmpTask for Scripted {
        fn step(&mut self, _reply: Option<CpeReply>) -> TaskStep {
            if self.rpcs == 0 {
                return TaskStep::Done(msg_named(self.name));
            }
            self.rpcs -= 1;
            TaskStep::Rpc(Body::GetParameterValues(GetParameterValues { parameter_names: vec![self.name.into()] }))
        }

        fn abort(&mut self, reason: AbortReason) -> Msg {
            msg_named(&format!("{}:{reason:?}", self.name))
        }
    }

    fn queued(name: &'static str, rpcs: usize, deadline: Instant) -> Queued {
        let controller = Some(EndpointId::new("self::c").unwrap());
        Queued { task: Box::new(Scripted { name, rpcs }), controller, deadline, send_response: true }
    }

    fn ids(out: &[Finished]) -> Vec<String> {
        out.iter().map(|f| f.msg.header.as_ref().unwrap().msg_id.clone()).collect()
    }

    #[test]
    fn tasks_run_in_order_and_instant_ones_finish_on_the_way() {
        let later = Instant::now() + Duration::from_secs(60);
        let mut queue = TaskQueue::default();
        queue.push(queued("a", 2, later));
        queue.push(queued("b", 0, later));
        queue.push(queued("c", 1, later));
        let mut out = Vec::new();
        assert!(queue.advance(None, &mut out).is_some(), "a's first RPC");
        let reply = || Some(CpeReply::Response(Body::RebootResponse));
        assert!(queue.advance(reply(), &mut out).is_some(), "a's second RPC");
        assert!(queue.advance(reply(), &mut out).is_some(), "a done, b done at once, c's RPC");
        assert_eq!(ids(&out), ["a", "b"]);
        assert!(queue.advance(reply(), &mut out).is_none());
        assert_eq!(ids(&out), ["a", "b", "c"]);
        assert!(!queue.has_waiting() && queue.running.is_none());
    }

    #[test]
    fn deadlines_abort_only_waiting_tasks() {
        let now = Instant::now();
        let mut queue = TaskQueue::default();
        queue.push(queued("running", 1, now));
        let mut out = Vec::new();
        queue.advance(None, &mut out);
        queue.push(queued("late", 1, now));
        queue.push(queued("fresh", 1, now + Duration::from_secs(5)));
        assert_eq!(queue.next_deadline(), Some(now));
        queue.expire(now, AbortReason::Timeout, &mut out);
        assert_eq!(ids(&out), ["late:Timeout"]);
        out.clear();
        queue.abort_running(AbortReason::SessionEnded).into_iter().for_each(|f| out.push(f));
        assert_eq!(ids(&out), ["running:SessionEnded"]);
        queue.abort_all(AbortReason::Unreachable, &mut out);
        assert_eq!(ids(&out), ["running:SessionEnded", "fresh:Unreachable"]);
    }
}

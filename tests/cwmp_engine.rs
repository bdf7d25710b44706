//! The device engine end to end with scripted tasks (the translation layer has its own
//! tests): a WebSocket Controller's request waits in the CPE's queue, a Digest connection
//! request wakes the simulated CPE, the session carries the RPCs, and the answer goes back;
//! plus the ways that can fail (unreachable CPE, CPE silent mid-session) and Reboot → Boot!.

mod support;

use std::sync::Arc;
use std::sync::atomic::Ordering;

use futures_util::StreamExt;
use std::time::Duration;

use support::cpe::{Cpe, CpeOptions, ParamTree};
use support::*;
use tokio_util::{sync::CancellationToken, task::TaskTracker};
use usphub::config::CwmpConfig;
use usphub::cwmp::engine::TranslateBridge;
use usphub::cwmp::engine::translator::{CpeReport, DeviceState, Notification, Started, Translator};
use usphub::cwmp::fault::UspErrorContext;
use usphub::cwmp::rpc::{GetParameterValues, Reboot, XsdType};
use usphub::cwmp::soap::Body;
use usphub::cwmp::task::{AbortReason, CpeReply, CwmpTask, TaskStep};
use usphub::hub::RunningHub;
use usphub::usp::EndpointId;
use usphub::usp::proto::msg::{self, Msg};

const CONTROLLER: &str = "self::engine-controller";

/// Get of full parameter names as one GPV, and `Device.Reboot()` as Reboot.
struct Scripted;

enum Script {
    Get(Vec<String>),
    Reboot(String),
}

struct ScriptedTask {
    msg_id: String,
    script: Script,
    sent: bool,
}

impl Translator for Scripted {
    fn task(&self, request: Msg, _: &EndpointId, _: &mut DeviceState) -> Result<Started, Msg> {
        let msg_id = request.header.unwrap().msg_id;
        let Some(msg::body::MsgBody::Request(msg::Request { req_type: Some(req) })) = request.body.unwrap().msg_body
        else {
            return Err(error(&msg_id, 7000, "not a request"));
        };
        let script = match req {
            msg::request::ReqType::Get(get) => Script::Get(get.param_paths),
            msg::request::ReqType::Operate(op) if op.command == "Device.Reboot()" => Script::Reboot(op.command_key),
            _ => return Err(error(&msg_id, 7001, "not scripted")),
        };
        Ok(Started { task: Box::new(ScriptedTask { msg_id, script, sent: false }), send_response: true })
    }

    fn notifications(&self, report: CpeReport<'_>, device: &DeviceState) -> Vec<Notification> {
        TranslateBridge::default().notifications(report, device)
    }
}

impl CwmpTask for ScriptedTask {
    fn step(&mut self, reply: Option<CpeReply>) -> TaskStep {
        if !std::mem::replace(&mut self.sent, true) {
            return TaskStep::Rpc(match &self.script {
                Script::Get(names) => Body::GetParameterValues(GetParameterValues { parameter_names: names.clone() }),
                Script::Reboot(key) => Body::Reboot(Reboot { command_key: key.clone() }),
            });
        }
        TaskStep::Done(match reply {
            Some(CpeReply::Response(Body::GetParameterValuesResponse(values))) => {
                let params = values.parameter_list.into_iter().map(|p| (p.name.clone(), p.value));
                get_resp(
                    &self.msg_id,
                    "",
                    &params.collect::<Vec<_>>().iter().map(|(k, v)| (k.as_str(), v.as_str())).collect::<Vec<_>>(),
                )
            }
            Some(CpeReply::Response(Body::RebootResponse)) => {
                response(&self.msg_id, msg::response::RespType::OperateResp(msg::OperateResp::default()))
            }
            Some(CpeReply::Fault(fault)) => {
                error(&self.msg_id, fault.detail.fault_code.usp_error(UspErrorContext::Path).0, "fault")
            }
            other => error(&self.msg_id, 7003, &format!("unexpected {other:?}")),
        })
    }

    fn abort(&mut self, reason: AbortReason) -> Msg {
        let code = if reason == AbortReason::Unreachable { 7002 } else { 7003 };
        error(&self.msg_id, code, &format!("{reason:?}"))
    }
}

fn error(msg_id: &str, code: u32, text: &str) -> Msg {
    Msg {
        header: Some(msg::Header { msg_id: msg_id.into(), msg_type: msg::header::MsgType::Error as i32 }),
        body: Some(msg::Body {
            msg_body: Some(msg::body::MsgBody::Error(msg::Error {
                err_code: code,
                err_msg: text.into(),
                param_errs: vec![],
            })),
        }),
    }
}

fn response(msg_id: &str, resp: msg::response::RespType) -> Msg {
    Msg {
        header: Some(msg::Header { msg_id: msg_id.into(), msg_type: msg::header::MsgType::OperateResp as i32 }),
        body: Some(msg::Body { msg_body: Some(msg::body::MsgBody::Response(msg::Response { resp_type: Some(resp) })) }),
    }
}

fn operate(msg_id: &str, command: &str, key: &str) -> Msg {
    Msg {
        header: Some(msg::Header { msg_id: msg_id.into(), msg_type: msg::header::MsgType::Operate as i32 }),
        body: Some(msg::Body {
            msg_body: Some(msg::body::MsgBody::Request(msg::Request {
                req_type: Some(msg::request::ReqType::Operate(msg::Operate {
                    command: command.into(),
                    command_key: key.into(),
                    send_resp: true,
                    input_args: Default::default(),
                })),
            })),
        }),
    }
}

struct Setup {
    hub: RunningHub,
    acs: std::net::SocketAddr,
    engine: usphub::cwmp::engine::Engine,
    shutdown: CancellationToken,
    tracker: TaskTracker,
}

impl Setup {
    async fn new(name: &str, tweak: impl FnOnce(&mut CwmpConfig)) -> Self {
        let hub = start_hub(|_| {}).await;
        let dir = std::env::temp_dir().join(format!("usphub-engine-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mut config = CwmpConfig {
            database: dir.join("registry.db"),
            notify_controllers: vec![CONTROLLER.into()],
            ..CwmpConfig::default()
        };
        let cr = &mut config.connection_request;
        cr.username = Some("acs".into());
        cr.password = Some("cr-secret".into());
        cr.min_interval = Duration::from_millis(100);
        cr.retry_interval = Duration::from_millis(500);
        tweak(&mut config);
        let (shutdown, tracker) = (CancellationToken::new(), TaskTracker::new());
        let gateway = usphub::cwmp::gateway::start(
            "127.0.0.1:0",
            &config,
            hub.router.clone(),
            Arc::new(Scripted),
            shutdown.clone(),
            tracker.clone(),
        )
        .await
        .unwrap();
        Self { hub, acs: gateway.addr, engine: gateway.engine, shutdown, tracker }
    }

    async fn stop(self) {
        self.shutdown.cancel();
        self.tracker.close();
        let _ = tokio::time::timeout(Duration::from_secs(2), self.tracker.wait()).await;
        self.hub.shutdown().await;
    }
}

fn tree() -> ParamTree {
    let mut tree = ParamTree::default();
    tree.set("Device.DeviceInfo.SoftwareVersion", "1.0", XsdType::String, false);
    tree.set("Device.WiFi.SSID.1.SSID", "home", XsdType::String, true);
    tree
}

fn body_of(m: &Msg) -> &msg::body::MsgBody {
    m.body.as_ref().unwrap().msg_body.as_ref().unwrap()
}

fn err_of(m: &Msg) -> (u32, String) {
    match body_of(m) {
        msg::body::MsgBody::Error(e) => (e.err_code, e.err_msg.clone()),
        other => panic!("not an Error: {other:?}"),
    }
}

#[tokio::test]
async fn a_get_waits_for_a_connection_request_and_rides_the_session() {
    let setup = Setup::new("get", |_| {}).await;
    let mut controller = connect(setup.hub.ws_addr.unwrap(), CONTROLLER).await;
    let cpe = Cpe::new(CpeOptions::new(setup.acs, "SN-E1"), tree());
    cpe.serve_connection_requests().await;
    assert_eq!(cpe.session(&[("1 BOOT", "")], &[]).await.statuses, [200, 204]);
    let _boot = controller.recv().await;

    controller.send(record(CONTROLLER, "os::00D09E-SN-E1", &get("get-1", &["Device.WiFi.SSID.1.SSID"]))).await;
    let (rec, m) = msg_of(&controller.recv().await);
    assert_eq!(rec.from_id, "os::00D09E-SN-E1");
    assert_eq!(m.header.as_ref().unwrap().msg_id, "get-1");
    let msg::body::MsgBody::Response(msg::Response { resp_type: Some(msg::response::RespType::GetResp(resp)) }) =
        body_of(&m)
    else {
        panic!("{m:?}")
    };
    assert_eq!(resp.req_path_results[0].resolved_path_results[0].result_params["Device.WiFi.SSID.1.SSID"], "home");
    assert_eq!(cpe.connection_requests.load(Ordering::SeqCst), 2, "challenged, then accepted with Digest");
    eventually(|| cpe.sessions.load(Ordering::SeqCst) == 2).await;
    assert_eq!(cpe.tree.lock().unwrap().rpc_log, ["GetParameterValues"]);
    setup.stop().await;
}

#[tokio::test]
async fn reboot_answers_then_the_boot_becomes_a_boot_event() {
    let setup = Setup::new("reboot", |_| {}).await;
    let mut controller = connect(setup.hub.ws_addr.unwrap(), CONTROLLER).await;
    let cpe = Cpe::new(CpeOptions::new(setup.acs, "SN-E2"), tree());
    cpe.serve_connection_requests().await;
    cpe.session(&[("1 BOOT", "")], &[]).await;
    let _boot = controller.recv().await;

    controller.send(record(CONTROLLER, "os::00D09E-SN-E2", &operate("op-1", "Device.Reboot()", "key-42"))).await;
    let (_, m) = msg_of(&controller.recv().await);
    assert!(matches!(body_of(&m), msg::body::MsgBody::Response(_)), "{m:?}");
    let (_, m) = msg_of(&controller.recv().await);
    let msg::body::MsgBody::Request(msg::Request { req_type: Some(msg::request::ReqType::Notify(notify)) }) =
        body_of(&m)
    else {
        panic!("{m:?}")
    };
    let Some(msg::notify::Notification::Event(event)) = &notify.notification else { panic!() };
    assert_eq!(event.event_name, "Boot!");
    assert_eq!((event.params["Cause"].as_str(), event.params["CommandKey"].as_str()), ("RemoteReboot", "key-42"));
    setup.stop().await;
}

#[tokio::test]
async fn an_unreachable_cpe_gets_the_request_answered_with_an_error_in_time() {
    let setup = Setup::new("unreachable", |c| c.request_timeout = Duration::from_millis(800)).await;
    let mut controller = connect(setup.hub.ws_addr.unwrap(), CONTROLLER).await;
    let cpe = Cpe::new(CpeOptions::new(setup.acs, "SN-E3"), tree());
    // Port 1 on loopback: connection refused.
    *cpe.connection_request_url.lock().unwrap() = Some("http://127.0.0.1:1/cr".into());
    cpe.session(&[("1 BOOT", "")], &[]).await;
    let _boot = controller.recv().await;

    controller.send(record(CONTROLLER, "os::00D09E-SN-E3", &get("get-u", &["Device.WiFi.SSID.1.SSID"]))).await;
    let (_, m) = msg_of(&controller.recv().await);
    assert_eq!(err_of(&m), (7002, "Unreachable".into()));
    setup.stop().await;
}

#[tokio::test]
async fn a_cpe_silent_mid_session_loses_it_and_the_task_ends_with_an_error() {
    let setup = Setup::new("silent", |c| c.session_timeout = Duration::from_millis(600)).await;
    let mut controller = connect(setup.hub.ws_addr.unwrap(), CONTROLLER).await;
    let cpe = Cpe::new(CpeOptions::new(setup.acs, "SN-E4"), tree());
    cpe.serve_connection_requests().await;
    cpe.session(&[("1 BOOT", "")], &[]).await;
    let _boot = controller.recv().await;

    cpe.silent.store(true, Ordering::SeqCst);
    controller.send(record(CONTROLLER, "os::00D09E-SN-E4", &get("get-s", &["Device.WiFi.SSID.1.SSID"]))).await;
    let (_, m) = msg_of(&controller.recv().await);
    assert_eq!(err_of(&m), (7003, "SessionEnded".into()));

    // The next session is served normally.
    cpe.silent.store(false, Ordering::SeqCst);
    controller.send(record(CONTROLLER, "os::00D09E-SN-E4", &get("get-t", &["Device.WiFi.SSID.1.SSID"]))).await;
    let (_, m) = msg_of(&controller.recv().await);
    assert!(matches!(body_of(&m), msg::body::MsgBody::Response(_)), "{m:?}");
    setup.stop().await;
}

/// `(msg_id, subscription_id, send_resp, is OnBoardRequest)` of a Notify.
fn notify_of(m: &Msg) -> (String, String, bool, bool) {
    let msg::body::MsgBody::Request(msg::Request { req_type: Some(msg::request::ReqType::Notify(n)) }) = body_of(m) else {
        panic!("not a Notify: {m:?}")
    };
    let on_board = matches!(n.notification, Some(msg::notify::Notification::OnBoardReq(_)));
    (m.header.as_ref().unwrap().msg_id.clone(), n.subscription_id.clone(), n.send_resp, on_board)
}

fn notify_resp(msg_id: &str, subscription_id: &str) -> Msg {
    Msg {
        header: Some(msg::Header { msg_id: msg_id.into(), msg_type: msg::header::MsgType::NotifyResp as i32 }),
        body: Some(msg::Body {
            msg_body: Some(msg::body::MsgBody::Response(msg::Response {
                resp_type: Some(msg::response::RespType::NotifyResp(msg::NotifyResp {
                    subscription_id: subscription_id.into(),
                })),
            })),
        }),
    }
}

fn quick_retries(config: &mut CwmpConfig) {
    config.notify_retry.min_wait = Duration::from_millis(100);
    config.notify_retry.interval_multiplier = 2000;
    config.notify_retry.max_attempts = 3;
}

/// The first-contact notifications of a bootstrapping CPE: the OnBoardRequest's msg_id.
async fn bootstrap(controller: &mut WsClient, cpe: &Cpe) -> String {
    cpe.session(&[("0 BOOTSTRAP", ""), ("1 BOOT", "")], &[]).await;
    let (on_board_id, subscription_id, send_resp, on_board) = notify_of(&msg_of(&controller.recv().await).1);
    assert!(on_board && send_resp, "R-NOT.6: OnBoardRequest asks for a NotifyResp");
    assert_eq!(subscription_id, "");
    let (_, _, send_resp, _) = notify_of(&msg_of(&controller.recv().await).1);
    assert!(!send_resp, "Boot! to a notify_controllers entry wants no answer");
    on_board_id
}

#[tokio::test]
async fn an_on_board_request_is_repeated_until_its_notify_resp() {
    let setup = Setup::new("onboard", |c| {
        quick_retries(c);
        c.notify_retry.max_attempts = 50; // only the NotifyResp can end them
    })
    .await;
    let mut controller = connect(setup.hub.ws_addr.unwrap(), CONTROLLER).await;
    let cpe = Cpe::new(CpeOptions::new(setup.acs, "SN-E5"), tree());
    let first = bootstrap(&mut controller, &cpe).await;
    let (again, _, _, on_board) = notify_of(&msg_of(&controller.recv().await).1);
    assert!(on_board);
    assert_eq!(again, first, "the same message again");
    // An answer to some other message changes nothing; the right one ends the retries.
    controller.send(record(CONTROLLER, "os::00D09E-SN-E5", &notify_resp("other", ""))).await;
    let (third, ..) = notify_of(&msg_of(&controller.recv().await).1);
    assert_eq!(third, first);
    controller.send(record(CONTROLLER, "os::00D09E-SN-E5", &notify_resp(&first, ""))).await;
    // A retry may have crossed the answer; after that, nothing.
    tokio::time::sleep(Duration::from_millis(100)).await;
    while let Ok(Some(_)) = tokio::time::timeout(Duration::from_millis(50), controller.ws.next()).await {}
    controller.expect_silence().await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    controller.expect_silence().await;
    setup.stop().await;
}

#[tokio::test]
async fn on_board_retries_are_bounded_and_end_with_the_device() {
    let setup = Setup::new("onboard-bounds", quick_retries).await;
    let mut controller = connect(setup.hub.ws_addr.unwrap(), CONTROLLER).await;
    let cpe = Cpe::new(CpeOptions::new(setup.acs, "SN-E6"), tree());
    let first = bootstrap(&mut controller, &cpe).await;
    // max_attempts = 3: two more sends (after 100 ms, then 200 ms), then nothing.
    for _ in 0..2 {
        assert_eq!(notify_of(&msg_of(&controller.recv().await).1).0, first);
    }
    controller.expect_silence().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    controller.expect_silence().await;

    let other = Cpe::new(CpeOptions::new(setup.acs, "SN-E7"), tree());
    let first = bootstrap(&mut controller, &other).await;
    assert_eq!(notify_of(&msg_of(&controller.recv().await).1).0, first, "retrying");
    let eid = EndpointId::new("os::00D09E-SN-E7").unwrap();
    assert!(setup.engine.forget(&eid).await.unwrap());
    controller.expect_silence().await;
    assert!(setup.engine.registry().device(eid.as_str()).unwrap().is_none());
    assert!(!setup.engine.forget(&eid).await.unwrap(), "already deleted");
    setup.stop().await;
}

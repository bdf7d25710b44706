//! ValueChange subscriptions on a CWMP device, end to end: a Controller's subscription makes
//! the adapter set active notification on the CPE (SetParameterAttributes, queued like any
//! task and carried by a connection request), the simulator calls in with "4 VALUE CHANGE"
//! only for active parameters, a refused path is counted and does not break the subscription,
//! and deleting the subscription puts the CPE's own attribute back.

mod support;

use std::time::Duration;

use support::cpe::usp::*;
use support::cpe::{Cpe, CpeOptions, ParamTree};
use support::*;
use usphub::config::Listen;
use usphub::cwmp::rpc::XsdType;
use usphub::usp::proto::msg;

const CONTROLLER: &str = "self::vc-controller";
const CPE: &str = "os::00D09E-SN-VC";
const SSID: &str = "Device.WiFi.SSID.1.SSID";
const UPTIME: &str = "Device.DeviceInfo.UpTime";
const ENABLE: &str = "Device.WiFi.SSID.1.Enable";

fn tree() -> ParamTree {
    let mut tree = ParamTree::default();
    tree.set("Device.DeviceInfo.SoftwareVersion", "1.0", XsdType::String, false);
    tree.set(UPTIME, "100", XsdType::UnsignedInt, false);
    tree.set(SSID, "home", XsdType::String, true);
    tree.set(ENABLE, "true", XsdType::Boolean, true);
    // The CPE's own setting before any subscription: passive.
    tree.params.get_mut(SSID).unwrap().notification = 1;
    // UpTime changes all the time: this CPE refuses to notify it actively (9009).
    tree.deny_active.push(UPTIME.into());
    tree
}

#[tokio::test]
async fn a_value_change_subscription_drives_the_cpe_attributes() {
    let dir = std::env::temp_dir().join(format!("usphub-cwmp-vc-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let hub = start_hub(|c| {
        c.cwmp.listen = Listen::addr("127.0.0.1:0");
        c.cwmp.database = dir.join("registry.db");
        c.cwmp.connection_request.username = Some("acs".into());
        c.cwmp.connection_request.password = Some("cr-secret".into());
        c.cwmp.connection_request.min_interval = Duration::from_millis(50);
    })
    .await;
    let mut controller = connect(hub.ws_addr.unwrap(), CONTROLLER).await;
    let cpe = Cpe::new(CpeOptions::new(hub.cwmp_addr.unwrap(), "SN-VC"), tree());
    cpe.serve_connection_requests().await;
    cpe.session(&[("1 BOOT", "")], &[]).await;

    // Before any subscription nothing is active: a local change makes no session.
    assert!(cpe.change_locally(ENABLE, "false").await.is_none());

    controller.send(record(CONTROLLER, CPE, &subscribe("add-1", "vc-1", "ValueChange", &format!("{SSID},{UPTIME}")))).await;
    let msg::response::RespType::AddResp(_) = response_of(&msg_of(&controller.recv().await).1) else { panic!() };
    eventually(|| cpe.tree.lock().unwrap().rpc_log.len() == 4).await;
    assert_eq!(
        cpe.tree.lock().unwrap().rpc_log,
        ["GetParameterAttributes", "SetParameterAttributes", "GetParameterAttributes", "SetParameterAttributes"]
    );
    assert_eq!(cpe.tree.lock().unwrap().notification(SSID), 2);
    assert_eq!(cpe.tree.lock().unwrap().notification(UPTIME), 0, "refused");
    assert_eq!(metric(&hub, "usphub_cwmp_attribute_refusals_total").await, 1.0);
    assert_eq!(metric(&hub, "usphub_cwmp_faults_total{code=\"9009\"}").await, 1.0);

    // The active parameter is reported at once, to the subscriber; the others never.
    let session = cpe.change_locally(SSID, "office").await.expect("active: the CPE calls in");
    assert_eq!(session.statuses, [200, 204]);
    let (rec, notify) = msg_of(&controller.recv().await);
    assert_eq!(rec.from_id, CPE);
    assert_eq!(subscription_id_of(&notify), "vc-1");
    let msg::notify::Notification::ValueChange(change) = notification_of(&notify) else { panic!() };
    assert_eq!((change.param_path.as_str(), change.param_value.as_str()), (SSID, "office"));
    assert!(cpe.change_locally(UPTIME, "200").await.is_none());
    assert!(cpe.change_locally(ENABLE, "true").await.is_none());
    controller.expect_silence().await;

    // Deleting the subscription restores the CPE's own (passive) setting; UpTime was never
    // made active, so it takes no RPC.
    let delete = request(
        "del-1",
        msg::header::MsgType::Delete,
        msg::request::ReqType::Delete(msg::Delete {
            allow_partial: false,
            obj_paths: vec!["Device.LocalAgent.Subscription.1.".into()],
        }),
    );
    controller.send(record(CONTROLLER, CPE, &delete)).await;
    let msg::response::RespType::DeleteResp(_) = response_of(&msg_of(&controller.recv().await).1) else { panic!() };
    eventually(|| cpe.tree.lock().unwrap().notification(SSID) == 1).await;
    let log = cpe.tree.lock().unwrap().rpc_log.clone();
    assert_eq!(log[4..], ["SetParameterAttributes"]);
    assert!(cpe.change_locally(SSID, "passive again").await.is_none(), "passive: waits for the next Inform");
    controller.expect_silence().await;
    hub.shutdown().await;
}

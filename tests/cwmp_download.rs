//! Firmware Download() on a CWMP device across a hub restart: the Operate becomes a CWMP
//! Download the CPE accepts for later (Status 1), the hub stops, a new hub opens the same
//! registry, and the CPE's TransferComplete still becomes the OperationComplete for the
//! Controller's subscription, after the Boot! that says the firmware changed.

mod support;

use std::time::Duration;

use support::cpe::usp::*;
use support::cpe::{Cpe, CpeOptions, ParamTree};
use support::*;
use usphub::config::Listen;
use usphub::cwmp::rpc::XsdType;
use usphub::hub::RunningHub;
use usphub::usp::proto::msg::{self, Msg};

const CONTROLLER: &str = "self::dl-controller";
const CPE: &str = "os::00D09E-SN-DL";
const COMMAND: &str = "Device.DeviceInfo.FirmwareImage.1.Download()";

fn tree() -> ParamTree {
    let mut tree = ParamTree::default();
    tree.set("Device.DeviceInfo.SoftwareVersion", "1.0", XsdType::String, false);
    tree.set("Device.DeviceInfo.ProvisioningCode", "lab", XsdType::String, true);
    tree
}

async fn hub(db: &std::path::Path) -> RunningHub {
    let db = db.to_owned();
    start_hub(move |c| {
        c.cwmp.listen = Listen::addr("127.0.0.1:0");
        c.cwmp.database = db;
        c.cwmp.connection_request.username = Some("acs".into());
        c.cwmp.connection_request.password = Some("cr-secret".into());
        c.cwmp.connection_request.min_interval = Duration::from_millis(50);
    })
    .await
}

fn download(msg_id: &str, key: &str) -> Msg {
    let operate = msg::Operate {
        command: COMMAND.into(),
        command_key: key.into(),
        send_resp: true,
        input_args: [("URL", "http://files.example/fw-2.0.bin"), ("AutoActivate", "true")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
    };
    request(msg_id, msg::header::MsgType::Operate, msg::request::ReqType::Operate(operate))
}

#[tokio::test]
async fn a_download_completes_after_a_hub_restart() {
    let dir = std::env::temp_dir().join(format!("usphub-cwmp-dl-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let db = dir.join("registry.db");

    let first = hub(&db).await;
    let mut controller = connect(first.ws_addr.unwrap(), CONTROLLER).await;
    let cpe = Cpe::new(CpeOptions::new(first.cwmp_addr.unwrap(), "SN-DL"), tree());
    cpe.serve_connection_requests().await;
    cpe.session(&[("1 BOOT", "")], &[]).await;
    for (id, msg) in [
        ("s-1", subscribe("add-1", "op-done", "OperationComplete", COMMAND)),
        ("s-2", subscribe("add-2", "boots", "Event", "Device.Boot!")),
    ] {
        controller.send(record(CONTROLLER, CPE, &msg)).await;
        let msg::response::RespType::AddResp(_) = response_of(&msg_of(&controller.recv().await).1) else { panic!("{id}") };
    }
    controller.send(record(CONTROLLER, CPE, &download("op-1", "fw-2.0"))).await;
    let msg::response::RespType::OperateResp(started) = response_of(&msg_of(&controller.recv().await).1) else {
        panic!()
    };
    let result = started.operation_results[0].operation_resp.clone().unwrap();
    assert!(
        matches!(result, msg::operate_resp::operation_result::OperationResp::ReqObjPath(ref p) if p.starts_with("Device.LocalAgent.Request.")),
        "{result:?}"
    );
    let accepted = cpe.tree.lock().unwrap().downloads.clone();
    assert_eq!(accepted.len(), 1);
    assert_eq!((accepted[0].command_key.as_str(), accepted[0].url.as_str()), ("fw-2.0", "http://files.example/fw-2.0.bin"));
    drop(controller);
    first.shutdown().await;

    // A new hub on the same registry; the CPE installs the image, reboots and reports.
    let second = hub(&db).await;
    let mut controller = connect(second.ws_addr.unwrap(), CONTROLLER).await;
    let cpe = Cpe::new(CpeOptions::new(second.cwmp_addr.unwrap(), "SN-DL"), {
        let mut tree = tree();
        tree.downloads = accepted;
        tree
    });
    let log = cpe.finish_downloads("2.0").await;
    assert_eq!(log.statuses, [200, 200, 204]);

    let (_, boot) = msg_of(&controller.recv().await);
    assert_eq!(subscription_id_of(&boot), "boots");
    let msg::notify::Notification::Event(boot) = notification_of(&boot) else { panic!() };
    assert_eq!(boot.params["FirmwareUpdated"], "true", "SoftwareVersion went from 1.0 to 2.0");
    assert_eq!((boot.params["Cause"].as_str(), boot.params["CommandKey"].as_str()), ("RemoteReboot", "fw-2.0"));

    let (rec, done) = msg_of(&controller.recv().await);
    assert_eq!(rec.from_id, CPE);
    assert_eq!(subscription_id_of(&done), "op-done");
    let msg::notify::Notification::OperComplete(done) = notification_of(&done) else { panic!() };
    assert_eq!((done.obj_path.as_str(), done.command_name.as_str()), ("Device.DeviceInfo.FirmwareImage.1.", "Download()"));
    assert_eq!(done.command_key, "fw-2.0");
    assert!(
        matches!(done.operation_resp, Some(msg::notify::operation_complete::OperationResp::ReqOutputArgs(_))),
        "{:?}",
        done.operation_resp
    );
    controller.expect_silence().await;

    // Completed once: nothing is left waiting in the registry.
    second.shutdown().await;
    let registry = usphub::cwmp::registry::Registry::open(&db).expect("released at shutdown");
    let stored: Vec<serde_json::Value> = serde_json::from_slice(&registry.operations(CPE).unwrap().unwrap()).unwrap();
    assert!(stored.is_empty(), "{stored:?}");
}

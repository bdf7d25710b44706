//! A CPE simulator of our own: an HTTP client that runs full CWMP sessions against the ACS
//! (Inform with events, empty POST, answers from a [`ParamTree`], Basic/Digest login through
//! the independent `http-auth` crate, cookies kept or dropped), and an HTTP server for
//! connection requests that demands Digest, checked with the hub's own verifier.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE, SET_COOKIE, WWW_AUTHENTICATE};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use usphub::cwmp::digest::{Authorization, DigestConfig, DigestVerifier};
use usphub::cwmp::rpc::*;
use usphub::cwmp::soap::{Body, CwmpNamespace, Envelope};

pub use super::cpe_tree::ParamTree;

#[path = "cpe_usp.rs"]
pub mod usp;

#[derive(Clone)]
pub struct CpeOptions {
    pub acs: SocketAddr,
    pub path: String,
    pub device: DeviceId,
    pub namespace: CwmpNamespace,
    /// The CPE's ACS login, sent when challenged.
    pub login: Option<(String, String)>,
    pub keep_cookies: bool,
    /// Open a new TCP connection for every POST (CPE that keep no connection).
    pub reconnect_each_post: bool,
    /// The credentials the connection request server demands (Digest).
    pub connection_request_login: (String, String),
}

impl CpeOptions {
    pub fn new(acs: SocketAddr, serial: &str) -> Self {
        Self {
            acs,
            path: "/".into(),
            device: DeviceId {
                manufacturer: "usphub-sim".into(),
                oui: "00D09E".into(),
                product_class: "SimBox".into(),
                serial_number: serial.into(),
            },
            namespace: CwmpNamespace::V1_2,
            login: None,
            keep_cookies: true,
            reconnect_each_post: false,
            connection_request_login: ("acs".into(), "cr-secret".into()),
        }
    }
}

/// What one session looked like from the CPE.
#[derive(Debug, Default)]
pub struct SessionLog {
    /// The ACS requests received, in order.
    pub requests: Vec<Body>,
    /// The HTTP status of every answer, in order.
    pub statuses: Vec<u16>,
}

pub struct Cpe {
    pub options: CpeOptions,
    pub tree: Mutex<ParamTree>,
    /// Set by [`Cpe::serve_connection_requests`].
    pub connection_request_url: Mutex<Option<String>>,
    pub connection_requests: AtomicUsize,
    /// While set, the CPE takes the ACS's requests but never answers (a CPE gone silent).
    pub silent: AtomicBool,
    pub sessions: AtomicUsize,
}

impl Cpe {
    pub fn new(options: CpeOptions, tree: ParamTree) -> Arc<Self> {
        Arc::new(Self {
            options,
            tree: Mutex::new(tree),
            connection_request_url: Mutex::new(None),
            connection_requests: AtomicUsize::new(0),
            silent: AtomicBool::new(false),
            sessions: AtomicUsize::new(0),
        })
    }

    /// One whole session opened by an Inform with `events` (code, command key), reporting the
    /// current values of `changed` besides the forced-inform parameters.
    pub async fn session(&self, events: &[(&str, &str)], changed: &[&str]) -> SessionLog {
        self.session_with_requests(events, changed, Vec::new()).await
    }

    /// Carries out the accepted downloads: the CPE installs the image (new SoftwareVersion),
    /// reboots and reports each with "7 TRANSFER COMPLETE" + "M Download" and a TransferComplete.
    pub async fn finish_downloads(&self, software_version: &str) -> SessionLog {
        let downloads = {
            let mut tree = self.tree.lock().unwrap();
            tree.set("Device.DeviceInfo.SoftwareVersion", software_version, XsdType::String, false);
            std::mem::take(&mut tree.downloads)
        };
        let mut events = vec![("1 BOOT".to_owned(), String::new()), ("7 TRANSFER COMPLETE".to_owned(), String::new())];
        events.extend(downloads.iter().map(|d| ("M Download".to_owned(), d.command_key.clone())));
        let events: Vec<(&str, &str)> = events.iter().map(|(c, k)| (c.as_str(), k.as_str())).collect();
        let reports = downloads
            .iter()
            .map(|d| {
                Body::TransferComplete(TransferComplete {
                    command_key: d.command_key.clone(),
                    fault: FaultStruct::default(),
                    start_time: "2026-11-25T12:00:00Z".into(),
                    complete_time: "2026-11-25T12:01:00Z".into(),
                })
            })
            .collect();
        self.session_with_requests(&events, &[], reports).await
    }

    /// A session in which the CPE sends `requests` (TransferComplete …) before its empty POST;
    /// each must be answered with 200 and its response.
    pub async fn session_with_requests(&self, events: &[(&str, &str)], changed: &[&str], requests: Vec<Body>) -> SessionLog {
        let mut http = Http::new(&self.options);
        let mut log = SessionLog::default();
        let inform = self.inform(events, changed);
        let (status, body) = http.post(inform.to_bytes()).await;
        log.statuses.push(status.as_u16());
        if status != StatusCode::OK {
            return log;
        }
        let reply = Envelope::parse(&body).expect("an InformResponse");
        assert!(matches!(reply.body, Body::InformResponse(_)), "{:?}", reply.body);
        for (index, request) in requests.into_iter().enumerate() {
            let method = request.method_name().to_owned();
            let envelope = Envelope::request(self.options.namespace, format!("cpe-{index}"), request);
            let (status, body) = http.post(envelope.to_bytes()).await;
            log.statuses.push(status.as_u16());
            let answer = Envelope::parse(&body).expect("an answer to the CPE's request");
            assert_eq!(answer.body.method_name(), format!("{method}Response"), "{:?}", answer.body);
        }
        let mut next = Bytes::new();
        loop {
            let (status, body) = http.post(next).await;
            log.statuses.push(status.as_u16());
            if status != StatusCode::OK {
                break;
            }
            let request = Envelope::parse(&body).expect("an ACS request");
            log.requests.push(request.body.clone());
            if self.silent.load(Ordering::SeqCst) {
                break;
            }
            let answer = self.tree.lock().unwrap().answer(&request.body);
            next = request.reply(answer).to_bytes();
        }
        self.sessions.fetch_add(1, Ordering::SeqCst);
        log
    }

    /// A change made on the CPE itself: with active notification (2) the CPE calls in at once
    /// with "4 VALUE CHANGE" (returns that session), passive (1) waits for the next Inform, off
    /// (0) is never reported.
    pub async fn change_locally(&self, name: &str, value: &str) -> Option<SessionLog> {
        let notification = self.tree.lock().unwrap().change_locally(name, value);
        match notification {
            2 => Some(self.session(&[("4 VALUE CHANGE", "")], &[name]).await),
            _ => None,
        }
    }

    fn inform(&self, events: &[(&str, &str)], changed: &[&str]) -> Envelope {
        let tree = self.tree.lock().unwrap();
        let mut parameter_list = vec![ParameterValueStruct::new(
            "Device.DeviceInfo.SoftwareVersion",
            tree.value("Device.DeviceInfo.SoftwareVersion").unwrap_or("1.0"),
            XsdType::String,
        )];
        if let Some(url) = self.connection_request_url.lock().unwrap().clone() {
            parameter_list.push(ParameterValueStruct::new(
                "Device.ManagementServer.ConnectionRequestURL",
                url,
                XsdType::String,
            ));
        }
        for name in changed {
            let param = &tree.params[*name];
            parameter_list.push(ParameterValueStruct::new(*name, param.value.clone(), param.xsd_type.clone()));
        }
        drop(tree);
        // Passive changes ride on the next Inform (TR-069 §3.2.1 "4 VALUE CHANGE").
        let passive = std::mem::take(&mut self.tree.lock().unwrap().passive_changes);
        let tree = self.tree.lock().unwrap();
        let mut events: Vec<EventStruct> = events.iter().map(|(code, key)| EventStruct::new(*code, *key)).collect();
        if !passive.is_empty() && !events.iter().any(|e| e.event_code == "4 VALUE CHANGE") {
            events.push(EventStruct::new("4 VALUE CHANGE", ""));
        }
        for name in passive.iter().filter(|n| !changed.contains(&n.as_str())) {
            let param = &tree.params[name];
            parameter_list.push(ParameterValueStruct::new(name.clone(), param.value.clone(), param.xsd_type.clone()));
        }
        let inform = Inform {
            device_id: self.options.device.clone(),
            events,
            max_envelopes: 1,
            current_time: "2026-11-25T12:00:00Z".into(),
            retry_count: 0,
            parameter_list,
        };
        Envelope::request(
            self.options.namespace,
            format!("inform-{}", self.sessions.load(Ordering::SeqCst)),
            Body::Inform(inform),
        )
    }

    /// Listens for connection requests; each accepted one starts a session with
    /// `6 CONNECTION REQUEST`, followed by a boot session if that session asked for a Reboot.
    pub async fn serve_connection_requests(self: &Arc<Self>) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/cr/{}", listener.local_addr().unwrap(), self.options.device.serial_number);
        *self.connection_request_url.lock().unwrap() = Some(url.clone());
        let (trigger, mut triggered) = tokio::sync::mpsc::channel::<()>(8);
        let verifier = Arc::new(Mutex::new(DigestVerifier::new(DigestConfig::new("sim-cpe"), [9; 32])));
        let cpe = self.clone();
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let (cpe, verifier, trigger) = (cpe.clone(), verifier.clone(), trigger.clone());
                let service = hyper::service::service_fn(move |request: Request<hyper::body::Incoming>| {
                    let response = cpe.connection_request(&request, &verifier);
                    if response.status() == StatusCode::OK {
                        let _ = trigger.try_send(());
                    }
                    async move { Ok::<_, std::convert::Infallible>(response) }
                });
                tokio::spawn(hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(tcp), service));
            }
        });
        let cpe = self.clone();
        tokio::spawn(async move {
            while triggered.recv().await.is_some() {
                cpe.session(&[("6 CONNECTION REQUEST", "")], &[]).await;
                let reboot = cpe.tree.lock().unwrap().pending_reboot.take();
                if let Some(key) = reboot {
                    cpe.session(&[("1 BOOT", ""), ("M Reboot", key.as_str())], &[]).await;
                }
            }
        });
        url
    }

    fn connection_request(
        &self,
        request: &Request<hyper::body::Incoming>,
        verifier: &Mutex<DigestVerifier>,
    ) -> Response<Full<Bytes>> {
        self.connection_requests.fetch_add(1, Ordering::SeqCst);
        let (user, password) = &self.options.connection_request_login;
        let mut verifier = verifier.lock().unwrap();
        let header = request.headers().get(AUTHORIZATION).and_then(|v| v.to_str().ok());
        let verified = match header.map(Authorization::parse) {
            Some(Ok(Authorization::Digest(digest))) if &digest.username == user => {
                let uri = request.uri().path_and_query().unwrap().as_str();
                verifier.verify(&digest, "GET", uri, password, SystemTime::now()).is_ok()
            }
            _ => false,
        };
        if verified {
            return Response::new(Full::default());
        }
        let mut response = Response::builder().status(StatusCode::UNAUTHORIZED);
        for challenge in verifier.challenges(SystemTime::now(), false) {
            response = response.header(WWW_AUTHENTICATE, challenge);
        }
        response.body(Full::default()).unwrap()
    }
}

/// The CPE's side of the HTTP exchange: one connection per session (unless told otherwise),
/// the session cookie, and the login once challenged.
struct Http {
    options: CpeOptions,
    sender: Option<SendRequest<Full<Bytes>>>,
    cookie: Option<String>,
    login: Option<http_auth::PasswordClient>,
}

impl Http {
    fn new(options: &CpeOptions) -> Self {
        Self { options: options.clone(), sender: None, cookie: None, login: None }
    }

    async fn post(&mut self, body: Bytes) -> (StatusCode, Bytes) {
        for _attempt in 0..2 {
            let response = self.send(body.clone()).await;
            let status = response.status();
            if status == StatusCode::UNAUTHORIZED && self.options.login.is_some() && self.login.is_none() {
                let mut builder = http_auth::PasswordClient::builder();
                for value in response.headers().get_all(WWW_AUTHENTICATE) {
                    builder = builder.challenges(value.to_str().unwrap());
                }
                self.login = Some(builder.build().expect("a usable challenge"));
                let _ = response.into_body().collect().await;
                continue;
            }
            if self.options.keep_cookies {
                if let Some(cookie) = response.headers().get(SET_COOKIE) {
                    self.cookie = Some(cookie.to_str().unwrap().split(';').next().unwrap().to_owned());
                }
            }
            let body = response.into_body().collect().await.map(|c| c.to_bytes()).unwrap_or_default();
            return (status, body);
        }
        (StatusCode::UNAUTHORIZED, Bytes::new())
    }

    async fn send(&mut self, body: Bytes) -> Response<hyper::body::Incoming> {
        let reuse = !self.options.reconnect_each_post && self.sender.as_mut().is_some_and(|s| !s.is_closed());
        if !reuse {
            let tcp = TcpStream::connect(self.options.acs).await.expect("ACS reachable");
            let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tcp)).await.unwrap();
            tokio::spawn(connection);
            self.sender = Some(sender);
        }
        let mut request = Request::post(self.options.path.as_str()).header("Host", self.options.acs.to_string());
        if !body.is_empty() {
            request = request.header(CONTENT_TYPE, "text/xml; charset=\"utf-8\"").header("SOAPAction", "");
        }
        if let Some(cookie) = &self.cookie {
            request = request.header(COOKIE, cookie.as_str());
        }
        if let (Some(login), Some((user, password))) = (self.login.as_mut(), self.options.login.as_ref()) {
            let params = http_auth::PasswordParams {
                username: user,
                password,
                uri: &self.options.path,
                method: "POST",
                body: Some(&body),
            };
            request = request.header(AUTHORIZATION, login.respond(&params).unwrap());
        }
        let sender = self.sender.as_mut().unwrap();
        sender.ready().await.expect("connection usable");
        sender.send_request(request.body(Full::new(body)).unwrap()).await.expect("an HTTP answer")
    }
}

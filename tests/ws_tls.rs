//! TLS on the WebSocket listener: wss:// with a CA-signed server certificate, and client
//! certificates required when configured.

mod support;

use std::{path::PathBuf, sync::Arc};

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject};
use support::*;
use tokio::net::TcpStream;
use tokio_rustls::{TlsConnector, client::TlsStream};
use tokio_tungstenite::{WebSocketStream, tungstenite::client::IntoClientRequest};
use usphub::config::TlsConfig;

struct Pki {
    dir: PathBuf,
    ca_pem: String,
    client_cert_pem: String,
    client_key_pem: String,
}

/// A CA, a server certificate for `localhost` and a client certificate carrying a USP endpoint
/// ID in its URI SAN, written where the hub can read them.
fn pki(name: &str) -> Pki {
    let dir = std::env::temp_dir().join(format!("usphub-tls-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();

    let server_key = KeyPair::generate().unwrap();
    let server = CertificateParams::new(vec!["localhost".into()]).unwrap().signed_by(&server_key, &ca).unwrap();
    std::fs::write(dir.join("server.crt"), server.pem()).unwrap();
    std::fs::write(dir.join("server.key"), server_key.serialize_pem()).unwrap();
    std::fs::write(dir.join("ca.crt"), ca.pem()).unwrap();

    let client_key = KeyPair::generate().unwrap();
    let mut client_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    client_params.subject_alt_names =
        vec![rcgen::SanType::URI("urn:bbf:usp:id:os::012345-TLSAGENT".try_into().unwrap())];
    let client = client_params.signed_by(&client_key, &ca).unwrap();
    Pki { dir, ca_pem: ca.pem(), client_cert_pem: client.pem(), client_key_pem: client_key.serialize_pem() }
}

impl Pki {
    fn tls_config(&self, require_client_cert: bool) -> TlsConfig {
        TlsConfig {
            cert: self.dir.join("server.crt"),
            key: self.dir.join("server.key"),
            client_ca: require_client_cert.then(|| self.dir.join("ca.crt")),
            require_client_cert,
        }
    }

    fn connector(&self, with_client_cert: bool) -> TlsConnector {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(CertificateDer::from_pem_slice(self.ca_pem.as_bytes()).unwrap()).unwrap();
        let builder = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots);
        let config = if with_client_cert {
            let chain = vec![CertificateDer::from_pem_slice(self.client_cert_pem.as_bytes()).unwrap()];
            let key = PrivateKeyDer::from_pem_slice(self.client_key_pem.as_bytes()).unwrap();
            builder.with_client_auth_cert(chain, key).unwrap()
        } else {
            builder.with_no_client_auth()
        };
        TlsConnector::from(Arc::new(config))
    }
}

async fn connect_wss(
    addr: std::net::SocketAddr,
    connector: &TlsConnector,
    eid: &str,
) -> Result<WebSocketStream<TlsStream<TcpStream>>, String> {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let tls = connector.connect(name, tcp).await.map_err(|e| e.to_string())?;
    let mut req = format!("wss://localhost:{}/usp?eid={}", addr.port(), percent_encode(eid))
        .into_client_request()
        .unwrap();
    req.headers_mut().insert("Sec-WebSocket-Protocol", "v1.usp".parse().unwrap());
    tokio_tungstenite::client_async(req, tls).await.map(|(ws, _)| ws).map_err(|e| e.to_string())
}

#[tokio::test]
async fn records_flow_over_wss() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;

    let pki = pki("wss");
    let tls = pki.tls_config(false);
    let hub = start_hub(|c| c.ws.tls = Some(tls)).await;
    let addr = hub.ws_addr.unwrap();
    let connector = pki.connector(false);
    let mut agent = connect_wss(addr, &connector, "os::012345-TLSAGENT").await.unwrap();
    let mut controller = connect_wss(addr, &connector, "self::tls-controller").await.unwrap();

    let rec = record("self::tls-controller", "os::012345-TLSAGENT", &get("tls-1", &["Device."]));
    controller.send(Message::Binary(rec.clone())).await.unwrap();
    let got = tokio::time::timeout(PATIENCE, agent.next()).await.unwrap().unwrap().unwrap();
    assert_eq!(got, Message::Binary(rec));
    hub.shutdown().await;
}

#[tokio::test]
async fn client_certificate_can_be_required() {
    let pki = pki("mtls");
    let tls = pki.tls_config(true);
    let hub = start_hub(|c| c.ws.tls = Some(tls)).await;
    let addr = hub.ws_addr.unwrap();

    let refused = connect_wss(addr, &pki.connector(false), "os::012345-TLSAGENT").await;
    assert!(refused.is_err(), "a client without a certificate must not get a session");
    assert!(connect_wss(addr, &pki.connector(true), "os::012345-TLSAGENT").await.is_ok());
    hub.shutdown().await;
}

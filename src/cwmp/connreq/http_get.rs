//! One connection request on the wire (cwmp.md §6.1, §8.2): `GET <ConnectionRequestURL>`
//! without credentials, then, on 401, once more with a Digest `Authorization`.
//!
//! Each CPE gets a fresh TCP connection (no pool: a pooled connection to a CPE is useless by
//! the next request, and a CPE must not be reached through another's socket). The second GET
//! reuses the connection when the CPE kept it open, because some CPE tie their nonce to it,
//! and opens a new one when the CPE closed it after the 401, as many do.

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{AUTHORIZATION, HOST, WWW_AUTHENTICATE};
use hyper::{Request, StatusCode, Uri};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use super::ConnectionRequestError as Error;
use crate::cwmp::registry::Credentials;

/// Bytes of a 401 body read before the retry (so the connection can be reused).
const MAX_CHALLENGE_BODY: usize = 16 << 10;

/// Where to send the GET.
pub(super) struct Target {
    /// `host:port` for the Host header.
    authority: String,
    host: String,
    port: u16,
    /// The request-target (and Digest `uri`).
    path: String,
}

impl Target {
    pub fn parse(url: &str) -> Result<Self, Error> {
        let uri: Uri = url.parse().map_err(|_| Error::BadUrl(url.to_owned()))?;
        match uri.scheme_str() {
            Some("http") => {}
            // TR-069 connection requests are plain HTTP; HTTPS would need a client TLS stack
            // trusting every CPE's certificate, which CPE do not have.
            Some(other) => return Err(Error::UnsupportedScheme(other.to_owned())),
            None => return Err(Error::BadUrl(url.to_owned())),
        }
        let authority = uri.authority().ok_or_else(|| Error::BadUrl(url.to_owned()))?;
        let host = authority.host().trim_start_matches('[').trim_end_matches(']').to_owned();
        let path = uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
        Ok(Self { authority: authority.as_str().to_owned(), host, port: uri.port_u16().unwrap_or(80), path })
    }
}

/// Runs the exchange; `Ok` when the CPE accepted (200 or 204).
pub(super) async fn connection_request(target: &Target, credentials: Option<&Credentials>) -> Result<(), Error> {
    let mut sender = connect(target).await?;
    let response = sender.send_request(get(target, None)).await?;
    let status = response.status();
    if status != StatusCode::UNAUTHORIZED {
        return accepted(status);
    }
    let credentials = credentials.ok_or(Error::NoCredentials)?;
    let challenges: Vec<String> = response
        .headers()
        .get_all(WWW_AUTHENTICATE)
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_owned))
        .collect();
    let authorization = digest_answer(&challenges, credentials, &target.path)?;
    // Drain the 401 so the connection can carry the retry; a CPE that closed it gets a new one.
    let _ = Limited::new(response.into_body(), MAX_CHALLENGE_BODY).collect().await;
    if sender.ready().await.is_err() {
        sender = connect(target).await?;
    }
    let response = sender.send_request(get(target, Some(authorization))).await?;
    match response.status() {
        StatusCode::UNAUTHORIZED => Err(Error::Refused),
        status => accepted(status),
    }
}

/// The `Authorization` answering the CPE's Digest challenge. Basic is not sent: the request
/// is plain HTTP and Basic would put the password on the wire (TR-069 requires Digest here).
fn digest_answer(challenges: &[String], credentials: &Credentials, uri: &str) -> Result<String, Error> {
    let mut builder = http_auth::PasswordClient::builder();
    for challenge in challenges {
        builder = builder.challenges(challenge);
    }
    let mut client = builder.build().map_err(Error::BadChallenge)?;
    if !matches!(client, http_auth::PasswordClient::Digest(_)) {
        return Err(Error::BadChallenge("the CPE offers no Digest challenge".into()));
    }
    let params = http_auth::PasswordParams {
        username: &credentials.username,
        password: &credentials.password,
        uri,
        method: "GET",
        body: Some(&[]),
    };
    client.respond(&params).map_err(Error::BadChallenge)
}

async fn connect(target: &Target) -> Result<SendRequest<Empty<Bytes>>, Error> {
    let tcp = TcpStream::connect((target.host.as_str(), target.port)).await.map_err(Error::Connect)?;
    let _ = tcp.set_nodelay(true);
    let (sender, connection) = http1::handshake(TokioIo::new(tcp)).await?;
    // The connection task ends when the sender is dropped or the CPE closes the socket.
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(sender)
}

fn get(target: &Target, authorization: Option<String>) -> Request<Empty<Bytes>> {
    let mut request = Request::get(target.path.as_str()).header(HOST, target.authority.as_str());
    if let Some(authorization) = authorization {
        request = request.header(AUTHORIZATION, authorization);
    }
    request.body(Empty::new()).expect("a GET built from a parsed URI is valid")
}

fn accepted(status: StatusCode) -> Result<(), Error> {
    match status {
        StatusCode::OK | StatusCode::NO_CONTENT => Ok(()),
        other => Err(Error::Status(other.as_u16())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_connection_request_urls() {
        let t = Target::parse("http://10.0.0.1:7547/cr/abc?x=1").unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.path.as_str(), t.authority.as_str()),
            ("10.0.0.1", 7547, "/cr/abc?x=1", "10.0.0.1:7547")
        );
        let t = Target::parse("http://[::1]/").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("::1", 80));
        assert!(matches!(Target::parse("https://cpe/"), Err(Error::UnsupportedScheme(_))));
        assert!(matches!(Target::parse("not a url"), Err(Error::BadUrl(_))));
        assert!(matches!(Target::parse("/relative"), Err(Error::BadUrl(_))));
    }

    #[test]
    fn answers_digest_with_or_without_qop_and_never_basic() {
        let creds = Credentials::new("acs", "pw");
        let with_qop = [r#"Digest realm="cpe", qop="auth", nonce="abc", opaque="o""#.to_owned()];
        let answer = digest_answer(&with_qop, &creds, "/cr").unwrap();
        assert!(answer.starts_with("Digest ") && answer.contains("qop=auth") && answer.contains(r#"uri="/cr""#));
        let rfc2069 = [r#"Digest realm="TR069 Client", nonce="n", algorithm="MD5""#.to_owned()];
        assert!(!digest_answer(&rfc2069, &creds, "/cr").unwrap().contains("qop="));
        let basic = [r#"Basic realm="cpe""#.to_owned()];
        assert!(matches!(digest_answer(&basic, &creds, "/cr"), Err(Error::BadChallenge(_))));
    }
}

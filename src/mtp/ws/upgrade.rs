//! Reads the HTTP request head of a WebSocket upgrade off the socket.
//!
//! We read it ourselves rather than through a WebSocket library's server handshake so that every
//! refusal gets a proper HTTP answer (tungstenite, for one, closes silently on a request it
//! rejects), and so that one port can dispatch other subprotocols (MQTT over WebSocket) by path.

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncReadExt};
use http::{HeaderName, HeaderValue, Method, Request, Uri, Version};

use super::handshake::Refusal;

/// Largest request head accepted; a USP upgrade is a few hundred bytes.
pub const MAX_HEAD: usize = 8 * 1024;
const MAX_HEADERS: usize = 48;

/// Why no request was read.
#[derive(Debug)]
pub enum HeadError {
    /// The peer closed or the read failed: there is nobody to answer.
    Gone,
    /// A bad request, answered with this refusal.
    Refused(Refusal),
}

/// Reads one request head. Returns it with any bytes the client sent after it, which belong
/// to the WebSocket stream.
pub async fn read_head<S: AsyncRead + Unpin>(stream: &mut S) -> Result<(Request<()>, BytesMut), HeadError> {
    let mut buf = BytesMut::with_capacity(1024);
    loop {
        if let Some(len) = parse(&buf)? {
            let request = build(&buf[..len])?;
            let rest = buf.split_off(len);
            return Ok((request, rest));
        }
        if buf.len() >= MAX_HEAD {
            return Err(HeadError::Refused(Refusal::HeadTooLarge));
        }
        buf.reserve(1024);
        match stream.read_buf(&mut buf).await {
            Ok(0) | Err(_) => return Err(HeadError::Gone),
            Ok(_) => {}
        }
    }
}

/// The head's length once complete.
fn parse(buf: &[u8]) -> Result<Option<usize>, HeadError> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    match httparse::Request::new(&mut headers).parse(buf) {
        Ok(httparse::Status::Complete(len)) => Ok(Some(len)),
        Ok(httparse::Status::Partial) => Ok(None),
        Err(httparse::Error::TooManyHeaders) => Err(HeadError::Refused(Refusal::HeadTooLarge)),
        Err(_) => Err(HeadError::Refused(Refusal::MalformedRequest)),
    }
}

fn build(head: &[u8]) -> Result<Request<()>, HeadError> {
    let bad = || HeadError::Refused(Refusal::MalformedRequest);
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut parsed = httparse::Request::new(&mut headers);
    parsed.parse(head).map_err(|_| bad())?;
    let method = Method::from_bytes(parsed.method.ok_or_else(bad)?.as_bytes()).map_err(|_| bad())?;
    let uri: Uri = parsed.path.ok_or_else(bad)?.parse().map_err(|_| bad())?;
    let version = if parsed.version == Some(1) { Version::HTTP_11 } else { Version::HTTP_10 };
    let mut request = Request::builder().method(method).uri(uri).version(version).body(()).map_err(|_| bad())?;
    for h in parsed.headers.iter() {
        let name = HeaderName::from_bytes(h.name.as_bytes()).map_err(|_| bad())?;
        let value = HeaderValue::from_bytes(h.value).map_err(|_| bad())?;
        request.headers_mut().append(name, value);
    }
    Ok(request)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reads_a_head_split_across_reads_and_keeps_what_follows() {
        let wire = b"GET /usp?eid=a::b HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n\x82\x00";
        let (client, mut server) = tokio::io::duplex(64);
        tokio::spawn(async move {
            use tokio::io::AsyncWriteExt;
            let mut client = client;
            for chunk in wire.chunks(7) {
                client.write_all(chunk).await.unwrap();
            }
        });
        let (req, rest) = read_head(&mut server).await.unwrap();
        assert_eq!(req.uri().query(), Some("eid=a::b"));
        assert_eq!(req.headers()["upgrade"], "websocket");
        assert_eq!(&rest[..], b"\x82\x00");
    }

    #[tokio::test]
    async fn refuses_garbage_and_oversize_heads() {
        let mut garbage: &[u8] = b"\x16\x03\x01 not http\r\n\r\n";
        assert!(matches!(read_head(&mut garbage).await, Err(HeadError::Refused(Refusal::MalformedRequest))));
        let huge = format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(MAX_HEAD));
        let mut huge = huge.as_bytes();
        assert!(matches!(read_head(&mut huge).await, Err(HeadError::Refused(Refusal::HeadTooLarge))));
        let mut empty: &[u8] = b"";
        assert!(matches!(read_head(&mut empty).await, Err(HeadError::Gone)));
    }
}

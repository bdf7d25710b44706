//! A minimal HTTP/1.1 client for CPE sessions: one POST at a time on a kept-alive
//! connection, `Content-Length` bodies, the few response headers a CPE acts on (`Set-Cookie`,
//! `Connection: close`). Anything else the ACS might send (chunked bodies) is an error, so a
//! surprise shows instead of being half-handled.

use bytes::{Buf, BytesMut};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::source::Sources;

/// Largest response head or body accepted.
const MAX_RESPONSE: usize = 4 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("connecting to the ACS: {0}")]
    Connect(std::io::Error),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("the ACS closed the connection")]
    Closed,
    #[error("unusable HTTP response: {0}")]
    Malformed(&'static str),
}

/// What a CPE needs of a response.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    /// `name=value` of the first `Set-Cookie`, without its attributes.
    pub cookie: Option<String>,
    /// The ACS said `Connection: close`.
    pub close: bool,
    pub body: String,
}

/// One connection to the ACS.
pub struct HttpConn {
    stream: TcpStream,
    host: String,
    rbuf: BytesMut,
}

impl HttpConn {
    pub async fn connect(sources: &Sources, target: &str) -> Result<Self, HttpError> {
        let stream = sources.dial(target).await.map_err(HttpError::Connect)?;
        let _ = stream.set_nodelay(true);
        Ok(Self { stream, host: target.to_owned(), rbuf: BytesMut::with_capacity(4096) })
    }

    /// POSTs `body` (SOAP when not empty, else the empty POST) and reads the answer.
    pub async fn post(&mut self, path: &str, cookie: Option<&str>, body: &str) -> Result<Response, HttpError> {
        let request = request(&self.host, path, cookie, body);
        self.stream.write_all(request.as_bytes()).await?;
        loop {
            if let Some((head_len, mut response, body_len)) = parse_head(&self.rbuf)? {
                if self.rbuf.len() >= head_len + body_len {
                    self.rbuf.advance(head_len);
                    let body = self.rbuf.split_to(body_len);
                    response.body = String::from_utf8_lossy(&body).into_owned();
                    return Ok(response);
                }
            }
            if self.rbuf.len() > MAX_RESPONSE {
                return Err(HttpError::Malformed("response over 4 MiB"));
            }
            self.rbuf.reserve(4096);
            if self.stream.read_buf(&mut self.rbuf).await? == 0 {
                return Err(HttpError::Closed);
            }
        }
    }
}

/// The bytes of a POST.
pub fn request(host: &str, path: &str, cookie: Option<&str>, body: &str) -> String {
    let mut out = format!("POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {}\r\n", body.len());
    if !body.is_empty() {
        out.push_str("Content-Type: text/xml; charset=\"utf-8\"\r\nSOAPAction: \"\"\r\n");
    }
    if let Some(cookie) = cookie {
        out.push_str("Cookie: ");
        out.push_str(cookie);
        out.push_str("\r\n");
    }
    out.push_str("\r\n");
    out.push_str(body);
    out
}

/// The response head at the start of `buf`, once complete: its length, what it says, and the
/// body length.
pub fn parse_head(buf: &[u8]) -> Result<Option<(usize, Response, usize)>, HttpError> {
    let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else { return Ok(None) };
    let head = std::str::from_utf8(&buf[..end]).map_err(|_| HttpError::Malformed("head is not UTF-8"))?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let mut parts = status_line.split_ascii_whitespace();
    if !parts.next().is_some_and(|v| v.starts_with("HTTP/1.")) {
        return Err(HttpError::Malformed("no HTTP/1.x status line"));
    }
    let status = parts.next().and_then(|s| s.parse().ok()).ok_or(HttpError::Malformed("no status code"))?;
    let mut response = Response { status, ..Response::default() };
    let mut body_len = 0;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else { continue };
        let value = value.trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" => body_len = value.parse().map_err(|_| HttpError::Malformed("bad Content-Length"))?,
            "transfer-encoding" if !value.eq_ignore_ascii_case("identity") => {
                return Err(HttpError::Malformed("chunked bodies are not supported by this CPE"));
            }
            "set-cookie" if response.cookie.is_none() => {
                response.cookie = value.split(';').next().map(|c| c.trim().to_owned());
            }
            "connection" => response.close = value.eq_ignore_ascii_case("close"),
            _ => {}
        }
    }
    if body_len > MAX_RESPONSE {
        return Err(HttpError::Malformed("response over 4 MiB"));
    }
    Ok(Some((end + 4, response, body_len)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests() {
        let soap = request("127.0.0.1:7547", "/", None, "<x/>");
        assert_eq!(
            soap,
            "POST / HTTP/1.1\r\nHost: 127.0.0.1:7547\r\nContent-Length: 4\r\nContent-Type: text/xml; charset=\"utf-8\"\r\nSOAPAction: \"\"\r\n\r\n<x/>"
        );
        let empty = request("h", "/acs", Some("session=ab"), "");
        assert_eq!(empty, "POST /acs HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\nCookie: session=ab\r\n\r\n");
    }

    #[test]
    fn heads() {
        assert!(parse_head(b"HTTP/1.1 200 OK\r\nContent-Len").unwrap().is_none());
        let raw = b"HTTP/1.1 200 OK\r\ncontent-type: text/xml\r\nset-cookie: usphub-session=0123; Path=/\r\ncontent-length: 5\r\n\r\nhello";
        let (len, response, body) = parse_head(raw).unwrap().unwrap();
        assert_eq!(
            (len + body, response.status, response.cookie.as_deref()),
            (raw.len(), 200, Some("usphub-session=0123"))
        );
        assert!(!response.close);
        let (_, closing, body) = parse_head(b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n").unwrap().unwrap();
        assert!(closing.close && closing.status == 400 && body == 0);
        assert!(parse_head(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n").is_err());
        assert!(parse_head(b"SSH-2.0\r\n\r\n").is_err());
    }
}

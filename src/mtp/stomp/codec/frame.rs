//! A STOMP frame and its encoding. The body is a `Bytes` so that a USP Record received in one
//! SEND can be written out in a MESSAGE without being copied: [`Frame::encode_head`] writes
//! only the command and headers, and the writer then sends the body and [`FRAME_END`] itself.

use bytes::{BufMut, Bytes, BytesMut};

use super::command::Command;
use super::headers::{Headers, encode_text};

/// The byte that ends every frame.
pub const FRAME_END: &[u8] = b"\0";

/// A heart-beat on the wire: a bare EOL between frames (STOMP 1.2 §Heart-beating).
pub const HEARTBEAT: &[u8] = b"\n";

/// The header the encoder owns; see [`Frame::encode_head`].
pub const CONTENT_LENGTH: &str = "content-length";

/// One STOMP frame. Headers are held unescaped; escaping is a wire concern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub command: Command,
    pub headers: Headers,
    pub body: Bytes,
}

impl Frame {
    /// A frame with no headers and no body.
    pub fn new(command: Command) -> Self {
        Frame {
            command,
            headers: Headers::new(),
            body: Bytes::new(),
        }
    }

    /// Builder: appends a header.
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push(name, value);
        self
    }

    /// Builder: sets the body.
    pub fn with_body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    /// Writes the whole frame: head, body and terminating NUL.
    pub fn encode(&self, dst: &mut BytesMut) {
        dst.reserve(self.encoded_head_len_hint() + self.body.len() + 1);
        self.encode_head(dst);
        dst.put_slice(&self.body);
        dst.put_slice(FRAME_END);
    }

    /// Writes the command, the headers and the blank line that ends them, but not the body nor
    /// the NUL: the zero-copy writer sends `self.body` and [`FRAME_END`] as separate buffers.
    ///
    /// `content-length` is written by the encoder, never copied from `self.headers`: it is
    /// always present when there is a body, and on every SEND/MESSAGE/ERROR even if empty,
    /// because binary Records contain NULs and the peer must not stop at the first one
    /// (R-STOMP.19). Headers are escaped except in CONNECT/CONNECTED (STOMP 1.2 §Value
    /// Encoding).
    pub fn encode_head(&self, dst: &mut BytesMut) {
        let escaped = self.command.escapes_headers();
        dst.put_slice(self.command.as_str().as_bytes());
        dst.put_u8(b'\n');
        for (name, value) in self.headers.iter() {
            if name == CONTENT_LENGTH {
                continue;
            }
            debug_assert!(
                escaped || !name.contains(':'),
                "a header name in an unescaped frame cannot contain ':'"
            );
            encode_text(name, escaped, dst);
            dst.put_u8(b':');
            encode_text(value, escaped, dst);
            dst.put_u8(b'\n');
        }
        if !self.body.is_empty() || self.command.may_have_body() {
            dst.put_slice(CONTENT_LENGTH.as_bytes());
            dst.put_u8(b':');
            dst.put_slice(self.body.len().to_string().as_bytes());
            dst.put_u8(b'\n');
        }
        dst.put_u8(b'\n');
    }

    /// Roughly the size of the head, to reserve once instead of growing per header.
    fn encoded_head_len_hint(&self) -> usize {
        let headers: usize = self
            .headers
            .iter()
            .map(|(n, v)| n.len() + v.len() + 2)
            .sum();
        Command::MAX_LEN + 1 + headers + CONTENT_LENGTH.len() + 24
    }
}

/// Writes one heart-beat.
pub fn encode_heartbeat(dst: &mut BytesMut) {
    dst.put_slice(HEARTBEAT);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire(frame: Frame) -> BytesMut {
        let mut buf = BytesMut::new();
        frame.encode(&mut buf);
        buf
    }

    #[test]
    fn send_gets_content_length_and_nul() {
        let frame = Frame::new(Command::Send)
            .with_header("destination", "/q/a")
            .with_header(CONTENT_LENGTH, "999") // the encoder's own value wins
            .with_body(&b"a\0b"[..]);
        assert_eq!(
            &wire(frame)[..],
            b"SEND\ndestination:/q/a\ncontent-length:3\n\na\0b\0"
        );
    }

    #[test]
    fn head_only_leaves_body_to_the_writer() {
        let frame = Frame::new(Command::Message).with_body(&b"xyz"[..]);
        let mut head = BytesMut::new();
        frame.encode_head(&mut head);
        assert_eq!(&head[..], b"MESSAGE\ncontent-length:3\n\n");
    }

    #[test]
    fn bodiless_frames_have_no_content_length() {
        let frame = Frame::new(Command::Receipt).with_header("receipt-id", "7");
        assert_eq!(&wire(frame)[..], b"RECEIPT\nreceipt-id:7\n\n\0");
    }

    #[test]
    fn connected_is_not_escaped_but_cannot_be_split_by_newlines() {
        let frame = Frame::new(Command::Connected).with_header("server", "usphub:1\nx:y");
        assert_eq!(&wire(frame)[..], b"CONNECTED\nserver:usphub:1\\nx:y\n\n\0");
    }

    #[test]
    fn message_headers_are_escaped() {
        let frame = Frame::new(Command::Message).with_header("reply-to-dest", "os::a\\b");
        assert_eq!(
            &wire(frame)[..],
            b"MESSAGE\nreply-to-dest:os\\c\\ca\\\\b\ncontent-length:0\n\n\0"
        );
    }

    #[test]
    fn heartbeat_is_one_newline() {
        let mut buf = BytesMut::new();
        encode_heartbeat(&mut buf);
        assert_eq!(&buf[..], b"\n");
    }
}

//! MESSAGE frames, written without copying the Record or allocating per message.
//!
//! Everything in a MESSAGE head that is fixed for a subscription (`subscription`,
//! `destination`, `content-type`) is escaped once when the client subscribes; per Record only
//! `message-id`, `reply-to-dest` and `content-length` are written, into the output's shared
//! scratch space. The Record itself is queued as the `Bytes` it arrived in.

use std::fmt::Write as _;

use bytes::{BufMut, Bytes, BytesMut};

use super::codec::{FRAME_END, encode_text};
use super::conversation::USP_CONTENT_TYPE;
use crate::net::Segments;
use crate::router::Delivery;

/// An active SUBSCRIBE: its id, its destination, and the MESSAGE head prefix built from them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    id: String,
    destination: String,
    head: Bytes,
}

impl Subscription {
    pub fn new(id: &str, destination: &str) -> Self {
        let mut head = BytesMut::with_capacity(64 + id.len() + destination.len() + USP_CONTENT_TYPE.len());
        head.put_slice(b"MESSAGE\n");
        put_header(&mut head, "subscription", id);
        put_header(&mut head, "destination", destination);
        put_header(&mut head, "content-type", USP_CONTENT_TYPE);
        Self { id: id.to_owned(), destination: destination.to_owned(), head: head.freeze() }
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn destination(&self) -> &str {
        &self.destination
    }

    /// Queues one MESSAGE carrying `delivery`. `message_id` must be unique on the connection;
    /// `reply_prefix` is the destination prefix, so `reply-to-dest` names the sender's canonical
    /// destination, where a reply SENT is routed by its `to_id` like any Record (R-STOMP.23).
    pub fn queue_message(&self, out: &mut Segments, message_id: u64, reply_prefix: &str, delivery: Delivery) {
        let body_len = delivery.record.len();
        let _ = out.push_encoded(|dst| {
            dst.put_slice(&self.head);
            // Writing into a BytesMut cannot fail.
            let _ = write!(dst, "message-id:{message_id}\nreply-to-dest:");
            encode_text(reply_prefix, true, dst);
            dst.put_u8(b'/');
            encode_text(delivery.from.as_str(), true, dst);
            let _ = write!(dst, "\ncontent-length:{body_len}\n\n");
            Ok::<(), std::convert::Infallible>(())
        });
        out.push(delivery.record);
        out.push(Bytes::from_static(FRAME_END));
    }
}

fn put_header(dst: &mut BytesMut, name: &str, value: &str) {
    encode_text(name, true, dst);
    dst.put_u8(b':');
    encode_text(value, true, dst);
    dst.put_u8(b'\n');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mtp::stomp::codec::{Command, Decoder, Item};
    use crate::usp::EndpointId;

    #[tokio::test]
    async fn message_decodes_with_binary_body_and_escaped_headers() {
        let sub = Subscription::new("0", "/usp/v1/os::012345-A");
        let record = Bytes::from_static(b"\x0a\x00binary\x00record");
        let mut out = Segments::new();
        for id in [1, 2] {
            let delivery = Delivery { from: EndpointId::new("self::ctl").unwrap(), record: record.clone() };
            sub.queue_message(&mut out, id, "/usp/v1", delivery);
        }
        let mut wire = Vec::new();
        out.write_to(&mut wire).await.unwrap();
        assert!(wire.windows(4).any(|w| w == b"os\\c"), "colons are escaped on the wire");

        let mut buf = BytesMut::from(&wire[..]);
        let mut decoder = Decoder::default();
        for id in ["1", "2"] {
            let Some(Item::Frame(frame)) = decoder.decode(&mut buf).unwrap() else { panic!("no frame") };
            assert_eq!(frame.command, Command::Message);
            let h = &frame.headers;
            assert_eq!(h.get("subscription"), Some("0"));
            assert_eq!(h.get("message-id"), Some(id));
            assert_eq!(h.get("destination"), Some("/usp/v1/os::012345-A"));
            assert_eq!(h.get("content-type"), Some(USP_CONTENT_TYPE));
            assert_eq!(h.get("reply-to-dest"), Some("/usp/v1/self::ctl"));
            assert_eq!(frame.body, record);
        }
        assert!(buf.is_empty());
    }
}

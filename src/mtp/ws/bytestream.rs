//! A WebSocket connection seen as a byte stream, for protocols that run over WebSocket without
//! caring about message boundaries: MQTT over WebSocket (MQTT 5.0 §6: packets may span or share
//! WebSocket messages [MQTT-6.0.0-2]).
//!
//! Reads yield the bytes of binary messages in order. Each vectored write becomes one binary
//! frame: its header is written in the same `writev` as the caller's slices, so a burst of
//! packets travels as one message and no payload is copied. Pongs and Closes wait for the end
//! of the frame being written. As in the Record session, the read buffer exists only while
//! there is something to read.

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::codec::frame::MAX_SERVER_HEADER;
use super::codec::{CloseCode, Decoder, Incoming, OpCode, encode_close, encode_control, header_bytes};
use crate::net::FrameDecoder;

/// Most slices in one `writev`, the frame header included.
const MAX_SLICES: usize = 64;

pub struct WsByteStream<S> {
    stream: S,
    /// Bytes read and not yet decoded; unallocated while empty and waiting.
    buf: BytesMut,
    decoder: Decoder,
    /// What is left of the last binary message read.
    pending: Bytes,
    /// Whole control frames (Pongs, our Close) waiting for a frame boundary.
    control: BytesMut,
    /// The header of the data frame being written, its length, and how much of it is written.
    head: [u8; MAX_SERVER_HEADER],
    head_len: u8,
    head_sent: u8,
    /// Payload bytes of that frame not yet written: the next bytes of the stream.
    frame_left: usize,
    /// The peer closed, or broke the protocol: reads end.
    read_closed: bool,
    close_sent: bool,
}

impl<S> WsByteStream<S> {
    /// `rest`: bytes the client sent behind its upgrade request.
    pub fn new(stream: S, rest: BytesMut, max_message: usize) -> Self {
        Self {
            stream,
            buf: if rest.is_empty() { BytesMut::new() } else { rest },
            decoder: Decoder::new(max_message),
            pending: Bytes::new(),
            control: BytesMut::new(),
            head: [0; MAX_SERVER_HEADER],
            head_len: 0,
            head_sent: 0,
            frame_left: 0,
            read_closed: false,
            close_sent: false,
        }
    }

    /// Whether no data frame is half written, so a control frame may go out.
    fn at_boundary(&self) -> bool {
        self.frame_left == 0 && self.head_sent == self.head_len
    }

    fn queue_close(&mut self, code: CloseCode, reason: &str) {
        if !self.close_sent {
            self.close_sent = true;
            encode_close(code, reason, &mut self.control);
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> WsByteStream<S> {
    /// Writes the queued control frames, at a frame boundary only.
    fn poll_send_control(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if !self.at_boundary() {
            return Poll::Ready(Ok(()));
        }
        while !self.control.is_empty() {
            let n = ready!(Pin::new(&mut self.stream).poll_write(cx, &self.control))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.control.advance(n);
        }
        self.control = BytesMut::new();
        Poll::Ready(Ok(()))
    }

    /// From the read side: sends queued control frames if the socket takes them now. If it
    /// would wait, they go with the next write or flush.
    fn try_send_control(&mut self, cx: &mut Context<'_>) -> io::Result<()> {
        if let Poll::Ready(r) = self.poll_send_control(cx) {
            r?;
            if let Poll::Ready(r) = Pin::new(&mut self.stream).poll_flush(cx) {
                r?;
            }
        }
        Ok(())
    }

    /// One read into the lazily allocated buffer, as `net::FramedConn` does it.
    fn poll_read_more(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        crate::net::poll_read_lazily(&mut self.stream, &mut self.buf, cx)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for WsByteStream<S> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, out: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if !this.pending.is_empty() {
                let n = this.pending.len().min(out.remaining());
                out.put_slice(&this.pending[..n]);
                this.pending.advance(n);
                return Poll::Ready(Ok(()));
            }
            if this.read_closed {
                return Poll::Ready(Ok(()));
            }
            match this.decoder.decode(&mut this.buf) {
                Ok(Some(Incoming::Binary(message))) => this.pending = message,
                Ok(Some(Incoming::Ping(payload))) => {
                    encode_control(OpCode::Pong, &payload, &mut this.control);
                    this.try_send_control(cx)?;
                }
                Ok(Some(Incoming::Pong(_))) => {}
                Ok(Some(Incoming::Close(frame))) => {
                    this.read_closed = true;
                    match frame {
                        Some(f) => this.queue_close(f.code, ""),
                        None if !this.close_sent => {
                            this.close_sent = true;
                            encode_control(OpCode::Close, &[], &mut this.control);
                        }
                        None => {}
                    }
                    this.try_send_control(cx)?;
                }
                Err(e) => {
                    this.read_closed = true;
                    this.queue_close(e.close_code(), "WebSocket protocol error");
                    let _ = this.try_send_control(cx);
                    return Poll::Ready(Err(io::Error::new(io::ErrorKind::InvalidData, e)));
                }
                Ok(None) => {
                    if ready!(this.poll_read_more(cx))? == 0 {
                        this.read_closed = true;
                        this.decoder
                            .decode_eof(&mut this.buf)
                            .map_err(|e| io::Error::new(io::ErrorKind::UnexpectedEof, e))?;
                        return Poll::Ready(Ok(()));
                    }
                }
            }
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for WsByteStream<S> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.poll_write_vectored(cx, &[IoSlice::new(buf)])
    }

    fn poll_write_vectored(self: Pin<&mut Self>, cx: &mut Context<'_>, bufs: &[IoSlice<'_>]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        loop {
            // Finish the header of a frame whose first bytes are out.
            while this.head_sent < this.head_len {
                let head = &this.head[usize::from(this.head_sent)..usize::from(this.head_len)];
                let n = ready!(Pin::new(&mut this.stream).poll_write(cx, head))?;
                if n == 0 {
                    return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
                }
                this.head_sent += n as u8;
            }
            let mut slices = [IoSlice::new(&[]); MAX_SLICES];
            if this.frame_left > 0 {
                // Inside a frame: the next `frame_left` bytes of the stream are its payload.
                let (mut count, mut budget) = (0, this.frame_left);
                for b in bufs.iter().take(MAX_SLICES) {
                    if budget == 0 {
                        break;
                    }
                    let take = b.len().min(budget);
                    slices[count] = IoSlice::new(&b[..take]);
                    count += 1;
                    budget -= take;
                }
                if budget == this.frame_left {
                    return Poll::Ready(Ok(0));
                }
                let n = ready!(Pin::new(&mut this.stream).poll_write_vectored(cx, &slices[..count]))?;
                if n == 0 {
                    return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
                }
                this.frame_left -= n;
                return Poll::Ready(Ok(n));
            }
            ready!(this.poll_send_control(cx))?;
            let bufs = &bufs[..bufs.len().min(MAX_SLICES - 1)];
            let total: usize = bufs.iter().map(|b| b.len()).sum();
            if total == 0 {
                return Poll::Ready(Ok(0));
            }
            let (head, head_len) = header_bytes(OpCode::Binary, true, total);
            slices[0] = IoSlice::new(&head[..head_len]);
            for (slot, b) in slices[1..].iter_mut().zip(bufs) {
                *slot = IoSlice::new(b);
            }
            // The frame is committed only once some of it is written: a write that would wait
            // has written nothing, and the caller may offer different bytes next time.
            let n = ready!(Pin::new(&mut this.stream).poll_write_vectored(cx, &slices[..=bufs.len()]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            this.head = head;
            this.head_len = head_len as u8;
            this.head_sent = n.min(head_len) as u8;
            let payload = n.saturating_sub(head_len);
            this.frame_left = total - payload;
            if payload > 0 {
                return Poll::Ready(Ok(payload));
            }
        }
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_send_control(cx))?;
        Pin::new(&mut this.stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.at_boundary() {
            this.queue_close(CloseCode::NORMAL, "");
        }
        ready!(this.poll_send_control(cx))?;
        ready!(Pin::new(&mut this.stream).poll_flush(cx))?;
        Pin::new(&mut this.stream).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mtp::ws::codec::encode_client_frame;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// Server frames off the wire: (opcode, payload) pairs.
    fn server_frames(mut wire: &[u8]) -> Vec<(u8, Vec<u8>)> {
        let mut frames = Vec::new();
        while !wire.is_empty() {
            let (op, short) = (wire[0] & 0x0F, wire[1]);
            assert_eq!(wire[0] & 0x80, 0x80, "FIN");
            assert_eq!(short & 0x80, 0, "server frames are not masked");
            let (head, len) = match short {
                126 => (4, usize::from(u16::from_be_bytes([wire[2], wire[3]]))),
                127 => (10, u64::from_be_bytes(wire[2..10].try_into().unwrap()) as usize),
                n => (2, usize::from(n)),
            };
            frames.push((op, wire[head..head + len].to_vec()));
            wire = &wire[head + len..];
        }
        frames
    }

    #[tokio::test]
    async fn writes_become_binary_frames_through_short_writes() {
        // A tiny pipe cuts writes inside headers and payloads.
        let (ours, mut theirs) = tokio::io::duplex(7);
        let mut ws = WsByteStream::new(ours, BytesMut::new(), 1 << 20);
        let data: Vec<u8> = (0..70_000u32).map(|i| (i % 251) as u8).collect();
        let reader = tokio::spawn(async move {
            let mut wire = Vec::new();
            theirs.read_to_end(&mut wire).await.unwrap();
            wire
        });
        for chunk in data.chunks(9_999) {
            let (a, b) = chunk.split_at(chunk.len() / 3);
            let mut slices = [IoSlice::new(a), IoSlice::new(b)];
            let mut slices = &mut slices[..];
            while !slices.is_empty() {
                let n = std::future::poll_fn(|cx| Pin::new(&mut ws).poll_write_vectored(cx, slices)).await.unwrap();
                IoSlice::advance_slices(&mut slices, n);
            }
        }
        ws.shutdown().await.unwrap();
        drop(ws);
        let frames = server_frames(&reader.await.unwrap());
        let (close, data_frames) = frames.split_last().unwrap();
        assert_eq!(close, &(0x8, 1000u16.to_be_bytes().to_vec()));
        assert!(data_frames.iter().all(|(op, _)| *op == 0x2));
        assert_eq!(data_frames.iter().flat_map(|(_, p)| p.clone()).collect::<Vec<_>>(), data);
    }

    #[tokio::test]
    async fn reads_join_messages_and_answer_pings() {
        let (ours, mut theirs) = tokio::io::duplex(1 << 16);
        let mask = [1, 2, 3, 4];
        let mut wire = BytesMut::new();
        encode_client_frame(OpCode::Binary, true, b"hello ", mask, &mut wire);
        encode_client_frame(OpCode::Binary, false, b"wor", mask, &mut wire);
        encode_client_frame(OpCode::Ping, true, b"?", mask, &mut wire);
        encode_client_frame(OpCode::Continuation, true, b"ld", mask, &mut wire);
        encode_client_frame(OpCode::Close, true, &1001u16.to_be_bytes(), mask, &mut wire);
        // The first frame arrived with the upgrade request.
        let rest = wire.split_to(4);
        theirs.write_all(&wire).await.unwrap();
        let mut ws = WsByteStream::new(ours, rest, 1 << 20);
        let mut got = Vec::new();
        ws.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, b"hello world");
        drop(ws);
        let mut back = Vec::new();
        theirs.read_to_end(&mut back).await.unwrap();
        assert_eq!(server_frames(&back), vec![(0xA, b"?".to_vec()), (0x8, 1001u16.to_be_bytes().to_vec())]);
    }

    #[tokio::test]
    async fn protocol_errors_fail_the_read_and_send_their_close_code() {
        let (ours, mut theirs) = tokio::io::duplex(1 << 16);
        let mut wire = BytesMut::new();
        encode_client_frame(OpCode::Text, true, b"{}", [9, 9, 9, 9], &mut wire);
        theirs.write_all(&wire).await.unwrap();
        let mut ws = WsByteStream::new(ours, BytesMut::new(), 1 << 20);
        let mut got = Vec::new();
        assert_eq!(ws.read_to_end(&mut got).await.unwrap_err().kind(), io::ErrorKind::InvalidData);
        drop(ws);
        let mut back = Vec::new();
        theirs.read_to_end(&mut back).await.unwrap();
        assert_eq!(server_frames(&back)[0].1[..2], 1003u16.to_be_bytes());
    }
}

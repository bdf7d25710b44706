"""Small helpers for the tests: USP Records and Messages built with the protobuf modules
generated from proto/*.proto (into gen/ by run.sh), and WebSocket clients from the
`websockets` library. Nothing here comes from the hub's own code.
"""

from __future__ import annotations

import asyncio
import re
import socket
import struct
from urllib.parse import quote

import websockets
from websockets.asyncio.client import ClientConnection, connect as ws_connect

import usp_msg_1_4_pb2 as msg_pb
import usp_record_1_4_pb2 as record_pb

SUBPROTOCOL = "v1.usp"
USP_VERSION = "1.3"
TIMEOUT = 3.0  # seconds for anything that should happen "now"
QUIET = 0.5  # seconds of silence that count as "not delivered"

Msg = msg_pb.Msg
Header = msg_pb.Header
Record = record_pb.Record


# --- Records and Messages ------------------------------------------------------------------


def no_session_record(from_id: str, to_id: str, payload: bytes = b"") -> bytes:
    """A NoSessionContext Record carrying `payload` (normally a serialized usp.Msg)."""
    rec = Record(version=USP_VERSION, from_id=from_id, to_id=to_id)
    rec.no_session_context.payload = payload
    return rec.SerializeToString()


def websocket_connect_record(from_id: str, to_id: str) -> bytes:
    """The empty WebSocketConnect Record an agent sends first (R-MTP.6)."""
    rec = Record(version=USP_VERSION, from_id=from_id, to_id=to_id)
    rec.websocket_connect.SetInParent()
    return rec.SerializeToString()


def get_msg(msg_id: str, *param_paths: str) -> bytes:
    msg = Msg()
    msg.header.msg_id = msg_id
    msg.header.msg_type = Header.GET
    msg.body.request.get.param_paths.extend(param_paths)
    return msg.SerializeToString()


def get_resp_msg(msg_id: str, requested_path: str, resolved_path: str, params: dict[str, str]) -> bytes:
    msg = Msg()
    msg.header.msg_id = msg_id
    msg.header.msg_type = Header.GET_RESP
    req = msg.body.response.get_resp.req_path_results.add(requested_path=requested_path)
    res = req.resolved_path_results.add(resolved_path=resolved_path)
    res.result_params.update(params)
    return msg.SerializeToString()


def parse_record(data: bytes) -> Record:
    rec = Record()
    rec.ParseFromString(data)
    return rec


def parse_msg(data: bytes) -> Msg:
    msg = Msg()
    msg.ParseFromString(data)
    return msg


# --- WebSocket clients ---------------------------------------------------------------------


def usp_uri(hub, eid: str | None, path: str = "/usp") -> str:
    """`ws://…/usp?eid=<percent-encoded eid>` (R-WS.10b/c), or without `?eid` when eid is None."""
    uri = hub.ws_url + path
    if eid is not None:
        uri += "?eid=" + quote(eid, safe="")
    return uri


async def connect(
    hub,
    eid: str | None,
    *,
    path: str = "/usp",
    uri: str | None = None,
    subprotocols: list[str] | None = [SUBPROTOCOL],  # noqa: B006 (never mutated)
    extension: str | None = None,
) -> ClientConnection:
    """Opens a USP WebSocket session as endpoint `eid`.

    `extension` is sent as `Sec-WebSocket-Extensions` (the deprecated bbf-usp-protocol). No
    compression is offered and no proxy from the environment is used. The client does not ping
    on its own, so tests see only what the hub sends.
    """
    headers = {"Sec-WebSocket-Extensions": extension} if extension else None
    return await ws_connect(
        uri or usp_uri(hub, eid, path),
        subprotocols=subprotocols,
        additional_headers=headers,
        compression=None,
        proxy=None,
        open_timeout=TIMEOUT,
        close_timeout=TIMEOUT,
        ping_interval=None,
        max_size=None,
    )


async def refused_status(hub, eid: str | None, **kwargs) -> int:
    """Connects expecting the handshake to be refused; returns the HTTP status."""
    try:
        ws = await connect(hub, eid, **kwargs)
    except websockets.exceptions.InvalidStatus as e:
        return e.response.status_code
    await ws.close()
    raise AssertionError("the handshake was accepted")


async def recv(ws: ClientConnection, timeout: float = TIMEOUT) -> bytes:
    """The next message, which must be binary (one Record per message, R-WS.14)."""
    data = await asyncio.wait_for(ws.recv(), timeout)
    assert isinstance(data, bytes), f"expected a binary message, got {data!r}"
    return data


async def expect_nothing(ws: ClientConnection, quiet: float = QUIET) -> None:
    """Asserts that no message arrives on `ws` for `quiet` seconds."""
    try:
        data = await asyncio.wait_for(ws.recv(), quiet)
    except TimeoutError:
        return
    raise AssertionError(f"unexpected message: {data!r}")


async def expect_close(ws: ClientConnection, timeout: float = TIMEOUT) -> tuple[int | None, str]:
    """Waits for the hub to close `ws`; returns the close code and reason it sent (None if the
    connection ended without a Close frame). Fails if a message arrives first."""
    try:
        data = await asyncio.wait_for(ws.recv(), timeout)
    except websockets.exceptions.ConnectionClosed as e:
        return (e.rcvd.code, e.rcvd.reason) if e.rcvd else (None, "")
    raise AssertionError(f"expected a close, got a message: {data!r}")


async def exchange(sender: ClientConnection, receiver: ClientConnection, from_id: str, to_id: str,
                   payload: bytes = b"ping") -> bytes:
    """Sends one Record from `sender` to `receiver` and checks it arrives byte-equal."""
    record = no_session_record(from_id, to_id, payload)
    await sender.send(record)
    got = await recv(receiver)
    assert got == record
    return got


# --- A raw client, for what a well-behaved library will not do ------------------------------

OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x1, 0x2, 0x8, 0x9, 0xA


UPGRADE_HEADERS = (
    "Upgrade: websocket",
    "Connection: Upgrade",
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",  # RFC 6455 §1.3's example key
    "Sec-WebSocket-Version: 13",
    "Sec-WebSocket-Protocol: v1.usp",
)


def raw_request(hub, request_line: str, *headers: str, timeout: float = TIMEOUT):
    """Sends a hand-written HTTP request head and reads the answer head. Returns (status line,
    lower-cased headers, the open socket); the status line is "" if the hub closed the
    connection without answering."""
    sock = socket.create_connection(("127.0.0.1", hub.ws_port), timeout=timeout)
    head = [request_line, f"Host: 127.0.0.1:{hub.ws_port}", *headers]
    sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
    answer = b""
    while b"\r\n\r\n" not in answer:
        chunk = sock.recv(4096)
        if not chunk:
            assert not answer, f"connection closed mid-answer: {answer!r}"
            return "", {}, sock
        answer += chunk
    head, _, rest = answer.partition(b"\r\n\r\n")
    status, *header_lines = head.decode().split("\r\n")
    fields = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        fields[name.strip().lower()] = value.strip()
    if status.startswith("HTTP/1.1 101"):
        assert not rest, "the raw client does not buffer frames sent with the answer"
    return status, fields, sock


def raw_handshake(hub, target: str, *extra_headers: str):
    """A hand-written WebSocket upgrade request for `target` (path and query)."""
    return raw_request(hub, f"GET {target} HTTP/1.1", *UPGRADE_HEADERS, *extra_headers)


def _read_exactly(sock: socket.socket, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError("connection closed")
        buf += chunk
    return buf


def read_frame(sock: socket.socket) -> tuple[int, bytes]:
    """One unmasked server frame: (opcode, payload)."""
    b0, b1 = _read_exactly(sock, 2)
    length = b1 & 0x7F
    if length == 126:
        (length,) = struct.unpack("!H", _read_exactly(sock, 2))
    elif length == 127:
        (length,) = struct.unpack("!Q", _read_exactly(sock, 8))
    assert not b1 & 0x80, "a server must not mask its frames"
    return b0 & 0x0F, _read_exactly(sock, length)


# --- Admin listener ------------------------------------------------------------------------

_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (\S+)$")


def metrics(hub) -> dict[str, float]:
    """The samples of /metrics, keyed by `name{labels}` as written by the hub."""
    status, body = hub.get("/metrics")
    assert status == 200
    samples = {}
    for line in body.decode().splitlines():
        m = _SAMPLE.match(line)
        if m:
            samples[m.group(1)] = float(m.group(2))
    return samples


def dropped(hub, reason: str) -> float:
    return metrics(hub)[f'usphub_records_dropped_total{{reason="{reason}"}}']


async def wait_for_metric(hub, sample: str, value: float, timeout: float = TIMEOUT) -> None:
    """Polls /metrics until `sample` equals `value`."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        current = await asyncio.to_thread(metrics, hub)
        if current.get(sample) == value:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{sample} is {current.get(sample)}, expected {value}")
        await asyncio.sleep(0.05)

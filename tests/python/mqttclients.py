"""MQTT clients we did not write, for the MQTT tests: paho-mqtt (5.0 and 3.1.1, over TCP or
WebSocket), the mosquitto_pub / mosquitto_sub programs (Debian package mosquitto-clients), a
blocking WebSocket USP client from the `websockets` library, and hand-built packets for a raw
socket. Nothing here comes from the hub's own code.

Every wait is bounded (TIMEOUT for what should happen now, QUIET for "nothing arrives").
"""

from __future__ import annotations

import queue
import shutil
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass

import paho.mqtt.client as paho
import pytest
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from websockets.sync.client import ClientConnection, connect as ws_sync_connect

from uspws import QUIET, SUBPROTOCOL, TIMEOUT, usp_uri

USP_CONTENT_TYPE = "usp.msg"
EID_PROPERTY = "usp-endpoint-id"
SUBSCRIBE_TOPIC_PROPERTY = "subscribe-topic"

# MQTT 5.0 reason codes (§2.4) the tests look for.
SUCCESS = 0x00
MALFORMED_PACKET = 0x81
PROTOCOL_ERROR = 0x82
BAD_USER_NAME_OR_PASSWORD = 0x86
NOT_AUTHORIZED = 0x87
PACKET_TOO_LARGE = 0x95
PAYLOAD_FORMAT_INVALID = 0x99
SESSION_TAKEN_OVER = 0x8E


def endpoint_topic(eid: str) -> str:
    return f"usp/v1/{eid}"


def reply_to_suffix(topic: str) -> str:
    """The 3.1.1 `/reply-to=` suffix naming `topic`, every "/" as %2F (R-MQTT.24)."""
    return "/reply-to=" + topic.replace("/", "%2F")


# --- WebSocket USP endpoints (blocking, so they mix with paho's threads) -------------------


def usp_ws(hub, eid: str) -> ClientConnection:
    """A USP WebSocket session as endpoint `eid` (subprotocol v1.usp, no compression)."""
    return ws_sync_connect(
        usp_uri(hub, eid),
        subprotocols=[SUBPROTOCOL],
        compression=None,
        proxy=None,
        open_timeout=TIMEOUT,
        close_timeout=TIMEOUT,
        ping_interval=None,
        max_size=None,
        legacy=True,  # a plain connection object, closed by `track`
    )


def ws_recv(ws: ClientConnection, timeout: float = TIMEOUT) -> bytes:
    try:
        data = ws.recv(timeout=timeout)
    except TimeoutError:
        raise AssertionError(f"no WebSocket message within {timeout}s") from None
    assert isinstance(data, bytes), f"expected a binary message, got {data!r}"
    return data


def ws_expect_nothing(ws: ClientConnection, quiet: float = QUIET) -> None:
    try:
        data = ws.recv(timeout=quiet)
    except TimeoutError:
        return
    raise AssertionError(f"unexpected WebSocket message: {data!r}")


# --- paho-mqtt -------------------------------------------------------------------------------


def _code(rc) -> int:
    """A paho ReasonCode (or int) as a number."""
    return rc.value if hasattr(rc, "value") else int(rc)


def prop(properties, name: str, default=None):
    """A property of a paho Properties object (absent ones are simply not set)."""
    return getattr(properties, name, default) if properties is not None else default


@dataclass
class ConnAck:
    reason_code: int
    session_present: bool
    properties: object  # paho Properties, or None on 3.1.1

    def user_properties(self) -> list[tuple[str, str]]:
        return list(prop(self.properties, "UserProperty", []))


class Paho:
    """A paho-mqtt client whose network loop runs in its own thread; what it receives lands in
    queues. It never reconnects by itself, so a server DISCONNECT stays visible."""

    def __init__(
        self,
        hub,
        *,
        version: int = 5,
        client_id: str = "",
        eid: str | None = None,
        request_response_information: bool = False,
        transport: str = "tcp",
        username: str | None = None,
        password: str | None = None,
        clean: bool = True,
        keepalive: int = 30,
    ):
        self.hub = hub
        self.version = version
        self.eid = eid
        self.request_response_information = request_response_information
        self.transport = transport
        self.clean = clean
        self.keepalive = keepalive
        protocol = paho.MQTTv5 if version == 5 else paho.MQTTv311
        self.client = paho.Client(
            callback_api_version=paho.CallbackAPIVersion.VERSION2,
            client_id=client_id,
            clean_session=None if version == 5 else clean,
            protocol=protocol,
            transport=transport,
            reconnect_on_failure=False,
        )
        if transport == "websockets":
            self.client.ws_set_options(path="/mqtt")
        if username is not None:
            self.client.username_pw_set(username, password)
        self.connacks: queue.Queue[ConnAck] = queue.Queue()
        self.messages: queue.Queue[paho.MQTTMessage] = queue.Queue()
        self.subacks: queue.Queue[tuple[int, list[int]]] = queue.Queue()
        self.acks: queue.Queue[tuple[int, int]] = queue.Queue()
        self.disconnects: queue.Queue[int] = queue.Queue()
        c = self.client
        c.on_connect = lambda _c, _u, flags, rc, props: self.connacks.put(
            ConnAck(_code(rc), bool(getattr(flags, "session_present", False)), props)
        )
        c.on_message = lambda _c, _u, msg: self.messages.put(msg)
        c.on_subscribe = lambda _c, _u, mid, rcs, _p: self.subacks.put((mid, [_code(r) for r in rcs]))
        c.on_publish = lambda _c, _u, mid, rc, _p: self.acks.put((mid, _code(rc)))
        c.on_disconnect = self._on_disconnect
        self.started = False
        self.ended = False

    def _on_disconnect(self, _client, _userdata, _flags, rc, _properties) -> None:
        # paho leaves is_connected() true after a server DISCONNECT: keep our own record.
        self.ended = True
        self.disconnects.put(_code(rc))

    @property
    def port(self) -> int:
        return self.hub.ws_port if self.transport == "websockets" else self.hub.mqtt_port

    def connect(self, timeout: float = TIMEOUT) -> ConnAck:
        """Sends CONNECT and returns the CONNACK (whatever its reason code)."""
        kwargs = {}
        if self.version == 5:
            props = Properties(PacketTypes.CONNECT)
            if self.eid is not None:
                props.UserProperty = (EID_PROPERTY, self.eid)
            if self.request_response_information:
                props.RequestResponseInformation = 1
            kwargs = {"clean_start": self.clean, "properties": props}
        self.client.connect("127.0.0.1", self.port, self.keepalive, **kwargs)
        self.client.loop_start()
        self.started = True
        try:
            return self.connacks.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no CONNACK within {timeout}s") from None

    def connected(self) -> ConnAck:
        """Connects and insists on success."""
        ack = self.connect()
        assert ack.reason_code == SUCCESS, f"CONNACK reason code {ack.reason_code:#x}"
        return ack

    def subscribe(self, *filters: str, qos: int = 1) -> list[int]:
        """Subscribes and returns the SUBACK's reason codes (granted QoS, or an error)."""
        rc, mid = self.client.subscribe([(f, qos) for f in filters])
        assert rc == paho.MQTT_ERR_SUCCESS, f"subscribe not sent: {rc}"
        try:
            got_mid, codes = self.subacks.get(timeout=TIMEOUT)
        except queue.Empty:
            raise AssertionError("no SUBACK in time") from None
        assert got_mid == mid
        return codes

    def subscribed(self, *filters: str, qos: int = 1) -> None:
        codes = self.subscribe(*filters, qos=qos)
        assert all(c < 0x80 for c in codes), f"SUBACK refused: {[hex(c) for c in codes]}"

    def publish(
        self,
        topic: str,
        payload: bytes,
        *,
        qos: int = 1,
        retain: bool = False,
        content_type: str | None = None,
        response_topic: str | None = None,
        wait: bool = True,
    ) -> int | None:
        """Publishes; with `wait` and QoS > 0 it returns the PUBACK/PUBCOMP reason code. Without
        `wait` nothing is checked: for a PUBLISH the hub answers by closing the connection."""
        props = None
        if self.version == 5 and (content_type or response_topic):
            props = Properties(PacketTypes.PUBLISH)
            if content_type:
                props.ContentType = content_type
            if response_topic:
                props.ResponseTopic = response_topic
        info = self.client.publish(topic, payload, qos=qos, retain=retain, properties=props)
        if not wait:
            # The hub may close the connection in answer before paho has returned from
            # publish(), which then reports MQTT_ERR_NO_CONN although the packet was sent.
            return None
        assert info.rc == paho.MQTT_ERR_SUCCESS, f"publish not sent: {info.rc}"
        if qos == 0:
            return None
        try:
            mid, code = self.acks.get(timeout=TIMEOUT)
        except queue.Empty:
            raise AssertionError(f"no acknowledgement of the QoS {qos} PUBLISH in time") from None
        assert mid == info.mid
        return code

    def publish_record(self, topic: str, record: bytes, *, response_topic: str | None = None, qos: int = 1) -> None:
        """A USP Record as TR-369 says: Content Type usp.msg and a Response Topic (5.0)."""
        kwargs = {"content_type": USP_CONTENT_TYPE, "response_topic": response_topic} if self.version == 5 else {}
        code = self.publish(topic, record, qos=qos, **kwargs)
        assert code in (None, SUCCESS, 0x10), f"PUBLISH acknowledged with {code:#x}"

    def next_message(self, timeout: float = TIMEOUT) -> paho.MQTTMessage:
        try:
            return self.messages.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no PUBLISH within {timeout}s") from None

    def expect_nothing(self, quiet: float = QUIET) -> None:
        try:
            msg = self.messages.get(timeout=quiet)
        except queue.Empty:
            return
        raise AssertionError(f"unexpected PUBLISH on {msg.topic!r}: {msg.payload!r}")

    def next_disconnect(self, timeout: float = TIMEOUT) -> int:
        """The reason code of the connection's end (the server's DISCONNECT on 5.0)."""
        try:
            return self.disconnects.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"still connected after {timeout}s") from None

    def is_connected(self) -> bool:
        return self.started and not self.ended and self.client.is_connected()

    def close(self) -> None:
        if self.started:
            if self.is_connected():
                self.client.disconnect()
            self.client.loop_stop()
            self.started = False


# --- mosquitto_pub / mosquitto_sub -----------------------------------------------------------


def mosquitto(program: str) -> str:
    """The path of mosquitto_pub or mosquitto_sub; fails (never skips) when missing."""
    path = shutil.which(program)
    if path is None:
        pytest.fail(
            f"{program} not found: install the Debian package mosquitto-clients "
            "(apt-get install -y mosquitto-clients); CI installs it",
            pytrace=False,
        )
    return path


def mosquitto_pub(
    hub,
    topic: str,
    payload: bytes | None,
    *,
    version: str = "mqttv5",
    qos: int = 1,
    retain: bool = False,
    client_id: str | None = None,
    extra: tuple[str, ...] = (),
) -> None:
    """Runs mosquitto_pub once and checks it succeeded. `payload` None sends a zero-length
    message (-n); bytes go through stdin (-s), so any payload is sent unchanged."""
    args = [mosquitto("mosquitto_pub"), "-h", "127.0.0.1", "-p", str(hub.mqtt_port), "-V", version,
            "-t", topic, "-q", str(qos)]  # fmt: skip
    args += ["-n"] if payload is None else ["-s"]
    if retain:
        args.append("-r")
    if client_id is not None:
        args += ["-i", client_id]
    args += list(extra)
    done = subprocess.run(args, input=payload or b"", capture_output=True, timeout=TIMEOUT * 2)
    assert done.returncode == 0, f"mosquitto_pub {args[1:]} exited {done.returncode}: {done.stderr!r}"


@dataclass
class Received:
    topic: str
    retain: bool
    qos: int
    payload: bytes
    content_type: str


class MosquittoSub:
    """mosquitto_sub as a subprocess with debug output (-d) and a parseable message format.
    A reader thread puts its output lines into a queue."""

    # Topic, retain flag, QoS, content type (5.0), payload in hex; test topics contain no "|".
    FORMAT = "MSG|%t|%r|%q|%C|%x"

    def __init__(
        self,
        hub,
        *topics: str,
        version: str = "mqttv5",
        qos: int = 0,
        client_id: str | None = None,
        count: int | None = None,
        wait: int = 10,
        extra: tuple[str, ...] = (),
    ):
        args = [mosquitto("mosquitto_sub"), "-h", "127.0.0.1", "-p", str(hub.mqtt_port), "-V", version,
                "-d", "-F", self.FORMAT, "-q", str(qos), "-W", str(wait)]  # fmt: skip
        for t in topics:
            args += ["-t", t]
        if client_id is not None:
            args += ["-i", client_id]
        if count is not None:
            args += ["-C", str(count)]
        args += list(extra)
        # Line-buffered stdout: through a pipe its output would otherwise wait for the exit.
        stdbuf = shutil.which("stdbuf")
        if stdbuf:
            args = [stdbuf, "-oL", *args]
        self.args = args
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.log: list[str] = []
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for raw in self.proc.stdout:
            line = raw.decode(errors="replace").rstrip("\n")
            self.log.append(line)
            self.lines.put(line)
        self.lines.put(None)

    def output(self) -> str:
        return "\n".join(self.log)

    def wait_line(self, predicate, what: str, timeout: float = TIMEOUT) -> str:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            try:
                line = self.lines.get(timeout=max(left, 0.001))
            except queue.Empty:
                raise AssertionError(f"mosquitto_sub: no {what} within {timeout}s; output:\n{self.output()}") from None
            if line is None:
                self.lines.put(None)  # keep the end visible to later waits
                raise AssertionError(f"mosquitto_sub ended before {what}; output:\n{self.output()}")
            if predicate(line):
                return line

    def wait_connected(self) -> None:
        line = self.wait_line(lambda s: "received CONNACK" in s, "CONNACK")
        assert line.endswith("(0)"), f"mosquitto_sub refused: {line}"

    def wait_subscribed(self) -> list[int]:
        """Waits for the SUBACK; returns its codes, which must all grant a QoS."""
        line = self.wait_line(lambda s: s.startswith("Subscribed (mid:"), "SUBACK")
        codes = [int(c) for c in line.split("):", 1)[1].split(",")]
        assert all(c < 0x80 for c in codes), f"subscription refused: {line}"
        return codes

    def next_message(self, timeout: float = TIMEOUT) -> Received:
        line = self.wait_line(lambda s: s.startswith("MSG|"), "message", timeout)
        _, topic, retain, qos, content_type, payload_hex = line.split("|")
        return Received(topic, retain == "1", int(qos), bytes.fromhex(payload_hex), content_type)

    def signal(self, sig: signal.Signals) -> None:
        self.proc.send_signal(sig)

    def finish(self, timeout: float = TIMEOUT) -> int:
        """Waits for the program to exit; returns its exit status."""
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"mosquitto_sub still running after {timeout}s; output:\n{self.output()}") from None
        self.reader.join(TIMEOUT)
        return code

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()


# --- Raw MQTT packets, for what no client library sends -------------------------------------


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | 0x80 if n else byte)
        if not n:
            return bytes(out)


def mqtt_string(s: bytes | str) -> bytes:
    b = s.encode() if isinstance(s, str) else s
    return len(b).to_bytes(2, "big") + b


def packet(first: int, body: bytes) -> bytes:
    return bytes([first]) + varint(len(body)) + body


def connect_v5(client_id: str, *, keep_alive: int = 30, eid: str | None = None) -> bytes:
    """A 5.0 CONNECT with Clean Start (and `usp-endpoint-id` when `eid` is given)."""
    props = b""
    if eid is not None:
        props = b"\x26" + mqtt_string(EID_PROPERTY) + mqtt_string(eid)
    body = mqtt_string("MQTT") + bytes([5, 0x02]) + keep_alive.to_bytes(2, "big") + varint(len(props)) + props
    return packet(0x10, body + mqtt_string(client_id))


def connect_v311(client_id: str, *, keep_alive: int = 30) -> bytes:
    body = mqtt_string("MQTT") + bytes([4, 0x02]) + keep_alive.to_bytes(2, "big")
    return packet(0x10, body + mqtt_string(client_id))


def publish_v5_qos0(topic: bytes, payload: bytes) -> bytes:
    """A QoS 0 PUBLISH with no properties; `topic` is raw bytes (it may be bad UTF-8)."""
    return packet(0x30, len(topic).to_bytes(2, "big") + topic + b"\x00" + payload)


def read_packets(sock: socket.socket, timeout: float = TIMEOUT) -> tuple[list[tuple[int, bytes]], bool]:
    """Reads until the hub closes the connection (or `timeout` passes). Returns the packets
    received as (first byte, body) and whether the connection was closed."""
    sock.settimeout(timeout)
    data, closed = b"", False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            break
        except ConnectionResetError:
            closed = True
            break
        if not chunk:
            closed = True
            break
        data += chunk
    packets = []
    while data:
        first, i, length, shift = data[0], 1, 0, 0
        while True:
            b = data[i]
            length |= (b & 0x7F) << shift
            shift += 7
            i += 1
            if not b & 0x80:
                break
        packets.append((first, data[i : i + length]))
        data = data[i + length :]
    return packets, closed


def raw_exchange(hub, wire: bytes, timeout: float = TIMEOUT) -> list[tuple[int, bytes]]:
    """Sends `wire` on a fresh TCP connection to the MQTT port and returns what the hub sent
    before closing. Fails if the hub keeps the connection open."""
    with socket.create_connection(("127.0.0.1", hub.mqtt_port), timeout=timeout) as sock:
        sock.sendall(wire)
        packets, closed = read_packets(sock, timeout)
    assert closed, f"the hub kept the connection open; it sent {packets!r}"
    return packets

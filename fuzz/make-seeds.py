#!/usr/bin/env python3
"""Writes the seed corpora fuzz/corpus/<target>/seed-* from hand-built valid frames.

Standard library only. Run from anywhere: python3 fuzz/make-seeds.py. The seeds are committed;
re-run this only to change them (it deletes the old seed-* files of each target first).
Each seed is a small, valid stream for its decoder, so the fuzzer starts past the framing and
mutates real packets instead of guessing a sync word or a length prefix.
"""
import pathlib
import struct

ROOT = pathlib.Path(__file__).resolve().parent / "corpus"

# ---------------------------------------------------------------- protobuf (USP Record)

def pb_varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)

def pb_key(field, wt):
    return pb_varint(field << 3 | wt)

def pb_len(field, value):
    if isinstance(value, str):
        value = value.encode()
    return pb_key(field, 2) + pb_varint(len(value)) + value

def pb_vint(field, n):
    return pb_key(field, 0) + pb_varint(n)

def usp_msg(msg_id="1", to="Device.DeviceInfo."):
    # usp.Msg { header { msg_id=1, msg_type=1 (GET) }, body { request { get { param_paths=1 } } } }
    header = pb_len(1, msg_id) + pb_vint(2, 1)
    get = pb_len(1, to) + pb_vint(2, 1)
    request = pb_len(1, get)
    body = pb_len(1, request)
    return pb_len(1, header) + pb_len(2, body)

def record(to_id="proto::agent", from_id="proto::controller", kind=7, inner=None,
           version="1.3", security=None, mac=None, cert=None):
    """usp_record.Record; kind is the record_type field number (7..13)."""
    out = pb_len(1, version) + pb_len(2, to_id) + pb_len(3, from_id)
    if security is not None:
        out += pb_vint(4, security)
    if mac is not None:
        out += pb_len(5, mac)
    if cert is not None:
        out += pb_len(6, cert)
    return out + pb_len(kind, inner if inner is not None else b"")

NSC = pb_len(2, usp_msg())  # NoSessionContextRecord { payload = 2 }
# SessionContextRecord { session_id, sequence_id, expected_id, retransmit_id,
# payload_sar_state, payloadrec_sar_state, repeated payload = 7 }
SC = (pb_vint(1, 42) + pb_vint(2, 7) + pb_vint(3, 8) + pb_vint(4, 0)
      + pb_vint(5, 1) + pb_vint(6, 0) + pb_len(7, usp_msg("2")) + pb_len(7, b"more"))
MQTT_CONNECT_REC = pb_vint(1, 1) + pb_len(2, "usp/agent/proto::agent")
STOMP_CONNECT_REC = pb_vint(1, 0) + pb_len(2, "/queue/agent")
DISCONNECT_REC = pb_len(1, "shutting down") + pb_key(2, 5) + struct.pack("<I", 7003)  # fixed32

USP_RECORD = record(inner=NSC)

# ---------------------------------------------------------------- MQTT

def m_varint(n):
    out = bytearray()
    while True:
        b = n % 128
        n //= 128
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)

def m_str(s):
    if isinstance(s, str):
        s = s.encode()
    return struct.pack(">H", len(s)) + s

def m_packet(first, body):
    return bytes([first]) + m_varint(len(body)) + body

def m_props(*props):
    body = b"".join(props)
    return m_varint(len(body)) + body

def p_byte(pid, v): return bytes([pid, v])
def p_u16(pid, v): return bytes([pid]) + struct.pack(">H", v)
def p_u32(pid, v): return bytes([pid]) + struct.pack(">I", v)
def p_str(pid, s): return bytes([pid]) + m_str(s)
def p_var(pid, v): return bytes([pid]) + m_varint(v)
def p_user(k, v): return bytes([0x26]) + m_str(k) + m_str(v)

def connect(v5, client_id="proto::agent", will=False, user=None, password=None, clean=True,
            keepalive=30, props=b""):
    flags = (0x02 if clean else 0)
    if will:
        flags |= 0x04 | (1 << 3) | 0x20  # will, will QoS 1, will retain
    if user is not None:
        flags |= 0x80
    if password is not None:
        flags |= 0x40
    body = m_str("MQTT") + bytes([5 if v5 else 4, flags]) + struct.pack(">H", keepalive)
    if v5:
        body += m_props(props) if props else m_props(
            p_u32(0x11, 3600), p_u16(0x21, 20), p_u32(0x27, 1 << 20), p_u16(0x22, 10),
            p_byte(0x19, 1), p_byte(0x17, 1), p_user("usp-endpoint-id", client_id))
    body += m_str(client_id)
    if will:
        if v5:
            body += m_props(p_u32(0x18, 5), p_byte(0x01, 1), p_str(0x03, "text/plain"),
                            p_str(0x08, "resp/topic"), bytes([0x09]) + m_str(b"\x01\x02"))
        body += m_str("usp/will") + m_str(b"gone")
    if user is not None:
        body += m_str(user)
    if password is not None:
        body += m_str(password)
    return m_packet(0x10, body)

def publish(v5, topic, payload, qos=0, pid=1, retain=False, dup=False, props=None):
    first = 0x30 | (qos << 1) | (1 if retain else 0) | (0x08 if dup else 0)
    body = m_str(topic)
    if qos:
        body += struct.pack(">H", pid)
    if v5:
        body += m_props(*(props if props is not None else [
            p_byte(0x01, 0), p_u32(0x02, 60), p_str(0x03, "application/vnd.bbf.usp.msg"),
            p_str(0x08, "usp/controller/proto::controller"),
            bytes([0x09]) + m_str(b"corr"), p_user("usp-err-id", "x")]))
    return m_packet(first, body + payload)

def subscribe(v5, pid, filters):
    body = struct.pack(">H", pid)
    if v5:
        body += m_props(p_var(0x0B, 5), p_user("k", "v"))
    for f, opts in filters:
        body += m_str(f) + bytes([opts])
    return m_packet(0x82, body)

def unsubscribe(v5, pid, filters):
    body = struct.pack(">H", pid) + (m_props() if v5 else b"")
    return m_packet(0xA2, body + b"".join(m_str(f) for f in filters))

def ack(first, v5, pid, reason=0, props=b""):
    body = struct.pack(">H", pid)
    if v5:
        body += bytes([reason]) + m_props(props) if (reason or props) else b""
    return m_packet(first, body)

def connack(v5, present=False, reason=0):
    body = bytes([1 if present else 0, reason])
    if v5:
        body += m_props(p_u32(0x11, 0), p_u16(0x21, 10), p_byte(0x24, 1), p_byte(0x25, 1),
                        p_u32(0x27, 65536), p_str(0x12, "assigned"), p_u16(0x22, 5),
                        p_str(0x1F, "ok"), p_byte(0x28, 1), p_byte(0x29, 1), p_byte(0x2A, 1),
                        p_u16(0x13, 60), p_str(0x1A, "usp/resp/"))
    return m_packet(0x20, body)

def suback(v5, pid, codes):
    body = struct.pack(">H", pid) + (m_props(p_str(0x1F, "ok")) if v5 else b"")
    return m_packet(0x90, body + bytes(codes))

def unsuback(v5, pid, codes):
    body = struct.pack(">H", pid)
    if v5:
        body += m_props() + bytes(codes)
    return m_packet(0xB0, body)

def disconnect(v5, reason=0):
    if not v5:
        return b"\xe0\x00"
    return m_packet(0xE0, bytes([reason]) + m_props(p_u32(0x11, 0), p_str(0x1F, "bye")))

def mqtt_seeds():
    topic = "usp/agent/proto::agent"
    s = {}
    v5_after_connect = [
        # QoS 1 + No Local; shared: QoS 2, Retain As Published, Retain Handling 2.
        subscribe(True, 1, [("usp/agent/+/#", 0x05), ("$share/g/usp/x", 0x2A)]),
        publish(True, topic, USP_RECORD, qos=0),
        publish(True, topic, USP_RECORD[:20], qos=1, pid=2),
        publish(True, topic, b"", qos=2, pid=3, props=[p_u16(0x23, 1)]),
        ack(0x62, True, 3),
        ack(0x40, True, 9, reason=0x10, props=p_str(0x1F, "no subscribers")),
        unsubscribe(True, 4, ["usp/agent/+/#"]),
        b"\xc0\x00",
        disconnect(True, 0x04),
    ]
    s["v5-server-session"] = connect(True, user="agent", password=b"secret") + b"".join(v5_after_connect)
    # Without the CONNECT, for the decoders already past it.
    s["v5-after-connect"] = b"".join(v5_after_connect[:-1])
    v311_after_connect = [
        subscribe(False, 1, [("usp/#", 1), ("a/b", 0)]),
        publish(False, topic, USP_RECORD, qos=1, pid=7, retain=True),
        ack(0x40, False, 7), ack(0x50, False, 8), ack(0x62, False, 8), ack(0x70, False, 8),
        unsubscribe(False, 2, ["usp/#"]),
        b"\xc0\x00",
        disconnect(False),
    ]
    s["v311-server-session"] = (connect(False, client_id="c1", will=True, user="u", password=b"p")
                                + b"".join(v311_after_connect))
    s["v311-after-connect"] = b"".join(v311_after_connect[:4])
    s["v5-connect-will-auth"] = connect(
        True, will=True, user="agent", clean=False, keepalive=0,
        props=b"".join([p_u32(0x11, 60), p_str(0x15, "SCRAM-SHA-1"),
                        bytes([0x16]) + m_str(b"client-first"), p_byte(0x17, 0)])) + \
        m_packet(0xF0, bytes([0x18]) + m_props(p_str(0x15, "SCRAM-SHA-1")))
    s["v5-client-session"] = b"".join([
        connack(True, present=True),
        suback(True, 1, [0x00, 0x01, 0x02, 0x80]),
        publish(True, "usp/controller/x", USP_RECORD, qos=1, pid=5,
                props=[p_var(0x0B, 5), p_str(0x08, "reply/here")]),
        ack(0x40, True, 6), ack(0x50, True, 7), ack(0x62, True, 7, reason=0x92), ack(0x70, True, 7),
        unsuback(True, 4, [0x00, 0x11]),
        b"\xd0\x00",
        disconnect(True, 0x8E),
    ])
    s["v311-client-session"] = b"".join([
        connack(False, reason=0),
        suback(False, 1, [0x00, 0x01, 0x80]),
        publish(False, "usp/controller/x", b"payload", qos=2, pid=9, dup=True),
        ack(0x40, False, 6), ack(0x50, False, 9), ack(0x62, False, 9), ack(0x70, False, 9),
        unsuback(False, 4, []),
        b"\xd0\x00",
    ])
    s["v311-connect-refused"] = connack(False, reason=5)
    return s

# ---------------------------------------------------------------- STOMP

def stomp(command, headers, body=b"", content_length=True):
    head = command + "\n"
    hdrs = list(headers)
    if body and content_length:
        hdrs.append(("content-length", str(len(body))))
    for k, v in hdrs:
        head += f"{k}:{v}\n"
    return head.encode() + b"\n" + body + b"\0"

def stomp_seeds():
    s = {}
    s["client-session"] = b"".join([
        stomp("CONNECT", [("accept-version", "1.0,1.1,1.2"), ("host", "usp"), ("login", "agent"),
                          ("passcode", "secret"), ("heart-beat", "10000,30000"),
                          ("endpoint-id", "proto::agent")]),
        stomp("SUBSCRIBE", [("id", "0"), ("destination", "/queue/agent"), ("ack", "auto")]),
        stomp("SEND", [("destination", "/queue/controller"),
                       ("content-type", "application/vnd.bbf.usp.msg"),
                       ("reply-to-dest", "/queue/agent")], USP_RECORD),
        b"\n", b"\r\n",
        stomp("UNSUBSCRIBE", [("id", "0")]),
        stomp("DISCONNECT", [("receipt", "77")]),
    ])
    s["server-session"] = b"".join([
        stomp("CONNECTED", [("version", "1.2"), ("heart-beat", "0,10000"), ("server", "usphub/0.1"),
                            ("subscribe-dest", "/queue/agent")]),
        stomp("MESSAGE", [("subscription", "0"), ("message-id", "1"), ("destination", "/queue/agent"),
                          ("content-type", "application/vnd.bbf.usp.msg")], USP_RECORD),
        b"\n",
        stomp("RECEIPT", [("receipt-id", "77")]),
        stomp("ERROR", [("message", "malformed frame"), ("content-type", "text/plain")], b"details\n"),
    ])
    # STOMP 1.2 escapes, CRLF line ends, a repeated header (first wins), a body with a NUL
    # framed by content-length, and a body without content-length ended by the NUL.
    s["escapes-crlf"] = (
        b"STOMP\r\naccept-version:1.2\r\nhost:a\\cb\\\\c\\nd\\re\r\n\r\n\0"
        + b"SEND\r\ndestination:/q\r\nx:1\r\nx:2\r\ncontent-length:3\r\n\r\na\0b\0"
        + stomp("SEND", [("destination", "/q")], b"plain text", content_length=False)
        + stomp("ACK", [("id", "1"), ("transaction", "t1")])
        + stomp("NACK", [("id", "2")])
        + stomp("BEGIN", [("transaction", "t1")])
        + stomp("COMMIT", [("transaction", "t1")])
        + stomp("ABORT", [("transaction", "t1")])
    )
    return s

# ---------------------------------------------------------------- UDS

def uds_tlv(t, value):
    if isinstance(value, str):
        value = value.encode()
    return bytes([t]) + struct.pack(">I", len(value)) + value

def uds_frame(*tlvs):
    payload = b"".join(tlvs)
    return b"_USP" + struct.pack(">I", len(payload)) + payload

def uds_seeds():
    s = {}
    s["session"] = b"".join([
        uds_frame(uds_tlv(1, "proto::agent")),
        uds_frame(uds_tlv(3, USP_RECORD)),
        uds_frame(uds_tlv(1, "proto::agent"), uds_tlv(3, record(kind=13))),
        uds_frame(),
        uds_frame(uds_tlv(9, b"\x00\x01"), uds_tlv(3, b"")),
        uds_frame(uds_tlv(2, "bye")),
    ])
    s["big-record"] = uds_frame(uds_tlv(3, record(inner=pb_len(2, b"\xab" * 100))))
    return s

# ---------------------------------------------------------------- USP Record header

def usp_seeds():
    s = {}
    s["no-session"] = USP_RECORD
    s["session-context"] = record(kind=8, inner=SC, security=1, mac=b"\x01" * 8, cert=b"cert")
    s["ws-connect"] = record(kind=9)
    s["mqtt-connect"] = record(kind=10, inner=MQTT_CONNECT_REC)
    s["stomp-connect"] = record(kind=11, inner=STOMP_CONNECT_REC)
    s["disconnect"] = record(kind=12, inner=DISCONNECT_REC)
    s["uds-connect"] = record(kind=13)
    # Merge: a second Record appended; the last to_id and record_type win.
    s["merged"] = record(kind=9) + record(to_id="other::agent", kind=7, inner=NSC)
    # Unknown fields of every wire type, a group, and a nested one.
    s["unknown-fields"] = (record(kind=7, inner=NSC) + pb_vint(20, 5)
                           + pb_key(21, 1) + b"\0" * 8 + pb_key(22, 5) + b"\0" * 4
                           + pb_len(23, b"xx") + pb_key(24, 3) + pb_vint(1, 1)
                           + pb_key(25, 3) + pb_key(25, 4) + pb_key(24, 4))
    s["missing-from"] = pb_len(1, "1.3") + pb_len(2, "a::b") + pb_len(7, b"")
    return s

# ---------------------------------------------------------------- WebSocket handshake

def http(path, headers, method="GET", version="1.1", trailing=b""):
    head = f"{method} {path} HTTP/{version}\r\n"
    for k, v in headers:
        head += f"{k}: {v}\r\n"
    return head.encode() + b"\r\n" + trailing

UPGRADE = [("Host", "hub.example:8080"), ("Upgrade", "websocket"), ("Connection", "keep-alive, Upgrade"),
           ("Sec-WebSocket-Version", "13"), ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")]

def ws_seeds():
    s = {}
    s["usp-query-eid"] = http("/usp?eid=os%3A%3A012345-OBUSPA-WS",
                              UPGRADE + [("Sec-WebSocket-Protocol", "v1.usp")], trailing=b"\x82\x00")
    s["usp-extension-eid"] = http("/usp", UPGRADE + [
        ("Sec-WebSocket-Protocol", "chat, v1.usp"),
        ("Sec-WebSocket-Extensions",
         'permessage-deflate; client_max_window_bits, bbf-usp-protocol; eid="oui:00256D:my-\\"id\\"-42"')])
    s["usp-both-eids"] = http("/usp?x=1&eid=a%3A%3Ab", UPGRADE + [
        ("Sec-WebSocket-Protocol", "v1.usp"), ("Sec-WebSocket-Extensions", "bbf-usp-protocol;eid=a::b")])
    s["mqtt"] = http("/mqtt", UPGRADE + [("Sec-WebSocket-Protocol", "mqttv3.1, mqtt")])
    s["root-path-post"] = http("/?eid=self%3A%3Ax", UPGRADE + [("Sec-WebSocket-Protocol", "v1.usp")],
                               method="POST", version="1.0")
    s["plain-get"] = http("/usp?eid=%FF", [("Host", "x"), ("Sec-WebSocket-Version", "8")])
    # The deprecated extension, quoted with a comma inside, as the only eid source.
    s["ext-only"] = ('bbf-usp-protocol; eid="a::b,c"; x=y, other').encode()
    return s

# ----------------------------------------------------------------

def main():
    targets = {
        "mqtt_decode": mqtt_seeds(),
        "stomp_decode": stomp_seeds(),
        "uds_decode": uds_seeds(),
        "usp_header": usp_seeds(),
        "ws_handshake": ws_seeds(),
    }
    for target, seeds in targets.items():
        d = ROOT / target
        d.mkdir(parents=True, exist_ok=True)
        for old in d.glob("seed-*"):
            old.unlink()
        total = 0
        for name, data in seeds.items():
            (d / f"seed-{name}").write_bytes(data)
            total += len(data)
        print(f"{target}: {len(seeds)} seeds, {total} bytes")

if __name__ == "__main__":
    main()

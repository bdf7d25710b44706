"""Malformed MQTT packets, hand-built and sent from a raw socket: each connection gets the
answer MQTT prescribes (5.0: DISCONNECT with a reason code, then close; 3.1.1: close), while a
paho client on the same hub stays connected and keeps working.
"""

from __future__ import annotations

import pytest

from mqttclients import (
    MALFORMED_PACKET,
    PACKET_TOO_LARGE,
    PROTOCOL_ERROR,
    Paho,
    connect_v5,
    connect_v311,
    packet,
    publish_v5_qos0,
    raw_exchange,
    varint,
)

MAX_PACKET_SIZE = 1024
CONFIG = f'[mqtt]\nmax_packet_size = {MAX_PACKET_SIZE}\nacl_subscribe = ["#"]\n'

CONNACK, DISCONNECT = 0x20, 0xE0
ACCEPTED_V5 = 0x00  # CONNACK reason code (byte 2 of its body)

CASES = [
    # id, bytes, the packets expected after the CONNACK (None: no CONNACK either)
    pytest.param(b"\xc0\x00", None, id="PINGREQ before CONNECT: closed"),
    pytest.param(packet(0x82, b"\x00\x01" + b"\x00\x01a\x00"), None, id="SUBSCRIBE before CONNECT: closed"),
    pytest.param(connect_v5("raw-1") + b"\x30\xff\xff\xff\xff\x7f", [(DISCONNECT, MALFORMED_PACKET)],
                 id="remaining length over 4 bytes: 0x81"),  # fmt: skip
    pytest.param(connect_v5("raw-2") + publish_v5_qos0(b"\x81", b"x"), [(DISCONNECT, MALFORMED_PACKET)],
                 id="topic not UTF-8 (0x81): 0x81"),  # fmt: skip
    pytest.param(connect_v5("raw-3") + publish_v5_qos0(b"a\x00b", b"x"), [(DISCONNECT, MALFORMED_PACKET)],
                 id="topic with U+0000: 0x81"),  # fmt: skip
    pytest.param(connect_v5("raw-4") + connect_v5("raw-4"), [(DISCONNECT, PROTOCOL_ERROR)], id="second CONNECT: 0x82"),
    pytest.param(connect_v5("raw-5") + b"\x30" + varint(2 * MAX_PACKET_SIZE) + b"\x00\x01t" + b"x" * 100,
                 [(DISCONNECT, PACKET_TOO_LARGE)], id="packet over max_packet_size: 0x95"),  # fmt: skip
]


def bystander(hub, track) -> Paho:
    c = track(Paho(hub, client_id="bystander"))
    c.connected()
    c.subscribed("chat/#")
    return c


def still_works(c: Paho, n: int) -> None:
    assert c.is_connected(), f"the bystander was disconnected ({c.disconnects.queue})"
    payload = f"still here {n}".encode()
    c.publish(f"chat/{n}", payload)
    msg = c.next_message()
    assert (msg.topic, msg.payload) == (f"chat/{n}", payload)


@pytest.mark.parametrize(("wire", "after_connack"), CASES)
def test_malformed_v5_packet_is_answered_and_others_carry_on(start_hub, track, wire, after_connack):
    hub = start_hub(CONFIG, mqtt=True)
    c = bystander(hub, track)
    got = raw_exchange(hub, wire)
    if after_connack is None:
        assert got == [], "closed without a word [MQTT-3.1.0-1]"
    else:
        assert got and got[0][0] == CONNACK, f"expected CONNACK first, got {got!r}"
        assert got[0][1][1] == ACCEPTED_V5
        answers = [(first, body[0] if body else 0) for first, body in got[1:]]
        assert answers == after_connack
    still_works(c, 1)


def test_malformed_v311_packet_closes_without_disconnect(start_hub, track):
    """3.1.1 has no server DISCONNECT: a bad packet just ends the connection."""
    hub = start_hub(CONFIG, mqtt=True)
    c = bystander(hub, track)
    for i, bad in enumerate([
        b"\x30\xff\xff\xff\xff\x7f",
        publish_v5_qos0(b"\x81", b"x"),  # no properties byte on 3.1.1: topic \x81, payload \x00x
        connect_v311("raw-v3"),
    ]):  # fmt: skip
        got = raw_exchange(hub, connect_v311(f"raw-v3-{i}") + bad)
        assert got == [(CONNACK, b"\x00\x00")], f"case {i}: {got!r}"
        still_works(c, i)


def test_many_bad_connections_do_not_disturb_a_session(start_hub, track):
    """Every case above, one after the other, against one hub and one paho client."""
    hub = start_hub(CONFIG, mqtt=True)
    c = bystander(hub, track)
    for i, case in enumerate(CASES):
        raw_exchange(hub, case.values[0])
        still_works(c, i)
    assert c.disconnects.empty()

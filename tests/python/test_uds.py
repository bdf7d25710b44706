"""The hub's Unix-domain-socket MTP driven by a hand-written client (framing with `struct`, from
TR-369 §UNIX Domain Socket, see /work/shared/reference/usp-mtp.md §8), with a WebSocket endpoint
from the `websockets` library on the other side.

    | "_USP" | length u32 BE | type u8 | len u32 BE | value | ... |
"""

from __future__ import annotations

import asyncio
import os
import socket
import stat
import struct

from uspws import (
    TIMEOUT,
    Header,
    Record,
    connect,
    expect_nothing,
    get_msg,
    get_resp_msg,
    no_session_record,
    parse_msg,
    parse_record,
    recv,
)

AGENT = "os::012345-PYUDS"
CONTROLLER = "self::py-controller"

SYNC = b"_USP"
HANDSHAKE, ERROR, RECORD = 1, 2, 3


def run(coro):
    """Runs one test coroutine with an overall bound, so a failure never hangs the suite."""

    async def bounded():
        return await asyncio.wait_for(coro, 30)

    return asyncio.run(bounded())


def frame(*tlvs: tuple[int, bytes]) -> bytes:
    payload = b"".join(struct.pack("!BI", kind, len(value)) + value for kind, value in tlvs)
    return SYNC + struct.pack("!I", len(payload)) + payload


def read_exactly(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError(f"closed after {len(data)} of {n} bytes")
        data += chunk
    return data


def read_frame(sock: socket.socket) -> list[tuple[int, bytes]]:
    """One frame from the hub, as its (type, value) TLVs."""
    header = read_exactly(sock, 8)
    assert header[:4] == SYNC, header
    (length,) = struct.unpack("!I", header[4:])
    payload = read_exactly(sock, length)
    tlvs, at = [], 0
    while at < length:
        kind, size = struct.unpack("!BI", payload[at : at + 5])
        tlvs.append((kind, payload[at + 5 : at + 5 + size]))
        at += 5 + size
    assert at == length, "TLV lengths add up to the frame length"
    return tlvs


def uds_client(hub) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(TIMEOUT)
    sock.connect(str(hub.uds_path))
    return sock


def uds_connect_record(from_id: str, to_id: str) -> bytes:
    rec = Record(version="1.3", from_id=from_id, to_id=to_id)
    rec.uds_connect.SetInParent()
    return rec.SerializeToString()


def test_uds_agent_and_websocket_controller_exchange_get_and_get_resp(hub):
    async def scenario():
        controller = await connect(hub, CONTROLLER)
        with uds_client(hub) as agent:
            # Before the handshake a Record is ignored (R-UDS.20): nothing reaches the controller.
            agent.sendall(frame((RECORD, no_session_record(AGENT, CONTROLLER, get_msg("early")))))
            await expect_nothing(controller)

            agent.sendall(frame((HANDSHAKE, AGENT.encode())))
            assert read_frame(agent) == [(HANDSHAKE, b"self::usphub")]

            hello = uds_connect_record(AGENT, CONTROLLER)
            agent.sendall(frame((RECORD, hello)))
            assert await recv(controller) == hello

            request = no_session_record(CONTROLLER, AGENT, get_msg("py-uds-1", "Device.DeviceInfo."))
            await controller.send(request)
            assert await asyncio.to_thread(read_frame, agent) == [(RECORD, request)]

            response = get_resp_msg("py-uds-1", "Device.DeviceInfo.", "Device.DeviceInfo.", {"SerialNumber": "PYUDS"})
            agent.sendall(frame((RECORD, no_session_record(AGENT, CONTROLLER, response))))
            rec = parse_record(await recv(controller))
            assert (rec.from_id, rec.to_id) == (AGENT, CONTROLLER)
            msg = parse_msg(rec.no_session_context.payload)
            assert msg.header.msg_type == Header.GET_RESP
            assert msg.header.msg_id == "py-uds-1"
        await controller.close()

    run(scenario())


def test_bad_sync_gets_an_error_tlv_and_a_close(hub):
    with uds_client(hub) as sock:
        sock.sendall(frame((HANDSHAKE, AGENT.encode())))
        assert read_frame(sock)[0][0] == HANDSHAKE
        sock.sendall(b"_UZP\x00\x00\x00\x00")
        tlvs = read_frame(sock)
        assert tlvs[0][0] == ERROR and b"sync" in tlvs[0][1], tlvs
        assert sock.recv(1) == b"", "the hub closes after the Error TLV (R-UDS.23/24)"


def test_socket_file_has_the_configured_mode(hub):
    mode = os.stat(hub.uds_path).st_mode
    assert stat.S_ISSOCK(mode)
    assert stat.S_IMODE(mode) == 0o660

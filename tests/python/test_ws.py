"""The hub's WebSocket MTP driven by independent clients (the `websockets` library and protobuf
modules generated from proto/*.proto). See /work/shared/reference/usp-mtp.md §5.

Each test is synchronous and runs its own event loop with asyncio.run; every wait is bounded.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import time
from datetime import datetime, timezone
from urllib.parse import quote

import pytest
import websockets

from uspws import (
    OP_CLOSE,
    OP_PING,
    TIMEOUT,
    UPGRADE_HEADERS,
    Header,
    connect,
    dropped,
    exchange,
    expect_close,
    expect_nothing,
    get_msg,
    get_resp_msg,
    metrics,
    no_session_record,
    parse_msg,
    parse_record,
    raw_handshake,
    raw_request,
    read_frame,
    recv,
    refused_status,
    wait_for_metric,
    websocket_connect_record,
)

AGENT = "os::012345-PYAGENT"
CONTROLLER = "self::py-controller"
LEGACY_AGENT = "oui:00256D:my-unique-bbf-id-42"
LEGACY_EXTENSION = f'bbf-usp-protocol; eid="{LEGACY_AGENT}"'

CLOSE_NORMAL = 1000
CLOSE_GOING_AWAY = 1001
CLOSE_UNSUPPORTED = 1003
CLOSE_POLICY = 1008
CLOSE_TOO_BIG = 1009


def run(coro):
    """Runs one test coroutine with an overall bound, so a failure never hangs the suite."""

    async def bounded():
        return await asyncio.wait_for(coro, 30)

    return asyncio.run(bounded())


def eid_target(eid: str, path: str = "/usp") -> str:
    """The request target naming `eid` (percent-encoded, R-WS.10c)."""
    return f"{path}?eid={quote(eid, safe='')}"


# --- Handshake -----------------------------------------------------------------------------


def test_agent_and_controller_exchange_get_and_get_resp(hub):
    async def scenario():
        controller = await connect(hub, CONTROLLER)
        agent = await connect(hub, AGENT)
        assert controller.subprotocol == "v1.usp"
        assert agent.subprotocol == "v1.usp"
        assert agent.response.headers["Sec-WebSocket-Protocol"] == "v1.usp"

        # The agent announces itself; the controller gets the Record unchanged.
        hello = websocket_connect_record(AGENT, CONTROLLER)
        await agent.send(hello)
        assert await recv(controller) == hello
        assert parse_record(hello).WhichOneof("record_type") == "websocket_connect"

        # Controller → agent: Get.
        get = no_session_record(CONTROLLER, AGENT, get_msg("py-get-1", "Device.DeviceInfo."))
        await controller.send(get)
        got = await recv(agent)
        assert got == get
        rec = parse_record(got)
        assert (rec.from_id, rec.to_id) == (CONTROLLER, AGENT)
        request = parse_msg(rec.no_session_context.payload)
        assert request.header.msg_type == Header.GET
        assert list(request.body.request.get.param_paths) == ["Device.DeviceInfo."]

        # Agent → controller: GetResp to the same msg_id.
        params = {"Manufacturer": "usphub-tests", "SerialNumber": "PY-0001"}
        resp = get_resp_msg(request.header.msg_id, "Device.DeviceInfo.", "Device.DeviceInfo.", params)
        resp_record = no_session_record(AGENT, CONTROLLER, resp)
        await agent.send(resp_record)
        got = await recv(controller)
        assert got == resp_record
        answer = parse_msg(parse_record(got).no_session_context.payload)
        assert answer.header.msg_id == "py-get-1"
        assert answer.header.msg_type == Header.GET_RESP
        [requested] = answer.body.response.get_resp.req_path_results
        assert requested.requested_path == "Device.DeviceInfo."
        [resolved] = requested.resolved_path_results
        assert resolved.resolved_path == "Device.DeviceInfo."
        assert dict(resolved.result_params) == params

        await agent.close()
        await controller.close()

    run(scenario())


def test_legacy_extension_names_the_endpoint(hub):
    """`Sec-WebSocket-Extensions: bbf-usp-protocol; eid="…"` without ?eid (R-WS.10a) is the
    client's identity; by default the 101 carries no bbf-usp-protocol (R-WS.11b)."""

    async def scenario():
        agent = await connect(hub, None, extension=LEGACY_EXTENSION)
        assert agent.subprotocol == "v1.usp"
        assert "Sec-WebSocket-Extensions" not in agent.response.headers
        controller = await connect(hub, CONTROLLER)

        await exchange(controller, agent, CONTROLLER, LEGACY_AGENT)
        await exchange(agent, controller, LEGACY_AGENT, CONTROLLER)
        await agent.close()
        await controller.close()

    run(scenario())


def test_literal_percent_in_eid_is_decoded_once(hub):
    """R-WS.10c: `doc::agent%21` travels as `?eid=doc%3A%3Aagent%2521`."""
    eid = "doc::agent%21"

    async def scenario():
        agent = await connect(hub, eid)
        controller = await connect(hub, CONTROLLER)
        await exchange(agent, controller, eid, CONTROLLER)
        await exchange(controller, agent, CONTROLLER, eid)
        await agent.close()
        await controller.close()

    run(scenario())


def test_configured_server_eid_answers_the_legacy_extension(start_hub):
    """With [ws] server_eid set, a client that offered bbf-usp-protocol gets it back (R-WS.11a).
    The websockets client refuses unknown extensions in a 101, so this reads the raw answer."""
    hub = start_hub('[ws]\nserver_eid = "self::usp-controller"\n')
    status, headers, sock = raw_handshake(hub, "/usp", f"Sec-WebSocket-Extensions: {LEGACY_EXTENSION}")
    sock.close()
    assert status.startswith("HTTP/1.1 101"), status
    assert headers["sec-websocket-accept"] == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    assert headers["sec-websocket-protocol"] == "v1.usp"
    assert headers["sec-websocket-extensions"] == 'bbf-usp-protocol; eid="self::usp-controller"'

    # A client that did not offer the extension is not answered with it (the websockets client
    # would fail the handshake if it were).
    async def plain_client():
        agent = await connect(hub, AGENT)
        assert "Sec-WebSocket-Extensions" not in agent.response.headers
        await agent.close()

    run(plain_client())


@pytest.mark.parametrize(
    ("target", "subprotocols", "extension", "status"),
    [
        pytest.param(eid_target(AGENT), None, None, 400, id="no subprotocol"),
        pytest.param(eid_target(AGENT), ["v2.usp"], None, 400, id="other subprotocol only"),
        pytest.param(eid_target(AGENT, "/not-usp"), ["v1.usp"], None, 404, id="wrong path"),
        pytest.param("/usp", ["v1.usp"], None, 400, id="no eid"),
        pytest.param("/usp?eid=", ["v1.usp"], None, 400, id="empty eid"),
        pytest.param(eid_target("os::has space"), ["v1.usp"], None, 400, id="eid with white space"),
        pytest.param("/usp?eid=os::%FF", ["v1.usp"], None, 400, id="eid not percent-encoded UTF-8"),
        pytest.param(eid_target(AGENT), ["v1.usp"], LEGACY_EXTENSION, 400, id="eid and extension disagree"),
    ],
)
def test_handshake_refusals(hub, target, subprotocols, extension, status):
    refused = refused_status(hub, None, uri=hub.ws_url + target, subprotocols=subprotocols, extension=extension)
    assert run(refused) == status


def without(headers: tuple[str, ...], name: str) -> list[str]:
    return [h for h in headers if not h.lower().startswith(name.lower() + ":")]


@pytest.mark.parametrize(
    ("request_line", "headers", "statuses"),
    [
        pytest.param("GET {target} HTTP/1.1", [], {400, 426}, id="plain GET, no upgrade"),
        pytest.param("GET {target} HTTP/1.1", without(UPGRADE_HEADERS, "Sec-WebSocket-Key"), {400},
                     id="no Sec-WebSocket-Key"),
        pytest.param("POST {target} HTTP/1.1", [*UPGRADE_HEADERS, "Content-Length: 0"], {400, 405},
                     id="POST"),
    ],
)
def test_malformed_upgrade_gets_an_http_error(hub, request_line, headers, statuses):
    status, _, sock = raw_request(hub, request_line.format(target=eid_target(AGENT)), *headers)
    sock.close()
    assert status[9:12].isdigit() and int(status[9:12]) in statuses, f"answer: {status!r}"


def test_unsupported_websocket_version_gets_426(hub):
    headers = [*without(UPGRADE_HEADERS, "Sec-WebSocket-Version"), "Sec-WebSocket-Version: 8"]
    status, fields, sock = raw_request(hub, f"GET {eid_target(AGENT)} HTTP/1.1", *headers)
    sock.close()
    assert status.startswith("HTTP/1.1 426"), f"answer: {status!r}"
    assert fields.get("sec-websocket-version") == "13"


# --- Records that are not routed -----------------------------------------------------------


def test_forged_from_id_is_dropped_closed_with_1008_and_counted(hub):
    async def scenario():
        controller = await connect(hub, CONTROLLER)
        forger = await connect(hub, AGENT)
        await forger.send(no_session_record("os::someone-else", CONTROLLER, b"forged"))
        code, _ = await expect_close(forger)
        assert code == CLOSE_POLICY
        await expect_nothing(controller)
        await controller.close()

    assert dropped(hub, "forged_from_id") == 0
    run(scenario())
    # Same hub process: the drop is visible on /metrics.
    assert dropped(hub, "forged_from_id") == 1


@pytest.mark.parametrize(
    "bad_message",
    [
        "a text frame",
        b"\xff\xff\xff",  # a varint that never ends
        b"\x12\x05to",  # to_id announces 5 bytes, has 2
    ],
    ids=["text", "garbage", "truncated"],
)
def test_unparsable_message_closes_only_its_connection_with_1003(hub, bad_message):
    bad_eid = "os::012345-PYBAD"

    async def scenario():
        controller = await connect(hub, CONTROLLER)
        agent = await connect(hub, AGENT)
        bad = await connect(hub, bad_eid)
        await exchange(agent, controller, AGENT, CONTROLLER, b"before")

        await bad.send(bad_message)
        code, _ = await expect_close(bad)
        assert code == CLOSE_UNSUPPORTED

        # The healthy pair is not disturbed, in either direction.
        await exchange(agent, controller, AGENT, CONTROLLER, b"after")
        await exchange(controller, agent, CONTROLLER, AGENT, b"after")
        await expect_nothing(controller, 0.2)
        await agent.close()
        await controller.close()

    run(scenario())
    assert dropped(hub, "malformed") == 1


def record_of_size(size: int, from_id: str = AGENT, to_id: str = CONTROLLER) -> bytes:
    """A NoSessionContext Record of exactly `size` bytes."""
    overhead = len(no_session_record(from_id, to_id, b"x" * 200)) - 200
    record = no_session_record(from_id, to_id, b"x" * (size - overhead))
    assert len(record) == size
    return record


@pytest.mark.parametrize("fragmented", [False, True], ids=["one frame", "fragments"])
def test_record_over_max_record_size_closes_with_1009(start_hub, fragmented):
    hub = start_hub("[ws]\nmax_record_size = 1024\n")

    def frames(record: bytes):
        return [record[i : i + 300] for i in range(0, len(record), 300)] if fragmented else record

    async def scenario():
        controller = await connect(hub, CONTROLLER)
        agent = await connect(hub, AGENT)
        at_limit = record_of_size(1024)
        await agent.send(frames(at_limit))
        assert await recv(controller) == at_limit

        await agent.send(frames(record_of_size(1025)))
        code, _ = await expect_close(agent)
        assert code == CLOSE_TOO_BIG
        await expect_nothing(controller)
        await controller.close()

    run(scenario())
    assert dropped(hub, "oversize") == 1


# --- Sessions ------------------------------------------------------------------------------


def test_newest_session_of_an_endpoint_wins(hub):
    async def scenario():
        controller = await connect(hub, CONTROLLER)
        first = await connect(hub, AGENT)
        await exchange(controller, first, CONTROLLER, AGENT, b"to the first")

        second = await connect(hub, AGENT)
        code, _ = await expect_close(first)
        assert code == CLOSE_NORMAL

        await exchange(controller, second, CONTROLLER, AGENT, b"to the second")
        await exchange(second, controller, AGENT, CONTROLLER, b"from the second")
        await second.close()
        await controller.close()

    run(scenario())
    assert metrics(hub)["usphub_sessions_replaced_total"] == 1


def test_fragmented_record_is_reassembled(hub):
    """R-WS.14b: a Record split over several frames is one message."""

    async def scenario():
        controller = await connect(hub, CONTROLLER)
        agent = await connect(hub, AGENT)
        record = no_session_record(AGENT, CONTROLLER, bytes(range(256)) * 8)
        await agent.send([record[i : i + 100] for i in range(0, len(record), 100)])
        assert await recv(controller) == record
        await agent.close()
        await controller.close()

    run(scenario())


def test_ping_is_answered(hub):
    async def scenario():
        agent = await connect(hub, AGENT)
        pong = await agent.ping(b"py")
        await asyncio.wait_for(pong, 3)
        await agent.close()

    run(scenario())


def test_sigterm_closes_sessions_with_1001_and_exits_0(hub):
    async def scenario():
        agent = await connect(hub, AGENT)
        stopping = asyncio.create_task(asyncio.to_thread(hub.stop))
        code, _ = await expect_close(agent, timeout=6)
        assert code == CLOSE_GOING_AWAY
        assert await stopping == 0

    run(scenario())


def test_keepalive_pings_and_idle_timeout(start_hub):
    """The hub pings a silent client after ping_interval; one that answers stays, one that
    never answers is closed with 1001 after idle_timeout."""
    hub = start_hub('[ws]\nping_interval = "300ms"\nidle_timeout = "1s"\n')
    status, _, silent = raw_handshake(hub, eid_target("os::012345-PYSILENT"))
    assert status.startswith("HTTP/1.1 101"), status

    async def answering_client():
        controller = await connect(hub, CONTROLLER)
        agent = await connect(hub, AGENT)  # the websockets client answers Pings by itself
        await asyncio.sleep(2.0)
        await exchange(controller, agent, CONTROLLER, AGENT, b"still here")
        await agent.close()
        await controller.close()

    started = time.monotonic()
    run(answering_client())

    with silent:
        silent.settimeout(3)
        opcodes = []
        while not opcodes or opcodes[-1] != OP_CLOSE:
            opcode, payload = read_frame(silent)
            opcodes.append(opcode)
    assert OP_PING in opcodes
    assert int.from_bytes(payload[:2], "big") == CLOSE_GOING_AWAY
    assert time.monotonic() - started < 5


def test_silent_tcp_connection_is_dropped_after_handshake_timeout(start_hub):
    hub = start_hub('[ws]\nhandshake_timeout = "500ms"\n')
    with socket.create_connection(("127.0.0.1", hub.ws_port), timeout=3) as sock:
        sock.sendall(b"GET /usp?eid=os%3A%3Aslow HTTP/1.1\r\n")  # and never the rest
        started = time.monotonic()
        assert sock.recv(1024) == b""
        assert time.monotonic() - started < 2.5


def test_connections_beyond_max_connections_are_refused(start_hub):
    hub = start_hub("[ws]\nmax_connections = 2\n")

    async def scenario():
        agent = await connect(hub, AGENT)
        controller = await connect(hub, CONTROLLER)
        with pytest.raises((websockets.exceptions.InvalidHandshake, OSError, EOFError)):
            await connect(hub, "os::012345-PYTHIRD")
        await exchange(agent, controller, AGENT, CONTROLLER)

        # A closed connection frees its place.
        await agent.close()
        deadline = time.monotonic() + TIMEOUT
        while True:
            try:
                third = await connect(hub, "os::012345-PYTHIRD")
                break
            except (websockets.exceptions.InvalidHandshake, OSError, EOFError):
                assert time.monotonic() < deadline, "the closed connection's place was not freed"
                await asyncio.sleep(0.1)
        await exchange(third, controller, "os::012345-PYTHIRD", CONTROLLER)
        await third.close()
        await controller.close()

    run(scenario())


# --- Offline hold --------------------------------------------------------------------------


def test_record_for_an_offline_endpoint_is_held_until_it_connects(hub):
    async def scenario():
        controller = await connect(hub, CONTROLLER)
        held = no_session_record(CONTROLLER, AGENT, get_msg("py-held-1", "Device."))
        await controller.send(held)
        await wait_for_metric(hub, "usphub_hold_records", 1)

        agent = await connect(hub, AGENT)
        assert await recv(agent) == held
        await wait_for_metric(hub, "usphub_hold_records", 0)
        await exchange(controller, agent, CONTROLLER, AGENT, b"live")
        await agent.close()
        await controller.close()

    run(scenario())


def test_held_record_expires_after_hold_ttl(start_hub):
    hub = start_hub('[router]\nhold_ttl = "1s"\n')

    async def scenario():
        controller = await connect(hub, CONTROLLER)
        await controller.send(no_session_record(CONTROLLER, AGENT, b"stale"))
        await wait_for_metric(hub, "usphub_hold_records", 1)
        await asyncio.sleep(2.5)  # TTL 1 s; the sweeper runs every second

        agent = await connect(hub, AGENT)
        await expect_nothing(agent, 1.0)
        await exchange(controller, agent, CONTROLLER, AGENT, b"fresh")
        await agent.close()
        await controller.close()

    run(scenario())
    assert dropped(hub, "hold_expired") == 1


# --- Admin listener ------------------------------------------------------------------------

_RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def test_endpoints_api_lists_connected_endpoints(hub):
    async def scenario():
        controller = await connect(hub, CONTROLLER)
        agent = await connect(hub, AGENT)
        await exchange(agent, controller, AGENT, CONTROLLER)

        status, body = await asyncio.to_thread(hub.get, "/api/v1/endpoints")
        assert status == 200
        listing = {row["eid"]: row for row in json.loads(body)}
        assert set(listing) == {AGENT, CONTROLLER}
        for ws, eid in [(agent, AGENT), (controller, CONTROLLER)]:
            row = listing[eid]
            host, port = ws.local_address[:2]
            assert row["mtp"] == "websocket"
            assert row["peer"] == f"{host}:{port}"
            assert _RFC3339.match(row["connected_since"]), row["connected_since"]
            since = datetime.strptime(row["connected_since"][:19], "%Y-%m-%dT%H:%M:%S")
            age = time.time() - since.replace(tzinfo=timezone.utc).timestamp()
            assert -5 < age < 60, row["connected_since"]
        assert (listing[AGENT]["records_in"], listing[AGENT]["records_out"]) == (1, 0)
        assert (listing[CONTROLLER]["records_in"], listing[CONTROLLER]["records_out"]) == (0, 1)

        # A closed session leaves the listing.
        await agent.close()
        await wait_for_metric(hub, 'usphub_connections{mtp="websocket"}', 1)
        status, body = await asyncio.to_thread(hub.get, "/api/v1/endpoints")
        assert [row["eid"] for row in json.loads(body)] == [CONTROLLER]
        await controller.close()

    run(scenario())


def test_healthz_and_metrics_format(hub):
    status, body = hub.get("/healthz")
    assert status == 200
    samples = metrics(hub)
    for reason in ["forged_from_id", "malformed", "oversize", "hold_expired"]:
        assert f'usphub_records_dropped_total{{reason="{reason}"}}' in samples
    assert samples['usphub_connections{mtp="websocket"}'] == 0

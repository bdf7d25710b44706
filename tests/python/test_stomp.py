"""The hub's STOMP MTP driven by an independent STOMP 1.2 client (the `stomp.py` library), with a
WebSocket endpoint from the `websockets` library on the other side. See
/work/shared/reference/usp-mtp.md §7.

stomp.py runs its own I/O thread; what it receives is handed to the test through a queue.
"""

from __future__ import annotations

import asyncio
import queue
import socket
import time

import stomp

from uspws import (
    TIMEOUT,
    Header,
    Record,
    connect,
    get_msg,
    get_resp_msg,
    no_session_record,
    parse_msg,
    parse_record,
    recv,
)

AGENT = "os::012345-PYSTOMP"
CONTROLLER = "self::py-controller"
USP_CONTENT_TYPE = "application/vnd.bbf.usp.msg"


def run(coro):
    """Runs one test coroutine with an overall bound, so a failure never hangs the suite."""

    async def bounded():
        return await asyncio.wait_for(coro, 30)

    return asyncio.run(bounded())


def stomp_connect_record(from_id: str, to_id: str, destination: str) -> bytes:
    """The STOMPConnect Record OB-USP-Agent sends first (R-MTP.6)."""
    rec = Record(version="1.3", from_id=from_id, to_id=to_id)
    rec.stomp_connect.version = 0  # V1_2
    rec.stomp_connect.subscribed_destination = destination
    return rec.SerializeToString()


class Collector(stomp.ConnectionListener):
    """Everything the hub sends, in order, as ("kind", frame) on a queue."""

    def __init__(self):
        self.events: queue.Queue = queue.Queue()
        self.heartbeats = 0

    def on_connected(self, frame):
        self.events.put(("connected", frame))

    def on_message(self, frame):
        self.events.put(("message", frame))

    def on_error(self, frame):
        self.events.put(("error", frame))

    def on_receipt(self, frame):
        self.events.put(("receipt", frame))

    def on_disconnected(self):
        self.events.put(("disconnected", None))

    def on_heartbeat(self):
        self.heartbeats += 1

    def next(self, timeout: float = TIMEOUT):
        return self.events.get(timeout=timeout)

    async def next_async(self, timeout: float = TIMEOUT):
        return await asyncio.to_thread(self.events.get, timeout=timeout)


def stomp_client(hub, eid: str, heartbeats=(0, 0)):
    """Connects with stomp.py as OB-USP-Agent does: a STOMP frame, host, and the endpoint ID with
    its colons escaped (R-STOMP.4; stomp.py does not escape STOMP frames itself)."""
    conn = stomp.Connection12(
        [("127.0.0.1", hub.stomp_port)],
        heartbeats=heartbeats,
        auto_decode=False,
        vhost="usp",
        reconnect_attempts_max=1,
        heart_beat_receive_scale=3.0,  # loaded CI machines: don't let the client time out first
    )
    collector = Collector()
    conn.set_listener("collector", collector)
    conn.connect(wait=True, headers={"endpoint-id": eid.replace(":", "\\c")})
    kind, connected = collector.next()
    assert kind == "connected", (kind, connected)
    return conn, collector, connected


def test_stomp_agent_and_websocket_controller_exchange_get_and_get_resp(start_hub):
    hub = start_hub('[stomp]\nheartbeat_send = "200ms"\nheartbeat_receive = "200ms"\n')

    async def scenario():
        controller = await connect(hub, CONTROLLER)
        agent, events, connected = stomp_client(hub, AGENT, heartbeats=(300, 300))
        try:
            own = f"/usp/v1/{AGENT}"
            assert connected.headers["version"] == "1.2"
            assert connected.headers["subscribe-dest"] == own
            assert connected.headers["heart-beat"] == "300,300"
            agent.subscribe(destination=own, id="0", ack="auto")

            hello = stomp_connect_record(AGENT, CONTROLLER, own)
            agent.send(f"/usp/v1/{CONTROLLER}", hello, content_type=USP_CONTENT_TYPE, headers={"reply-to-dest": own})
            assert await recv(controller) == hello

            request = no_session_record(CONTROLLER, AGENT, get_msg("py-1", "Device.DeviceInfo."))
            await controller.send(request)
            kind, message = await events.next_async()
            assert kind == "message", (kind, message)
            assert message.body == request
            assert message.headers["content-type"] == USP_CONTENT_TYPE
            assert message.headers["destination"] == own
            assert message.headers["subscription"] == "0"
            reply_to = message.headers["reply-to-dest"]
            assert reply_to == f"/usp/v1/{CONTROLLER}"

            response = get_resp_msg("py-1", "Device.DeviceInfo.", "Device.DeviceInfo.", {"SoftwareVersion": "9.9"})
            agent.send(reply_to, no_session_record(AGENT, CONTROLLER, response), content_type=USP_CONTENT_TYPE,
                       headers={"reply-to-dest": own})
            rec = parse_record(await recv(controller))
            assert (rec.from_id, rec.to_id) == (AGENT, CONTROLLER)
            msg = parse_msg(rec.no_session_context.payload)
            assert msg.header.msg_type == Header.GET_RESP
            result = msg.body.response.get_resp.req_path_results[0].resolved_path_results[0]
            assert result.result_params["SoftwareVersion"] == "9.9"

            # Idle for a while: both sides keep the link alive with heart-beats (the hub drops
            # a client silent for 2 x 300 ms; stomp.py gives up on a silent server too).
            await asyncio.sleep(1.5)
            assert events.heartbeats >= 2, events.heartbeats
            assert agent.is_connected()
            await controller.send(request)
            kind, message = await events.next_async()
            assert (kind, message.body) == ("message", request)
        finally:
            agent.disconnect()
            await controller.close()

    run(scenario())


def test_subscribing_elsewhere_gets_an_error_frame(hub):
    agent, events, _ = stomp_client(hub, AGENT)
    agent.subscribe(destination=f"/usp/v1/{CONTROLLER}", id="0", ack="auto")
    kind, error = events.next()
    assert kind == "error", (kind, error)
    assert "own destination" in error.headers["message"]
    kind, _ = events.next()
    assert kind == "disconnected"


def read_until_closed(sock: socket.socket, timeout: float) -> bytes:
    sock.settimeout(timeout)
    data = b""
    while chunk := sock.recv(4096):
        data += chunk
    return data


def test_silent_client_is_dropped_after_its_heart_beat_grace(start_hub):
    hub = start_hub('[stomp]\nheartbeat_receive = "200ms"\n')
    # By hand: promise heart-beats every 100 ms (negotiated to the hub's 200), then say nothing.
    with socket.create_connection(("127.0.0.1", hub.stomp_port), timeout=TIMEOUT) as sock:
        sock.sendall(b"STOMP\naccept-version:1.2\nhost:usp\nendpoint-id:self\\c\\csilent\nheart-beat:100,0\n\n\0")
        started = time.monotonic()
        data = read_until_closed(sock, TIMEOUT)
        elapsed = time.monotonic() - started
    connected, _, rest = data.partition(b"\0")
    assert connected.startswith(b"CONNECTED\n")
    assert b"heart-beat:0,200\n" in connected
    assert rest.lstrip(b"\r\n").startswith(b"ERROR\n"), rest
    assert b"heart-beat" in rest
    assert 0.35 <= elapsed < 3, elapsed

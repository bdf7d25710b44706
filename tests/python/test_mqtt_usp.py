"""USP over the hub's MQTT broker (TR-369 §MQTT, /work/shared/reference/usp-mtp.md §6), driven by
paho-mqtt in 5.0 and 3.1.1, over TCP and over WebSocket, with WebSocket USP endpoints from the
`websockets` library on the other side: Get/GetResp both ways, reply-to in 5.0 and 3.1.1,
MQTT-to-MQTT without double delivery, the identity check, and what OB-USP-Agent relies on
(MQTTConnect Records, the offline hold, takeover, the default ACL).

Each test is synchronous: paho runs its network loop in a thread, the WebSocket client blocks
with timeouts.
"""

from __future__ import annotations

import time

import pytest

from mqttclients import (
    NOT_AUTHORIZED,
    PAYLOAD_FORMAT_INVALID,
    SESSION_TAKEN_OVER,
    SUBSCRIBE_TOPIC_PROPERTY,
    USP_CONTENT_TYPE,
    Paho,
    endpoint_topic,
    prop,
    reply_to_suffix,
    usp_ws,
    ws_expect_nothing,
    ws_recv,
)
from uspws import (
    TIMEOUT,
    USP_VERSION,
    Header,
    Record,
    get_msg,
    get_resp_msg,
    metrics,
    no_session_record,
    parse_msg,
    parse_record,
)

AGENT = "os::012345-PAHOAGENT"
CONTROLLER = "self::py-mqtt-controller"
FORGED_FROM = "os::012345-SOMEONEELSE"
PARAMS = {"Manufacturer": "usphub-tests", "SerialNumber": "PAHO-0001"}


def split_reply_to(topic: str) -> tuple[str, str]:
    """R-MQTT.25: the reply topic is what follows the last `/reply-to=`, with %2F as "/"."""
    head, sep, encoded = topic.rpartition("/reply-to=")
    assert sep, f"no /reply-to= in {topic!r}"
    return head, encoded.replace("%2F", "/")


def check_get(record: bytes, msg_id: str) -> None:
    rec = parse_record(record)
    assert (rec.from_id, rec.to_id) == (CONTROLLER, AGENT)
    msg = parse_msg(rec.no_session_context.payload)
    assert (msg.header.msg_id, msg.header.msg_type) == (msg_id, Header.GET)


def check_get_resp(record: bytes, msg_id: str) -> None:
    rec = parse_record(record)
    assert (rec.from_id, rec.to_id) == (AGENT, CONTROLLER)
    msg = parse_msg(rec.no_session_context.payload)
    assert (msg.header.msg_id, msg.header.msg_type) == (msg_id, Header.GET_RESP)
    [requested] = msg.body.response.get_resp.req_path_results
    [resolved] = requested.resolved_path_results
    assert dict(resolved.result_params) == PARAMS


def get_record(msg_id: str) -> bytes:
    return no_session_record(CONTROLLER, AGENT, get_msg(msg_id, "Device.DeviceInfo."))


def get_resp_record(msg_id: str) -> bytes:
    resp = get_resp_msg(msg_id, "Device.DeviceInfo.", "Device.DeviceInfo.", PARAMS)
    return no_session_record(AGENT, CONTROLLER, resp)


def wait_for_sample(hub, sample: str, value: float, timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while True:
        current = metrics(hub).get(sample)
        if current == value:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{sample} is {current}, expected {value}")
        time.sleep(0.05)


# --- 1. paho 5.0 agent <-> WebSocket controller ------------------------------------------


@pytest.mark.parametrize("transport", ["tcp", "websockets"])
def test_v5_agent_and_websocket_controller_exchange_get_and_get_resp(start_hub, track, transport):
    """An OB-USP-Agent-like 5.0 client (empty ClientId, usp-endpoint-id, Request Response
    Information), over TCP or over MQTT-over-WebSocket at /mqtt, answers a WebSocket
    controller's Get on the Response Topic it was given."""
    hub = start_hub(mqtt=True)
    agent = track(Paho(hub, client_id="", eid=AGENT, request_response_information=True, transport=transport))
    ack = agent.connected()
    topic = endpoint_topic(AGENT)
    assigned = prop(ack.properties, "AssignedClientIdentifier")
    assert assigned, "an empty ClientId gets an Assigned Client Identifier (R-MQTT.9)"
    assert assigned != AGENT
    assert prop(ack.properties, "ResponseInformation") == topic, "R-MQTT.12"
    assert (SUBSCRIBE_TOPIC_PROPERTY, topic) in ack.user_properties(), "R-MQTT.15"
    agent.subscribed(topic)

    controller = track(usp_ws(hub, CONTROLLER))
    request = get_record("mqtt-get-1")
    controller.send(request)
    msg = agent.next_message()
    assert msg.payload == request, "the Record arrives byte-equal"
    assert msg.topic == topic
    assert prop(msg.properties, "ContentType") == USP_CONTENT_TYPE, "R-MQTT.27"
    reply_to = prop(msg.properties, "ResponseTopic")
    assert reply_to == endpoint_topic(CONTROLLER), "R-MQTT.21/22"
    check_get(msg.payload, "mqtt-get-1")

    response = get_resp_record("mqtt-get-1")
    agent.publish_record(reply_to, response, response_topic=topic)
    got = ws_recv(controller)
    assert got == response
    check_get_resp(got, "mqtt-get-1")
    agent.expect_nothing()
    ws_expect_nothing(controller, 0.1)


# --- 2. paho 3.1.1 agent: reply-to in the topic ----------------------------------------------


def test_v311_agent_gets_reply_to_in_the_topic_and_its_own_reply_to_is_honoured(start_hub, track):
    """A 3.1.1 agent (ClientId = endpoint ID) subscribes `usp/v1/<eid>/#` and receives Records
    on `<its topic>/reply-to=<sender's topic, / as %2F>` (R-MQTT.24); its answers carry its own
    `/reply-to=` and are routed by to_id; once it names another topic there, the hub sends its
    next Records to that topic."""
    inbox = f"agents/{AGENT}/inbox"
    hub = start_hub('[mqtt]\nacl_subscribe = ["usp/v1/%e/#", "agents/%e/#"]\n', mqtt=True)
    agent = track(Paho(hub, version=311, client_id=AGENT))
    ack = agent.connected()
    assert ack.properties is None or not ack.user_properties(), "3.1.1 has no CONNACK properties"
    agent.subscribed(f"{endpoint_topic(AGENT)}/#", f"{inbox}/#")
    controller = track(usp_ws(hub, CONTROLLER))

    # Controller -> agent.
    request = get_record("v311-get-1")
    controller.send(request)
    msg = agent.next_message()
    assert msg.payload == request
    assert msg.topic == endpoint_topic(AGENT) + reply_to_suffix(endpoint_topic(CONTROLLER))
    head, reply_to = split_reply_to(msg.topic)
    assert (head, reply_to) == (endpoint_topic(AGENT), endpoint_topic(CONTROLLER))

    # Agent -> controller, on the decoded reply topic, with its own reply-to (R-MQTT.25).
    response = get_resp_record("v311-get-1")
    agent.publish_record(reply_to + reply_to_suffix(endpoint_topic(AGENT)), response)
    got = ws_recv(controller)
    assert got == response
    check_get_resp(got, "v311-get-1")

    # The agent now names its inbox as reply-to: the next Record for it goes there, once.
    notify = no_session_record(AGENT, CONTROLLER, b"inbox-announcement")
    agent.publish_record(reply_to + reply_to_suffix(inbox), notify)
    assert ws_recv(controller) == notify
    request = get_record("v311-get-2")
    controller.send(request)
    msg = agent.next_message()
    assert msg.payload == request
    assert msg.topic == inbox + reply_to_suffix(endpoint_topic(CONTROLLER))
    agent.expect_nothing()


# --- 3. MQTT <-> MQTT ------------------------------------------------------------------------


def test_mqtt_to_mqtt_records_arrive_exactly_once(start_hub, track):
    """A paho 5.0 controller and a paho 3.1.1 agent, both subscribed to their own topics. A
    Record that a subscription covers goes by the broker only; one published elsewhere goes
    by its to_id only. Either way it arrives exactly once."""
    hub = start_hub(mqtt=True)
    controller = track(Paho(hub, client_id="py-ctrl", eid=CONTROLLER, request_response_information=True))
    controller.connected()
    controller.subscribed(endpoint_topic(CONTROLLER))
    agent = track(Paho(hub, version=311, client_id=AGENT))
    agent.connected()
    agent.subscribed(f"{endpoint_topic(AGENT)}/#")

    # Controller -> agent on the agent's topic: the agent's subscription covers it.
    request = get_record("m2m-1")
    controller.publish_record(endpoint_topic(AGENT), request, response_topic=endpoint_topic(CONTROLLER))
    msg = agent.next_message()
    assert msg.payload == request
    assert msg.topic.startswith(endpoint_topic(AGENT))
    agent.expect_nothing()

    # Agent -> controller on `usp/v1/<controller>/reply-to=…`, which the controller's exact
    # subscription does not match: routed by to_id, delivered with Content Type and Response
    # Topic.
    response = get_resp_record("m2m-1")
    agent.publish_record(endpoint_topic(CONTROLLER) + reply_to_suffix(endpoint_topic(AGENT)), response)
    msg = controller.next_message()
    assert msg.payload == response
    assert msg.topic == endpoint_topic(CONTROLLER)
    assert prop(msg.properties, "ContentType") == USP_CONTENT_TYPE
    assert prop(msg.properties, "ResponseTopic") == endpoint_topic(AGENT)
    controller.expect_nothing()

    # Controller -> agent on a topic nobody subscribes to: routed by to_id to the agent's topic.
    request = get_record("m2m-2")
    controller.publish_record("usp/v1/nobody-listens-here", request, response_topic=endpoint_topic(CONTROLLER))
    msg = agent.next_message()
    assert msg.payload == request
    assert msg.topic == endpoint_topic(AGENT) + reply_to_suffix(endpoint_topic(CONTROLLER))
    agent.expect_nothing()
    controller.expect_nothing(0.1)


# --- 8. Identity -----------------------------------------------------------------------------


@pytest.mark.parametrize("version", [5, 311])
def test_record_with_a_forged_from_id_disconnects_the_publisher(start_hub, track, version):
    """A client publishing a Record whose from_id is not its endpoint ID is disconnected
    (5.0: DISCONNECT 0x87 Not Authorized) and the Record reaches nobody, not even a subscriber
    of the topic it was published to; the drop is counted."""
    hub = start_hub(mqtt=True)
    sample = 'usphub_records_dropped_total{reason="forged_from_id"}'
    assert metrics(hub).get(sample) == 0
    victim = track(Paho(hub, client_id="victim", eid=CONTROLLER))
    victim.connected()
    victim.subscribed(endpoint_topic(CONTROLLER))
    impersonated = track(usp_ws(hub, FORGED_FROM))
    forger_eid = "os::012345-FORGER"
    if version == 5:
        forger = track(Paho(hub, client_id="forger", eid=forger_eid))
    else:
        forger = track(Paho(hub, version=311, client_id=forger_eid))
    forger.connected()

    forged = no_session_record(FORGED_FROM, CONTROLLER, get_msg("forged-1", "Device."))
    if version == 5:
        forger.publish(endpoint_topic(CONTROLLER), forged, content_type=USP_CONTENT_TYPE,
                       response_topic=endpoint_topic(forger_eid), wait=False)  # fmt: skip
        assert forger.next_disconnect() == NOT_AUTHORIZED
    else:
        forger.publish(endpoint_topic(CONTROLLER) + reply_to_suffix(endpoint_topic(forger_eid)), forged, wait=False)
        forger.next_disconnect()  # 3.1.1 has no DISCONNECT from the server: just closed
    assert not forger.is_connected()
    victim.expect_nothing()
    ws_expect_nothing(impersonated, 0.1)
    wait_for_sample(hub, sample, 1)

    # The victim still works: an honest Record reaches it.
    honest = no_session_record(FORGED_FROM, CONTROLLER, b"honest")
    impersonated.send(honest)
    assert victim.next_message().payload == honest


# --- What OB-USP-Agent does besides ---------------------------------------------------------


def mqtt_connect_record(from_id: str, to_id: str, subscribed_topic: str) -> bytes:
    rec = Record(version=USP_VERSION, from_id=from_id, to_id=to_id)
    rec.mqtt_connect.version = rec.mqtt_connect.V5
    rec.mqtt_connect.subscribed_topic = subscribed_topic
    return rec.SerializeToString()


def test_mqtt_connect_record_names_the_agents_topic(start_hub, track):
    """After subscribing, OB-USP-Agent sends an MQTTConnect Record to its controller; its
    subscribed_topic is where the hub delivers the agent's Records from then on."""
    inbox = f"agents/{AGENT}/inbox"
    hub = start_hub('[mqtt]\nacl_subscribe = ["usp/v1/%e/#", "agents/%e/#"]\n', mqtt=True)
    agent = track(Paho(hub, client_id="", eid=AGENT))
    agent.connected()
    agent.subscribed(endpoint_topic(AGENT), inbox)
    controller = track(usp_ws(hub, CONTROLLER))

    hello = mqtt_connect_record(AGENT, CONTROLLER, inbox)
    agent.publish_record(endpoint_topic(CONTROLLER), hello)  # no Response Topic: the Record says it
    assert ws_recv(controller) == hello
    assert parse_record(hello).mqtt_connect.subscribed_topic == inbox

    request = get_record("mqtt-connect-1")
    controller.send(request)
    msg = agent.next_message()
    assert (msg.topic, msg.payload) == (inbox, request)
    assert prop(msg.properties, "ResponseTopic") == endpoint_topic(CONTROLLER)
    agent.expect_nothing()


def test_record_for_an_agent_not_yet_connected_is_held_until_it_connects(start_hub, track):
    hub = start_hub(mqtt=True)
    controller = track(usp_ws(hub, CONTROLLER))
    request = get_record("held-1")
    controller.send(request)
    wait_for_sample(hub, "usphub_records_held_total", 1)

    agent = track(Paho(hub, client_id="", eid=AGENT))
    agent.connected()
    msg = agent.next_message()
    assert (msg.topic, msg.payload) == (endpoint_topic(AGENT), request)
    assert prop(msg.properties, "ContentType") == USP_CONTENT_TYPE


def test_agent_reconnecting_takes_over_its_endpoint(start_hub, track):
    """The same endpoint connecting again (a new ClientId, as after a reboot with an assigned
    one): the older connection gets DISCONNECT 0x8E Session Taken Over and the newer one gets the
    Records."""
    hub = start_hub(mqtt=True)
    old = track(Paho(hub, client_id="", eid=AGENT))
    old.connected()
    old.subscribed(endpoint_topic(AGENT))
    new = track(Paho(hub, client_id="", eid=AGENT))
    new.connected()
    assert old.next_disconnect() == SESSION_TAKEN_OVER
    new.subscribed(endpoint_topic(AGENT))

    controller = track(usp_ws(hub, CONTROLLER))
    request = get_record("takeover-1")
    controller.send(request)
    assert new.next_message().payload == request
    new.expect_nothing()
    assert old.messages.empty()


def test_usp_content_type_on_a_non_record_is_refused_with_0x99(start_hub, track):
    """A payload marked usp.msg that is no Record: PUBACK 0x99 Payload Format Invalid, dropped
    and counted; the client stays connected."""
    hub = start_hub(mqtt=True)
    agent = track(Paho(hub, client_id="", eid=AGENT))
    agent.connected()
    agent.subscribed(endpoint_topic(AGENT))
    code = agent.publish(endpoint_topic(AGENT), b"\xff\xff not a record", content_type=USP_CONTENT_TYPE)
    assert code == PAYLOAD_FORMAT_INVALID
    agent.expect_nothing(0.2)
    wait_for_sample(hub, 'usphub_records_dropped_total{reason="malformed"}', 1)
    assert agent.is_connected()
    record = no_session_record(AGENT, AGENT, b"to myself")
    agent.publish_record(endpoint_topic(AGENT), record, response_topic=endpoint_topic(AGENT))
    assert agent.next_message().payload == record


def test_default_acl_keeps_an_endpoint_to_its_own_topics(start_hub, track):
    """SUBSCRIBE within usp/v1/<eid>/# and the R-MQTT.45 forms is granted; anything wider or
    another endpoint's topic gets SUBACK 0x87 (3.1.1: 0x80)."""
    hub = start_hub(mqtt=True)
    v5 = track(Paho(hub, client_id="", eid=AGENT))
    v5.connected()
    v311 = track(Paho(hub, version=311, client_id=CONTROLLER))
    v311.connected()
    own = [endpoint_topic(AGENT), f"{endpoint_topic(AGENT)}/#", f"+/{AGENT}/#", f"+/+/{AGENT}/#"]
    assert v5.subscribe(*own) == [1] * len(own)
    assert v5.subscribe("usp/v1/#", endpoint_topic(CONTROLLER), "#") == [NOT_AUTHORIZED] * 3
    assert v311.subscribe(f"{endpoint_topic(CONTROLLER)}/#") == [1]
    assert v311.subscribe("usp/v1/+", endpoint_topic(AGENT)) == [0x80] * 2

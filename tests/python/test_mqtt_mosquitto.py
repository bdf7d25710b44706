"""The hub as a plain MQTT broker, driven by mosquitto_pub and mosquitto_sub (Debian package
mosquitto-clients) in MQTT 5.0 and 3.1.1: wildcards, non-USP payloads, retained messages,
Wills, and QoS 1/2 kept for a persistent session while its client is away.

mosquitto_sub runs with -d, so the tests see its CONNACK, SUBACK and DISCONNECT; instead of
sleeping, a test proves that nothing else is coming by publishing a sentinel message on a topic
the subscriber also listens to, and checking that the sentinel comes next. Every program runs
with -W (a timeout) and is killed at the end of the test.
"""

from __future__ import annotations

import signal
import time

import pytest

from mqttclients import MosquittoSub, mosquitto_pub
from uspws import TIMEOUT, metrics

OPEN_ACL = '[mqtt]\nacl_subscribe = ["#"]\n'
VERSIONS = ["mqttv5", "mqttv311"]
SENTINEL = "sentinel/done"


@pytest.fixture
def broker(start_hub):
    return start_hub(OPEN_ACL, mqtt=True)


def sub(track, hub, *topics, **kwargs) -> MosquittoSub:
    return track(MosquittoSub(hub, *topics, **kwargs))


def until_sentinel(s: MosquittoSub, hub, version: str) -> list:
    """Publishes the sentinel and returns every message `s` got before it."""
    mosquitto_pub(hub, SENTINEL, b".", version=version)
    got = []
    while True:
        m = s.next_message()
        if m.topic == SENTINEL:
            return got
        got.append(m)


def wait_for_sample(hub, sample: str, value: float, timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while (current := metrics(hub).get(sample)) != value:
        if time.monotonic() > deadline:
            raise AssertionError(f"{sample} is {current}, expected {value}")
        time.sleep(0.05)


@pytest.mark.parametrize("version", VERSIONS)
def test_wildcards_and_non_usp_payloads_flow_untouched(broker, track, version):
    """`+` matches one level, `#` any number including none; JSON Bulk Data (published by a
    client whose ClientId is an endpoint ID, as an agent's would be), CSV and arbitrary bytes
    pass through byte for byte, with their Content Type on 5.0."""
    s = sub(track, broker, "bulkdata/+/report", "alarms/#", SENTINEL, version=version, qos=1)
    s.wait_subscribed()
    json_report = b'{"Report":[{"CollectionTime":1700000000,"Device.DeviceInfo.UpTime":42}]}'
    csv_report = b"ReportTimestamp,ParameterName,ParameterValue\r\n1700000000,Device.X,1\r\n"
    binary = bytes(range(256))
    json_type = ("-D", "publish", "content-type", "application/json; charset=UTF-8") if version == "mqttv5" else ()
    mosquitto_pub(broker, "bulkdata/dev1/report", json_report, version=version,
                  client_id="os::012345-BULKAGENT", extra=json_type)  # fmt: skip
    mosquitto_pub(broker, "bulkdata/dev2/report", csv_report, version=version)
    mosquitto_pub(broker, "bulkdata/dev1/other", b"not matched", version=version)
    mosquitto_pub(broker, "bulkdata/dev1/x/report", b"+ is one level", version=version)
    mosquitto_pub(broker, "alarms", b"# includes the parent", version=version, qos=0)
    mosquitto_pub(broker, "alarms/a/b/c", binary, version=version, qos=2)

    got = until_sentinel(s, broker, version)
    assert [(m.topic, m.payload) for m in got] == [
        ("bulkdata/dev1/report", json_report),
        ("bulkdata/dev2/report", csv_report),
        ("alarms", b"# includes the parent"),
        ("alarms/a/b/c", binary),
    ]
    if version == "mqttv5":
        assert got[0].content_type == "application/json; charset=UTF-8"
    assert [m.qos for m in got] == [1, 1, 0, 1], "delivered at min(published, subscribed) QoS"
    for reason in ("malformed", "forged_from_id"):
        assert metrics(broker)[f'usphub_records_dropped_total{{reason="{reason}"}}'] == 0


@pytest.mark.parametrize("version", VERSIONS)
def test_retained_message_greets_new_subscribers_and_is_cleared_by_an_empty_one(broker, track, version):
    mosquitto_pub(broker, "status/gw1", b"online", version=version, retain=True)
    wait_for_sample(broker, "usphub_mqtt_retained_messages", 1)

    late = sub(track, broker, "status/+", SENTINEL, version=version, qos=1)
    late.wait_subscribed()
    [greeting] = until_sentinel(late, broker, version)
    assert (greeting.topic, greeting.payload, greeting.retain) == ("status/gw1", b"online", True)

    # An empty retained message clears it; current subscribers get it as a normal message.
    mosquitto_pub(broker, "status/gw1", None, version=version, retain=True)
    [cleared] = until_sentinel(late, broker, version)
    assert (cleared.topic, cleared.payload, cleared.retain) == ("status/gw1", b"", False)
    wait_for_sample(broker, "usphub_mqtt_retained_messages", 0)

    later = sub(track, broker, "status/+", SENTINEL, version=version, qos=1)
    later.wait_subscribed()
    assert until_sentinel(later, broker, version) == [], "nothing retained any more"


@pytest.mark.parametrize("version", VERSIONS)
def test_will_is_published_for_a_vanished_client_only(broker, track, version):
    """SIGKILL (no DISCONNECT): the Will is published. A clean exit (-E: DISCONNECT 0x00): no
    Will. SIGINT: mosquitto_sub sends DISCONNECT, which on 3.1.1 discards the Will, and on 5.0
    carries 0x04 Disconnect with Will Message, so the Will is published [MQTT-3.14.2]."""
    watcher = sub(track, broker, "wills/#", SENTINEL, version="mqttv5", qos=1)
    watcher.wait_subscribed()
    sessions = "usphub_mqtt_sessions"
    wait_for_sample(broker, sessions, 1)

    def client_with_will(name: str, *extra: str) -> MosquittoSub:
        will = ("--will-topic", f"wills/{name}", "--will-payload", f"{name} gone", "--will-qos", "1")
        c = sub(track, broker, f"work/{name}", version=version, client_id=f"{name}-{version}", extra=will + extra)
        c.wait_subscribed()
        return c

    # Vanished.
    fragile = client_with_will("fragile")
    fragile.signal(signal.SIGKILL)
    fragile.finish()
    will = watcher.next_message()
    assert (will.topic, will.payload) == ("wills/fragile", b"fragile gone")

    # Clean exit right after subscribing.
    polite = client_with_will("polite", "-E")
    assert polite.finish() == 0
    assert "sending DISCONNECT" in polite.output()
    wait_for_sample(broker, sessions, 1)  # its connection has been wound up
    assert until_sentinel(watcher, broker, "mqttv5") == [], "no Will after DISCONNECT 0x00"

    # SIGINT.
    interrupted = client_with_will("interrupted")
    interrupted.signal(signal.SIGINT)
    assert interrupted.finish() == 0
    assert "sending DISCONNECT" in interrupted.output()
    wait_for_sample(broker, sessions, 1)
    got = until_sentinel(watcher, broker, "mqttv5")
    if version == "mqttv5":
        assert [(m.topic, m.payload) for m in got] == [("wills/interrupted", b"interrupted gone")]
    else:
        assert got == [], "no Will after a 3.1.1 DISCONNECT"


@pytest.mark.parametrize("version", VERSIONS)
def test_persistent_session_receives_qos1_and_qos2_published_while_away(broker, track, version):
    """mosquitto_sub -c (5.0: Session Expiry never; 3.1.1: Clean Session 0) subscribes at QoS 2
    and leaves; QoS 1 and 2 messages published meanwhile are delivered when it comes back."""
    client_id = f"durable-{version}"
    first = sub(track, broker, "jobs/#", version=version, qos=2, client_id=client_id, extra=("-c", "-E"))
    first.wait_subscribed()
    assert first.finish() == 0
    wait_for_sample(broker, "usphub_mqtt_sessions", 1)  # kept while away

    mosquitto_pub(broker, "jobs/1", b"one", version=version, qos=1)
    mosquitto_pub(broker, "jobs/2", b"two", version=version, qos=2)

    back = sub(track, broker, "jobs/#", version=version, qos=2, client_id=client_id, count=2, extra=("-c",))
    got = sorted((m.topic, m.qos, m.payload) for m in (back.next_message(), back.next_message()))
    assert got == [("jobs/1", 1, b"one"), ("jobs/2", 2, b"two")]
    assert back.finish() == 0

    # Both were acknowledged: a third visit finds nothing pending.
    third = sub(track, broker, "jobs/#", SENTINEL, version=version, qos=2, client_id=client_id, extra=("-c",))
    third.wait_subscribed()
    assert until_sentinel(third, broker, version) == []

"""MQTT authentication with a credentials file and allow_anonymous = false (R-MQTT.42), seen by
paho-mqtt (5.0 reason codes in on_connect, 3.1.1 return codes) and by mosquitto_pub.
"""

from __future__ import annotations

import subprocess

import pytest

from conftest import hub_binary
from mqttclients import (
    BAD_USER_NAME_OR_PASSWORD,
    NOT_AUTHORIZED,
    SUBSCRIBE_TOPIC_PROPERTY,
    SUCCESS,
    Paho,
    endpoint_topic,
    mosquitto,
)

USER, PASSWORD = "fleet", "s3cret pass"
ALLOWED_EID = "os::012345-AUTHAGENT"
OTHER_EID = "os::999999-NOTMINE"


def password_hash(password: str) -> str:
    done = subprocess.run([str(hub_binary()), "passwd", "--iterations", "1000"], input=password + "\n",
                          capture_output=True, text=True, timeout=10)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.fixture
def auth_hub(start_hub, tmp_path):
    credentials = tmp_path / "credentials.toml"
    credentials.write_text(
        f'[[users]]\nname = "{USER}"\npassword = "{password_hash(PASSWORD)}"\nendpoints = ["os::012345-*"]\n'
    )
    return start_hub(f'[auth]\ncredentials_file = "{credentials}"\nallow_anonymous = false\n', mqtt=True)


@pytest.mark.parametrize(
    ("username", "password", "eid", "code"),
    [
        pytest.param(USER, PASSWORD, ALLOWED_EID, SUCCESS, id="right password, allowed eid"),
        pytest.param(USER, "wrong", ALLOWED_EID, BAD_USER_NAME_OR_PASSWORD, id="wrong password: 0x86"),
        pytest.param("nobody", PASSWORD, ALLOWED_EID, BAD_USER_NAME_OR_PASSWORD, id="unknown user: 0x86"),
        pytest.param(USER, PASSWORD, OTHER_EID, NOT_AUTHORIZED, id="eid outside the user's patterns: 0x87"),
        pytest.param(None, None, ALLOWED_EID, BAD_USER_NAME_OR_PASSWORD, id="no credentials: 0x86"),
    ],
)
def test_v5_login(auth_hub, track, username, password, eid, code):
    client = track(Paho(auth_hub, client_id="auth-client", eid=eid, username=username, password=password))
    ack = client.connect()
    assert ack.reason_code == code, f"CONNACK {ack.reason_code:#x}, expected {code:#x}"
    if code == SUCCESS:
        assert (SUBSCRIBE_TOPIC_PROPERTY, endpoint_topic(eid)) in ack.user_properties()
        client.subscribed(endpoint_topic(eid))
    else:
        client.next_disconnect()  # the hub closes the connection after a refusing CONNACK


@pytest.mark.parametrize(
    ("password", "client_id", "code"),
    [
        pytest.param(PASSWORD, ALLOWED_EID, SUCCESS, id="accepted"),
        # paho reports 3.1.1 return codes 4 and 5 as the 5.0 reason codes 0x86 and 0x87.
        pytest.param("wrong", ALLOWED_EID, BAD_USER_NAME_OR_PASSWORD, id="bad password: 4"),
        pytest.param(PASSWORD, OTHER_EID, NOT_AUTHORIZED, id="not authorized: 5"),
    ],
)
def test_v311_login(auth_hub, track, password, client_id, code):
    client = track(Paho(auth_hub, version=311, client_id=client_id, username=USER, password=password))
    assert client.connect().reason_code == code


def test_mosquitto_pub_login(auth_hub):
    """mosquitto_pub prints the 3.1.1 return code's meaning; 5.0 is refused as well."""
    base = [mosquitto("mosquitto_pub"), "-h", "127.0.0.1", "-p", str(auth_hub.mqtt_port), "-t", "t", "-m", "x"]

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(base + list(args), capture_output=True, text=True, timeout=10)

    ok = run("-i", ALLOWED_EID, "-u", USER, "-P", PASSWORD, "-q", "1")
    assert ok.returncode == 0, ok.stderr
    for version in ("mqttv311", "mqttv5"):
        bad = run("-V", version, "-i", ALLOWED_EID, "-u", USER, "-P", "wrong")
        assert bad.returncode != 0
        assert "bad user name or password" in bad.stderr.lower(), bad.stderr
        anonymous = run("-V", version, "-i", ALLOWED_EID)
        assert anonymous.returncode != 0
        assert "bad user name or password" in anonymous.stderr.lower(), anonymous.stderr
        mine_not = run("-V", version, "-i", OTHER_EID, "-u", USER, "-P", PASSWORD)
        assert mine_not.returncode != 0
        assert "not authori" in mine_not.stderr.lower(), mine_not.stderr

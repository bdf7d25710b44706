"""Fixtures for the independent-client tests: a usphub process on free loopback ports (WebSocket,
STOMP, admin) with its Unix domain socket in a short temporary directory (`hub.uds_path`).

`hub` is a hub with the built-in defaults; `start_hub(config_toml)` starts one with a config
file (TOML as in config/usphub.toml); `start_hub(config_toml, mqtt=True)` also opens the MQTT
listener on a free port (`hub.mqtt_port`; MQTT over WebSocket is then on `hub.ws_port` at
/mqtt). Either is stopped with SIGTERM at the end of the test and must exit 0. When a test fails, the hub's stderr is attached to the report ("usphub stderr").
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE / "gen"))

STARTUP_TIMEOUT = 10.0
STOP_TIMEOUT = 5.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def hub_binary() -> Path:
    path = Path(os.environ.get("USPHUB_BIN", "target/debug/usphub"))
    if not path.is_absolute():
        path = REPO / path
    if not os.access(path, os.X_OK):
        pytest.exit(f"hub binary {path} not found: run `cargo build` or set USPHUB_BIN", returncode=2)
    return path


@dataclass
class Hub:
    """A running usphub process."""

    proc: subprocess.Popen
    ws_port: int
    admin_port: int
    stderr_path: Path
    stomp_port: int
    uds_path: Path
    mqtt_port: int | None = None
    stopped: bool = field(default=False)

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.ws_port}"

    @property
    def admin_url(self) -> str:
        return f"http://127.0.0.1:{self.admin_port}"

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def get(self, path: str, timeout: float = 2.0) -> tuple[int, bytes]:
        """GET on the admin listener: (status, body)."""
        try:
            with urllib.request.urlopen(self.admin_url + path, timeout=timeout) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def stop(self) -> int:
        """SIGTERM, wait (SIGKILL after STOP_TIMEOUT), and return the exit status."""
        if not self.stopped:
            self.stopped = True
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def launch(tmp_path: Path, socket_dir: Path, config_toml: str | None, serial: int, mqtt: bool = False) -> Hub:
    """Starts hub number `serial` of the test (its files are named after it)."""
    ws_port, admin_port, stomp_port = free_port(), free_port(), free_port()
    mqtt_port = free_port() if mqtt else None
    uds_path = socket_dir / f"hub-{serial}.sock"
    args = [
        str(hub_binary()),
        "--ws", f"127.0.0.1:{ws_port}",
        "--admin", f"127.0.0.1:{admin_port}",
        "--stomp", f"127.0.0.1:{stomp_port}",
        "--uds", str(uds_path),
        "--mqtt", f"127.0.0.1:{mqtt_port}" if mqtt else "off",
        "--cwmp", "off",
    ]  # fmt: skip
    if config_toml is not None:
        config = tmp_path / f"usphub-{serial}.toml"
        config.write_text(config_toml)
        args += ["--config", str(config)]
    stderr_path = tmp_path / f"usphub-{serial}.stderr"
    with open(stderr_path, "wb") as stderr:
        env = dict(os.environ, NO_COLOR="1")  # plain logs in the captured file
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=stderr, stderr=stderr, env=env)
    return Hub(proc, ws_port, admin_port, stderr_path, stomp_port=stomp_port, uds_path=uds_path, mqtt_port=mqtt_port)


def wait_ready(hub: Hub) -> bool:
    """True once /healthz answers 200; False if the process exited first."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if hub.proc.poll() is not None:
            return False
        try:
            if hub.get("/healthz", timeout=0.5)[0] == 200:
                return True
        except OSError:
            pass
        time.sleep(0.05)
    hub.stop()
    pytest.fail(f"usphub not healthy within {STARTUP_TIMEOUT}s; stderr:\n{hub.stderr()}")


@pytest.fixture
def start_hub(request, tmp_path):
    """Factory: `start_hub(config_toml=None, mqtt=False)` starts a hub and returns its `Hub`."""
    hubs: list[Hub] = []
    request.node.usphub_hubs = hubs
    # Socket paths are limited to 107 bytes, and pytest's tmp_path can be longer.
    socket_dir = Path(tempfile.mkdtemp(prefix="usphub-"))

    def start(config_toml: str | None = None, *, mqtt: bool = False) -> Hub:
        # A free port can be taken between our probe and the hub's bind: then try again.
        for _attempt in range(3):
            hub = launch(tmp_path, socket_dir, config_toml, len(hubs), mqtt)
            hubs.append(hub)
            if wait_ready(hub):
                return hub
            hub.stopped = True  # exited by itself: nothing to stop
            if "in use" not in hub.stderr():
                break
        pytest.fail(f"usphub exited during startup ({hub.proc.returncode}); stderr:\n{hub.stderr()}")

    yield start

    failures = []
    for hub in hubs:
        if hub.stopped:
            continue
        code = hub.stop()
        if code != 0:
            failures.append(f"usphub exited with {code} after SIGTERM; stderr:\n{hub.stderr()}")
    for hub in hubs:
        if "panicked" in hub.stderr():
            failures.append(f"usphub panicked; stderr:\n{hub.stderr()}")
    shutil.rmtree(socket_dir, ignore_errors=True)
    assert not failures, "\n".join(failures)


@pytest.fixture
def hub(start_hub) -> Hub:
    """A hub with the built-in defaults."""
    return start_hub()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    hubs = getattr(item, "usphub_hubs", None)
    if report.failed and hubs:
        for i, hub in enumerate(hubs):
            report.sections.append((f"usphub stderr (hub {i}, {report.when})", hub.stderr()))


@pytest.fixture
def track(start_hub):
    """`track(client)` registers a client (anything with close(): paho, mosquitto_sub, a
    WebSocket) to be closed at the end of the test, before its hub is stopped."""
    clients = []

    def register(client):
        clients.append(client)
        return client

    yield register
    for client in reversed(clients):
        try:
            client.close()
        except Exception:  # noqa: BLE001 (a failed close must not hide the test's result)
            pass

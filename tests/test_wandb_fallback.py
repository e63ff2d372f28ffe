"""W&B online that cannot work (no API key, no network) falls back to offline, with one warning.

Every test here runs without a real network: the W&B host is a local port, open or closed.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import subprocess
import sys
import threading
import time

import pytest
from hydra.core.global_hydra import GlobalHydra

from labkit import wandb_mode
from labkit.compose import compose_run_config
from labkit.resolvers import wandb_offline
from labkit.run_logger import wandb_mode as run_logger_wandb_mode
from tests.helpers.cli_runner import ROOT, TINY_ARGS

KEY = "x" * 40
FALLBACK = "is logged offline"


@pytest.fixture(autouse=True)
def _no_user_wandb_setup(monkeypatch, tmp_path):
    """No W&B variables, no ~/.netrc and no wandb settings file of this machine's user."""
    for name in [k for k in os.environ if k.startswith("WANDB")] + [
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
    ]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NETRC", str(tmp_path / "no.netrc"))
    monkeypatch.setenv("WANDB_CONFIG_DIR", str(tmp_path / "wandb-config"))
    wandb_mode.clear_cache()
    yield
    wandb_mode.clear_cache()


@pytest.fixture
def connections(monkeypatch) -> list[tuple]:
    """Every network connection attempted (each one refused), for a test to check there were none."""
    attempts: list[tuple] = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("network disabled in tests")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts


@pytest.fixture
def closed_port() -> int:
    """A local TCP port nothing listens on: connecting to it is refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def listening_port():
    """A local TCP port that accepts connections, as a reachable W&B host would."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    yield server.getsockname()[1]
    server.close()


def fallback_warnings(caplog) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "labkit.wandb_mode" and r.levelno == logging.WARNING
    ]


def test_online_without_an_api_key_falls_back_offline_with_one_warning_naming_wandb_sync(
    monkeypatch, caplog, connections
):
    monkeypatch.setenv("WANDB_MODE", "online")
    with caplog.at_level(logging.WARNING):
        assert wandb_offline() is True
        assert wandb_offline() is True  # a config resolves it many times: still one warning
    (message,) = fallback_warnings(caplog)
    assert "no API key" in message and FALLBACK in message
    # The run dir is Hydra's when one is set (another test may have left one), else a placeholder.
    assert re.search(r"wandb sync \S+/wandb/offline-run-\*", message), message
    assert "\n" not in message
    # Every later wandb.init in this process agrees, and none asks for a login.
    assert os.environ["WANDB_MODE"] == "offline"
    assert connections == []  # no key: nothing to ask the network


def test_a_key_but_an_unreachable_host_falls_back_offline_within_seconds(
    monkeypatch, caplog, closed_port
):
    monkeypatch.setenv("WANDB_API_KEY", KEY)
    monkeypatch.setenv("WANDB_BASE_URL", f"http://127.0.0.1:{closed_port}")
    start = time.monotonic()
    with caplog.at_level(logging.WARNING):
        offline = wandb_offline("/runs/r1")
    assert time.monotonic() - start < 10
    assert offline is True
    (message,) = fallback_warnings(caplog)
    assert f"127.0.0.1:{closed_port} cannot be reached" in message
    assert "wandb sync /runs/r1/wandb/offline-run-*" in message
    assert os.environ["WANDB_MODE"] == "offline"


def test_a_host_that_never_answers_is_given_up_after_the_connect_timeout(monkeypatch):
    release = threading.Event()

    def hang(*args, **kwargs):  # a name lookup or connect that would take minutes
        release.wait(60)
        raise OSError("timed out")

    monkeypatch.setattr(socket, "create_connection", hang)
    start = time.monotonic()
    try:
        assert wandb_mode.reachable("api.wandb.ai", 443, timeout=0.5) is False
        assert time.monotonic() - start < 3
    finally:
        release.set()


@pytest.mark.parametrize("mode", ["offline", "dryrun", "disabled", "OFFLINE"])
def test_offline_mode_is_offline_with_no_warning_and_no_network_attempt(
    monkeypatch, caplog, connections, mode
):
    monkeypatch.setenv("WANDB_MODE", mode)
    monkeypatch.setenv("WANDB_API_KEY", KEY)  # a key alone would ask for online
    with caplog.at_level(logging.WARNING):
        assert wandb_offline() is True
    assert connections == []
    assert fallback_warnings(caplog) == []


def test_no_wandb_setting_at_all_is_offline_without_a_warning(caplog, connections):
    with caplog.at_level(logging.WARNING):
        assert wandb_offline() is True
    assert connections == []
    assert fallback_warnings(caplog) == []


def test_a_key_and_a_reachable_host_stay_online_and_are_checked_once(
    monkeypatch, caplog, listening_port
):
    monkeypatch.setenv("WANDB_API_KEY", KEY)
    monkeypatch.setenv("WANDB_BASE_URL", f"http://127.0.0.1:{listening_port}")
    calls = []
    real_connect = socket.create_connection

    def counting_connect(*args, **kwargs):
        calls.append(args)
        return real_connect(*args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", counting_connect)
    with caplog.at_level(logging.WARNING):
        assert [wandb_offline() for _ in range(5)] == [False] * 5
    assert len(calls) == 1  # the decision is cached for the process (a sweep asks per job)
    assert fallback_warnings(caplog) == []
    assert "WANDB_MODE" not in os.environ


def test_a_key_saved_by_wandb_login_in_netrc_counts(monkeypatch, tmp_path, listening_port):
    netloc = f"127.0.0.1:{listening_port}"
    netrc_file = tmp_path / "netrc"
    netrc_file.write_text(f"machine {netloc}\n  login user\n  password {KEY}\n")
    monkeypatch.setenv("NETRC", str(netrc_file))
    monkeypatch.setenv("WANDB_MODE", "online")
    monkeypatch.setenv("WANDB_BASE_URL", f"http://{netloc}")
    assert wandb_offline() is False
    # wandb's default host (CoreWeave Forge) takes a key saved for api.wandb.ai, as wandb does.
    netrc_file.write_text(f"machine api.wandb.ai\n  login user\n  password {KEY}\n")
    assert wandb_mode.has_api_key("https://api.forge.coreweave.com")
    assert not wandb_mode.has_api_key("https://wandb.example.org")


def test_wandb_project_and_entity_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("WANDB_PROJECT", "my-project")
    monkeypatch.setenv("WANDB_ENTITY", "my-team")
    try:
        cfg = compose_run_config(["logger=default"], tmp_path / "run")
        assert cfg.logger.wandb.project == "my-project"
        assert cfg.logger.wandb.entity == "my-team"
        monkeypatch.delenv("WANDB_PROJECT")
        monkeypatch.delenv("WANDB_ENTITY")
        assert cfg.logger.wandb.project == "labkit"
        assert cfg.logger.wandb.entity is None  # the API key's default entity
        assert cfg.logger.wandb.offline is True  # a bool, as WandbLogger takes it
    finally:
        GlobalHydra.instance().clear()


def test_numpy_run_logger_asked_for_online_without_a_key_runs_offline(
    caplog, tmp_path, connections
):
    with caplog.at_level(logging.WARNING):
        assert run_logger_wandb_mode(offline=False, output_dir=tmp_path) == "offline"
    (message,) = fallback_warnings(caplog)
    assert f"wandb sync {tmp_path}/wandb/offline-run-*" in message


def test_numpy_run_logger_keeps_the_environment_offline_or_disabled(monkeypatch, connections):
    monkeypatch.setenv("WANDB_API_KEY", KEY)
    monkeypatch.setenv("WANDB_MODE", "offline")
    assert run_logger_wandb_mode(offline=False) == "offline"  # the user's env wins
    monkeypatch.setenv("WANDB_MODE", "disabled")
    assert run_logger_wandb_mode(offline=False) == "disabled"
    assert connections == []


def test_a_run_asked_online_without_a_key_trains_offline_with_one_warning_line(
    tmp_path, tiny_data_root
):
    env = {k: v for k, v in os.environ.items() if k != "LABKIT_DATA" and "WANDB" not in k}
    env.update(
        PYTHONPATH=str(ROOT),
        OMP_NUM_THREADS="1",
        LABKIT_DATA=str(tiny_data_root),
        WANDB_MODE="online",  # and no key anywhere (see the autouse fixture)
        NETRC=str(tmp_path / "no.netrc"),
        WANDB_CONFIG_DIR=str(tmp_path / "wandb-config"),
    )
    args = [a for a in TINY_ARGS if a != "logger=csv"]
    start = time.monotonic()
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "train.py"),
            *args,
            "experiment=mnist_mlp",
            "trainer.max_epochs=1",
            "++trainer.limit_train_batches=2",
            "++trainer.limit_val_batches=1",
            "++trainer.limit_test_batches=1",
            "hydra.run.dir=run",
            f"paths.data_dir={tmp_path / 'cache'}",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        stdin=subprocess.DEVNULL,
        text=True,
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert "Traceback" not in output
    (line,) = [line for line in output.splitlines() if FALLBACK in line]
    assert f"wandb sync {tmp_path / 'run'}/wandb/offline-run-*" in line, line
    assert list((tmp_path / "run" / "wandb").glob("offline-run-*/run-*.wandb"))
    assert time.monotonic() - start < 120

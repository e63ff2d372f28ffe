"""Whether a run logs to W&B online or offline: one decision for every entry point.

A run is offline unless the user asked for online (``WANDB_MODE=online``, or an API key in
``WANDB_API_KEY``). Online is asked for, but cannot work, when no API key is found or the W&B
host does not answer; wandb would then fail with a traceback (no key) or retry for minutes (no
network). Instead the run falls back to offline at once, with one warning line that says how to
upload it later (``wandb sync <run dir>/wandb/offline-run-*``).

Standard library only: the NumPy entry points (``labkit.run_logger``) use this without torch,
and an offline run never imports wandb for it.
"""

from __future__ import annotations

import configparser
import functools
import logging
import netrc
import os
import socket
import threading
from pathlib import Path
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

OFFLINE_MODES = ("offline", "dryrun", "disabled")
ONLINE_MODES = ("online", "run", "shared")  # what wandb accepts for online ("run": the old name)
CONNECT_TIMEOUT_S = 3.0
FALLBACK_BASE_URL = "https://api.wandb.ai"
# CoreWeave Forge hosts (wandb 0.31's default base URL is one) front the W&B API hosts; wandb's
# own netrc lookup takes a key saved for the API host behind a Forge host, as has_api_key does.
_KEY_HOST_BEHIND = {
    "api.forge.coreweave.com": "api.wandb.ai",
    "forge.coreweave.com": "api.wandb.ai",
    "api.qa.forge.coreweave.com": "api.qa.wandb.ai",
    "qa.forge.coreweave.com": "api.qa.wandb.ai",
}


def env_mode() -> str:
    return os.environ.get("WANDB_MODE", "").strip().lower()


def online_requested_by_env() -> bool:
    """The environment asks for online: ``WANDB_MODE=online``, or an API key and no mode."""
    mode = env_mode()
    if mode in OFFLINE_MODES:
        return False
    return mode in ONLINE_MODES or bool(os.environ.get("WANDB_API_KEY"))


def decide_offline(
    online_requested: bool | None = None, sync_hint: str = "<run dir>/wandb/offline-run-*"
) -> bool:
    """True for an offline run; False only if online was asked for and can work.

    ``online_requested``: None asks the environment (``online_requested_by_env``); True is a
    config or caller asking for online. ``WANDB_MODE=offline|dryrun|disabled`` wins over both
    and touches no network. ``sync_hint``: the offline runs' folder(s), for the warning.

    If online cannot work, the process switches to offline (see ``fall_back_to_offline``).
    """
    if env_mode() in OFFLINE_MODES:
        return True
    if online_requested is None:
        online_requested = online_requested_by_env()
    if not online_requested:
        return True
    problem = online_problem()
    if problem is None:
        return False
    fall_back_to_offline(problem, sync_hint)
    return True


def fall_back_to_offline(problem: str, sync_hint: str) -> None:
    """Switch this process to offline W&B, with one warning line naming ``wandb sync``."""
    # The process-wide switch, not only this run's flag: every later wandb.setup/wandb.init in
    # this process (training's background wandb.setup, Lightning's WandbLogger, the NumPy
    # RunLogger, a sweep's next job, a user's own wandb.init) reads WANDB_MODE, and with the
    # user's "online" (or their key) still there it would ask for a login or retry the network
    # for minutes. It also makes every later decision take the offline branch above: no second
    # network check and no second warning, so the line is printed once per process.
    os.environ["WANDB_MODE"] = "offline"
    log.warning(
        "W&B online logging was asked for, but %s; this run is logged offline. "
        "Upload it later with: wandb sync %s",
        problem,
        sync_hint,
    )


def online_problem() -> str | None:
    """Why online W&B cannot work now (no API key, host unreachable), or None if it can.

    Cached per process for the same environment: a sweep's resolvers ask many times.
    """
    return _online_problem(
        *(
            os.environ.get(name)
            for name in (
                "WANDB_BASE_URL",
                "NETRC",
                "WANDB_CONFIG_DIR",
                "HOME",
                "HTTPS_PROXY",
                "https_proxy",
                "HTTP_PROXY",
                "http_proxy",
                "NO_PROXY",
                "no_proxy",
            )
        ),
        bool(os.environ.get("WANDB_API_KEY")),
        bool(os.environ.get("WANDB_IDENTITY_TOKEN_FILE")),
    )


def clear_cache() -> None:
    """Forget the cached answer of ``online_problem`` (tests; a network that came back)."""
    _online_problem.cache_clear()


@functools.lru_cache(maxsize=8)
def _online_problem(*env_key: object) -> str | None:  # env_key: only the cache's key
    base_url = base_url_in_use()
    if not has_api_key(base_url):
        return (
            f"no API key was found for {base_url} (WANDB_API_KEY, or `wandb login`, which "
            "saves it in ~/.netrc)"
        )
    host, port = _connect_address(base_url)
    if not reachable(host, port):
        return f"{base_url} cannot be reached (no network?)"
    return None


def base_url_in_use() -> str:
    """The W&B server: ``WANDB_BASE_URL``, else ``wandb login --host``'s, else wandb's default."""
    url = os.environ.get("WANDB_BASE_URL")
    if url:
        return url.rstrip("/")
    config_dir = os.environ.get("WANDB_CONFIG_DIR") or Path("~/.config/wandb").expanduser()
    parser = configparser.ConfigParser()
    try:
        parser.read(Path(config_dir) / "settings")
        url = parser.get("default", "base_url", fallback=None)
    except (configparser.Error, OSError):
        url = None
    if url:
        return url.rstrip("/")
    try:
        import wandb  # only here: online was asked for, so the run imports wandb anyway

        return str(wandb.Settings().base_url).rstrip("/")
    except Exception:  # an unimportable or changed wandb: its long-standing default
        return FALLBACK_BASE_URL


def has_api_key(base_url: str) -> bool:
    """An API key as wandb finds one: the environment, or a ~/.netrc entry (``$NETRC``) for the host."""
    if os.environ.get("WANDB_API_KEY") or os.environ.get("WANDB_IDENTITY_TOKEN_FILE"):
        return True
    netloc = urlsplit(base_url).netloc
    path = os.environ.get("NETRC") or _default_netrc_path()
    try:
        entries = netrc.netrc(str(Path(path).expanduser()))
    except (OSError, netrc.NetrcParseError):
        return False
    for machine in filter(None, (netloc, _KEY_HOST_BEHIND.get(netloc))):
        creds = entries.authenticators(machine)
        if creds and creds[2]:
            return True
    return False


def _default_netrc_path() -> str:
    for name in ("~/.netrc", "~/_netrc"):
        if Path(name).expanduser().exists():
            return name
    return "~/.netrc"


def _connect_address(url: str) -> tuple[str, int]:
    """Where a request to ``url`` first connects: the proxy for its scheme if one is set."""
    import urllib.request

    parts = urlsplit(url)
    host = parts.hostname or ""
    proxy = urllib.request.getproxies().get(parts.scheme)
    if proxy and not urllib.request.proxy_bypass(host):
        parts = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
        host = parts.hostname or ""
    default_port = 443 if parts.scheme == "https" else 80
    try:
        port = parts.port or default_port
    except ValueError:
        port = default_port
    return host, port


def reachable(host: str, port: int, timeout: float = CONNECT_TIMEOUT_S) -> bool:
    """A TCP connection to ``host:port`` opens within ``timeout`` seconds (name lookup included).

    The lookup has no timeout of its own, so both run in a daemon thread that is waited for at
    most ``timeout``; a lookup still hanging after that is left to finish on its own.
    """
    if not host:
        return False
    result: list[bool] = []

    def connect() -> None:
        try:
            socket.create_connection((host, port), timeout=timeout).close()
            result.append(True)
        except OSError:
            result.append(False)

    thread = threading.Thread(target=connect, name="wandb-reachable", daemon=True)
    thread.start()
    thread.join(timeout)
    return bool(result and result[0])

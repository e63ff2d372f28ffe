"""``--help`` for an entry point, rendered from ``configs/`` with one compose.

Hydra's own ``--help`` lists every config group's options by rebuilding (deep-copying) its config
repository once per group (about 130 copies, more with each group or sweeper plugin). The groups an entry point offers are folders of ``configs/``, so this lists them from
the file system and composes the config once, then fills the same ``hydra.help`` template. Anything
it does not handle (other flags, a template using Hydra's own groups or flags, a config that fails
to compose) is left to Hydra, which then answers as it always did.

Beyond Hydra's list of options, the experiments get a line each: the first comment line of
``configs/experiment/<name>.yaml`` (after ``# @package``), marked ``[sweep]`` where the experiment
runs several jobs (``hydra.sweeper.params``, ``hydra.mode: MULTIRUN`` or an ``hparams_search``,
its own or inherited from the experiment it extends). An entry point lists only its own
experiments (their ``entry:``) and the config groups it and they use.
"""

from __future__ import annotations

import string
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from omegaconf import OmegaConf, open_dict, read_write

HELP_FLAGS = ("--help", "-h")
# Template fields only Hydra can fill (its argument parser and its own config groups).
HYDRA_ONLY_FIELDS = (
    "$FLAGS_HELP",
    "${FLAGS_HELP}",
    "$HYDRA_CONFIG_GROUPS",
    "${HYDRA_CONFIG_GROUPS}",
)


def config_groups(config_dir: Path) -> dict[str, list[str]]:
    """``{group: sorted options}`` for every folder of ``config_dir`` holding ``.yaml`` files.

    Nested folders are groups too (``a/b``); Hydra's own ``hydra/`` groups are left out, as
    Hydra's ``$APP_CONFIG_GROUPS`` leaves them out.
    """
    groups = {}
    for folder in sorted(p for p in config_dir.rglob("*") if p.is_dir()):
        name = folder.relative_to(config_dir).as_posix()
        if name == "hydra" or name.startswith("hydra/"):
            continue
        options = sorted(p.stem for p in folder.glob("*.yaml"))
        if options:
            groups[name] = options
    return groups


@dataclass(frozen=True)
class Experiment:
    """One ``configs/experiment/<name>.yaml``: its one-line description, entry point, sweep or not."""

    name: str
    description: str
    entry: str | None  # its ``entry:``, own or inherited; None: the primary config's
    sweep: bool


def _description(text: str) -> str:
    """The first comment line that is not a ``# @package`` directive, without its ``#``."""
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        comment = line.lstrip("#").strip()
        if comment and not comment.startswith("@package"):
            return comment
    return ""


def _group_of(entry: object) -> tuple[str, object] | None:
    """``(group, option)`` of a defaults-list entry such as ``override /data: mnist``."""
    if not isinstance(entry, dict) or len(entry) != 1:
        return None
    key, option = next(iter(entry.items()))
    words = str(key).split()
    group = words[-1].lstrip("/").partition("@")[0] if words else ""
    return (group, option) if group else None


def _defines_sweep(body: dict, defaults: list) -> bool:
    hydra_node = body.get("hydra") or {}
    sweeper = hydra_node.get("sweeper") or {}
    searches = [opt for g, opt in filter(None, map(_group_of, defaults)) if g == "hparams_search"]
    return bool(sweeper.get("params")) or hydra_node.get("mode") == "MULTIRUN" or any(searches)


def read_experiments(config_dir: Path) -> dict[str, Experiment]:
    """Every experiment of ``config_dir/experiment``, read from its file (nothing composed).

    An experiment that lists another one in its defaults (``- fashion_mlp``) inherits that one's
    ``entry`` and sweep unless it sets its own.
    """
    folder = config_dir / "experiment"
    raw = {}
    for path in sorted(folder.glob("*.yaml")):
        text = path.read_text()
        body = yaml.safe_load(text) or {}
        defaults = body.get("defaults") or []
        parents = [d for d in defaults if isinstance(d, str) and (folder / f"{d}.yaml").exists()]
        raw[path.stem] = (text, body, defaults, parents)

    found: dict[str, Experiment] = {}

    def resolve(name: str, seen: tuple[str, ...] = ()) -> Experiment:
        if name in found:
            return found[name]
        text, body, defaults, parents = raw[name]
        inherited = [resolve(p, (*seen, name)) for p in parents if p not in seen]
        entry = body.get("entry") or next((e.entry for e in inherited if e.entry), None)
        sweep = _defines_sweep(body, defaults) or any(e.sweep for e in inherited)
        found[name] = Experiment(name, _description(text), entry, sweep)
        return found[name]

    return {name: resolve(name) for name in raw}


def _groups_used(config_dir: Path, config_name: str, experiments: Sequence[Experiment]) -> set[str]:
    """The config groups in the primary config's defaults list and in these experiments'."""
    files = [config_dir / f"{config_name}.yaml"]
    files += [config_dir / "experiment" / f"{e.name}.yaml" for e in experiments]
    groups = set()
    for path in files:
        defaults = (yaml.safe_load(path.read_text()) or {}).get("defaults") or []
        groups |= {group for group, _ in filter(None, map(_group_of, defaults))}
    return groups


def experiments_text(experiments: Sequence[Experiment]) -> str:
    """The experiment block of the help: one line per experiment, sweeps marked (none: empty)."""
    if not experiments:
        return ""
    width = max((len(e.name) for e in experiments), default=0)
    lines = ["experiment (experiment=<name>; a [sweep] runs several jobs: start it with -m):"]
    for e in experiments:
        mark = "[sweep] " if e.sweep else ""
        lines.append(f"  {e.name:<{width}}  {mark}{e.description}".rstrip())
    return "\n".join(lines) + "\n"


def groups_text(config_dir: Path, config_name: str, entry: str) -> str:
    """``$APP_CONFIG_GROUPS`` for the entry point ``entry``: its experiments, then its groups."""
    mine = [e for e in read_experiments(config_dir).values() if (e.entry or "train") == entry]
    used = _groups_used(config_dir, config_name, mine)
    groups = "".join(
        f"{group}: {', '.join(options)}\n"
        for group, options in config_groups(config_dir).items()
        if group in used and group != "experiment"
    )
    return experiments_text(mine) + groups


def render_help(config_dir: Path, config_name: str, overrides: Sequence[str]) -> str | None:
    """The text of ``--help`` for these overrides, or None where Hydra must answer."""
    GlobalHydra.instance().clear()
    try:
        # job_name: the script's name (train, train_numpy), as Hydra names the job of a run.
        with initialize_config_dir(
            config_dir=str(config_dir), version_base="1.3", job_name=config_name
        ):
            cfg = compose(config_name, overrides=list(overrides), return_hydra_config=True)
        template = cfg.hydra.help.template
    except Exception:
        # A bad override or config: Hydra's own path reports it in its usual words.
        return None
    finally:
        GlobalHydra.instance().clear()
    if any(field in template for field in HYDRA_ONLY_FIELDS):
        return None
    groups = groups_text(config_dir, config_name, str(cfg.get("entry") or config_name))
    with read_write(cfg), open_dict(cfg):
        del cfg["hydra"]
    return string.Template(template).substitute(
        APP_CONFIG_GROUPS=groups, CONFIG=OmegaConf.to_yaml(cfg)
    )


def answer_help(config_dir: Path, config_name: str, argv: Sequence[str] | None = None) -> bool:
    """Print the help and return True when ``argv`` asks only for ``--help`` (plus overrides)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not any(arg in HELP_FLAGS for arg in args):
        return False
    overrides = [arg for arg in args if arg not in HELP_FLAGS]
    if any(arg.startswith("-") for arg in overrides):
        return False  # --resolve, --config-name, -m ...: Hydra's parser knows them
    text = render_help(config_dir, config_name, overrides)
    if text is None:
        return False
    print(text)
    return True

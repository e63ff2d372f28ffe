"""``--help`` for an entry point, rendered from ``configs/`` with one compose.

Hydra's own ``--help`` lists every config group's options by rebuilding (deep-copying) its config
repository once per group: about 130 copies, 4-5 s of CPU here, more with each group or sweeper
plugin added. The groups an entry point offers are folders of ``configs/``, so this lists them from
the file system and composes the config once, then fills the same ``hydra.help`` template. Anything
it does not handle (other flags, a template using Hydra's own groups or flags, a config that fails
to compose) is left to Hydra, which then answers as it always did.
"""

from __future__ import annotations

import string
import sys
from collections.abc import Sequence
from pathlib import Path

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


def render_help(config_dir: Path, config_name: str, overrides: Sequence[str]) -> str | None:
    """The text Hydra's ``--help`` prints for these overrides, or None where Hydra must answer."""
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(config_dir), version_base="1.3"):
            cfg = compose(config_name, overrides=list(overrides), return_hydra_config=True)
        template = cfg.hydra.help.template
    except Exception:
        # A bad override or config: Hydra's own path reports it in its usual words.
        return None
    finally:
        GlobalHydra.instance().clear()
    if any(field in template for field in HYDRA_ONLY_FIELDS):
        return None
    groups = "".join(
        f"{group}: {', '.join(options)}\n" for group, options in config_groups(config_dir).items()
    )
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

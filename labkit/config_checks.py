"""Range checks on a composed config, before anything is built: one message naming the key."""

from __future__ import annotations

from collections.abc import Callable

from omegaconf import DictConfig, ListConfig, OmegaConf

from labkit.errors import ConfigError

FLOAT32_MAX = 3.4028234663852886e38

# key name -> (test, what it must be, a valid example). Checked wherever the key appears.
RULES: dict[str, tuple[Callable[[object], bool], str, str]] = {
    # Finite in float32, the precision the optimizers hold it in: 1e300 would be inf there.
    "lr": (lambda v: _num(v) and 0 < v <= FLOAT32_MAX, "a finite number > 0", "0.001"),
    "seed": (lambda v: _int(v) and 0 <= v < 2**32, "an integer in [0, 2**32)", "42"),
    "split_seed": (lambda v: _int(v) and 0 <= v < 2**32, "an integer in [0, 2**32)", "12345"),
    "batch_size": (lambda v: _int(v) and v > 0, "an integer > 0", "128"),
    "eval_batch_size": (lambda v: _int(v) and v > 0, "an integer > 0", "1000"),
    "max_epochs": (
        lambda v: v is None or (_int(v) and (v > 0 or v == -1)),
        "an integer > 0 (or -1 for no limit)",
        "10",
    ),
    "weight_decay": (lambda v: _num(v) and v >= 0, "a number >= 0", "0.0005"),
    "momentum": (lambda v: _num(v) and 0 <= v < 1, "a number in [0, 1)", "0.9"),
    "dropout": (lambda v: _num(v) and 0 <= v < 1, "a number in [0, 1)", "0.1"),
    "gradient_clip_val": (
        lambda v: v is None or (_num(v) and v > 0),
        "null or a number > 0",
        "1.0",
    ),
    "accumulate_grad_batches": (lambda v: _int(v) and v >= 1, "an integer >= 1", "4"),
    "threads": (lambda v: v is None or (_int(v) and v > 0), "null or an integer > 0", "2"),
}


def _num(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _walk(node: object, path: str):
    if isinstance(node, DictConfig):
        for key in node:
            if OmegaConf.is_missing(node, key):
                continue
            yield from _walk(node[key], f"{path}.{key}" if path else str(key))
    elif isinstance(node, ListConfig):
        for i, item in enumerate(node):
            yield from _walk(item, f"{path}[{i}]")
    yield path, node


def check_entry(cfg: DictConfig, entry: str) -> None:
    """Raise ConfigError when ``cfg`` is an experiment of another entry point (its ``entry:`` key)."""
    owner = cfg.get("entry", entry)
    if owner != entry:
        task = cfg.get("task_name")
        raise ConfigError(
            f"Experiment {task!r} runs with `python {owner}.py experiment={task}`, not {entry}.py."
        )


def check_config(cfg: DictConfig, skip: tuple[str, ...] = ("hydra",)) -> None:
    """Raise ConfigError for the first value that breaks a rule in RULES."""
    for path, value in _walk(cfg, ""):
        if path.split(".")[0] in skip:
            continue
        key = path.rsplit(".", 1)[-1]
        if key in RULES and not isinstance(value, DictConfig | ListConfig):
            test, must_be, example = RULES[key]
            if not test(value):
                raise ConfigError(
                    f"{path} must be {must_be}, got {value!r}. "
                    f"Fix it in the config or override it, e.g. {path}={example}"
                )


def check_sweep_has_multirun(sweeper_params: object, overrides: list[str], entry: str) -> None:
    """Raise ConfigError when a config that defines a sweep (``hydra.sweeper.params``) runs alone.

    Without ``-m`` Hydra leaves the sweeper out: the experiment would quietly run one job with
    its defaults instead of the sweep. Call it for a single run only (not a job of a sweep).
    """
    if not sweeper_params:
        return
    swept = ", ".join(str(key) for key in sweeper_params)
    given = " ".join(overrides)
    raise ConfigError(
        f"This config is a sweep over {swept} (hydra.sweeper.params), which runs only with -m: "
        f"python {entry}.py -m {given}. For one job of it, give its values and add "
        "hydra.sweeper.params=null instead."
    )

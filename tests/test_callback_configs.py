"""configs/callbacks/: one file per callback, and bundles that list them one level deep."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
CALLBACKS = ROOT / "configs" / "callbacks"


def _load(name: str) -> dict:
    return yaml.safe_load((CALLBACKS / f"{name}.yaml").read_text()) or {}


def _names() -> tuple[list[str], list[str]]:
    """(single callbacks, bundles): a bundle is a file with a defaults list."""
    files = sorted(p.stem for p in CALLBACKS.glob("*.yaml"))
    bundles = [name for name in files if "defaults" in _load(name)]
    return [name for name in files if name not in bundles], bundles


def test_each_callback_file_configures_one_callback_named_as_the_file():
    singles, _ = _names()
    assert len(singles) >= 10
    for name in singles:
        body = _load(name)
        assert list(body) == [name], f"{name}.yaml holds {list(body)}, not one callback {name!r}"
        assert "_target_" in body[name], f"{name}.yaml has no _target_"


def test_bundles_list_base_and_single_callbacks_only():
    singles, bundles = _names()
    assert {"base", "classifier", "multitask", "autoencoder"} <= set(bundles)
    for bundle in bundles:
        listed = [d for d in _load(bundle)["defaults"] if d != "_self_"]
        allowed = set(singles) | ({"base"} if bundle != "base" else set())
        assert set(listed) <= allowed, f"{bundle}.yaml lists {set(listed) - allowed}"
        settings = set(_load(bundle)) - {"defaults"}
        assert settings <= set(listed) | set(_load("base")["defaults"]), (
            f"{bundle}.yaml sets {settings}, callbacks it does not list"
        )


def test_a_task_bundle_has_every_runs_callbacks_and_its_own(make_cfg):
    base = _load("base")["defaults"]
    classifier = make_cfg("callbacks=classifier").callbacks
    assert list(classifier) == [*base, "prediction_grid"]
    assert set(classifier.metric_curves.curves) == {"loss", "accuracy"}
    autoencoder = make_cfg("callbacks=autoencoder").callbacks
    assert list(autoencoder) == [*base, "reconstruction_grid", "latent_scatter"]


def test_single_callbacks_are_added_beside_a_bundle_as_a_list(make_cfg):
    callbacks = make_cfg("callbacks=[classifier,sample_grid,permutation_grid]").callbacks
    assert list(callbacks)[-3:] == ["prediction_grid", "sample_grid", "permutation_grid"]
    assert callbacks.sample_grid._target_ == "callbacks.sample_grid.SampleGrid"

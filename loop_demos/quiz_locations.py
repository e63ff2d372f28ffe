"""Seed 003 P3A-C: where MNIST, Adam and DataLoader live, read from the installed packages."""

from __future__ import annotations


def quiz_locations() -> dict[str, str]:
    """The import path of each class the quiz asks about, as the installed libraries define it.

    ``__module__`` is where the class is defined (``torchvision.datasets.mnist``); the sub-package
    a user imports it from is its first two parts (``torchvision.datasets``).
    """
    from torch.optim import Adam
    from torch.utils.data import DataLoader
    from torchvision.datasets import MNIST

    found = {}
    for key, cls in (("p3a", MNIST), ("p3b", Adam), ("p3c", DataLoader)):
        found[f"{key}/defined_in"] = f"{cls.__module__}.{cls.__qualname__}"
    return found

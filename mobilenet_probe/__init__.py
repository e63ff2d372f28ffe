"""The MobileNetV3-small probe of ``probe.py``: bouba-kiki split, CIFAR-10 scores, layerwise probe."""

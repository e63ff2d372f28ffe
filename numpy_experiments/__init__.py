"""Experiments on the from-scratch NumPy models (``numpy_ref``), run by ``train_numpy.py``, and the
scikit-learn baseline they are compared with (``baseline.py``).

Nothing here imports torch: these paths run on NumPy, scikit-learn, matplotlib, Hydra, rich and
W&B only.
"""

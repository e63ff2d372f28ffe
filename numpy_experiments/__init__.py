"""Experiments on the from-scratch NumPy models (``numpy_ref``), run by ``train_numpy.py``, and the
scikit-learn baseline they are compared with (``baseline.py``).

The top level holds the runners and what they share: ``experiment_runner`` (the dispatch),
``classifier_experiment`` and ``linear_ae_experiment`` (the runners a config names),
``logistic_regression_baseline`` (baseline.py's), with their training loops, data arrays, plots
and the non-finite checks. The theory and analysis of the one seed exercise that needs them sit
apart in ``ulu_exercise/``. Nothing here imports torch: these paths run on NumPy, scikit-learn,
matplotlib, Hydra, rich and W&B only.
"""

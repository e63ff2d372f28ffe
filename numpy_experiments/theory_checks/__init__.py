"""Numerical checks of the theory answers in ``docs/theory/`` (run by ``numpy_theory_checks``).

One file per check: ``deep_linear_saddle`` (seed 001, bonus 4.1: ``W_{0:L} = 0`` is a saddle of
the deep linear net's square loss, on the net of ``deep_linear_net``), ``backprop_check``
(seed 004 §1.4: the backpropagation formulas and ``numpy_ref.sigmoid_net.gradient`` against
centred finite differences) and ``logistic_limit`` (seed 004 §1.3: the naive and the stable
logistic loss at a saturated logit). ``saddle_plot`` draws the saddle's two directions and
``run`` is the runner the config names. Pure NumPy: nothing here imports torch.
"""

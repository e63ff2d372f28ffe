"""The one torch <-> NumPy bridge: ``twin`` (a ``numpy_ref`` twin of a torch net and its weights),
``comparison`` (forward and backward of both, layer by layer) and ``optimizer`` (the twin's
optimiser for a torch one). Used by the gradient-check tests, ``benchmarks/numpy_vs_torch.py``
and the parity and twin-training callbacks."""

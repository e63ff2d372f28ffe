"""Glue shared by the entry points (train.py, train_numpy.py, probe.py, baseline.py, report.py)."""

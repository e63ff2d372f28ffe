"""``python report.py <run dir | sweep dir>``: a Markdown report and figures from what runs leave on disk.

It reads only ``metrics.csv``, ``summary.json`` and ``.hydra/`` (no W&B, no torch) and knows
metrics by name, not experiments: ``runs`` finds and reads the runs, ``metric_series`` turns a
metrics.csv into curves, ``overrides`` names what distinguishes the jobs of a sweep,
``best_job`` picks one by a metric, ``curve_figure`` draws (through ``figures``), ``job_tables``
lays out the tables (built by ``figures.markdown_table``), ``build`` ties them together.
"""

"""The plain torch loop of seed 003, measured: ``demo.py`` runs one tiny demo per answer (P1A-P3G)."""

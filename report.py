"""Report on runs: ``python report.py <run dir | sweep dir> [options]``.

Writes ``<dir>/report/report.md`` and its PNGs from what runs leave on disk (metrics.csv,
summary.json, .hydra/), without W&B and without torch. For a sweep: a row per job with the
overrides that distinguish it, its status, final metrics, parameter count and time, the best job
by a metric, and every job's curves overlaid; for a single run: its summary and curves.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from labkit.entry import run_or_explain


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="report.py",
        description=__doc__.split("\n\n")[1].replace("\n", " "),
        epilog=(
            "examples: python report.py outputs/mnist_mlp/2026-11-30_12-00-00 | "
            "python report.py multirun/fashion_optimizers/<time> --group-by net | "
            "python report.py multirun/permuted_fashion/<time> --pivot net,data"
        ),
    )
    parser.add_argument("path", type=Path, help="a run dir or a sweep dir (one subdir per job)")
    parser.add_argument(
        "--out", type=Path, default=None, help="output folder (default <path>/report)"
    )
    parser.add_argument(
        "--best",
        default=None,
        help="metric that names the best job, e.g. val/acc or val/loss:min (default: the runs' "
        "optimized_metric, in its direction)",
    )
    parser.add_argument(
        "--metrics",
        default=None,
        help="comma-separated metrics for the table and the curves (default: all logged)",
    )
    parser.add_argument(
        "--group-by", default=None, help="one curve figure per value of this override (e.g. net)"
    )
    parser.add_argument(
        "--pivot",
        default=None,
        help="ROWS,COLUMNS: two override keys; a grid of --pivot-metric per job (e.g. net,data)",
    )
    parser.add_argument("--pivot-metric", default="test/acc", help="the metric in the --pivot grid")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> Path:
    args = parse_args(argv)

    def report() -> Path:
        from run_report.build import ReportOptions, build_report, parse_metrics, parse_pivot

        options = ReportOptions(
            out_dir=args.out,
            best=args.best,
            metrics=parse_metrics(args.metrics),
            group_by=args.group_by,
            pivot=parse_pivot(args.pivot),
            pivot_metric=args.pivot_metric,
            command=shlex.join(["python", "report.py", *(sys.argv[1:] if argv is None else argv)]),
        )
        written = build_report(args.path, options)
        print(f"report: {written}")
        return written

    return run_or_explain(report)


if __name__ == "__main__":
    main()

"""The run report: dataset statistics and a self-contained HTML page with plots, written for every run."""

from tilth.report.writer import report_dir, write_report

__all__ = ["report_dir", "write_report"]

"""The run report: dataset statistics and a self-contained HTML page with plots, written for every run."""

from tilth.lazy import lazy_exports

__getattr__, __dir__ = lazy_exports(__name__, {
    'report_dir': 'writer',
    'write_report': 'writer',
})


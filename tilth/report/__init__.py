"""The run report: dataset statistics and a self-contained HTML page with plots, written for every run."""

from tilth.lazy import lazy_exports

__getattr__, __dir__ = lazy_exports(__name__, {
    'build_report': 'writer',
    'report_dir': 'writer',
    'save_report': 'writer',
    'write_report': 'writer',
})


"""Small HTML building blocks for the report: escaped tables and sections, inline CSS, no external assets."""

from __future__ import annotations

from html import escape
from typing import Any

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1200px;
color:#222;padding:0 1rem}
h1{margin-bottom:.2rem}h3{font-size:1rem;margin:1rem 0 .2rem}h2{border-bottom:1px solid #ddd;padding-bottom:.2rem;margin-top:2rem}
.meta{color:#666}.muted{color:#888}
table{border-collapse:collapse;margin:.5rem 0;font-size:.9rem}
th,td{border:1px solid #ddd;padding:.25rem .5rem;vertical-align:top}th{background:#f5f5f5;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}
td.text{min-width:420px;max-width:800px;white-space:pre-wrap;overflow-wrap:anywhere;font-family:ui-monospace,monospace;font-size:.8rem}
.grid{display:flex;flex-wrap:wrap;gap:1rem}.grid figure{margin:0}
svg.plot{max-width:100%;height:auto;display:block}.scroll{overflow-x:auto}
.cards{display:flex;gap:1rem;flex-wrap:wrap}.card{border:1px solid #ddd;border-radius:6px;padding:.6rem 1rem}
.card b{display:block;font-size:1.4rem}
"""


RAW_COLUMNS = ("_id", "duplicate_of", "line")  # identifiers: no thousands separators


def fmt(v: Any, column: str = "") -> str:
    if v is None:
        return ""
    if isinstance(v, bool) or column in RAW_COLUMNS:
        return str(v)
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        return f"{v:,.4g}" if abs(v) < 1e6 else f"{v:,.0f}"
    return str(v)


def table(rows: list[dict[str, Any]], columns: list[str] | None = None, text_cols: tuple[str, ...] = ()) -> str:
    if not rows:
        return '<p class="muted">none</p>'
    columns = columns or list(rows[0])
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    body = []
    for r in rows:
        cells = []
        for c in columns:
            v = r.get(c)
            cls = "text" if c in text_cols else ("n" if isinstance(v, int | float) and not isinstance(v, bool) else "")
            cells.append(f'<td class="{cls}">{escape(fmt(v, c))}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f'<div class="scroll"><table><tr>{head}</tr>{"".join(body)}</table></div>'


def figure(svg: str) -> str:
    """A figure from plots.py: its inline <svg> (already escaped there, titled for screen readers)."""
    return f"<figure>{svg}</figure>"


def section(title: str, body: str, anchor: str) -> str:
    return f'<section id="{escape(anchor)}"><h2>{escape(title)}</h2>{body}</section>'


def cards(items: list[tuple[str, Any]]) -> str:
    return '<div class="cards">' + "".join(
        f'<div class="card"><b>{escape(fmt(v))}</b>{escape(k)}</div>' for k, v in items) + "</div>"


def page(title: str, subtitle: str, sections: list[str]) -> str:
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f"<style>{CSS}</style></head><body><h1>{escape(title)}</h1><p class=\"meta\">{escape(subtitle)}</p>"
            + "".join(sections) + "</body></html>")

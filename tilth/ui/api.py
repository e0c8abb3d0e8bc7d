"""JSON routes: what the pages' scripts call, and what tests and scripts can call directly."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Query, Request

from tilth.ui import browse, experiments, humaneval, lineage, overview, sqlbox
from tilth.ui.store import jsonable

router = APIRouter(prefix="/api")


def _store(request: Request):
    return request.app.state.store


def filters_of(request: Request) -> dict[str, str]:
    """Column filters from the query string: `f:<column>=<filter>`."""
    return {k[2:]: v for k, v in request.query_params.items() if k.startswith("f:")}


def row_id(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"not a row id: {value!r} (ids are whole numbers, the `_id` column)") from None


@router.get("/overview")
def api_overview(request: Request) -> dict[str, Any]:
    store = _store(request)
    return jsonable({"workspace": str(store.root), "runs": overview.runs(store), "datasets": overview.datasets(store)})


@router.get("/datasets/{name}/rows")
def api_rows(request: Request, name: str, version: int | None = None, page: int = 1, size: int = 50,
             q: str = "") -> dict[str, Any]:
    store = _store(request)
    return browse.page(store, browse.dataset(store, name, version), page, size, filters_of(request), q)


@router.get("/datasets/{name}/count")
def api_count(request: Request, name: str, version: int | None = None, q: str = "") -> dict[str, Any]:
    store = _store(request)
    return {"rows": browse.count(store, browse.dataset(store, name, version), filters_of(request), q)}


@router.post("/sql")
def api_sql(request: Request, query: str = Body(..., embed=True), limit: int = Body(500, embed=True)) -> dict[str, Any]:
    res = sqlbox.run(_store(request), query, limit=max(1, min(limit, 5000)))
    return {"columns": res.columns, "rows": res.rows, "truncated": res.truncated}


@router.get("/runs/{run}")
def api_run(request: Request, run: str) -> dict[str, Any]:
    out = lineage.run_summary(_store(request), run)
    out.pop("figures")
    return jsonable(out)


@router.get("/runs/{run}/dropped")
def api_dropped(request: Request, run: str, step: int, reason: str, page: int = 1) -> dict[str, Any]:
    return lineage.dropped(_store(request), run, step, reason, page)


@router.get("/runs/{run}/quarantine")
def api_quarantine(request: Request, run: str, page: int = 1) -> dict[str, Any]:
    return lineage.quarantine(_store(request), run, page)


@router.get("/rows/{rid}")
def api_row(request: Request, rid: str, run: str | None = None) -> dict[str, Any]:
    store = _store(request)
    i = row_id(rid)
    runs = [run] if run else lineage.runs_with(store, i)
    if not runs:
        raise KeyError(f"no run in this workspace saw a row with _id {i}")
    return {"_id": str(i), "runs": [lineage.row_path(store, i, r) for r in runs]}


# -- agent ------------------------------------------------------------------------------------------------
@router.post("/agent")
def api_agent_start(request: Request, text: str = Body(..., embed=True), data: str = Body(..., embed=True)):
    s = request.app.state.sessions.start(text, data)
    return request.app.state.sessions.view(s.id)


@router.get("/agent/{sid}")
def api_agent(request: Request, sid: str) -> dict[str, Any]:
    return request.app.state.sessions.view(sid)


@router.post("/agent/{sid}/decision")
def api_agent_decide(request: Request, sid: str, action: str = Body(..., embed=True), text: str = Body("", embed=True),
                     params: dict[str, dict[str, str]] | None = Body(None, embed=True)) -> dict[str, Any]:
    request.app.state.sessions.decide(sid, action, text, params)
    return request.app.state.sessions.view(sid)


# -- human evaluation -------------------------------------------------------------------------------------
@router.get("/eval/options")
def api_eval_options(request: Request, run: str) -> dict[str, Any]:
    return humaneval.options(_store(request), run)


@router.post("/eval/samples")
def api_eval_create(request: Request, name: str = Body(...), run: str = Body(...), domain_column: str | None = Body(None),
                    score: str | None = Body(None), bins: int = Body(4), per_stratum: int = Body(5),
                    rubric: list[str] | None = Body(None), seed: int = Body(0)) -> dict[str, Any]:
    return humaneval.create_sample(_store(request), name, run, domain_column or None, score or None, bins, per_stratum,
                                   rubric, seed)


@router.get("/eval/{sample}/rows")
def api_eval_rows(request: Request, sample: str, annotator: str = "") -> dict[str, Any]:
    return humaneval.sample_rows(_store(request), sample, annotator)


@router.post("/eval/{sample}/labels")
def api_eval_label(request: Request, sample: str, id: str = Body(...), annotator: str = Body(...),
                   label: str = Body(...), rubric: dict[str, int] | None = Body(None),
                   note: str = Body("")) -> dict[str, Any]:
    store = _store(request)
    humaneval.save_label(store, sample, row_id(id), annotator, label, rubric, note)
    return humaneval.report(store, sample)


@router.get("/eval/{sample}/agreement")
def api_eval_agreement(request: Request, sample: str) -> dict[str, Any]:
    return humaneval.report(_store(request), sample)


# -- experiments ------------------------------------------------------------------------------------------
@router.get("/experiments")
def api_experiments(request: Request, run: list[str] = Query(default=[])) -> dict[str, Any]:
    store = _store(request)
    return jsonable({"runs": experiments.train_runs(store), **experiments.figures(store, run)})

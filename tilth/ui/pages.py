"""HTML pages: each renders a template from the same functions the JSON routes use. Everything from the
workspace goes through Jinja's autoescaping; only the figures, which tilth.report.plots escapes itself,
are inserted as markup."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request

from tilth.ui import browse, experiments, humaneval, lineage, overview
from tilth.ui.api import filters_of, row_id

router = APIRouter()


def render(request: Request, name: str, **context):
    return request.app.state.templates.TemplateResponse(request, name, {"page": name.removesuffix(".html"), **context})


@router.get("/")
def home(request: Request):
    store = request.app.state.store
    return render(request, "overview.html", runs=overview.runs(store), datasets=overview.datasets(store))


@router.get("/datasets/{name}")
def dataset(request: Request, name: str, version: int | None = None, page: int = 1, size: int = 50, q: str = ""):
    store = request.app.state.store
    ds = browse.dataset(store, name, version)
    filters = filters_of(request)
    data = browse.page(store, ds, page, size, filters, q)

    def link(page_no: int) -> str:
        args = {**({"version": version} if version else {}), "page": page_no, "size": data["size"],
                **({"q": q} if q else {}), **{f"f:{k}": v for k, v in filters.items() if v}}
        return f"?{urlencode(args)}"

    count_args = urlencode({**({"version": version} if version else {}), **({"q": q} if q else {}),
                            **{f"f:{k}": v for k, v in filters.items() if v}})
    return render(request, "dataset.html", ds=ds, data=data, filters=filters, q=q, prev=link(page - 1),
                  next=link(page + 1), count_url=f"/api/datasets/{name}/count?{count_args}")


@router.get("/sql")
def sql(request: Request, q: str = ""):
    return render(request, "sql.html", query=q or "SELECT step, reason, count(*) AS rows\nFROM lineage\n"
                  "GROUP BY ALL ORDER BY rows DESC\nLIMIT 20")


@router.get("/runs/{run}")
def run(request: Request, run: str):
    return render(request, "run.html", run=lineage.run_summary(request.app.state.store, run))


@router.get("/runs/{run}/dropped")
def dropped(request: Request, run: str, step: int, reason: str, page: int = 1):
    data = lineage.dropped(request.app.state.store, run, step, reason, page)
    base = {"step": step, "reason": reason}
    return render(request, "dropped.html", data=data, prev=f"?{urlencode({**base, 'page': page - 1})}",
                  next=f"?{urlencode({**base, 'page': page + 1})}")


@router.get("/runs/{run}/quarantine")
def quarantine(request: Request, run: str, page: int = 1):
    data = lineage.quarantine(request.app.state.store, run, page)
    return render(request, "quarantine.html", data=data, prev=f"?page={page - 1}", next=f"?page={page + 1}")


@router.get("/rows")
def row_lookup(request: Request, id: str = "", run: str | None = None):
    if not id.strip():
        return render(request, "row.html", rid=None, runs=[])
    return row(request, id.strip(), run)


@router.get("/rows/{rid}")
def row(request: Request, rid: str, run: str | None = None):
    store = request.app.state.store
    i = row_id(rid)
    runs = [run] if run else lineage.runs_with(store, i)
    return render(request, "row.html", rid=str(i), runs=[lineage.row_path(store, i, r) for r in runs])


@router.get("/agent")
def agent(request: Request):
    return render(request, "agent.html")


@router.get("/eval")
def evaluation(request: Request):
    store = request.app.state.store
    return render(request, "eval.html", samples=humaneval.samples(store), runs=overview.runs(store))


@router.get("/eval/{sample}")
def label(request: Request, sample: str):
    s = humaneval.sample_set(request.app.state.store, sample)
    return render(request, "label.html", sample=s)


@router.get("/experiments")
def experiments_page(request: Request, run: list[str] = Query(default=[])):
    store = request.app.state.store
    runs = experiments.train_runs(store)
    chosen = run or [r["run"] for r in runs[:3]]
    return render(request, "experiments.html", runs=runs, chosen=chosen, figures=experiments.figures(store, chosen))

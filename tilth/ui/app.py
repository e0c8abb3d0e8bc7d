"""The FastAPI application: one Store over the workspace, JSON routes (api.py), HTML pages (pages.py).

Safety: bound to 127.0.0.1 by default (cli.py); with a token every request must carry it (`?token=` once,
then a cookie, or `Authorization: Bearer`); every POST must be `application/json`, which a page on another
site cannot send without a CORS preflight this app never answers (no cross-site form posts); and requests
whose Host header is not the address the UI was started on are refused (DNS rebinding).
"""

from __future__ import annotations

import secrets
from pathlib import Path

import duckdb
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from tilth.storage.workspace import WorkspaceBusy
from tilth.ui import format as fmt
from tilth.ui.agent import Sessions
from tilth.ui.store import Store

HERE = Path(__file__).parent
COOKIE = "tilth_ui_token"


def create_app(workspace: str | Path, token: str | None = None, planner: str = "auto", use_embeddings: bool = True,
               allowed_hosts: tuple[str, ...] | None = None) -> FastAPI:
    """The UI for the workspace at `workspace`. `allowed_hosts`: Host header names accepted (None: any, for
    a server bound elsewhere behind the token)."""
    app = FastAPI(title="Tilth", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.store = Store(workspace)
    app.state.sessions = Sessions(app.state.store, planner=planner, use_embeddings=use_embeddings)
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.filters.update(num=fmt.num, size=fmt.size, secs=fmt.secs, when=fmt.when, short=fmt.short,
                                 pct=fmt.pct)
    templates.env.globals["workspace"] = str(app.state.store.root)
    app.state.templates = templates
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.middleware("http")
    async def guard(request: Request, call_next):
        host = (request.headers.get("host") or "").rsplit(":", 1)[0].strip("[]")
        if allowed_hosts is not None and host not in allowed_hosts:
            return JSONResponse({"error": f"host {host!r} not allowed"}, status_code=403)
        if token is not None:
            given = (request.query_params.get("token") or request.cookies.get(COOKIE)
                     or request.headers.get("authorization", "").removeprefix("Bearer ").strip())
            if not given or not secrets.compare_digest(given, token):
                return JSONResponse({"error": "this Tilth UI needs its token: open the URL `tilth ui` printed"},
                                    status_code=401)
        if request.method == "POST" and request.headers.get("content-type", "").split(";")[0] != "application/json":
            return JSONResponse({"error": "POST requests must be application/json"}, status_code=415)
        response: Response = await call_next(request)
        if token is not None and request.query_params.get("token"):
            response.set_cookie(COOKIE, token, httponly=True, samesite="strict")
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Content-Security-Policy"] = ("default-src 'self'; img-src 'self' data:; "
                                                       "style-src 'self' 'unsafe-inline'; frame-ancestors 'none'")
        return response

    def wants_html(request: Request) -> bool:
        return not request.url.path.startswith("/api/")

    def error(request: Request, status: int, message: str) -> Response:
        if wants_html(request):
            return templates.TemplateResponse(request, "error.html", {"status": status, "message": message},
                                              status_code=status)
        return JSONResponse({"error": message}, status_code=status)

    @app.exception_handler(KeyError)
    async def not_found(request: Request, e: KeyError):
        return error(request, 404, str(e.args[0]) if e.args else "not found")

    @app.exception_handler(ValueError)
    async def bad_input(request: Request, e: ValueError):
        return error(request, 400, str(e))

    @app.exception_handler(RequestValidationError)
    async def bad_parameter(request: Request, e: RequestValidationError):
        # `?page=abc` says which parameter and what it takes, as a page or JSON, not FastAPI's raw 422 body
        problems = []
        for err in e.errors():
            where = ".".join(str(x) for x in err.get("loc", ())[1:]) or "request"
            got = err.get("input")
            problems.append(f"{where}: {err.get('msg', 'invalid')}" + (f" (got {got!r})" if isinstance(got, str | int | float) else ""))
        return error(request, 400, "; ".join(problems))

    @app.exception_handler(duckdb.Error)
    async def sql_error(request: Request, e: duckdb.Error):
        return error(request, 400, str(e).strip())

    @app.exception_handler(WorkspaceBusy)
    async def busy(request: Request, e: WorkspaceBusy):
        return error(request, 503, str(e))

    from tilth.ui import api, pages

    app.include_router(api.router)
    app.include_router(pages.router)

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon():
        return RedirectResponse("/static/favicon.svg")

    return app

"""Serve the built dApp (frontend/dist) from the API origin, so SIWE, cookies and CORS stay same-origin."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

_NOT_BUILT = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Hundi</title></head>
<body><h1>Hundi API</h1><p>The dApp is not built yet: run <code>make dev</code> (or <code>npm --prefix frontend run
build</code>). The API documentation is at <a href="/docs">/docs</a>.</p></body></html>"""


def mount_frontend(app: FastAPI, dist: Path) -> None:
    """Serve `dist` at /, with index.html for client-side routes; a helpful page when it is not built."""
    index = dist / "index.html"
    if (dist / "assets").is_dir():
        app.mount("/assets", StaticFiles(directory=dist / "assets"), name="assets")

    @app.get("/{path:path}", include_in_schema=False)
    async def _spa(request: Request, path: str) -> Response:
        if path.startswith(("api/", "oracle/")):
            from backend.api.errors import error_response

            return error_response(404, "not_found", f"no route {request.method} /{path}; the API is listed at /docs")
        candidate = (dist / path).resolve()
        if path and candidate.is_file() and candidate.is_relative_to(dist.resolve()):
            return FileResponse(candidate)
        if index.is_file():
            return FileResponse(index, headers={"Cache-Control": "no-cache"})
        return HTMLResponse(_NOT_BUILT)

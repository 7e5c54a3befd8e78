"""`hundi api`: serve the marketplace API (and the built dApp) with uvicorn."""

from __future__ import annotations

import sys

import click


@click.command("api")
@click.option("--deployment", help="deployments/<name>.json name or path [env HUNDI_DEPLOYMENT, default local]")
@click.option("--rpc-url", help="JSON-RPC URL of the node [env HUNDI_RPC_URL]")
@click.option("--database-url", help="SQLite or Postgres URL of the indexer database [env DATABASE_URL]")
@click.option("--host", help="listen address [env HUNDI_API_HOST, default 127.0.0.1]")
@click.option("--port", type=int, help="listen port [env HUNDI_API_PORT, default 8000]")
@click.option("--workers", type=int, default=1, show_default=True, help="uvicorn worker processes")
def api(
    deployment: str | None,
    rpc_url: str | None,
    database_url: str | None,
    host: str | None,
    port: int | None,
    workers: int,
) -> None:
    """Serve the marketplace HTTP API; OpenAPI docs at /docs, the dApp at / when frontend/dist is built.

    The API reads what `hundi indexer run` writes: start the indexer on the same database.
    """
    import os

    import uvicorn

    from backend.api.settings import ApiSettings
    from backend.db.session import migrate

    overrides = {
        "HUNDI_DEPLOYMENT": deployment,
        "HUNDI_RPC_URL": rpc_url,
        "HUNDI_DATABASE_URL": database_url,
        "HUNDI_API_HOST": host,
        "HUNDI_API_PORT": str(port) if port else None,
    }
    for key, value in overrides.items():
        if value is not None:
            os.environ[key] = value  # workers re-read the settings from the environment
    try:
        settings = ApiSettings()
        migrate(settings.database_url)
        from backend.api.app import create_app

        create_app(settings)  # fail here, with a clear message, rather than inside a worker
    except Exception as exc:
        click.echo(f"hundi api: cannot start: {exc}", err=True)
        click.echo(
            "next: check the deployment file (hundi deploy), the node (HUNDI_RPC_URL) and DATABASE_URL", err=True
        )
        sys.exit(1)
    click.echo(f"hundi api: serving on http://{settings.api_host}:{settings.api_port} (docs at /docs)", err=True)
    uvicorn.run(
        "backend.api.app:create_app",
        factory=True,
        host=settings.api_host,
        port=settings.api_port,
        workers=workers,
        log_level="info",
        access_log=False,
    )

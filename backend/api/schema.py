"""Print the API's OpenAPI schema without a running server or chain: `python -m backend.api.schema > openapi.json`.

The dApp generates its typed client from this output, and docs/api.md is generated from it.
"""

from __future__ import annotations

import json
import sys
from typing import Any


def openapi_schema() -> dict[str, Any]:
    """The schema of the app `create_app` builds, from the routes alone (no settings, database or node)."""
    from fastapi import FastAPI

    from backend.api.app import API_DESCRIPTION, include_routers

    app = FastAPI(title="Hundi API", version="1", description=API_DESCRIPTION)
    include_routers(app)
    schema: dict[str, Any] = app.openapi()
    return schema


def main() -> None:
    json.dump(openapi_schema(), sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()

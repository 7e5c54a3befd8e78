"""Where the project's files live."""

from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    """The project root: `HUNDI_ROOT`, else the nearest parent of the working directory with an ape-config.yaml,
    else the source checkout this package was imported from."""
    env = os.environ.get("HUNDI_ROOT")
    if env:
        return Path(env).resolve()
    for candidate in (Path.cwd(), *Path.cwd().parents):
        if (candidate / "ape-config.yaml").is_file():
            return candidate
    return Path(__file__).resolve().parent.parent


def var_dir() -> Path:
    """Runtime data (databases, documents, logs): `<root>/var`, created on demand."""
    path = project_root() / "var"
    path.mkdir(parents=True, exist_ok=True)
    return path

"""Generate docs/api.md from the API's OpenAPI schema and docs/contracts.md from the contracts' NatSpec.

Run by `make docs`; `python scripts/docs/generate.py --check` exits 1 when a committed file is stale (the test suite
runs the same comparison, so the reference docs cannot drift from the code).

Sources:
- docs/api.md: `backend.api.schema.openapi_schema()` (what `python -m backend.api.schema` prints).
- docs/contracts.md: the devdoc/userdoc NatSpec of the interfaces in contracts/interfaces/, from the compile output
  in .build/__local__.json (`make build` writes it). The interfaces carry the NatSpec; implementations inherit it.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
API_MD = ROOT / "docs" / "api.md"
CONTRACTS_MD = ROOT / "docs" / "contracts.md"
BUILD_MANIFEST = ROOT / ".build" / "__local__.json"
#: Interfaces in the order CONTRACTS.md introduces them; any other interface follows alphabetically.
CONTRACT_ORDER = (
    "IKycRegistry",
    "IInvoiceToken",
    "IOracleHub",
    "IFundingEscrow",
    "IInvoiceShares",
    "IRepaymentDistributor",
)
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _text(value: object) -> str:
    """NatSpec and schema prose on one line: solc keeps the source's line-continuation indentation."""
    return re.sub(r"\s+", " ", str(value)).strip()


def _cell(value: object) -> str:
    """A markdown table cell."""
    return _text(value).replace("|", "\\|")


def _anchor(name: str) -> str:
    """The anchor GitHub-flavoured markdown gives a heading `name`."""
    return re.sub(r"[^a-z0-9 _-]", "", name.lower()).replace(" ", "-")


# ---------------------------------------------------------------------------------------------------------------
# OpenAPI -> docs/api.md


def _schema_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _type(schema: Mapping[str, Any]) -> str:
    """A short human-readable type, with links to component schemas."""
    if "$ref" in schema:
        name = _schema_name(schema["$ref"])
        return f"[{name}](#{_anchor(name)})"
    for combinator in ("anyOf", "oneOf", "allOf"):
        if combinator in schema:
            parts = [_type(s) for s in schema[combinator]]
            joiner = " and " if combinator == "allOf" else " \\| "
            return joiner.join(parts)
    if "enum" in schema:
        return "one of " + ", ".join(f"`{json.dumps(v)}`" for v in schema["enum"])
    if "const" in schema:
        return f"`{json.dumps(schema['const'])}`"
    kind = schema.get("type")
    if isinstance(kind, list):
        return " \\| ".join(str(k) for k in kind)
    if kind == "array":
        return f"array of {_type(schema.get('items', {}))}"
    if kind == "object" and "additionalProperties" in schema and isinstance(schema["additionalProperties"], dict):
        return f"object of {_type(schema['additionalProperties'])}"
    if kind is None:
        return "any"
    fmt = schema.get("format")
    return f"{kind} ({fmt})" if fmt else str(kind)


def _constraints(schema: Mapping[str, Any]) -> str:
    found = []
    for key, label in (
        ("minimum", ">="),
        ("exclusiveMinimum", ">"),
        ("maximum", "<="),
        ("exclusiveMaximum", "<"),
        ("minLength", "min length"),
        ("maxLength", "max length"),
        ("minItems", "min items"),
        ("maxItems", "max items"),
    ):
        if key in schema:
            found.append(f"{label} {schema[key]}")
    if "pattern" in schema:
        found.append(f"pattern `{schema['pattern']}`")
    if "default" in schema:
        found.append(f"default `{json.dumps(schema['default'])}`")
    for combinator in ("anyOf", "oneOf"):
        for part in schema.get(combinator, []):
            inner = _constraints({k: v for k, v in part.items() if k != "default"})
            if inner:
                found.append(inner)
    return "; ".join(found)


def _described(schema: Mapping[str, Any], extra: str = "") -> str:
    parts: list[str] = []
    for part in (extra, _text(schema.get("description", "")), _constraints(schema)):
        if part and part not in parts:  # FastAPI repeats a parameter's description in its schema
            parts.append(part)
    return _cell(". ".join(parts)) if parts else ""


def _body_type(content: Mapping[str, Any]) -> str:
    shown = []
    for media, spec in content.items():
        schema = spec.get("schema")
        shown.append(f"`{media}`" + (f": {_type(schema)}" if schema else ""))
    return "; ".join(shown)


def _operation(method: str, path: str, op: Mapping[str, Any]) -> list[str]:
    out = [f"### `{method.upper()} {path}`", ""]
    if op.get("summary"):
        out += [f"**{_text(op['summary'])}**", ""]
    if op.get("description"):
        out += [_text(op["description"]), ""]
    if op.get("security"):
        schemes = sorted({name for requirement in op["security"] for name in requirement})
        out += [f"Authentication: {', '.join(schemes)}.", ""]
    params = op.get("parameters", [])
    if params:
        out += ["| parameter | in | type | required | description |", "|---|---|---|---|---|"]
        for p in params:
            schema = p.get("schema", {})
            desc = _described(schema, _text(p.get("description", "")))
            required = "yes" if p.get("required") else "no"
            out.append(f"| `{p['name']}` | {p['in']} | {_type(schema)} | {required} | {desc} |")
        out.append("")
    body = op.get("requestBody")
    if body:
        required = " (required)" if body.get("required") else ""
        out += [f"Request body{required}: {_body_type(body.get('content', {}))}", ""]
    responses = op.get("responses", {})
    if responses:
        out += ["| status | meaning | body |", "|---|---|---|"]
        for status, response in responses.items():
            out.append(
                f"| {status} | {_cell(response.get('description', ''))} | {_body_type(response.get('content', {}))} |"
            )
        out.append("")
    return out


def _schema_section(name: str, schema: Mapping[str, Any]) -> list[str]:
    out = [f"### {name}", ""]
    if schema.get("description"):
        out += [_text(schema["description"]), ""]
    properties: Mapping[str, Any] = schema.get("properties", {})
    if properties:
        required = set(schema.get("required", []))
        out += ["| field | type | required | description |", "|---|---|---|---|"]
        for field, spec in properties.items():
            needed = "yes" if field in required else "no"
            out.append(f"| `{field}` | {_type(spec)} | {needed} | {_described(spec)} |")
        out.append("")
    elif "enum" in schema or "type" in schema:
        out += [f"Type: {_type(schema)}", ""]
    return out


def render_api(schema: Mapping[str, Any]) -> str:
    """docs/api.md for an OpenAPI schema: operations grouped by tag, then every component schema."""
    info = schema.get("info", {})
    by_tag: dict[str, list[tuple[str, str, Mapping[str, Any]]]] = {}
    for path, item in schema.get("paths", {}).items():
        for method in HTTP_METHODS:
            if method in item:
                op = item[method]
                tag = (op.get("tags") or ["other"])[0]
                by_tag.setdefault(tag, []).append((method, path, op))
    out = [
        f"# {info.get('title', 'API')} reference",
        "",
        "<!-- Generated by `make docs` (scripts/docs/generate.py) from the OpenAPI schema; do not edit by hand. -->",
        "",
        _text(info.get("description", "")),
        "",
        f"API version {info.get('version', '?')}, OpenAPI {schema.get('openapi', '?')}. A running API serves this "
        "schema at `/openapi.json` and an interactive version at `/docs`; `python -m backend.api.schema` prints it "
        "without a server.",
        "",
        "## Operations",
        "",
    ]
    for tag, ops in by_tag.items():
        out.append(f"- **{tag}**: " + ", ".join(f"`{m.upper()} {p}`" for m, p, _ in ops))
    out.append("")
    for tag, ops in by_tag.items():
        out += [f"## {tag}", ""]
        for method, path, op in ops:
            out += _operation(method, path, op)
    schemas = schema.get("components", {}).get("schemas", {})
    if schemas:
        out += ["## Schemas", ""]
        for name in sorted(schemas):
            out += _schema_section(name, schemas[name])
    return "\n".join(out).rstrip() + "\n"


# ---------------------------------------------------------------------------------------------------------------
# NatSpec -> docs/contracts.md


def _canonical(param: Mapping[str, Any]) -> str:
    """The ABI type as it appears in a signature (tuples expanded)."""
    kind = str(param["type"])
    if kind.startswith("tuple"):
        return "(" + ",".join(_canonical(c) for c in param.get("components", [])) + ")" + kind[len("tuple") :]
    return kind


def _shown_type(param: Mapping[str, Any]) -> str:
    """The Solidity type a reader knows: struct and enum names instead of tuples and uint8."""
    internal = str(param.get("internalType") or param["type"])
    for prefix in ("struct ", "enum ", "contract "):
        if internal.startswith(prefix):
            name = internal[len(prefix) :].rsplit(".", 1)[-1]
            return name
    return internal


def _signature(item: Mapping[str, Any]) -> str:
    return f"{item['name']}({','.join(_canonical(p) for p in item.get('inputs', []))})"


def _declaration(item: Mapping[str, Any]) -> str:
    params = []
    for p in item.get("inputs", []):
        words = [_shown_type(p)]
        if p.get("indexed"):
            words.append("indexed")
        if p.get("name"):
            words.append(str(p["name"]))
        params.append(" ".join(words))
    text = f"{item['name']}({', '.join(params)})"
    if item.get("type") == "function":
        mutability = item.get("stateMutability", "nonpayable")
        if mutability in ("view", "pure", "payable"):
            text += f" {mutability}"
        outputs = item.get("outputs", [])
        if outputs:
            shown = ", ".join(" ".join(w for w in (_shown_type(o), str(o.get("name") or "")) if w) for o in outputs)
            text += f" returns ({shown})"
    return text


def _structs(abi: Iterable[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    found: dict[str, list[Mapping[str, Any]]] = {}

    def visit(params: Iterable[Mapping[str, Any]]) -> None:
        for p in params:
            if str(p["type"]).startswith("tuple"):
                found.setdefault(_shown_type(p).removesuffix("[]"), list(p.get("components", [])))
                visit(p.get("components", []))

    for item in abi:
        visit(item.get("inputs", []))
        visit(item.get("outputs", []))
    return found


def _doc_block(dev: Mapping[str, Any], user: Mapping[str, Any], params: Iterable[Mapping[str, Any]]) -> list[str]:
    out: list[str] = []
    if user.get("notice"):
        out += [_text(user["notice"]), ""]
    if dev.get("details"):
        out += [_text(dev["details"]), ""]
    described = dev.get("params", {})
    named = [p for p in params if p.get("name")]
    if described and named:
        out += ["| parameter | type | description |", "|---|---|---|"]
        out += [f"| `{p['name']}` | `{_shown_type(p)}` | {_cell(described.get(p['name'], ''))} |" for p in named]
        out.append("")
    returns = dev.get("returns", {})
    if returns:
        out += ["Returns: " + "; ".join(f"`{k}`: {_text(v)}" for k, v in returns.items()), ""]
    return out


def _contract_section(name: str, contract: Mapping[str, Any]) -> list[str]:
    abi: list[Mapping[str, Any]] = contract.get("abi", [])
    devdoc: Mapping[str, Any] = contract.get("devdoc") or {}
    userdoc: Mapping[str, Any] = contract.get("userdoc") or {}
    out = [f"## {name}", "", f"Source: `{contract.get('sourceId', '?')}`", ""]
    if userdoc.get("notice"):
        out += [_text(userdoc["notice"]), ""]
    if devdoc.get("details"):
        out += [_text(devdoc["details"]), ""]
    structs = _structs(abi)
    if structs:
        out += ["### Types", ""]
        for struct, fields in sorted(structs.items()):
            members = "; ".join(f"{_shown_type(f)} {f.get('name', '')}".strip() for f in fields)
            out.append(f"- `{struct}`: `{{ {members} }}`")
        out.append("")
    for kind, heading, dev_key in (("function", "Functions", "methods"), ("event", "Events", "events")):
        items = sorted((i for i in abi if i.get("type") == kind), key=lambda i: (str(i["name"]), _signature(i)))
        if not items:
            continue
        out += [f"### {heading}", ""]
        for item in items:
            sig = _signature(item)
            out += [f"#### `{_declaration(item)}`", ""]
            out += _doc_block(
                devdoc.get(dev_key, {}).get(sig, {}), userdoc.get(dev_key, {}).get(sig, {}), item.get("inputs", [])
            )
    errors = sorted((i for i in abi if i.get("type") == "error"), key=lambda i: str(i["name"]))
    if errors:
        out += ["### Errors", ""]
        for item in errors:
            sig = _signature(item)
            dev_entries = devdoc.get("errors", {}).get(sig, [{}])
            user_entries = userdoc.get("errors", {}).get(sig, [{}])
            out += [f"#### `{_declaration(item)}`", ""]
            out += _doc_block(dev_entries[0], user_entries[0], item.get("inputs", []))
    return out


def render_contracts(manifest: Mapping[str, Any]) -> str:
    """docs/contracts.md from a compile manifest: every interface under contracts/interfaces/, with its NatSpec."""
    types: Mapping[str, Any] = manifest.get("contractTypes", {})
    interfaces = [
        name
        for name, contract in types.items()
        if str(contract.get("sourceId", "")).startswith("contracts/interfaces/")
    ]
    ordered = [n for n in CONTRACT_ORDER if n in interfaces] + sorted(n for n in interfaces if n not in CONTRACT_ORDER)
    out = [
        "# Hundi contracts reference",
        "",
        "<!-- Generated by `make docs` (scripts/docs/generate.py) from the NatSpec of contracts/interfaces/; do not "
        "edit by hand. -->",
        "",
        "The public interface of the on-chain core, one section per interface in `contracts/interfaces/` (the "
        "implementations `@inheritdoc` it): every function, event and custom error with its NatSpec, generated "
        "from the compile output (`make build`, then `make docs`).",
        "",
        "## Contents",
        "",
    ]
    out += [f"- [{name}](#{_anchor(name)})" for name in ordered]
    out.append("")
    for name in ordered:
        out += _contract_section(name, types[name])
    return "\n".join(out).rstrip() + "\n"


# ---------------------------------------------------------------------------------------------------------------
# CLI


def load_openapi() -> dict[str, Any]:
    """The API's OpenAPI schema, built from the routes alone (no server, database or chain)."""
    from backend.api.schema import openapi_schema

    return openapi_schema()


def load_manifest(path: Path = BUILD_MANIFEST) -> dict[str, Any]:
    """The compile output (.build/__local__.json).

    Raises:
        SystemExit: it is missing; `make build` writes it.
    """
    if not path.is_file():
        raise SystemExit(f"{path} is missing: run `make build` first (it compiles the contracts into .build/)")
    manifest: dict[str, Any] = json.loads(path.read_text())
    return manifest


def expected_docs() -> dict[Path, str]:
    """Each generated doc and the text it should have now."""
    return {API_MD: render_api(load_openapi()), CONTRACTS_MD: render_contracts(load_manifest())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="compare instead of writing; exit 1 when stale")
    args = parser.parse_args(argv)
    stale = []
    for path, text in expected_docs().items():
        current = path.read_text() if path.is_file() else None
        if current == text:
            sys.stdout.write(f"docs: {path.relative_to(ROOT)} is up to date\n")
        elif args.check:
            stale.append(path)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            sys.stdout.write(f"docs: wrote {path.relative_to(ROOT)}\n")
    if stale:
        names = ", ".join(str(p.relative_to(ROOT)) for p in stale)
        sys.stderr.write(f"docs: {names} out of date; run `make docs` and commit the result\n")
        return 1
    return 0


if __name__ == "__main__":
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    sys.exit(main())

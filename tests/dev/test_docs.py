"""The generated reference docs: the committed files match what the code generates now, and the generators render
what they are given (so a stale or broken doc fails here rather than misleading a reader)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from scripts.docs.generate import API_MD, CONTRACTS_MD, expected_docs, load_manifest, main, render_api, render_contracts


def test_committed_docs_are_up_to_date() -> None:
    for path, text in expected_docs().items():
        assert path.is_file(), f"{path} is missing: run `make docs`"
        assert path.read_text() == text, f"{path.name} is stale: run `make docs` and commit the result"


def test_check_mode_reports_stale_docs_without_writing(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import scripts.docs.generate as generate

    stale = tmp_path / "api.md"
    stale.write_text("# old\n")
    monkeypatch.setattr(generate, "expected_docs", lambda: {stale: "# new\n"})
    monkeypatch.setattr(generate, "ROOT", tmp_path)
    assert main(["--check"]) == 1
    assert stale.read_text() == "# old\n"
    assert main([]) == 0
    assert stale.read_text() == "# new\n"


SCHEMA: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "Demo API", "version": "7", "description": "Does   demo\n things."},
    "paths": {
        "/api/v1/things/{thing_id}": {
            "get": {
                "tags": ["things"],
                "summary": "One thing",
                "security": [{"HTTPBearer": []}],
                "parameters": [
                    {
                        "name": "thing_id",
                        "in": "path",
                        "required": True,
                        "description": "the id",
                        "schema": {"type": "integer", "minimum": 1, "description": "the id"},
                    }
                ],
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}},
                    },
                    "404": {"description": "no such | thing"},
                },
            }
        }
    },
    "components": {
        "schemas": {
            "Thing": {
                "description": "A thing.",
                "type": "object",
                "required": ["id"],
                "properties": {
                    "id": {"type": "integer"},
                    "amount": {"type": "string", "pattern": "^[0-9]+$", "description": "base units"},
                    "tags": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "null"}]}},
                },
            }
        }
    },
}


def test_render_api_documents_operations_parameters_responses_and_schemas() -> None:
    text = render_api(SCHEMA)
    assert text.startswith("# Demo API reference\n")
    assert "Does demo things." in text
    assert "### `GET /api/v1/things/{thing_id}`" in text and "**One thing**" in text
    assert "Authentication: HTTPBearer." in text
    assert "| `thing_id` | path | integer | yes | the id. >= 1 |" in text  # description not repeated
    assert "| 200 | ok | `application/json`: [Thing](#thing) |" in text
    assert "no such \\| thing" in text  # table cells are escaped
    assert "### Thing" in text and "| `id` | integer | yes |  |" in text
    assert "| `amount` | string | no | base units. pattern `^[0-9]+$` |" in text
    assert "array of string \\| null" in text


MANIFEST: dict[str, Any] = {
    "contractTypes": {
        "Widget": {"sourceId": "contracts/Widget.sol", "abi": []},  # an implementation: not documented
        "IZeta": {"sourceId": "contracts/interfaces/IZeta.sol", "abi": [], "userdoc": {"notice": "Zeta."}},
        "IKycRegistry": {
            "sourceId": "contracts/interfaces/IKycRegistry.sol",
            "abi": [
                {
                    "type": "function",
                    "name": "setKyc",
                    "stateMutability": "nonpayable",
                    "inputs": [
                        {"name": "account", "type": "address", "internalType": "address"},
                        {
                            "name": "entry",
                            "type": "tuple",
                            "internalType": "struct IKycRegistry.Entry",
                            "components": [
                                {"name": "roles", "type": "uint8", "internalType": "uint8"},
                                {"name": "validUntil", "type": "uint64", "internalType": "uint64"},
                            ],
                        },
                    ],
                    "outputs": [],
                },
                {
                    "type": "event",
                    "name": "KycUpdated",
                    "inputs": [{"name": "account", "type": "address", "indexed": True, "internalType": "address"}],
                },
                {"type": "error", "name": "ZeroAddress", "inputs": []},
            ],
            "devdoc": {
                "details": "Roles are   a bitmask.",
                "methods": {
                    "setKyc(address,(uint8,uint64))": {
                        "details": "Paused: revocations only.",
                        "params": {"account": "The address checked."},
                    }
                },
            },
            "userdoc": {
                "notice": "Who may act.",
                "methods": {"setKyc(address,(uint8,uint64))": {"notice": "Sets an entry."}},
                "events": {"KycUpdated(address)": {"notice": "An entry was written."}},
                "errors": {"ZeroAddress()": [{"notice": "Not the zero address."}]},
            },
        },
    }
}


def test_render_contracts_documents_interfaces_with_their_natspec() -> None:
    text = render_contracts(MANIFEST)
    assert "## Widget" not in text
    assert text.index("## IKycRegistry") < text.index("## IZeta")  # the CONTRACTS.md order first
    assert "Who may act." in text and "Roles are a bitmask." in text
    assert "#### `setKyc(address account, Entry entry)`" in text
    assert "Sets an entry." in text and "Paused: revocations only." in text
    assert "| `account` | `address` | The address checked. |" in text
    assert "- `Entry`: `{ uint8 roles; uint64 validUntil }`" in text
    assert "#### `KycUpdated(address indexed account)`" in text and "An entry was written." in text
    assert "#### `ZeroAddress()`" in text and "Not the zero address." in text


def test_contract_docs_change_when_the_natspec_changes() -> None:
    manifest = copy.deepcopy(load_manifest())
    token = manifest["contractTypes"]["IInvoiceToken"]
    token["userdoc"]["methods"]["burn(uint256)"]["notice"] = "Burns nothing at all."
    assert "Burns nothing at all." in render_contracts(manifest)
    assert "Burns nothing at all." not in CONTRACTS_MD.read_text()
    assert API_MD.is_file()

#!/usr/bin/env bash
# Run every linter, report each, and fail if any failed (so one run shows all problems).
# Usage: lint.sh [python dirs for mypy...]   (the Makefile passes the ones that hold code)
# Expects PATH to hold .venv/bin and node_modules/.bin, as `make lint` arranges.
set -uo pipefail
if [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
    sed -n '2,/^set /p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'
    exit 0
fi
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

failed=()
run() {
    printf 'lint: %s\n' "$*"
    if ! "$@"; then failed+=("$*"); fi
}

run ruff format --check .
run ruff check .
if [ "$#" -gt 0 ]; then
    run mypy "$@"
else
    printf 'lint: no Python code for mypy yet\n'
fi
if [ -n "$(find contracts -name '*.sol' -print -quit 2>/dev/null)" ]; then
    run forge fmt --check contracts
    # slither compiles through forge (offline, with the npm-backed solc from foundry.toml) and reads its
    # filters from slither.config.json; --fail-medium makes medium and high findings fail the lint.
    run slither . --fail-medium
else
    printf 'lint: no Solidity files in contracts/ yet; skipping forge fmt and slither\n'
fi

if [ "${#failed[@]}" -gt 0 ]; then
    printf 'lint: FAILED: %s\n' "${failed[@]}" >&2
    printf 'lint: next: `make fmt` fixes formatting and import order; the rest needs a code change.\n' >&2
    exit 1
fi
printf 'lint: all checks passed\n'

#!/usr/bin/env bash
# Install everything Hundi needs to build and test, from the project's own lock files:
#   1. Debian packages for OCR (tesseract-ocr, tesseract-ocr-eng, poppler-utils; fonts-dejavu-core for the OCR test fixtures)
#      and for the browser tests (chromium), when running as root;
#   2. the Python venv in .venv, synced to requirements.lock (hash-checked) with uv, plus hundi in editable mode;
#   3. node_modules from package-lock.json (solc, anvil, forge, cast, OpenZeppelin), and frontend/node_modules from
#      frontend/package-lock.json (the dApp's build tools);
#   4. the native-style solc-v<version> executable that ape-solidity looks up in ${SOLCX_BINARY_PATH:-~/.solcx}.
# Idempotent: each step keeps a stamp keyed on the sha256 of its inputs and is skipped when nothing changed, so a
# second run takes well under two seconds. Run it through `make bootstrap` (every make target does).
# TOOLCHAIN.md in the design notes says why each piece is installed the way it is.
set -Eeuo pipefail

if [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
    # The comment block at the top of this file is the help text.
    sed -n '2,/^set /p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'
    echo "Environment: SOLCX_BINARY_PATH (default ~/.solcx) is where solc-v<version> goes."
    exit 0
fi

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

UV_DEFAULT_VERSION="0.13.8"
APT_PACKAGES=(tesseract-ocr tesseract-ocr-eng poppler-utils fonts-dejavu-core chromium)
VENV="$ROOT/.venv"
SOLCX_DIR="${SOLCX_BINARY_PATH:-$HOME/.solcx}"

log() { printf 'bootstrap: %s\n' "$*"; }

STEP="start"
NEXT="re-run \`make bootstrap\` and read the error above"
on_error() {
    local rc=$?
    printf 'bootstrap: FAILED during "%s" (exit %s)\n' "$STEP" "$rc" >&2
    printf 'bootstrap: next: %s\n' "$NEXT" >&2
    printf 'bootstrap: `hundi doctor` (or .venv/bin/hundi doctor) lists what is still missing.\n' >&2
    exit "$rc"
}
trap on_error ERR

sha256_of() { cat "$@" | sha256sum | cut -d' ' -f1; }

APT_UPDATED=0
apt_install() {
    if [ "$APT_UPDATED" -eq 0 ]; then
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# One bootstrap at a time: `make -j` or two terminals must not run npm ci or uv sync over each other.
mkdir -p "$ROOT/var"
if command -v flock >/dev/null 2>&1; then
    exec 9>"$ROOT/var/bootstrap.lock"
    flock 9
fi

# --- 1. Debian packages ------------------------------------------------------------------------------------------
STEP="system packages"
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done
if [ "${#missing[@]}" -eq 0 ]; then
    log "system packages present (${APT_PACKAGES[*]})"
elif [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    NEXT="check that the Debian package mirror is reachable, then run: apt-get update && apt-get install -y ${missing[*]}"
    log "installing ${missing[*]} with apt-get"
    apt_install "${missing[@]}"
    log "system packages installed"
else
    # Not fatal: only the OCR code and the browser tests need them. The tests that need them say so.
    log "missing system packages: ${missing[*]} (not root, so not installing them)"
    log "  install them with: sudo apt-get update && sudo apt-get install -y ${missing[*]}"
fi

# --- 2. Python venv ------------------------------------------------------------------------------------------------
STEP="python venv"
is_py311() { [ -x "$1" ] || command -v "$1" >/dev/null 2>&1 || return 1; "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; }

if ! is_py311 "$VENV/bin/python"; then
    PYTHON=""
    for candidate in python3.11 python3; do
        if is_py311 "$candidate"; then PYTHON="$candidate"; break; fi
    done
    if [ -z "$PYTHON" ]; then
        NEXT="install Python 3.11 (Debian 12: apt-get install -y python3 python3-venv; elsewhere e.g. pyenv install 3.11)"
        log "no Python 3.11 found (looked for python3.11 and python3)"
        false
    fi
    if ! "$PYTHON" -c 'import ensurepip, venv' 2>/dev/null; then
        if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
            NEXT="apt-get install -y python3.11-venv"
            log "installing python3.11-venv (the venv module has no ensurepip)"
            apt_install python3.11-venv
        else
            NEXT="sudo apt-get install -y python3.11-venv, then make bootstrap"
            log "$PYTHON has no working venv module"
            false
        fi
    fi
    if [ -e "$VENV" ]; then
        log "$VENV is not a working Python 3.11 venv; recreating it"
        rm -rf "$VENV"
    fi
    NEXT="check that $PYTHON -m venv works, then make bootstrap"
    log "creating .venv with $(command -v "$PYTHON") ($("$PYTHON" --version 2>&1))"
    "$PYTHON" -m venv "$VENV"
fi

# uv: the version pinned in the lock if it is there, else the one this script was written against.
UV_VERSION="$(sed -n 's/^uv==\([^ ]*\).*/\1/p' requirements.lock | head -n1)"
UV_VERSION="${UV_VERSION:-$UV_DEFAULT_VERSION}"
VENV_KEY="$(
    {
        sha256_of requirements.lock pyproject.toml
        echo "uv $UV_VERSION"
        # An editable install maps top-level packages; a new one (oracle/, backend/ gaining code) needs a reinstall.
        ls -d -- */__init__.py 2>/dev/null || true
    } | sha256sum | cut -d' ' -f1
)"
VENV_STAMP="$VENV/.hundi-bootstrap"
if [ "$(cat "$VENV_STAMP" 2>/dev/null)" = "$VENV_KEY" ]; then
    log "venv up to date (.venv matches requirements.lock)"
else
    if [ "$("$VENV/bin/uv" --version 2>/dev/null | cut -d' ' -f2)" != "$UV_VERSION" ]; then
        STEP="install uv $UV_VERSION"
        NEXT="check that PyPI is reachable (pip's configuration applies), then make bootstrap"
        log "installing uv $UV_VERSION into .venv"
        "$VENV/bin/python" -m pip install --disable-pip-version-check -q "uv==$UV_VERSION"
    fi
    STEP="uv pip sync requirements.lock"
    NEXT="check that PyPI is reachable (uv reads UV_DEFAULT_INDEX, not pip.conf, if this machine uses a mirror); if a hash or version is rejected, re-lock: .venv/bin/uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes -o requirements.lock"
    log "syncing .venv to requirements.lock (hash-checked)"
    "$VENV/bin/uv" pip sync --quiet --require-hashes --python "$VENV/bin/python" requirements.lock
    STEP="install hundi (editable)"
    NEXT="fix the packaging error above in pyproject.toml, then make bootstrap"
    "$VENV/bin/uv" pip install --quiet --no-deps --python "$VENV/bin/python" -e .
    echo "$VENV_KEY" >"$VENV_STAMP"
    log "venv ready ($("$VENV/bin/python" --version))"
fi

# --- 3. node_modules -----------------------------------------------------------------------------------------------
STEP="node and npm"
NEXT="install Node 20+ and npm (Debian: apt-get install -y nodejs npm), then make bootstrap"
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    log "node and npm are required (node: $(command -v node || echo missing), npm: $(command -v npm || echo missing))"
    false
fi
NODE="$(command -v node)"
NPM_KEY="$( { sha256_of package.json package-lock.json .npmrc; node --version; } | sha256sum | cut -d' ' -f1)"
NPM_STAMP="$ROOT/node_modules/.hundi-bootstrap"
npm_changed=0
if [ "$(cat "$NPM_STAMP" 2>/dev/null)" = "$NPM_KEY" ]; then
    log "node_modules up to date (matches package-lock.json)"
elif [ -d node_modules ] && npm ls --silent >/dev/null 2>&1; then
    # Installed by hand or by an older bootstrap and complete: adopt it rather than reinstalling.
    echo "$NPM_KEY" >"$NPM_STAMP"
    log "node_modules up to date (checked with npm ls)"
else
    STEP="npm ci"
    NEXT="check that the npm registry is reachable (npm config applies, and the project's .npmrc), then make bootstrap"
    log "installing node_modules with npm ci"
    npm_log="$ROOT/var/npm-ci.log"
    if ! npm ci --no-audit --no-fund --loglevel=error >"$npm_log" 2>&1; then
        # npm ci rejects a lock that omits optional platform packages the registry does not serve (here
        # @foundry-rs/*-darwin-amd64 and others): "Missing: <pkg>@ from lock file", npm/cli#9846. npm install
        # accepts the same lock and installs exactly its versions and integrity hashes; the lock must not change.
        if ! grep -q "Missing: .* from lock file" "$npm_log"; then
            cat "$npm_log" >&2
            false
        fi
        STEP="npm install (lock unchanged)"
        log "npm ci rejected the lock's unavailable optional packages (npm/cli#9846); using npm install"
        lock_before="$(sha256_of package-lock.json)"
        cp package-lock.json "$ROOT/var/package-lock.json.orig"
        npm install --no-audit --no-fund --loglevel=error
        if [ "$(sha256_of package-lock.json)" != "$lock_before" ]; then
            cp "$ROOT/var/package-lock.json.orig" package-lock.json
            NEXT="package.json and package-lock.json disagree: run \`npm install\`, review and commit package-lock.json"
            log "npm install wanted to change package-lock.json (restored)"
            false
        fi
    fi
    echo "$NPM_KEY" >"$NPM_STAMP"
    npm_changed=1
    log "node_modules ready"
fi

# --- 3b. the dApp's node_modules (frontend/) -------------------------------------------------------------------------
# Its own package.json and lock (Vite, React, viem, openapi-typescript), apart from the root toolchain packages.
STEP="npm ci (frontend)"
NEXT="check that the npm registry is reachable (npm config applies, and frontend/.npmrc), then make bootstrap"
FE_KEY="$( { sha256_of frontend/package.json frontend/.npmrc; sha256_of frontend/package-lock.json 2>/dev/null || true; node --version; } | sha256sum | cut -d' ' -f1)"
FE_STAMP="$ROOT/frontend/node_modules/.hundi-bootstrap"
if [ "$(cat "$FE_STAMP" 2>/dev/null)" = "$FE_KEY" ]; then
    log "frontend/node_modules up to date (matches frontend/package-lock.json)"
else
    if [ -f frontend/package-lock.json ]; then
        log "installing frontend/node_modules with npm ci"
        (cd frontend && npm ci --no-audit --no-fund --loglevel=error >"$ROOT/var/npm-ci-frontend.log" 2>&1) \
            || { cat "$ROOT/var/npm-ci-frontend.log" >&2; false; }
    else
        log "frontend/package-lock.json is missing: installing with npm install (commit the lock it writes)"
        (cd frontend && npm install --no-audit --no-fund --loglevel=error)
    fi
    FE_KEY="$( { sha256_of frontend/package.json frontend/.npmrc; sha256_of frontend/package-lock.json; node --version; } | sha256sum | cut -d' ' -f1)"
    echo "$FE_KEY" >"$FE_STAMP"
    log "frontend/node_modules ready"
fi

# --- 4. solc -------------------------------------------------------------------------------------------------------
STEP="solc executable"
NEXT="check scripts/toolchain/solc.js and node_modules/solc (rm -rf node_modules && make bootstrap)"
SOLC_VERSION="$("$NODE" -p 'require("./package.json").devDependencies.solc')"
SOLC_BIN="$SOLCX_DIR/solc-v$SOLC_VERSION"
case "$ROOT$NODE" in *"'"*)
    log "the project path or node path contains a single quote; move the checkout"
    false ;;
esac
# A small wrapper rather than a copy: solc.js finds node_modules from its own real path, which a copy in
# ~/.solcx would not have. Absolute paths, because ape-solidity and forge may run it with a reduced PATH.
WRAPPER="#!/bin/sh
# solc $SOLC_VERSION for ape-solidity (py-solc-x layout): native-style CLI backed by the npm solc package.
# Written by $ROOT/scripts/toolchain/bootstrap.sh; run \`make bootstrap\` there to rewrite it.
exec '$NODE' '$ROOT/scripts/toolchain/solc.js' \"\$@\"
"
if [ -x "$SOLC_BIN" ] && [ "$(cat "$SOLC_BIN")" = "${WRAPPER%$'\n'}" ] && [ "$npm_changed" -eq 0 ]; then
    log "solc $SOLC_VERSION up to date ($SOLC_BIN)"
else
    mkdir -p "$SOLCX_DIR"
    # Write then rename, so a compile running right now never sees a half-written file.
    printf '%s' "$WRAPPER" >"$SOLC_BIN.tmp.$$"
    chmod 0755 "$SOLC_BIN.tmp.$$"
    mv -f "$SOLC_BIN.tmp.$$" "$SOLC_BIN"
    STEP="verify solc --version"
    version_out="$("$SOLC_BIN" --version)"
    line1="$(sed -n 1p <<<"$version_out")"
    line2="$(sed -n 2p <<<"$version_out")"
    line2_re="^Version: ${SOLC_VERSION//./\\.}\\+commit\\.[0-9a-f]{8}\\.Linux\\.g\\+\\+\$"
    if [ "$line1" != "solc, the solidity compiler commandline interface" ] || ! [[ "$line2" =~ $line2_re ]]; then
        log "$SOLC_BIN --version printed:"
        printf '%s\n' "$version_out" >&2
        log "expected 'solc, the solidity compiler commandline interface' and 'Version: $SOLC_VERSION+commit.<hash>.Linux.g++'"
        false
    fi
    log "solc $SOLC_VERSION installed at $SOLC_BIN (${line2#Version: })"
fi

log "done"

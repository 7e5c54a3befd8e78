#!/usr/bin/env node
// A native-style `solc` command backed by the npm `solc` package (the official compiler built to WebAssembly).
// Native solc cannot be downloaded on offline machines; ape-solidity, forge and slither only need
// `--version` and `--standard-json`, which this provides. See ../../../shared/design/TOOLCHAIN.md.
"use strict";
const fs = require("fs");
const path = require("path");

// The project's node_modules is resolved from this file's real location, so copies and symlinks work.
const projectRoot = process.env.HUNDI_ROOT || path.resolve(path.dirname(fs.realpathSync(__filename)), "..", "..");
const solc = require(require.resolve("solc", { paths: [projectRoot, process.cwd()] }));

function out(text) {
  // process.stdout.write + process.exit cuts piped output at 64 KiB; writeSync does not.
  const buf = Buffer.from(text);
  let off = 0;
  while (off < buf.length) {
    try {
      off += fs.writeSync(1, buf, off, buf.length - off);
    } catch (e) {
      if (e.code !== "EAGAIN") throw e;
    }
  }
}

function fail(message) {
  fs.writeSync(2, `solc: ${message}\n`);
  process.exit(1);
}

const args = process.argv.slice(2);
if (args.includes("--version") || args.includes("-v")) {
  const v = solc.version().replace(/\.Emscripten\.clang$/, ".Linux.g++");
  out(`solc, the solidity compiler commandline interface\nVersion: ${v}\n`);
  process.exit(0);
}
if (!args.includes("--standard-json")) {
  fail("only --version and --standard-json are supported by this npm-backed compiler");
}

// Directories an import may be resolved against, as native solc does.
const roots = [process.cwd()];
const PATH_FLAGS = new Set(["--base-path", "--include-path", "--allow-paths"]);
const positional = [];
for (let i = 0; i < args.length; i++) {
  const flag = args[i].split("=")[0];
  if (!PATH_FLAGS.has(flag)) {
    if (!args[i].startsWith("-")) positional.push(args[i]);
    continue;
  }
  const value = args[i].includes("=") ? args[i].slice(args[i].indexOf("=") + 1) : args[++i];
  if (value === undefined) fail(`${flag} needs a value`);
  for (const p of value.split(",")) if (p) roots.push(path.resolve(p));
}

function findImports(importPath) {
  const candidates = path.isAbsolute(importPath) ? [importPath] : roots.map((r) => path.join(r, importPath));
  for (const candidate of candidates) {
    try {
      return { contents: fs.readFileSync(candidate, "utf8") };
    } catch (_) {
      /* try the next root */
    }
  }
  return { error: `File not found: ${importPath} (searched ${roots.join(", ")})` };
}

// Standard JSON comes on stdin, or from a file named as the one positional argument.
const input = fs.readFileSync(positional.length ? positional[0] : 0, "utf8");
out(solc.compile(input, { import: findImports }));

"""Install the pinned Stoplight Prism for the contract check; `tox run -e contract` runs this first.

    python tests/contract/install_prism.py

Runs `npm ci` in tests/contract when node_modules/.bin/prism is missing or stale: installed from another
package.json / package-lock.json than the committed ones (a stamp in node_modules records their hash).

Without Node.js (`node` and `npm` on PATH, Node >= 20.19): outside CI, a loud warning and exit 0, and the contract
tests skip themselves; with CI=true, a loud error and exit 1. A failing `npm ci` always exits non-zero.

Standard library only. conftest.py imports it for the same facts (paths, the CI switch, what is missing).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

HERE = Path(__file__).resolve().parent
PACKAGE_JSON = HERE / "package.json"
PACKAGE_LOCK = HERE / "package-lock.json"
NODE_MODULES = HERE / "node_modules"
PRISM_BIN = NODE_MODULES / ".bin" / ("prism.cmd" if os.name == "nt" else "prism")
PRISM_PACKAGE = "@stoplight/prism-cli"
STAMP = NODE_MODULES / ".batch-rest-contract.sha256"

# Prism 5.16's mock generator require()s @faker-js/faker 10, an ES module: that needs Node 20.19+ (or 22.13+).
# Prism 5.16 itself declares `node >=24.18.0`; it runs on Node 20.19+ all the same (npm warns EBADENGINE).
MIN_NODE = (20, 19)
NPM_CI = ("ci", "--no-audit", "--no-fund", "--ignore-scripts")  # Prism needs no install scripts (only telemetry)
BANNER = "=" * 100


def in_ci(environ: Mapping[str, str] = os.environ) -> bool:
    return environ.get("CI", "").strip().lower() == "true"


def pinned_version() -> str:
    return str(json.loads(PACKAGE_JSON.read_text(encoding="utf-8"))["dependencies"][PRISM_PACKAGE])


def installed_version() -> str | None:
    manifest = NODE_MODULES / PRISM_PACKAGE / "package.json"
    try:
        return str(json.loads(manifest.read_text(encoding="utf-8"))["version"])
    except (OSError, ValueError, KeyError):
        return None


def lock_digest() -> str:
    digest = hashlib.sha256()
    for path in (PACKAGE_JSON, PACKAGE_LOCK):
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def node_version(node: str) -> tuple[int, ...] | None:
    try:
        out = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.fullmatch(r"v(\d+)\.(\d+)\.(\d+)\s*", out)
    return tuple(int(part) for part in match.groups()) if match else None


def node_problem(*, need_npm: bool) -> str | None:
    """Why Prism cannot be installed (need_npm) or run with the Node.js on PATH; None when it can."""
    missing = [tool for tool in ("node", "npm")[: 2 if need_npm else 1] if shutil.which(tool) is None]
    if missing:
        return f"{' and '.join(missing)} not found on PATH (PATH={os.environ.get('PATH', '')})"
    node = shutil.which("node")
    assert node is not None
    version = node_version(node)
    if version is None:
        return f"`{node} --version` did not answer with a version"
    if version[:2] < MIN_NODE:
        found, needed = ".".join(map(str, version)), ".".join(map(str, MIN_NODE))
        return f"Node.js {found} at {node} is too old: Prism {pinned_version()} needs Node.js {needed} or later"
    return None


def install_problem() -> str | None:
    """Why `npm ci` must run: Prism is missing or was installed from other package files; None when up to date."""
    if not PRISM_BIN.exists():
        return f"{PRISM_BIN.relative_to(HERE)} does not exist"
    try:
        stamp = STAMP.read_text(encoding="ascii").strip()
    except OSError:
        return f"{STAMP.relative_to(HERE)} does not exist (node_modules was not installed by this script)"
    if stamp != lock_digest():
        return "package.json or package-lock.json changed since node_modules was installed"
    return None


def loud(*lines: str) -> None:
    print("\n".join((BANNER, *lines, BANNER)), file=sys.stderr, flush=True)


def main() -> int:
    problem = node_problem(need_npm=True)
    if problem is not None:
        if in_ci():
            loud(
                f"ERROR: cannot install Stoplight Prism for the contract check: {problem}.",
                "CI=true, so the contract check is required: install Node.js "
                f"{'.'.join(map(str, MIN_NODE))}+ with npm on the CI machine.",
            )
            return 1
        loud(
            f"WARNING: cannot install Stoplight Prism: {problem}.",
            "",
            "    THE CONTRACT CHECKS (tests/contract: the client against Prism serving openapi/) WILL BE SKIPPED.",
            "",
            f"Install Node.js {'.'.join(map(str, MIN_NODE))}+ with npm and rerun `tox run -e contract` to run them.",
            "In CI (CI=true) this is an error, not a warning.",
        )
        return 0

    reason = install_problem()
    if reason is None:
        print(f"Stoplight Prism {installed_version()} is installed and up to date ({PRISM_BIN})", flush=True)
        return 0

    npm = shutil.which("npm")
    assert npm is not None
    command = [npm, *NPM_CI]
    print(f"installing Stoplight Prism {pinned_version()}: {reason}", flush=True)
    print(f"$ cd {HERE} && {' '.join(['npm', *NPM_CI])}", flush=True)
    STAMP.unlink(missing_ok=True)
    try:
        returncode = subprocess.run(command, cwd=HERE, check=False).returncode
    except OSError as exc:
        returncode, reason = 1, f"could not run npm: {exc}"
    else:
        reason = f"`npm ci` exited with status {returncode} (its output is above)"
    if returncode != 0:
        loud(
            f"ERROR: installing Stoplight Prism failed: {reason}.",
            f"Check the network / npm registry access, and that {PACKAGE_LOCK.name} matches {PACKAGE_JSON.name}",
            f"(regenerate it with `npm install --package-lock-only` in {HERE}).",
        )
        return returncode or 1

    version = installed_version()
    problems = []
    if not PRISM_BIN.exists():
        problems.append(f"`npm ci` succeeded but {PRISM_BIN} does not exist")
    if version != pinned_version():
        problems.append(f"{PRISM_PACKAGE} {version} was installed, but package.json pins {pinned_version()}")
    if not problems:
        try:
            ran = subprocess.run(
                [str(PRISM_BIN), "--version"], capture_output=True, text=True, timeout=120, check=False, cwd=HERE
            )
        except (OSError, subprocess.SubprocessError) as exc:
            problems.append(f"`prism --version` could not run: {exc}")
        else:
            if ran.returncode != 0 or ran.stdout.strip() != version:
                output = (ran.stdout + ran.stderr).strip()
                problems.append(f"`prism --version` exited with {ran.returncode} and said:\n{output}")
    if problems:
        loud("ERROR: the installed Stoplight Prism is not usable:", *problems)
        return 1
    STAMP.write_text(lock_digest() + "\n", encoding="ascii")
    print(f"Stoplight Prism {version} installed ({PRISM_BIN})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Keep wheels of the client's dependencies (pyproject.toml's, and theirs) in a folder; `tox run -e packaging`
runs this first.

    python tests/packaging/wheelhouse.py <folder>

test_vendor.py installs them into a fresh virtualenv with `pip install --no-index --find-links <folder>`, so the
test itself never touches the network. The folder lives in the tox environment (recreated with it): when it
already holds wheels that satisfy the requirements, nothing is fetched; otherwise `pip wheel` fetches them from
the configured index, as tox fetched the environment's own packages.

Standard library only.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def requirements() -> list[str]:
    return list(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"])


def pip_wheel(folder: Path, *options: str) -> int:
    command = [sys.executable, "-m", "pip", "wheel", "--quiet", "--wheel-dir", str(folder), *options, *requirements()]
    return subprocess.run(command, check=False, stdin=subprocess.DEVNULL).returncode


def main(argv: list[str]) -> int:
    folder = Path(argv[1]).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    if any(folder.glob("*.whl")) and pip_wheel(folder, "--no-index", "--find-links", str(folder)) == 0:
        return 0  # everything is there already
    return pip_wheel(folder)


if __name__ == "__main__":
    sys.exit(main(sys.argv))

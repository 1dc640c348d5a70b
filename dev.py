"""The two quick-start commands, needing nothing but Python 3.11+.

    python3 dev.py demo    install spine into .venv and run the main job
    python3 dev.py test    run the whole test suite (nox: every distribution alone, then all together)

Both create ``.venv`` on first use. ``demo`` installs the kernel and every plugin in
editable mode, so later changes to the code need no reinstall.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / "spine-installed.txt"


def _python() -> str:
    if not (BIN / "python").exists():
        print(f"creating {VENV.relative_to(ROOT)} ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    return str(BIN / "python")


def _pip(*args: str) -> None:
    subprocess.run(
        [_python(), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *args], check=True
    )


def _distributions() -> list[Path]:
    return [ROOT / "spine-kernel", *sorted(p.parent for p in ROOT.glob("plugins/*/pyproject.toml"))]


def _install_spine() -> None:
    """Editable installs of every distribution, redone only when their pyproject files change."""
    distributions = _distributions()
    fingerprint = hashlib.sha256(
        b"".join(str(path).encode() + (path / "pyproject.toml").read_bytes() for path in distributions)
    ).hexdigest()
    if STAMP.exists() and STAMP.read_text() == fingerprint:
        return
    print("installing spine into .venv ...", flush=True)
    _pip(*(arg for path in distributions for arg in ("-e", str(path))))
    STAMP.write_text(fingerprint)


def demo() -> int:
    _install_spine()
    loaded = subprocess.run([str(BIN / "spine"), "run", "finra.samples"]).returncode
    if loaded:
        return loaded
    return subprocess.run([str(BIN / "python"), "-m", "spine_domain_finra.summary"]).returncode


def test() -> int:
    _pip("nox>=2024.10", "uv")
    return subprocess.run([str(BIN / "nox"), *sys.argv[2:]], cwd=ROOT).returncode


COMMANDS = {"demo": demo, "test": test}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        print(__doc__.strip(), file=sys.stderr)
        raise SystemExit(2)
    raise SystemExit(COMMANDS[sys.argv[1]]())

"""Build small real wheels and install them with pip, so tests see genuinely installed plugins."""

from __future__ import annotations

import base64
import hashlib
import subprocess
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Dist:
    name: str
    version: str = "1.0"
    files: dict[str, str] = field(default_factory=dict)  # path inside site-packages -> source
    entry_points: dict[str, str] = field(default_factory=dict)  # spine.plugins name -> value
    requires: tuple[str, ...] = ("spine-kernel>=0.1,<1",)

    def wheel(self, out_dir: Path) -> Path:
        stem = self.name.replace("-", "_")
        info = f"{stem}-{self.version}.dist-info"
        metadata = ["Metadata-Version: 2.1", f"Name: {self.name}", f"Version: {self.version}"]
        metadata += [f"Requires-Dist: {requirement}" for requirement in self.requires]
        entries = "[spine.plugins]\n" + "".join(f"{k} = {v}\n" for k, v in self.entry_points.items())
        contents = dict(self.files)
        contents[f"{info}/METADATA"] = "\n".join(metadata) + "\n\nA test plugin.\n"
        contents[f"{info}/WHEEL"] = (
            "Wheel-Version: 1.0\nGenerator: spine-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        )
        contents[f"{info}/entry_points.txt"] = entries
        record = []
        for path, text in contents.items():
            data = text.encode()
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record.append(f"{path},sha256={digest},{len(data)}")
        record.append(f"{info}/RECORD,,")
        contents[f"{info}/RECORD"] = "\n".join(record) + "\n"
        path = out_dir / f"{stem}-{self.version}-py3-none-any.whl"
        with zipfile.ZipFile(path, "w") as archive:
            for name, text in contents.items():
                archive.writestr(name, text)
        return path


def pip_install(site: Path, *requirements: str, index: bool = False) -> None:
    """pip-install into the folder `site` (a site directory for PYTHONPATH), without dependencies."""
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--disable-pip-version-check"]
    command += [] if index else ["--no-index"]
    subprocess.run([*command, "--target", str(site), *requirements], check=True)


def install(dists: list[Dist], site: Path, work: Path) -> Path:
    """Build `dists` as wheels and pip-install them into `site`."""
    work.mkdir(parents=True, exist_ok=True)
    pip_install(site, *(str(dist.wheel(work)) for dist in dists))
    return site

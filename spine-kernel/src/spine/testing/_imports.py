"""What a plugin's entry module imports: listing plugins must stay fast."""

from __future__ import annotations

import ast
import subprocess
import sys


def modules_imported_by(entry_module: str) -> list[str]:
    """The modules that a plugin's entry module adds, imported and registered in a fresh
    interpreter that has imported spine: a test asserts it adds nothing heavy."""
    code = (
        "import sys, spine\n"
        "spine.hookimpl, spine.SourceSpec, spine.StoreSpec, spine.PipelineSpec, spine.AlertChannelSpec\n"
        "before = set(sys.modules)\n"
        f"import {entry_module} as plugin\n"
        "for name in dir(plugin):\n"
        "    if name.startswith('register_'):\n"
        "        getattr(plugin, name)(lambda spec: None)\n"
        "print(sorted(set(sys.modules) - before))"
    )
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return list(ast.literal_eval(found.strip()))

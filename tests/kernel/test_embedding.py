"""What embedding applications rely on: importing spine does nothing, and listing stays light."""

from __future__ import annotations

import json
import subprocess
import sys

from .conftest import SPINE

HEAVY = ["sqlalchemy", "httpx", "psycopg", "ibm_db", "apscheduler"]
# Not forbidden by the design, but the kernel's own budget for listing plugins.
SLOW_FOR_LISTING = ["pydantic", "pydantic_settings", "structlog", "importlib.metadata", "packaging"]


def _python(code: str, env: dict[str, str]) -> str:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    ).stdout


def test_import_spine_configures_no_logging_and_starts_nothing(clean_env):
    out = _python(
        "import logging, sys, threading\n"
        "import spine\n"
        "spine.Spine(entry_points=False)\n"
        "root = logging.getLogger()\n"
        "print(len(root.handlers), root.level, logging.getLogger('spine').handlers,"
        " threading.active_count(), 'structlog' in sys.modules, 'pydantic' in sys.modules)",
        clean_env,
    )
    assert out.split(" ", 2)[:2] == ["0", str(30)]  # no handlers, level WARNING as Python left it
    assert out.strip().endswith("[] 1 False False")


def test_structlog_stays_unconfigured_after_a_kernel_runs(clean_env):
    out = _python(
        "import structlog, spine\n"
        "spine.Spine(entry_points=False).run('demo')\n"
        "print(structlog.is_configured())",
        clean_env,
    )
    assert out.strip() == "False"


def test_listing_plugins_imports_no_heavy_module(clean_env):
    """With every installed plugin (all first-party ones in the full test session)."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", SPINE, "plugins", "list", "--json"],
        capture_output=True,
        text=True,
        env=clean_env,
        check=True,
    )
    imported = {
        line.split("|")[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")
    }
    top_level = {name.split(".")[0] for name in imported}
    assert not top_level & set(HEAVY), f"listing plugins imported {sorted(top_level & set(HEAVY))}"
    slow = sorted(name for name in SLOW_FOR_LISTING if name in imported or name in top_level)
    assert not slow, f"listing plugins imported {slow}"
    assert json.loads(result.stdout)[0]["name"] == "spine"


def test_the_import_check_above_can_fail(clean_env):
    """The importtime parsing sees a module when one is imported (guards the guard)."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import json"],
        capture_output=True,
        text=True,
        env=clean_env,
    )
    imported = {
        line.split("|")[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")
    }
    assert "json" in imported

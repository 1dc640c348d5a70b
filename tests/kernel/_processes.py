"""Commands started in the background, for tests that stop or kill them mid-run."""

from __future__ import annotations

import json
import subprocess
import time

from .conftest import SPINE


def started(command: list[str], env: dict[str, str], store: str) -> tuple[subprocess.Popen[str], dict]:
    """Start `command` (a long run) and wait until its run is recorded as running."""
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        listed = subprocess.run(
            [SPINE, "runs", "list", "--status", "running", "--json", "--store", store],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        running = json.loads(listed.stdout)
        if running:
            return process, running[0]
        time.sleep(0.1)
    process.kill()
    raise AssertionError("the run never showed as running")

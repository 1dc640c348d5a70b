"""No credential of the http source in any output of ``spine load``, in any encoding.

A real server on 127.0.0.1 echoes what it received (the request's headers, the token
inside records); the command runs as a user runs it, and every place a secret could
reach is read: stderr (log lines and the ``log`` alert channel), stdout ``--json``,
every row of the store (``spine_runs`` with its traceback, ``spine_alerts``,
``spine_rejects``) and ``spine runs show --json``.
"""

from __future__ import annotations

import base64
import json
import sqlite3
from urllib.parse import quote_plus

import pytest
from spine.testing import HttpServer

USERNAME = "alice"
PASSWORD = "pw-Zq8!xK2#mV/t"
TOKEN = "tok-9f8e7d6c5b4a3z2y"
API_KEY = "key-3a4b5c6d7e8f9g0h"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def forms(secret: str) -> list[str]:
    """The secret as written, percent-encoded and in base64, and the start of each
    (what an excerpt cut short would show)."""
    return [secret, secret[:8], quote_plus(secret), b64(secret), b64(secret)[:8]]


# Each way of proving who we are: its options, and the texts that must never be shown.
CREDENTIALS = {
    "basic": (
        ["-o", f"username={USERNAME}", "-o", f"password={PASSWORD}"],
        # "alice:" is six bytes, eight characters of base64: what follows them is the password.
        [*forms(PASSWORD), b64(f"{USERNAME}:{PASSWORD}"), b64(f"{USERNAME}:{PASSWORD}")[8:16]],
    ),
    "bearer": (["-o", f"token={TOKEN}"], forms(TOKEN)),
    "api-key": (["-o", f"api_key={API_KEY}"], forms(API_KEY)),
}


@pytest.fixture
def server():
    server = HttpServer()
    yield server
    server.close()


def everything_shown(spine, store, database, command):
    """What a user or an operator can see after `command`: its output, the store's
    rows and ``spine runs show --json`` of the run."""
    shown = [command.stdout, command.stderr]
    with sqlite3.connect(database) as connection:
        shown += list(connection.iterdump())
    run_id = json.loads(command.stdout)["run_id"]
    details = spine("runs", "show", run_id, "--json", "--debug", "--store", store)
    assert details.returncode == 0, details.stderr
    return [*shown, details.stdout, details.stderr]


def leaked(shown, secrets):
    return sorted({secret for secret in secrets for text in shown if secret in text})


@pytest.mark.parametrize("name", list(CREDENTIALS))
@pytest.mark.parametrize("status", [400, 401])
def test_credentials_echoed_by_a_refusing_server_are_shown_nowhere(spine, server, tmp_path, name, status):
    def echo(request):
        # As some APIs answer: the credentials received as JSON inside JSON, then every
        # header (the credentials last, where the error's excerpt of the answer ends).
        sent = {
            name: value for name, value in request.headers.items() if name in ("authorization", "x-api-key")
        }
        return status, {}, {"raw": json.dumps(sent), "received": request.headers}

    url = server.route("GET", "/items", echo)
    options, secrets = CREDENTIALS[name]
    database = tmp_path / "s.db"
    store = f"sqlite:///{database}"
    # --log-level debug: every line logged (httpx's too), the log alert channel's among them.
    command = spine("--log-level", "debug", "load", url, "--table", "t", *options, "--store", store, "--json")
    assert command.returncode == 1, command.stderr
    assert server.requests, "the API was called"
    assert "alert [error] load failed" in command.stderr, "the log channel raised the alert"
    assert "received" in command.stdout, "the answer's excerpt is in the error"
    assert leaked(everything_shown(spine, store, database, command), secrets) == []


@pytest.mark.parametrize("name", list(CREDENTIALS))
def test_records_echoing_the_credentials_are_rejected_without_them(spine, server, tmp_path, name):
    options, secrets = CREDENTIALS[name]
    echoes = [secret for secret in secrets if len(secret) > 8]

    def answer(request):
        # Two rejects (not objects) holding the secret in its every form, among good records.
        return 200, {}, [*({"id": n} for n in range(40)), echoes, f"sent: {' '.join(echoes)}"]

    url = server.route("GET", "/items", answer)
    database = tmp_path / "s.db"
    store = f"sqlite:///{database}"
    command = spine("load", url, "--table", "t", *options, "--store", store, "--json")
    assert command.returncode == 0, command.stderr
    assert json.loads(command.stdout)["rows_rejected"] == 2
    with sqlite3.connect(database) as connection:
        raws = [raw for (raw,) in connection.execute("SELECT raw FROM spine_rejects ORDER BY seq")]
    assert len(raws) == 2 and all("***" in raw for raw in raws), raws
    assert leaked(everything_shown(spine, store, database, command), secrets) == []


@pytest.mark.parametrize("name", list(CREDENTIALS))
def test_a_credential_cut_short_by_the_excerpt_of_an_answer_is_still_masked(spine, server, tmp_path, name):
    options, secrets = CREDENTIALS[name]
    # The credential over and over: wherever the error's excerpt of the answer ends, it
    # ends inside one of them.
    url = server.route("GET", "/items", lambda request: (403, {}, "denied: " + " ".join([secrets[0]] * 300)))
    database = tmp_path / "s.db"
    store = f"sqlite:///{database}"
    command = spine("load", url, "--table", "t", *options, "--store", store, "--json")
    assert command.returncode == 1, command.stderr
    assert "denied: ***" in command.stdout
    assert leaked(everything_shown(spine, store, database, command), secrets) == []


def test_an_oauth2_token_echoed_in_records_is_rejected_without_it(spine, server, tmp_path):
    """The token is no option: it is obtained during the run, and still masked in rejects,
    both those the source makes and those the kernel makes from the record's text."""
    client_secret = "cs-7Hq2Lw9Zp4"
    server.route("POST", "/token", lambda request: (200, {}, {"access_token": TOKEN, "expires_in": 3600}))

    def answer(request):
        assert request.headers["authorization"] == f"Bearer {TOKEN}"
        # A list is no object (the source's reject); a record without the key is the kernel's.
        return 200, {}, [*({"id": n} for n in range(40)), [TOKEN], {"note": f"sent {TOKEN}"}]

    url = server.route("GET", "/items", answer)
    database = tmp_path / "s.db"
    store = f"sqlite:///{database}"
    options = [
        "-o",
        f"token_url={server.url}/token",
        "-o",
        "client_id=me",
        "-o",
        f"client_secret={client_secret}",
    ]
    command = spine(
        "load", url, "--table", "t", "--mode", "merge", "--key", "id", *options, "--store", store, "--json"
    )
    assert command.returncode == 0, command.stderr
    assert json.loads(command.stdout)["rows_rejected"] == 2
    with sqlite3.connect(database) as connection:
        raws = [raw for (raw,) in connection.execute("SELECT raw FROM spine_rejects ORDER BY seq")]
    assert len(raws) == 2 and all("***" in raw for raw in raws), raws
    secrets = [*forms(TOKEN), *forms(client_secret), b64(f"me:{client_secret}")]
    assert leaked(everything_shown(spine, store, database, command), secrets) == []

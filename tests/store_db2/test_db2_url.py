"""Store URLs and the ibm_db connection strings made from them (no database needed)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from spine import ConfigError
from spine_store_db2._store import Db2Store
from spine_store_db2._url import Db2Url


@pytest.mark.parametrize(
    ("url", "connection_string", "described"),
    [
        (
            "db2://ada:pw@db.example:50001/SAMPLE",
            "DATABASE=SAMPLE;HOSTNAME=db.example;PORT=50001;PROTOCOL=TCPIP;UID=ada;PWD=pw;",
            "db2://ada@db.example:50001/SAMPLE",
        ),
        (
            "DB2://ada:p%40ss%2Fw%3Ard@db.example/SAMPLE?schema=INGEST&security=ssl",
            "DATABASE=SAMPLE;HOSTNAME=db.example;PORT=50000;PROTOCOL=TCPIP;UID=ada;PWD=p@ss/w:rd;SECURITY=SSL;",
            "db2://ada@db.example:50000/SAMPLE?schema=INGEST&security=SSL",
        ),
        (
            "db2://db.example/SAMPLE?security=SSL&sslservercertificate=/etc/db2/ca.arm",
            "DATABASE=SAMPLE;HOSTNAME=db.example;PORT=50000;PROTOCOL=TCPIP;SECURITY=SSL;"
            "SSLSERVERCERTIFICATE=/etc/db2/ca.arm;",
            "db2://db.example:50000/SAMPLE?security=SSL&sslservercertificate=%2Fetc%2Fdb2%2Fca.arm",
        ),
        (
            "db2://ada:pw@[::1]:50000/SAMPLE",
            "DATABASE=SAMPLE;HOSTNAME=::1;PORT=50000;PROTOCOL=TCPIP;UID=ada;PWD=pw;",
            "db2://ada@[::1]:50000/SAMPLE",
        ),
    ],
)
def test_a_url_becomes_a_connection_string(url, connection_string, described):
    parsed = Db2Url.parse(url)
    assert parsed.connection_string() == connection_string
    assert parsed.describe() == described
    assert Db2Store(url).describe() == described


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("postgresql://ada:pw@h/db", "expected db2://user:password@host:50000/DATABASE"),
        ("db2://ada:pw@h", "expected db2://"),
        ("db2://ada:pw@h/a/b", "expected db2://"),
        ("db2://ada:pw@/SAMPLE", "expected db2://"),
        ("db2://ada:pw@h:port/SAMPLE", "the port is not a number"),
        ("db2://ada:pw@[::1/SAMPLE", "not a URL (Invalid IPv6 URL); an IPv6 host is written in brackets"),
        ("db2://ada:pw@[::1:50000/SAMPLE", "not a URL (Invalid IPv6 URL)"),
        (
            "db2://ada:pw@h/SAMPLE?currentschema=X",
            "unknown option(s) currentschema; expected schema, security",
        ),
        ("db2://ada:pw@h/SAMPLE?security=TLS", "the only choice is security=SSL"),
        ('db2://ada:pw@h/SAMPLE?schema=X";DROP', "invalid schema"),
        ("db2://ada:pw%3Bx@h/SAMPLE", "the PWD contains ';'"),
        ("db2://ada%3B:pw@h/SAMPLE", "the UID contains ';'"),
    ],
)
def test_a_bad_url_is_a_config_error_without_the_password(url, reason):
    with pytest.raises(ConfigError) as caught:
        Db2Url.parse(url)
    assert reason in str(caught.value)
    assert ":pw" not in str(caught.value) and "pw%3Bx" not in str(caught.value)
    assert ":***@" in str(caught.value)


def test_the_command_refuses_a_db2_url_with_an_unclosed_bracket_without_an_internal_error():
    spine = str(Path(sys.executable).with_name("spine"))
    url = "db2://ada:pw@[::1:50000/SAMPLE"
    refused = subprocess.run(
        [spine, "runs", "list", "--store", url], capture_output=True, text=True, timeout=120
    )
    assert refused.returncode == 2
    assert "db2://ada:***@[::1:50000/SAMPLE" in refused.stderr and "not a URL" in refused.stderr
    assert ":pw@" not in refused.stderr and "internal error" not in refused.stderr

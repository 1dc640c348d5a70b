"""A store URL that is no URL (an unclosed IPv6 bracket) is a usage error naming it, its
password masked, whichever store would read it and wherever it comes from."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import spine
from spine import ConfigError, Spine

from .test_hooks import _plugin

UNCLOSED = "memory://ada:s3cret@[::1/db"


def test_a_store_url_that_is_no_url_is_refused_before_the_store_parses_it():
    # A store that reads its URL with urllib, as most would: it meets a bare ValueError.
    spec = spine.StoreSpec("memory", lambda url: urlsplit(url).port, schemes=("memory",))
    kernel = Spine(entry_points=False, environ={}, plugins=[_plugin("register_stores", spec)])
    with pytest.raises(ConfigError) as refused:
        kernel.runlog(UNCLOSED)
    message = str(refused.value)
    assert "store URL 'memory://ada:***@[::1/db' is not a URL (Invalid IPv6 URL)" in message
    assert "s3cret" not in message


@pytest.mark.parametrize("where", ["--store", "SPINE_STORE_URL", "spine.toml"])
def test_the_command_says_which_url_is_no_url_wherever_it_comes_from(spine_cli, tmp_path, where):
    url = "postgresql://ada:s3cret@[::1:5432/test"
    args, env = ["runs", "list"], {}
    if where == "--store":
        args += ["--store", url]
    elif where == "SPINE_STORE_URL":
        env[where] = url
    else:
        (tmp_path / "spine.toml").write_text(f'store_url = "{url}"\n')
    refused = spine_cli("--no-plugins", *args, env=env)
    assert refused.returncode == 2
    assert "store URL 'postgresql://ada:***@[::1:5432/test' is not a URL" in refused.stderr
    assert "s3cret" not in refused.stderr and "internal error" not in refused.stderr


def test_a_sqlite_path_with_a_bracket_is_still_a_path(spine_cli, tmp_path):
    listed = spine_cli("runs", "list", "--store", f"sqlite:///{tmp_path}/[::1.db")
    assert listed.returncode == 0, listed.stderr
    assert (tmp_path / "[::1.db").exists()


def test_a_source_location_that_is_no_url_is_refused_before_the_source_parses_it():
    spec = spine.SourceSpec("web", lambda location: urlsplit(location).port, schemes=("web",))
    kernel = Spine(entry_points=False, environ={}, plugins=[_plugin("register_sources", spec)])
    with pytest.raises(ConfigError) as refused:
        kernel.open_source("web://ada:s3cret@[::1/rows.json")
    message = str(refused.value)
    assert "source location 'web://ada:***@[::1/rows.json' is not a URL (Invalid IPv6 URL)" in message
    assert "s3cret" not in message


def test_spine_load_refuses_a_source_location_that_is_no_url_and_records_nothing(spine_cli, tmp_path):
    store = f"sqlite:///{tmp_path}/runs.db"
    refused = spine_cli("--no-plugins", "load", "http://[::1/rows.json", "--table", "t", "--store", store)
    assert refused.returncode == 2
    assert "source location 'http://[::1/rows.json' is not a URL (Invalid IPv6 URL)" in refused.stderr
    assert spine_cli("runs", "list", "--store", store).stdout.strip() == "no runs recorded"

"""The plugin as the kernel sees it: its entry point, a light entry module, and the URLs it claims."""

from __future__ import annotations

from importlib.metadata import distribution

import pytest
import spine
import spine_source_http
from packaging.requirements import Requirement
from spine.testing import modules_imported_by
from spine_source_http._source import HttpSource


def test_the_distribution_declares_its_entry_point_and_dependencies():
    dist = distribution("spine-source-http")
    (entry,) = [ep for ep in dist.entry_points if ep.group == "spine.plugins"]
    assert (entry.name, entry.value) == ("http", "spine_source_http")
    requires = {str(Requirement(text)) for text in dist.requires or []}
    assert requires == {"spine-kernel<0.2,>=0.1.4", "httpx<1,>=0.27", "jiter<1,>=0.8"}


def test_the_entry_module_imports_neither_httpx_nor_jiter_nor_pydantic():
    assert modules_imported_by("spine_source_http") == ["spine_source_http"]


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/items", "https://api.example.com/v1/items?x=1"])
def test_the_kernel_opens_http_and_https_urls_with_it_and_fetches_nothing_yet(tmp_path, url):
    with spine.Spine(
        entry_points=False, environ={"HOME": str(tmp_path)}, plugins=[spine_source_http]
    ) as kernel:
        source = kernel.open_source(url)  # port 9 is closed: a fetch would fail
        assert isinstance(source, HttpSource)
        source.close()


def test_a_url_without_a_host_is_a_config_error():
    with pytest.raises(spine.ConfigError, match="expected an http:// or https:// URL"):
        spine_source_http._source.open_http("http:///items")


@pytest.mark.parametrize("url", ["http://u:sekret@[::1]:abc/items", "https://u:sekret@host:99999/items"])
def test_a_url_with_a_bad_port_is_a_config_error_with_its_password_masked(url):
    with pytest.raises(spine.ConfigError, match="is not a URL") as raised:
        spine_source_http._source.open_http(url)
    assert "sekret" not in raised.value.message and "u:***@" in raised.value.message

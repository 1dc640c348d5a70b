"""Contract test suites that any source, store or alert-channel plugin runs against itself.

Subclass in a pytest module and provide one fixture::

    from spine.testing import StoreContract

    class TestMyStore(StoreContract):
        @pytest.fixture
        def store(self):
            store = MyStore("mydb://...")   # a fresh, empty namespace per test
            yield store
            store.close()

    class TestMySource(SourceContract):
        @pytest.fixture
        def source_case(self, tmp_path):
            path = tmp_path / "data.csv"
            path.write_text("id,name\\n1,a\\n2,b\\n3,c\\n")
            return SourceCase(lambda: MySource(str(path)), ["id", "name"], [(1, "a"), (2, "b"), (3, "c")])

    class TestMyChannel(AlertChannelContract):
        @pytest.fixture
        def channel_case(self, server):
            return ChannelCase(make=..., delivered=..., make_failing=...)

Every test of the base class then runs for the subclass. Importing this package
imports pytest; the kernel itself never imports it. One module per suite: `_sources`,
`_stores`, `_alert_channels`; `_imports` checks what a plugin's entry module imports,
and `HttpServer` (a real HTTP server on 127.0.0.1) serves plugins that speak HTTP.
"""

from __future__ import annotations

from ._alert_channels import AlertChannelContract as AlertChannelContract
from ._alert_channels import ChannelCase as ChannelCase
from ._http_server import DROP as DROP
from ._http_server import HttpRequest as HttpRequest
from ._http_server import HttpServer as HttpServer
from ._http_server import RawAnswer as RawAnswer
from ._http_server import Reply as Reply
from ._imports import modules_imported_by as modules_imported_by
from ._sources import SourceCase as SourceCase
from ._sources import SourceContract as SourceContract
from ._sources import SourceRead as SourceRead
from ._sources import read_source as read_source
from ._stores import StoreContract as StoreContract

"""The plugin as the kernel sees it: registration, a light entry module, the real driver's API."""

from __future__ import annotations

import inspect
import subprocess
import sys

import pytest
import spine
import spine_store_db2
from spine_store_db2._session import Driver, import_ibm_db
from spine_store_db2._store import Db2Store


def test_the_plugin_registers_the_db2_store_for_db2_urls():
    kernel = spine.Spine(entry_points=False)
    kernel.register_plugin(spine_store_db2)
    spec = kernel.plugins.get("store", "db2")
    assert spec.schemes == ("db2",)
    assert spec.load() is Db2Store


def test_neither_the_entry_module_nor_a_new_store_imports_ibm_db():
    code = (
        "import sys, spine_store_db2\n"
        "from spine_store_db2._store import Db2Store\n"
        "Db2Store('db2://u:pw@h/DB').describe()\n"
        "assert 'ibm_db' not in sys.modules, 'ibm_db imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_the_real_ibm_db_has_every_function_the_store_calls():
    ibm_db = pytest.importorskip("ibm_db")
    for name, member in inspect.getmembers(Driver):
        if not name.startswith("_") and inspect.isfunction(member):
            assert callable(getattr(ibm_db, name)), name
    assert ibm_db.SQL_AUTOCOMMIT_OFF == 0
    assert import_ibm_db() is ibm_db

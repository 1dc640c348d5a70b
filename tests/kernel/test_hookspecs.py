"""Every hook is documented with its exact signature and has a test of its own."""

from __future__ import annotations

import inspect

import pytest
from spine._plugins import _hookspecs

from . import test_hooks

HOOKS = [
    name
    for name, function in vars(_hookspecs).items()
    if inspect.isfunction(function) and hasattr(function, f"{_hookspecs.PROJECT_NAME}_spec")
]


def test_the_hook_families_are_all_there():
    assert set(HOOKS) == {
        "register_sources",
        "register_stores",
        "register_alert_channels",
        "register_pipelines",
        "register_workflows",
        "register_schedules",
        "register_settings",
        "run_started",
        "run_finished",
        "run_failed",
    }


@pytest.mark.parametrize("name", HOOKS)
def test_hook_is_documented_with_its_exact_signature(name):
    function = getattr(_hookspecs, name)
    doc = inspect.getdoc(function) or ""
    signature = inspect.signature(function)
    parameters = ", ".join(f"{p.name}: {p.annotation}" for p in signature.parameters.values())
    assert doc.splitlines()[0] == f"{name}({parameters}) -> {signature.return_annotation}"
    assert len(doc.splitlines()) > 2, "the docstring says what the hook is for, not only its signature"


@pytest.mark.parametrize("name", HOOKS)
def test_hook_has_a_test_of_its_own(name):
    assert callable(getattr(test_hooks, f"test_hook_{name}", None)), (
        f"tests/kernel/test_hooks.py lacks test_hook_{name}"
    )

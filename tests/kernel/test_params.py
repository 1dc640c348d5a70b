"""Pipeline parameters: declarations, the kernel's check before a run, what the pipeline
receives and what the run records."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
import spine
from spine import ConfigError, Param, PipelineSpec, PluginError, Spine
from spine._cli._doctor import _pipeline_checks, _plugin_settings_checks
from spine._plugins._params import check_params, declaration_problems


class Seen:
    """A pipeline that keeps the params it was given."""

    def __init__(self) -> None:
        self.params: list[dict[str, object]] = []

    def run(self, context):
        self.params.append(dict(context.params))
        context.count(read=1, written=1)


PARAMS = (
    Param("week", "date", required=True, description="the week's Monday"),
    Param("rows", "integer", default=10),
    Param("mode", choices=("append", "merge"), default="append"),
    Param("tiers", multiple=True, choices=("T1", "T2", "OTCE"), default=("T1", "T2")),
    Param("dry_run", "boolean", default=False),
    Param("note"),
    Param("option.*", "any", description="an option"),
)


class Plugin:
    def __init__(self, seen: Seen) -> None:
        self.seen = seen

    @spine.hookimpl
    def register_pipelines(self, register):
        register(PipelineSpec("declared", lambda: self.seen, params=PARAMS))
        register(PipelineSpec("none", lambda: self.seen, params=()))
        register(PipelineSpec("anything", lambda: self.seen))

    @spine.hookimpl
    def run_started(self, run):
        self.seen.params.append({"started": run.run_id})


@pytest.fixture
def seen() -> Seen:
    return Seen()


@pytest.fixture
def kernel(seen, tmp_path):
    overrides = {"store_url": f"sqlite:///{tmp_path}/spine.db"}
    with Spine(entry_points=False, environ={}, plugins=[Plugin(seen)], overrides=overrides) as kernel:
        yield kernel


def ran_with(seen: Seen) -> dict[str, object]:
    return seen.params[-1]


def test_the_pipeline_receives_the_parsed_values_with_the_defaults_filled_in(kernel, seen):
    result = kernel.run("declared", {"week": "2026-11-16", "tiers": "OTCE, T1", "option.delimiter": "|"})
    assert ran_with(seen) == {
        "week": date(2026, 11, 16),
        "rows": 10,
        "mode": "append",
        "tiers": ("OTCE", "T1"),
        "dry_run": False,
        "option.delimiter": "|",
    }  # no value and no default: "note" is absent
    assert result.params == ran_with(seen)
    recorded = kernel.find_run(result.run_id).params  # JSON in the store
    assert recorded == {
        "week": "2026-11-16",
        "rows": 10,
        "mode": "append",
        "tiers": ["OTCE", "T1"],
        "dry_run": False,
        "option.delimiter": "|",
    }


def test_text_and_python_values_are_both_accepted(kernel, seen):
    kernel.run("declared", {"week": date(2026, 11, 16), "rows": 5, "tiers": ["T2"], "dry_run": True})
    from_code = ran_with(seen)
    kernel.run("declared", {"week": "2026-11-16", "rows": "5", "tiers": "T2", "dry_run": "yes"})
    assert ran_with(seen) == from_code
    # what the run recorded goes back in as it came out
    recorded = kernel.runs(limit=1)[0].params
    kernel.run("declared", recorded)
    assert ran_with(seen) == from_code


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        ({}, "param 'week' is required (the week's Monday)"),
        ({"week": None}, "param 'week' is required (the week's Monday)"),
        ({"week": " "}, "param 'week' is required (the week's Monday)"),
        ({"week": "monday"}, "param 'week': expected a date (YYYY-MM-DD), got 'monday'"),
        ({"week": datetime(2026, 11, 16, 8)}, "param 'week': expected a date (YYYY-MM-DD), got datetime"),
        ({"week": "2026-11-16", "rows": "ten"}, "param 'rows': expected an integer, got 'ten'"),
        ({"week": "2026-11-16", "rows": True}, "param 'rows': expected an integer, got True"),
        ({"week": "2026-11-16", "rows": 2.5}, "param 'rows': expected an integer, got 2.5"),
        (
            {"week": "2026-11-16", "mode": "upsert"},
            "param 'mode': expected one of append, merge, got 'upsert'",
        ),
        ({"week": "2026-11-16", "tiers": "T1,T4"}, "param 'tiers': expected one of T1, T2, OTCE, got 'T4'"),
        ({"week": "2026-11-16", "dry_run": "maybe"}, "param 'dry_run': expected true or false, got 'maybe'"),
        ({"week": "2026-11-16", "weeks": "x"}, "unknown param 'weeks' (did you mean 'week'?)"),
        ({"week": "2026-11-16", "option": "x"}, "unknown param 'option' (did you mean 'option.*'?)"),
        (
            {"week": "2026-11-16", "zzz": "x"},
            "unknown param 'zzz' (it takes week, rows, mode, tiers, dry_run, note, option.*)",
        ),
    ],
)
def test_a_wrong_param_stops_the_run_before_it_is_recorded(kernel, seen, given, problem):
    with pytest.raises(ConfigError) as caught:
        kernel.run("declared", given)
    assert str(caught.value).startswith(f"pipeline 'declared': {problem}")
    assert caught.value.context == {"pipeline": "declared", "problems": [str(caught.value).split(": ", 1)[1]]}
    assert seen.params == []  # not run, and no run_started hook
    assert kernel.runs() == []
    assert kernel.alert_history() == []


def test_every_problem_is_named_at_once(kernel):
    with pytest.raises(ConfigError) as caught:
        kernel.run("declared", {"rows": "x", "bogus": 1})
    assert caught.value.context["problems"] == [
        "param 'rows': expected an integer, got 'x'",
        "unknown param 'bogus' (it takes week, rows, mode, tiers, dry_run, note, option.*)",
        "param 'week' is required (the week's Monday)",
    ]


def test_a_pipeline_that_takes_none_refuses_any(kernel, seen):
    kernel.run("none")
    assert ran_with(seen) == {}
    with pytest.raises(ConfigError, match=r"^pipeline 'none': unknown param 'rows' \(it takes none\)$"):
        kernel.run("none", {"rows": "1"})


def test_a_pipeline_that_declares_nothing_gets_what_it_is_given(kernel, seen):
    kernel.run("anything", {"rows": "1", "whatever": Path("x")})
    assert ran_with(seen) == {"rows": "1", "whatever": Path("x")}


@pytest.mark.parametrize(
    ("kind", "given", "expected"),
    [
        ("string", "  as typed ", "  as typed "),
        ("string", 12, "12"),
        ("string", Path("/data/x.psv"), "/data/x.psv"),
        ("integer", " 42 ", 42),
        ("integer", 42, 42),
        ("decimal", "1.50", Decimal("1.50")),
        ("decimal", 2, Decimal(2)),
        ("decimal", Decimal("0.1"), Decimal("0.1")),
        ("float", "2.5", 2.5),
        ("float", 3, 3.0),
        ("boolean", "no", False),
        ("boolean", "1", True),
        ("boolean", True, True),
        ("date", "2026-11-16", date(2026, 11, 16)),
        ("timestamp", "2026-11-16T08:00:00+01:00", datetime(2026, 11, 16, 7, 0)),
        (
            "timestamp",
            datetime(2026, 11, 16, 8, tzinfo=timezone(timedelta(hours=2))),
            datetime(2026, 11, 16, 6),
        ),
        ("timestamp", datetime(2026, 11, 16, 8, tzinfo=UTC), datetime(2026, 11, 16, 8)),
        ("any", {"nested": [1]}, {"nested": [1]}),
    ],
)
def test_each_type_from_text_and_from_python(kind, given, expected):
    values, problems = check_params((Param("p", kind),), {"p": given})
    assert (values, problems) == ({"p": expected}, [])


@pytest.mark.parametrize(
    ("kind", "given"),
    [
        ("integer", "1.5"),
        ("decimal", "nan"),
        ("decimal", True),
        ("float", "x"),
        ("boolean", 2),
        ("date", "16/11/2026"),
        ("timestamp", "yesterday"),
        ("string", ["a"]),
    ],
)
def test_each_type_refuses_what_it_cannot_read(kind, given):
    _, problems = check_params((Param("p", kind),), {"p": given})
    assert len(problems) == 1 and problems[0].startswith("param 'p': expected ")


def test_a_wrong_value_of_a_secret_param_is_not_repeated():
    declared = (Param("api_token", "integer"), Param("client_secret", choices=("a", "b")))
    _, problems = check_params(declared, {"api_token": "s3cr3t-t0ken", "client_secret": "s3cr3t-2"})
    assert problems == [
        "param 'api_token': expected an integer",
        "param 'client_secret': expected one of a, b",
    ]


def test_empty_values_are_no_values_except_for_a_single_string():
    declared = (Param("n", "integer", default=3), Param("names", multiple=True), Param("text"))
    values, problems = check_params(declared, {"n": "", "names": " , ", "text": ""})
    assert (values, problems) == ({"n": 3, "text": ""}, [])


def test_a_workflow_as_written_may_leave_required_params_to_the_run():
    assert check_params(PARAMS, {}, complete=False) == (
        {"rows": 10, "mode": "append", "tiers": ("T1", "T2"), "dry_run": False},
        [],
    )


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Param("week day"), "invalid param name 'week day'"),
        (lambda: Param("option*"), r"invalid param name 'option\*'"),
        (lambda: Param("week", required=True, default="x"), "a required param has no default"),
        (lambda: Param("option.*", required=True), "a pattern can be neither required nor have a default"),
        (lambda: Param("n", "integer", choices=("1", "2")), "choices are a non-empty list of strings"),
        (lambda: PipelineSpec("p", list, params=("week",)), "params holds str 'week', not a spine.Param"),
    ],
)
def test_a_wrong_declaration_is_refused_when_it_is_made(make, message):
    with pytest.raises(PluginError, match=message):
        make()


def test_type_and_default_are_checked_on_first_use_and_name_the_pipeline():
    # Checking them needs the schema's parsers, which registering must not import.
    declared = (Param("n", "int"), Param("day", "date", default="monday"), Param("n", "string"))
    assert declaration_problems(declared) == [
        "param 'n' is declared 2 times",
        "param 'n': unknown type 'int'; expected one of string, integer, decimal, float, boolean, date, "
        "timestamp, any",
        "param 'day': its default 'monday': expected a date (YYYY-MM-DD)",
    ]

    class Broken:
        @spine.hookimpl
        def register_pipelines(self, register):
            register(PipelineSpec("broken", Seen, params=declared))

    kernel = Spine(entry_points=False, environ={}, plugins=[Broken()])
    with pytest.raises(
        PluginError, match=r"^pipeline 'broken': its param declaration is wrong: param 'n' is"
    ):
        kernel.run("broken")


def test_declarations_are_values():
    assert Param("a", "date", default=None) == Param("a", "date")
    assert Param("tiers", multiple=True, default=["T1"]).default == ("T1",)  # hashable
    assert len({PipelineSpec("p", list, params=PARAMS), PipelineSpec("p", list, params=PARAMS)}) == 1
    with pytest.raises(AttributeError):
        Param("a").name = "b"  # type: ignore[misc]
    assert Param("rows", "integer", default=10).to_dict() == {
        "name": "rows",
        "type": "integer",
        "multiple": False,
        "choices": None,
        "required": False,
        "default": 10,
        "description": "",
    }


class _Declarations:
    @spine.hookimpl
    def register_pipelines(self, register):
        register(spine.PipelineSpec("sound", list, params=(spine.Param("n", "integer"),)))
        register(spine.PipelineSpec("unsound", list, params=(spine.Param("n", "int"),)))
        register(spine.PipelineSpec("undeclared", list))

    @spine.hookimpl
    def register_settings(self, register):
        register(spine.SettingsSpec("gone", "spine_no_such_module:Settings"))
        register(spine.SettingsSpec("not_a_model", "json:loads"))


def test_doctor_names_pipelines_without_or_with_wrong_declarations_and_broken_settings():
    kernel = Spine(entry_points=False, environ={}, plugins=[_Declarations()])
    checks = [(c.subject, c.status, c.message) for c in _pipeline_checks(kernel)]
    assert checks == [
        (
            "pipeline undeclared",
            "warning",
            "declares no params (_Declarations): whatever it is given reaches it unchecked",
        ),
        (
            "pipeline unsound",
            "error",
            "param 'n': unknown type 'int'; expected one of string, integer, decimal, float, boolean, date, "
            "timestamp, any",
        ),
    ]
    settings = [(c.subject, c.status, c.message) for c in _plugin_settings_checks(kernel)]
    assert [subject for subject, _, _ in settings] == ["plugin _Declarations", "plugin _Declarations"]
    assert settings[0][2].startswith(
        "settings 'gone': cannot import its factory 'spine_no_such_module:Settings'"
    )
    assert settings[1][2] == "settings 'not_a_model': 'json:loads' is not a spine.SpineSettings subclass"
    healthy = Spine(entry_points=False, environ={})
    assert [(c.subject, c.status, c.message) for c in _pipeline_checks(healthy)] == [
        ("pipelines", "ok", "2, each declaring its params")
    ]

"""``spine pipelines list|show``: every pipeline with the parameters it declares."""

from __future__ import annotations

import json

DEMO_PARAMS = [
    {
        "name": "rows",
        "type": "integer",
        "multiple": False,
        "choices": None,
        "required": False,
        "default": 1000,
        "description": "how many trades",
    },
    {
        "name": "reject_every",
        "type": "integer",
        "multiple": False,
        "choices": None,
        "required": False,
        "default": 0,
        "description": "every Nth record is unreadable (0: none)",
    },
    {
        "name": "fail_at",
        "type": "integer",
        "multiple": False,
        "choices": None,
        "required": False,
        "default": None,
        "description": "the line at which the source fails",
    },
]


def test_pipelines_list_json_has_every_pipeline_with_its_params(spine_cli, good_site):
    result = spine_cli("pipelines", "list", "--json", site=good_site, env={"SPINE_LOAD_PLUGINS": "good"})
    assert result.returncode == 0, result.stderr
    listing = {item["name"]: item for item in json.loads(result.stdout)}
    assert list(listing) == ["demo", "good.pipeline", "load"]
    assert listing["demo"] == {
        "name": "demo",
        "description": "Synthetic trades into demo_trades",
        "plugin": "spine",
        "distribution": "spine-kernel",
        "schedule": None,
        "params": DEMO_PARAMS,
    }
    assert listing["good.pipeline"]["params"] is None  # declares nothing
    assert [(p["name"], p["type"], p["required"]) for p in listing["load"]["params"]] == [
        ("source", "string", True),
        ("table", "string", True),
        ("mode", "string", False),
        ("key", "string", False),
        ("allow_empty", "boolean", False),
        ("schema_contract", "string", False),
        ("option.*", "any", False),
    ]
    load = {p["name"]: p for p in listing["load"]["params"]}
    assert (load["mode"]["choices"], load["mode"]["default"]) == (["append", "replace", "merge"], "append")
    assert (load["key"]["multiple"], load["allow_empty"]["default"]) == (True, False)
    assert load["schema_contract"]["choices"] == ["evolve", "freeze"]


def test_pipelines_list_as_a_table(spine_cli, good_site):
    result = spine_cli("pipelines", "list", site=good_site)
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["NAME", "PARAMS", "DESCRIPTION"]
    rows = {line.split()[0]: line for line in lines[1:]}
    assert rows["demo"].split()[1:4] == ["rows,", "reject_every,", "fail_at"]
    assert "(not declared)" in rows["good.pipeline"]
    assert "option.NAME" in rows["load"]


def test_pipelines_show_one(spine_cli):
    result = spine_cli("pipelines", "show", "load")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:2] == ["load (spine-kernel)", "Any source into a table (spine load)"]
    table = {line.split()[0]: line.split(None, 1)[1] for line in lines[4:]}
    assert lines[3].split() == ["PARAM", "TYPE", "DEFAULT", "DESCRIPTION"]
    assert table["source"].startswith("string, required  ")
    assert table["mode"].split()[:2] == ["append|replace|merge", "append"]
    assert table["key"].split()[:3] == ["string,", "comma-separated", "-"]
    assert table["allow_empty"].split()[:2] == ["boolean", "false"]
    assert table["option.NAME"].split()[:2] == ["any", "-"]
    as_json = json.loads(spine_cli("pipelines", "show", "demo", "--json").stdout)
    assert as_json["params"] == DEMO_PARAMS


def test_pipelines_show_of_one_that_declares_nothing_or_of_none(spine_cli, good_site):
    shown = spine_cli("pipelines", "show", "good.pipeline", site=good_site)
    assert shown.stdout.splitlines() == [
        "good.pipeline (spine-good)",
        "params: not declared; whatever it is given reaches it unchecked",
    ]
    unknown = spine_cli("pipelines", "show", "dmeo")
    assert (unknown.returncode, unknown.stderr) == (
        2,
        "spine: error: unknown pipeline 'dmeo'; did you mean 'demo'?\n",
    )

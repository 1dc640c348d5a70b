"""Workflows written as YAML files, read into `Workflow` objects with errors that name the
file, the line and the field.

    name: finra.weekly            # default: the file's name without .yaml
    description: The weekly FINRA refresh, tier by tier
    params: {week: "2026-11-16"}  # defaults for every step
    max_concurrency: 3            # default 1: one step at a time
    on_failure: stop              # or continue
    steps:
      - name: t1
        pipeline: finra.otc_weekly
        params: {tier: T1}
      - name: report
        pipeline: finra.report
        depends_on: [t1]
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .._config._settings import field_path
from .._errors import ConfigError
from ._workflows import Step, Workflow

SUFFIXES = (".yaml", ".yml")
Scalar = str | int | float | bool | date | None


class _StepFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    pipeline: str = Field(min_length=1)
    params: dict[str, Scalar] = {}
    depends_on: list[str] = []

    @field_validator("depends_on", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class _WorkflowFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    description: str = ""
    params: dict[str, Scalar] = {}
    max_concurrency: int = Field(1, ge=1)
    on_failure: Literal["stop", "continue"] = "stop"
    steps: list[_StepFile] = Field(min_length=1)


def read_workflow_file(path: str | os.PathLike[str]) -> Workflow:
    """The workflow in a YAML file. Raises `ConfigError` naming the file, and the line and
    field of the first problem; whether its pipelines exist is checked when it runs."""
    import yaml  # type: ignore[import-untyped] # only when there is a workflow file to read

    where = os.fspath(path)
    try:
        text = Path(where).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"workflow file {where} does not exist", context={"file": where}) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read workflow file {where}: {exc}", context={"file": where}) from None
    try:
        document = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{where}{line}: invalid YAML: {problem}", context={"file": where}) from None
    if not isinstance(data, dict):
        raise ConfigError(
            f"{where}: expected a mapping with 'steps', got {type(data).__name__}", context={"file": where}
        )
    try:
        parsed = _WorkflowFile.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors(include_url=False, include_input=False):
            location = error["loc"]
            field = field_path(location) or "workflow"
            problems.append(f"line {_line_of(document, location)}: {field}: {error['msg']}")
        raise ConfigError(
            f"{where}: " + "; ".join(problems), context={"file": where, "problems": problems}
        ) from None
    return Workflow(
        name=parsed.name or Path(where).name.removesuffix(Path(where).suffix),
        steps=tuple(
            Step(step.name, step.pipeline, _texts(step.params), tuple(step.depends_on))
            for step in parsed.steps
        ),
        params=_texts(parsed.params),
        max_concurrency=parsed.max_concurrency,
        on_failure=parsed.on_failure,
        description=parsed.description,
        source=where,
    )


def workflow_files(paths: list[str]) -> Iterator[Path]:
    """The YAML files among `paths`: files as given, folders' ``*.yaml``/``*.yml`` files."""
    for entry in map(Path, paths):
        if entry.is_dir():
            yield from sorted(p for p in entry.iterdir() if p.suffix in SUFFIXES and p.is_file())
        elif entry.is_file():
            yield entry


def _texts(params: dict[str, Scalar]) -> dict[str, str]:
    # Parameters are text, as on the command line: `week: 2026-11-16` is a date to YAML.
    def text(value: Scalar) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, date):
            return value.isoformat()
        return "" if value is None else str(value)

    return {key: text(value) for key, value in params.items()}


def _line_of(node: Any, location: tuple[int | str, ...]) -> int | None:
    """The line of the YAML node at `location` (or of the nearest node above it)."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in location:
        children = getattr(node, "value", None)
        if not isinstance(children, list):
            break
        if isinstance(part, int):
            if part >= len(children):
                break
            node = children[part]
        else:
            found = next((value for key, value in children if getattr(key, "value", None) == part), None)
            if found is None:
                break
            node = found
        line = node.start_mark.line + 1
    return line

"""Workflows: named DAGs of pipeline steps, and the checks they pass before anything runs."""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .._errors import ConfigError, PluginError
from .._plugins._params import Param, check_params, declares

ON_FAILURE = ("stop", "continue")


@dataclass(frozen=True)
class Step:
    """One step of a workflow: a pipeline, its parameters, and the steps it waits for."""

    name: str
    pipeline: str
    params: Mapping[str, Any] = field(default_factory=dict)
    depends_on: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", dict(self.params))
        object.__setattr__(self, "depends_on", tuple(self.depends_on))


@dataclass(frozen=True)
class Workflow:
    """A named DAG of steps.

    ``params`` are defaults for every step: a run's parameters override them, and a
    step's own parameters override both. ``max_concurrency`` steps run at once (1:
    one after the other). ``on_failure="stop"`` skips every step that depends, directly
    or not, on a failed one; ``"continue"`` runs them anyway. Steps that do not depend
    on a failed step run either way. ``source`` is the file it was read from, if any.
    """

    name: str
    steps: tuple[Step, ...]
    params: Mapping[str, Any] = field(default_factory=dict)
    max_concurrency: int = 1
    on_failure: str = "stop"
    description: str = ""
    source: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "steps", tuple(self.steps))
        object.__setattr__(self, "params", dict(self.params))

    def step(self, name: str) -> Step:
        return next(step for step in self.steps if step.name == name)

    def step_params(
        self, step: Step, run_params: Mapping[str, Any], declared: Sequence[Param] | None = None
    ) -> dict[str, Any]:
        """Workflow defaults < the run's parameters < the step's own. The first two reach a
        step whose pipeline `declared` its params only when it declares them; a pipeline
        that declares nothing gets them all."""
        shared = {**self.params, **run_params}
        return {**{name: value for name, value in shared.items() if declares(declared, name)}, **step.params}

    def check(
        self, pipelines: Mapping[str, Sequence[Param] | None], run_params: Mapping[str, Any] | None = None
    ) -> None:
        """Raise `ConfigError` listing every problem: duplicate steps, unknown pipelines
        (`pipelines`: the installed ones, with the params each declares), dependencies on
        steps that do not exist, cycles spelled out step by step, and parameters: one no
        step takes, a step's own one its pipeline does not declare, a wrong value.

        With `run_params`, the workflow is checked as a run with them would start: a
        required parameter nobody gives is a problem too. Without, as written."""
        problems = _problems(self, pipelines) + _param_problems(self, pipelines, run_params)
        if problems:
            where = f" ({self.source})" if self.source else ""
            raise ConfigError(
                f"workflow {self.name!r}{where} is invalid: " + "; ".join(problems),
                context={"workflow": self.name, "problems": problems},
            )

    def dependents(self, name: str) -> list[str]:
        """Every step that depends on `name`, directly or through other steps, in step order."""
        found: set[str] = set()
        frontier = {name}
        while frontier:
            frontier = {s.name for s in self.steps if set(s.depends_on) & frontier} - found
            found |= frontier
        return [step.name for step in self.steps if step.name in found]


def _problems(workflow: Workflow, pipelines: Collection[str]) -> list[str]:
    """What is wrong with the workflow's shape: its steps, their pipelines, dependencies and cycles."""
    problems = []
    if not workflow.steps:
        problems.append("it has no steps")
    if not isinstance(workflow.max_concurrency, int) or workflow.max_concurrency < 1:
        problems.append(
            f"max_concurrency must be a whole number of 1 or more, got {workflow.max_concurrency!r}"
        )
    if workflow.on_failure not in ON_FAILURE:
        problems.append(f"on_failure must be stop or continue, got {workflow.on_failure!r}")
    names = [step.name for step in workflow.steps]
    for name in sorted({name for name in names if names.count(name) > 1}):
        problems.append(f"step {name!r} is defined {names.count(name)} times")
    for step in workflow.steps:
        if step.pipeline not in pipelines:
            close = difflib.get_close_matches(step.pipeline, list(pipelines), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            problems.append(f"step {step.name!r} runs unknown pipeline {step.pipeline!r}{hint}")
        for needed in step.depends_on:
            if needed not in names:
                problems.append(
                    f"step {step.name!r} depends on {needed!r}, which is not a step of the workflow"
                )
    cycle = find_cycle({step.name: [d for d in step.depends_on if d in names] for step in workflow.steps})
    if cycle:
        problems.append("steps depend on each other in a cycle (each on the next): " + " -> ".join(cycle))
    return problems


def _param_problems(
    workflow: Workflow, pipelines: Mapping[str, Sequence[Param] | None], run_params: Mapping[str, Any] | None
) -> list[str]:
    """What is wrong with the parameters, as the steps' pipelines declare them (a step whose
    pipeline is unknown, already a problem, is taken to accept anything)."""
    problems = []
    steps = [step for step in workflow.steps if step.pipeline in pipelines]
    taken = sorted({p.name for step in steps for p in pipelines[step.pipeline] or ()})
    for name in {**workflow.params, **(run_params or {})}:
        if not any(declares(pipelines.get(step.pipeline), name) for step in workflow.steps):
            origin = "the run" if name in (run_params or {}) else "the workflow's params"
            close = difflib.get_close_matches(name, taken, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"the steps take {', '.join(taken) or 'none'}"
            problems.append(f"param {name!r} (from {origin}) is taken by no step ({hint})")
    for step in steps:
        declared = pipelines[step.pipeline]
        try:
            _, found = check_params(
                declared,
                workflow.step_params(step, run_params or {}, declared),
                complete=run_params is not None,
            )
        except PluginError as exc:
            found = [str(exc)]
        problems += [f"step {step.name!r} ({step.pipeline}): {problem}" for problem in found]
    return problems


def find_cycle(edges: Mapping[str, Iterable[str]]) -> list[str] | None:
    """A cycle in the graph of `edges` (node -> the nodes it depends on), spelled from a
    node back to itself (``["a", "b", "a"]``: a depends on b, which depends on a); None
    when there is none. Iterative, so that a long chain of steps is no problem."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for start in edges:
        if start in state:
            continue
        state[start] = 1
        path, stack = [start], [iter(edges.get(start, ()))]
        while stack:
            for needed in stack[-1]:
                if state.get(needed) == 1:
                    return [*path[path.index(needed) :], needed]
                if needed not in state:
                    state[needed] = 1
                    path.append(needed)
                    stack.append(iter(edges.get(needed, ())))
                    break
            else:
                stack.pop()
                state[path.pop()] = 2
    return None

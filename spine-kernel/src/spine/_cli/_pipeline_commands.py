"""``spine pipelines list|show``: every pipeline with its description and the parameters it
declares (wired into the parser by `_main`). The JSON is what forms are built from."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from ._common import EXIT_OK, command_group, print_json

if TYPE_CHECKING:
    from .._kernel import Spine
    from .._plugins._descriptors import PipelineSpec
    from .._plugins._params import Param


def add_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    """Add ``pipelines`` and its commands to the CLI's sub-parsers."""

    pipeline_commands = command_group(
        commands, "pipelines", "the pipelines and the parameters they take", common
    )
    listing = pipeline_commands.add_parser(
        "list", help="every pipeline, with the parameters it takes", parents=[common]
    )
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=_pipelines_list)
    show = pipeline_commands.add_parser(
        "show", help="one pipeline: what it does, and each parameter", parents=[common]
    )
    show.add_argument("pipeline", metavar="NAME")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(handler=_pipelines_show)


def pipeline_dict(kernel: Spine, spec: PipelineSpec) -> dict[str, Any]:
    """A pipeline as JSON-ready data: ``params`` is None when it declares none (anything goes)."""
    owner = next(record for claimed, record in kernel.plugins.claims("pipeline") if claimed is spec)
    return {
        "name": spec.name,
        "description": spec.description,
        "plugin": owner.name,
        "distribution": owner.distribution,
        "schedule": spec.schedule,
        "params": None if spec.params is None else [param.to_dict() for param in spec.params],
    }


def _pipelines_list(args: argparse.Namespace, kernel: Spine) -> int:
    from ._views import table

    specs = kernel.pipelines()
    if args.json:
        print_json([pipeline_dict(kernel, spec) for spec in specs])
        return EXIT_OK
    rows = [("NAME", "PARAMS", "DESCRIPTION")]
    rows += [(spec.name, _names(spec.params), spec.description) for spec in specs]
    print(table(rows))
    return EXIT_OK


def _pipelines_show(args: argparse.Namespace, kernel: Spine) -> int:
    from ._views import table

    spec = kernel.pipeline(args.pipeline)
    described = pipeline_dict(kernel, spec)
    if args.json:
        print_json(described)
        return EXIT_OK
    origin = described["distribution"] or described["plugin"]
    lines = [f"{spec.name} ({origin})"]
    lines += [spec.description] if spec.description else []
    lines += [f"schedule: {spec.schedule} (UTC)"] if spec.schedule else []
    if spec.params is None:
        lines.append("params: not declared; whatever it is given reaches it unchecked")
    elif not spec.params:
        lines.append("params: none")
    else:
        rows = [("PARAM", "TYPE", "DEFAULT", "DESCRIPTION")]
        rows += [(_shown_name(p), _type_text(p), _default_text(p), p.description) for p in spec.params]
        lines += ["", table(rows)]
    print("\n".join(lines))
    return EXIT_OK


def _names(params: tuple[Param, ...] | None) -> str:
    if params is None:
        return "(not declared)"
    return ", ".join(_shown_name(param) for param in params) or "(none)"


def _shown_name(param: Param) -> str:
    # option.* reads as what to type: -p option.NAME=VALUE
    return param.name.removesuffix("*") + "NAME" if param.is_pattern else param.name


def _type_text(param: Param) -> str:
    kind = "|".join(param.choices) if param.choices else param.type
    if param.multiple:
        kind += ", comma-separated"
    return kind + (", required" if param.required else "")


def _default_text(param: Param) -> str:
    values = param.default if isinstance(param.default, tuple) else (param.default,)
    if param.default is None:
        return "-"
    return ",".join(str(value).lower() if isinstance(value, bool) else str(value) for value in values)

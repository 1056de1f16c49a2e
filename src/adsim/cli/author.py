"""Writing scenarios: ``adsim init`` (a commented starter), ``adsim show`` (a scenario with
every default filled in), ``adsim schema`` (JSON Schema for editors) and ``adsim docs``
(the Markdown references of scenario keys and output columns)."""

from __future__ import annotations

import argparse
import json
import sys
from importlib import resources
from pathlib import Path

from rich.console import Console

from .common import EXIT_BAD_INPUT, load

__all__ = ["add_parsers", "docs", "init", "schema", "show", "starter_text"]


def starter_text() -> str:
    """The commented starter scenario that ``adsim init`` writes."""
    return resources.files("adsim").joinpath("templates/starter.yaml").read_text("utf-8")


def add_parsers(sub: argparse._SubParsersAction) -> None:
    ini = sub.add_parser(
        "init",
        help="write a commented starter scenario",
        description="Write a small, commented scenario to edit: a world, an app and two "
        "strategies. It runs as written.",
        epilog="example:\n  adsim init my_scenario.yaml && adsim run my_scenario.yaml\n",
    )
    ini.add_argument(
        "path",
        type=Path,
        nargs="?",
        default=Path("scenario.yaml"),
        help="file to write (default: scenario.yaml)",
    )
    ini.add_argument("--force", action="store_true", help="replace the file if it exists")

    sho = sub.add_parser(
        "show",
        help="print a scenario with every default filled in",
        description="Validate a scenario and print it with every default filled in: what the "
        "run will actually use.",
        epilog="example:\n  adsim show scenarios/quickstart.yaml\n",
    )
    sho.add_argument("scenario", type=Path, help="scenario file (.yaml, .yml or .json)")
    sho.add_argument("--format", choices=["yaml", "json"], default="yaml", help="(default: yaml)")

    sub.add_parser(
        "schema",
        help="print the scenario JSON Schema (for editors' completion and checks)",
        description="Print the scenario JSON Schema, with a description of every key.",
        epilog="example:\n  adsim schema > scenario.schema.json\n",
    )

    doc = sub.add_parser(
        "docs",
        help="write the Markdown references of scenario keys and output columns",
        description="Write scenario.md (every scenario key: type, default, limits, meaning) "
        "and outputs.md (every output column: unit and meaning), generated from the code.",
        epilog="example:\n  adsim docs --dir docs\n",
    )
    doc.add_argument(
        "--dir", type=Path, default=Path("docs"), help="folder to write to (default: docs)"
    )


def init(args: argparse.Namespace, out: Console, err: Console) -> int:
    path: Path = args.path
    if path.exists() and not args.force:
        err.print(f"{path}: already exists; add --force to replace it", markup=False)
        return EXIT_BAD_INPUT
    try:
        path.write_text(starter_text(), encoding="utf-8")
    except OSError as exc:
        err.print(f"{path}: cannot write: {exc.strerror}", markup=False)
        return EXIT_BAD_INPUT
    out.print(f"wrote {path}; try: adsim run {path}", highlight=False)
    return 0


def show(args: argparse.Namespace, out: Console, err: Console) -> int:
    scenario = load(args.scenario, err)
    if scenario is None:
        return EXIT_BAD_INPUT
    data = scenario.model_dump(mode="json", by_alias=True)
    if args.format == "json":
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
    else:
        import yaml

        sys.stdout.write(f"# {args.scenario} with every default filled in\n")
        sys.stdout.write(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100))
    return 0


def schema(args: argparse.Namespace, out: Console, err: Console) -> int:
    from ..scenario import Scenario

    sys.stdout.write(json.dumps(Scenario.model_json_schema(by_alias=True), indent=2) + "\n")
    return 0


def docs(args: argparse.Namespace, out: Console, err: Console) -> int:
    from ..columns import outputs_reference
    from ..scenario.reference import scenario_reference, sweep_reference

    try:
        args.dir.mkdir(parents=True, exist_ok=True)
        (args.dir / "scenario.md").write_text(scenario_reference(), encoding="utf-8")
        (args.dir / "outputs.md").write_text(outputs_reference(), encoding="utf-8")
        (args.dir / "sweep.md").write_text(sweep_reference(), encoding="utf-8")
    except OSError as exc:
        err.print(f"--dir {args.dir}: cannot write: {exc.strerror}", markup=False)
        return EXIT_BAD_INPUT
    out.print(f"wrote scenario.md, outputs.md and sweep.md to {args.dir}", highlight=False)
    return 0

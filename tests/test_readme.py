"""Every code block in README.md runs: shell lines through the CLI, Python blocks in order in
one namespace, the sweep YAML through the sweep loader.

They run in a copy of the repository's scenarios, sweeps and example files with smaller
populations and flights (agents cut, flights over a week cut to 3 days, every other setting as
bundled), so that the commands and API
calls the README shows are exercised end to end in seconds; the figures the README quotes
come from the full-size runs named next to them.
"""

from __future__ import annotations

import contextlib
import glob
import io
import re
import shlex
import shutil
from pathlib import Path

import pytest
import yaml

from adsim.cli import main

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"^```(\w*)\n(.*?)^```", README, flags=re.S | re.M)
TINY_AGENTS = 1500
TINY_DAYS = 3


def _blocks(lang: str) -> list[str]:
    return [code for kind, code in BLOCKS if kind == lang]


def test_every_block_is_of_a_kind_this_test_runs():
    kinds = {kind for kind, _ in BLOCKS}
    assert kinds <= {"bash", "python", "yaml", "text"}, kinds
    assert _blocks("bash") and _blocks("python") and _blocks("yaml")


@pytest.fixture(scope="module")
def tiny_repo(tmp_path_factory) -> Path:
    """scenarios/ and sweeps/ copied with populations and flights cut down."""
    root = tmp_path_factory.mktemp("repo")
    shutil.copytree(ROOT / "sweeps", root / "sweeps")
    shutil.copytree(ROOT / "scenarios", root / "scenarios")
    shutil.copy(ROOT / "Makefile", root / "Makefile")
    shutil.copytree(ROOT / "docs" / "examples", root / "docs" / "examples")
    for path in (root / "scenarios").glob("*.yaml"):
        data = yaml.safe_load(path.read_text())
        data["population"]["agents"] = TINY_AGENTS
        # A calendar's flights are set around its events, and a week is kept: the bundled
        # past report covers the quickstart's 7 days.
        if "calendar" not in data and int(data["horizon_days"]) > 7:
            data["horizon_days"] = TINY_DAYS
        people = TINY_AGENTS * data["population"].get("scale", 1)
        for account in data.get("accounts", []):  # followers inside the smaller population
            account["followers"] = min(account["followers"], int(people * 0.3))
        path.write_text(yaml.safe_dump(data, sort_keys=False))
    return root


def _shell_lines() -> list[str]:
    lines = []
    for code in _blocks("bash"):
        for line in code.splitlines():
            line = re.sub(r"\s+#.*$", "", line).strip()
            if line:
                lines.append(line)
    return lines


def _run_adsim(line: str, cwd: Path) -> tuple[int, str]:
    words = shlex.split(line.removeprefix(".venv/bin/adsim"))
    target = None
    if ">" in words:
        at = words.index(">")
        words, target = words[:at], words[at + 1]
    args: list[str] = []
    for w in words:
        args += sorted(glob.glob(str(cwd / w))) if "*" in w else [w]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(args)
    if target is not None:
        (cwd / target).write_text(out.getvalue())
    return code, out.getvalue()


def test_readme_shell_commands_run(tiny_repo, monkeypatch):
    monkeypatch.chdir(tiny_repo)
    makefile = (tiny_repo / "Makefile").read_text()
    lines = _shell_lines()
    assert any(line.startswith("make ") for line in lines)
    for line in lines:
        if line.startswith("make "):
            target = line.split()[1]
            assert re.search(rf"^{re.escape(target)}:", makefile, flags=re.M), line
            if target == "run":  # the quickstart's main job, as the Makefile runs it
                recipe = re.search(r"^run:.*\n\t\$\(BIN\)/adsim (.*)$", makefile, flags=re.M)
                assert recipe is not None
                code, _ = _run_adsim(".venv/bin/adsim " + recipe.group(1), tiny_repo)
                assert code == 0, line
            continue
        assert line.startswith(".venv/bin/adsim "), f"a README command this test cannot run: {line}"
        code, printed = _run_adsim(line, tiny_repo)
        assert code == 0, f"{line}\n{printed[-2000:]}"
    assert (tiny_repo / "out" / "w" / "report.html").is_file()
    assert (tiny_repo / "scenario.schema.json").read_text().lstrip().startswith("{")


def test_readme_python_blocks_run(tiny_repo, monkeypatch):
    monkeypatch.chdir(tiny_repo)
    namespace: dict = {"__name__": "__main__"}
    for code in _blocks("python"):
        exec(compile(code, "README.md", "exec"), namespace)
    assert (tiny_repo / "out" / "run" / "summary.csv").is_file()
    assert (tiny_repo / "out" / "run" / "report.html").is_file()
    split = namespace["split"]
    assert split.table() is not None


def test_readme_sweep_yaml_is_a_valid_sweep(tiny_repo):
    from adsim.scenario.sweep import load_sweep_spec

    (code,) = _blocks("yaml")
    path = tiny_repo / "sweeps" / "from_readme.yaml"
    path.write_text(code)
    spec, base = load_sweep_spec(path)
    assert base.resolve() == (tiny_repo / "scenarios" / "quickstart.yaml").resolve()
    assert spec.name == yaml.safe_load(code)["name"]

"""The rule of direction (DESIGN.md) as import-linter contracts, so ``./run test`` enforces it.

The contracts live in pyproject.toml's ``[tool.importlinter]``; this test runs ``lint-imports``
on them and fails with its report, which names each forbidden import chain line by line.
No database, no app: it reads the source.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# A contract dropped from the config would pass unseen: these must be there.
CONTRACTS = {"core-imports-no-plugin-or-web", "plugins-independent", "core-without-flask",
             "plugin-models-without-flask", "plugin-services-without-flask"}


def _lint_imports() -> str:
    # the one installed beside the interpreter running the tests (.venv/bin), else on PATH
    here = Path(sys.executable).parent
    found = shutil.which("lint-imports", path=str(here)) or shutil.which("lint-imports")
    if found is None:
        pytest.fail("lint-imports is missing: install the dev extra (pip install -e '.[dev]')")
    return found


def test_the_contracts_are_configured():
    from importlinter.api import read_configuration

    config = read_configuration(str(ROOT / "pyproject.toml"))
    ids = {c.get("id") for c in config["contracts_options"]}
    assert CONTRACTS <= ids, f"missing import-linter contracts: {sorted(CONTRACTS - ids)}"


def _plugin_folders(env: dict) -> set[Path]:
    """The folders the namespace package ``plugins`` spans, seen as lint-imports sees it."""
    run = subprocess.run([sys.executable, "-c", "import sys; sys.path.insert(0, ''); "
                          "import plugins; print(*plugins.__path__, sep='\\n')"],
                         cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return {Path(p).resolve() for p in run.stdout.splitlines() if Path(p).is_dir()}


def test_imports_follow_the_rule_of_direction():
    env = {**os.environ, "NO_COLOR": "1", "TERM": "dumb"}
    # ``plugins`` has no __init__.py: with another checkout installed in this environment it
    # spans both, and import-linter would read either copy of a module, so could pass unseen
    foreign = _plugin_folders(env) - {ROOT / "plugins"}
    assert not foreign, (f"plugins is also found in {sorted(map(str, foreign))}: "
                         "install this checkout (pip install -e '.[dev]') and run again")
    # --no-cache: nothing written into the tree; the whole graph takes about a second
    run = subprocess.run([_lint_imports(), "--no-cache", "--no-logo", "pyproject.toml"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    if run.returncode != 0:
        pytest.fail(f"an import breaks the rule of direction:\n{run.stdout}{run.stderr}",
                    pytrace=False)

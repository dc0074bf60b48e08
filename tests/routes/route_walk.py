"""Helpers of the route-by-role test: importing test modules by path and the throwaway
plugin its app carries."""
from __future__ import annotations

import importlib.util
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
TINY = "tinyroute"


def load_module(path: Path, name: str):
    """Import a test helper by path (test folders are not packages)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


tiny_plugin = load_module(TESTS / "api" / "tiny_plugin.py", "mat_test_tiny_plugin")

"""A person's text never reaches a LIKE pattern unescaped (issue 14): every ``like``/``ilike``
in core, plugins and web either matches a fixed pattern or says its ``escape`` character
(``core.names.like_pattern`` escapes ``%``, ``_`` and ``\\``), and every SQL ``contains``
sets ``autoescape``. No database, no app: it reads the source."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LIKES = {"like", "ilike", "not_like", "not_ilike", "notlike", "notilike"}
AUTOESCAPED = {"contains", "icontains"}


def _unescaped(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        name, keywords = node.func.attr, {k.arg for k in node.keywords}
        fixed = bool(node.args) and isinstance(node.args[0], ast.Constant)
        if name in LIKES and not fixed and "escape" not in keywords:
            found.append(f"{path.relative_to(ROOT)}:{node.lineno} .{name}() without escape=")
        elif name in AUTOESCAPED and not fixed and "autoescape" not in keywords:
            found.append(f"{path.relative_to(ROOT)}:{node.lineno} .{name}() without autoescape")
    return found


def test_every_like_pattern_escapes_what_a_person_typed():
    problems = [p for folder in ("core", "plugins", "web")
                for path in sorted((ROOT / folder).rglob("*.py")) for p in _unescaped(path)]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("typed,matches", [("50%", {"50%"}), ("a_b", {"a_b"}),
                                           ("x\\y", {"x\\y"})])
def test_like_pattern_makes_wildcards_literal(typed, matches):
    from sqlalchemy import column, create_engine, select, table, text

    from core.names import like_pattern

    engine = create_engine("sqlite://")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (v TEXT)"))
        conn.execute(text("INSERT INTO t VALUES ('50%'), ('500'), ('a_b'), ('axb'), "
                          "('x\\y'), ('xy')"))
        t = table("t", column("v"))
        got = set(conn.scalars(select(t.c.v).where(t.c.v.like(like_pattern(typed),
                                                               escape="\\"))))
    assert got == matches

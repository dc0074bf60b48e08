"""The hook reference (docs/hooks.md), generated from :mod:`core.hookspecs`.

    python -m core.hookdoc            # rewrite docs/hooks.md
    python -m core.hookdoc --check    # exit 1 if docs/hooks.md is not what the hooks say

Each hook gets its signature with its annotations, the result types it names from
:mod:`core.contributions` with their fields, and its docstring; the docstring's literal blocks
(a paragraph ending ``::`` followed by indented code, as in reStructuredText) become Python
code blocks, and every hook must have one introduced by ``Example``. Hooks appear in the
order and under the phase banners (``# --- phase ---``) of hookspecs.py, as pytest's reference
follows its ``hookspec.py``.
"""
from __future__ import annotations

import ast
import dataclasses
import inspect
import re
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

from core import contributions, hookspecs

OUTPUT = Path(__file__).resolve().parent.parent / "docs" / "hooks.md"

INTRO = """\
# Hook reference

Every hook the platform calls, declared in `core/hookspecs.py`. A plugin is a module of
`@hookimpl` functions (`from core import hookimpl`) registered through the `mat.plugins`
entry-point group of its `pyproject.toml`. Hooks about one school are called only for plugins
switched on in that school (`PluginHost.call_for_school`). Results are small dataclasses from
`core/contributions.py` that carry the plugin's name; each hook lists the ones it takes or
returns under "Types". In the signatures `Session` is a SQLAlchemy session (scoped to the school
for school hooks), `Actor` is `core.policy.Actor` (the person, their roles in each school and
trust, and whether they gave their second factor) and `dt` is `datetime`.

This page is generated from the hooks' docstrings: after changing `core/hookspecs.py`, run
`python -m core.hookdoc` (a test fails while this page and the hooks disagree).
"""

BANNER = re.compile(r"^# -{3}\s*(.+?)\s*-*$")
HOOK_DEF = re.compile(r"^def (mat_\w+)\(")
ROLE = re.compile(r":(?:class|func|meth|mod|attr|data|exc):`~?([^`]+)`")
DOUBLE_BACKTICKS = re.compile(r"``([^`]+)``")
EXAMPLE = re.compile(r"^Example\b")


@dataclass(frozen=True)
class Hook:
    """One hookspec as the reference shows it."""

    name: str
    phase: str
    function: object

    @property
    def doc(self) -> str:
        return inspect.cleandoc(self.function.__doc__ or "")


def hooks() -> list[Hook]:
    """Every hook, in the order hookspecs.py declares them, with the phase banner above it."""
    source = Path(inspect.getsourcefile(hookspecs)).read_text(encoding="utf-8")
    found, phase = [], ""
    for line in source.splitlines():
        if m := BANNER.match(line):
            phase = m.group(1)
        elif m := HOOK_DEF.match(line):
            found.append(Hook(m.group(1), phase, getattr(hookspecs, m.group(1))))
    return found


def signature(function) -> str:
    """``name(param: annotation, ...) -> annotation`` as written in the source (the
    annotations are strings there, and stay unevaluated)."""
    sig = inspect.signature(function)
    params = ", ".join(
        p.name if p.annotation is p.empty else f"{p.name}: {p.annotation}"
        for p in sig.parameters.values())
    returns = "" if sig.return_annotation is sig.empty else f" -> {sig.return_annotation}"
    return f"{function.__name__}({params}){returns}"


def result_types(function) -> list[str]:
    """The constructors of the :mod:`core.contributions` classes its signature names, as a
    plugin calls them: ``Panel(plugin, title, html, order=50)``."""
    names = re.findall(r"\b[A-Z]\w*", signature(function))
    out = []
    for name in dict.fromkeys(names):
        cls = getattr(contributions, name, None)
        if cls is not None and dataclasses.is_dataclass(cls):
            out.append(f"{name}({', '.join(_field(f) for f in dataclasses.fields(cls))})")
    return out


def _field(f: dataclasses.Field) -> str:
    if f.default is not dataclasses.MISSING:
        return f"{f.name}={f.default!r}"
    if f.default_factory is not dataclasses.MISSING:
        return f"{f.name}={f.default_factory()!r}"
    return f.name


def blocks(doc: str) -> list[tuple[str, str]]:
    """The docstring as ("text", paragraph) and ("code", literal block) pieces, in order."""
    out: list[tuple[str, str]] = []
    lines, i = doc.splitlines(), 0
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        paragraph, i = _run(lines, i, lambda line: bool(line.strip()))
        if not paragraph.endswith("::"):
            out.append(("text", paragraph))
            continue
        if paragraph[:-2].strip():  # "Example::" reads "Example:"; a bare "::" is dropped
            out.append(("text", paragraph[:-2].rstrip() + ":"))
        code, i = _run(lines, i, lambda line: not line.strip() or line.startswith(" "))
        if code.strip():
            out.append(("code", textwrap.dedent(code).strip("\n")))
    return out


def _run(lines: list[str], i: int, keep) -> tuple[str, int]:
    """The lines from ``i`` for as long as ``keep`` holds, and the index after them."""
    start = i
    while i < len(lines) and keep(lines[i]):
        i += 1
    return "\n".join(lines[start:i]), i


def examples(doc: str) -> list[str]:
    """The code of each literal block introduced by a paragraph starting ``Example``."""
    pieces = blocks(doc)
    return [code for (kind, text), (next_kind, code) in zip(pieces, pieces[1:])
            if kind == "text" and EXAMPLE.match(text) and next_kind == "code"]


def example_problems(hook: Hook) -> list[str]:
    """Why the hook's examples fall short: none, not Python, or no ``@hookimpl`` function of
    the hook's name whose parameters are among the hook's (pluggy lets an implementation take
    fewer, never others)."""
    found = examples(hook.doc)
    if not found:
        return [f"{hook.name}: no example (a paragraph starting 'Example' ending '::', then code)"]
    allowed = set(inspect.signature(hook.function).parameters)
    problems, implemented = [], False
    for code in found:
        try:
            implementations = _implementations(code, hook.name)
        except SyntaxError as exc:
            problems.append(f"{hook.name}: an example is not Python ({exc.msg}, line {exc.lineno})")
            continue
        implemented = implemented or bool(implementations)
        problems += [f"{hook.name}: the example takes {sorted(set(params) - allowed)}, which the "
                     f"hook does not pass" for params in implementations if set(params) - allowed]
    if not implemented and not problems:
        problems.append(f"{hook.name}: no example implements it (@hookimpl def {hook.name})")
    return problems


def _implementations(code: str, name: str) -> list[list[str]]:
    """The parameter names of each ``@hookimpl`` function called ``name`` in ``code``."""
    return [[a.arg for a in node.args.args] for node in ast.walk(ast.parse(code))
            if isinstance(node, ast.FunctionDef) and node.name == name
            and any(ast.unparse(d) == "hookimpl" for d in node.decorator_list)]


def markdown(text: str) -> str:
    """A docstring paragraph as Markdown: Sphinx roles and double backticks as code."""
    return DOUBLE_BACKTICKS.sub(r"`\1`", ROLE.sub(r"`\1`", text))


def section(hook: Hook) -> str:
    """One hook's section: heading, signature, docstring, and its types before the examples."""
    parts = [f"### `{hook.name}`", f"`{signature(hook.function)}`"]
    pieces = blocks(hook.doc)
    first_example = next((n for n, (kind, text) in enumerate(pieces)
                          if kind == "text" and EXAMPLE.match(text)), len(pieces))
    for n, (kind, text) in enumerate(pieces):
        if n == first_example:
            types = result_types(hook.function)
            if types:
                parts.append("Types: " + "; ".join(f"`{t}`" for t in types) + ".")
        parts.append(f"```python\n{text}\n```" if kind == "code" else markdown(text))
    return "\n\n".join(parts)


def render() -> str:
    """The whole of docs/hooks.md."""
    out, phase = [INTRO.strip()], None
    for hook in hooks():
        if hook.phase != phase:
            phase = hook.phase
            out.append(f"## {phase[:1].upper()}{phase[1:]}")
        out.append(section(hook))
    return "\n\n".join(out).rstrip("\n") + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    problems = [p for hook in hooks() for p in example_problems(hook)]
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 1
    text = render()
    current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
    if "--check" in args:
        if current != text:
            print(f"{OUTPUT.name} is out of date: run python -m core.hookdoc", file=sys.stderr)
            return 1
        return 0
    if current != text:
        OUTPUT.write_text(text, encoding="utf-8")
        print(f"wrote {OUTPUT.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

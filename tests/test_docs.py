"""The documentation is checked against the tree and the code, so it cannot quietly rot:
links and anchors resolve, every installed plugin has its page, the README stays a short first
read whose quick start is the two commands, every ``MAT_*`` variable the code reads is in the
README's configuration table, the API guide lists exactly the core's endpoints, and the hook
reference is exactly what ``python -m core.hookdoc`` generates from ``core/hookspecs.py``, every
hook with a docstring and a working example."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"
README_LIMIT_BYTES = 20 * 1024

LINK = re.compile(r"(?<!!)\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
INLINE_CODE = re.compile(r"(`+).*?\1")


def markdown_files() -> list[Path]:
    return [README, *sorted(DOCS.rglob("*.md"))]


def prose_lines(text: str) -> list[tuple[int, str]]:
    """Lines outside fenced code blocks, with their 1-based numbers."""
    out, fence = [], None
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.lstrip()
        marker = re.match(r"(`{3,}|~{3,})", stripped)
        if marker:
            if fence is None:
                fence = marker.group(1)[0] * len(marker.group(1))
            elif stripped.startswith(fence):
                fence = None
            continue
        if fence is None:
            out.append((number, line))
    return out


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: markup dropped, lower case, punctuation removed,
    spaces turned into hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link keeps its text
    text = re.sub(r"<[^>]+>", "", text).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    seen: dict[str, int] = {}
    result = set()
    for _, line in prose_lines(path.read_text(encoding="utf-8")):
        m = HEADING.match(line)
        if not m:
            continue
        base = slug(m.group(2))
        n = seen.get(base, 0)
        seen[base] = n + 1
        result.add(base if n == 0 else f"{base}-{n}")
    return result


def relative_links(path: Path) -> list[tuple[int, str]]:
    links = []
    for number, line in prose_lines(path.read_text(encoding="utf-8")):
        for target in LINK.findall(INLINE_CODE.sub("", line)):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):  # https:, mailto: ...
                continue
            links.append((number, target))
    return links


def section(text: str, title: str) -> str:
    """The body of the level-2 section ``## title`` up to the next level-2 heading."""
    m = re.search(rf"^## {re.escape(title)}\s*$(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert m, f"README.md has no '## {title}' section"
    return m.group(1)


def test_slug_follows_github():
    assert slug("The JSON API (`/api/v1`)") == "the-json-api-apiv1"
    assert slug("The `mat` command") == "the-mat-command"
    assert slug("Transition: handing over the child-protection file") == (
        "transition-handing-over-the-child-protection-file")
    assert slug("Pages, API and command line") == "pages-api-and-command-line"


def test_link_checker_sees_links_and_skips_code(tmp_path):
    text = "See [a](x.md#b) and `[not](y.md)`.\n```\n[nor](z.md)\n```\n[web](https://e.org)\n"
    path = tmp_path / "probe.md"
    path.write_text(text, encoding="utf-8")
    assert relative_links(path) == [(1, "x.md#b")]


@pytest.mark.parametrize("path", markdown_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_and_anchors_resolve(path: Path):
    problems = []
    for number, target in relative_links(path):
        file_part, _, anchor = target.partition("#")
        dest = (path.parent / file_part).resolve() if file_part else path
        where = f"{path.relative_to(ROOT)}:{number}: {target}"
        if not dest.exists():
            problems.append(f"{where}: no such file")
            continue
        if anchor:
            if dest.suffix != ".md":
                problems.append(f"{where}: an anchor into a file that is not Markdown")
            elif anchor not in anchors(dest):
                problems.append(f"{where}: no heading with anchor #{anchor}")
    assert not problems, "broken links:\n" + "\n".join(problems)


def installed_plugins() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    names = set(project["project"]["entry-points"]["mat.plugins"])
    names |= {ep.name for ep in metadata.entry_points(group="mat.plugins")}
    return names


def test_every_installed_plugin_has_a_page():
    plugins = installed_plugins()
    assert {"attendance", "encompass", "transition", "training"} <= plugins
    missing = sorted(p for p in plugins if not (DOCS / "plugins" / f"{p}.md").is_file())
    assert not missing, f"plugins without docs/plugins/<name>.md: {missing}"


def test_every_plugin_page_is_linked_from_the_index():
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    for name in installed_plugins():
        assert f"(plugins/{name}.md)" in index, f"docs/index.md does not link plugins/{name}.md"


def test_quick_start_is_exactly_the_two_commands():
    body = section(README.read_text(encoding="utf-8"), "Quick start")
    blocks = re.findall(r"^```[^\n]*\n(.*?)^```", body, re.M | re.S)
    assert len(blocks) == 1, "the quick start has one block of commands"
    commands = [line.split("#", 1)[0].strip() for line in blocks[0].splitlines()]
    assert [c for c in commands if c] == ["./run demo", "./run test"]


def test_readme_stays_short():
    size = README.stat().st_size
    assert size < README_LIMIT_BYTES, (
        f"README.md is {size} bytes; keep it under {README_LIMIT_BYTES} and move detail to docs/")


# A variable's name is read as a whole string literal (``e.get("MAT_ENV", ...)``, or through a
# small helper such as ``whole("MAT_RECONCILE_SECONDS", 60)``); names in messages and docstrings
# are part of longer strings. Flask config keys (``app.config["MAT_SETTINGS"]``) are not variables.
NAME_LITERAL = re.compile(r"""["'](MAT_[A-Z0-9_]+)["']""")
CONFIG_KEY = re.compile(r"""config\[\s*["'](MAT_[A-Z0-9_]+)["']""")


def variables_read_by_the_code() -> set[str]:
    names, config_keys = set(), set()
    for package in ("core", "web"):
        for source in (ROOT / package).rglob("*.py"):
            text = source.read_text(encoding="utf-8")
            names |= set(NAME_LITERAL.findall(text))
            config_keys |= set(CONFIG_KEY.findall(text))
    return names - config_keys


def test_every_environment_variable_is_in_the_configuration_table():
    read = variables_read_by_the_code()
    # the scan finds both ways of reading a variable
    assert {"MAT_DATABASE_URL", "MAT_SECRET_KEY", "MAT_RECONCILE_SECONDS"} <= read
    assert "MAT_SETTINGS" not in read
    table = section(README.read_text(encoding="utf-8"), "Configuration")
    documented = set()
    for line in table.splitlines():
        if line.startswith("|"):
            documented |= set(re.findall(r"`(MAT_[A-Z0-9_]+)`", line.split("|")[1]))
    missing = sorted(read - documented)
    assert not missing, f"MAT_* variables read in core/ or web/, not in the README: {missing}"


def core_api_routes() -> set[tuple[str, str]]:
    """(method, path) of every core endpoint, in OpenAPI's ``{param}`` form, read from the
    blueprints themselves (no database, no plugins: plugins document theirs on their pages)."""
    import importlib
    import pkgutil

    from flask import Flask

    import web.apis

    app = Flask("api-guide-probe")
    for info in pkgutil.iter_modules(web.apis.__path__):
        module = importlib.import_module(f"web.apis.{info.name}")
        if hasattr(module, "blp"):
            app.register_blueprint(module.blp)
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
            routes |= {(method, path) for method in rule.methods - {"HEAD", "OPTIONS"}}
    return routes


def test_the_api_guide_lists_every_core_endpoint_and_no_other():
    text = (DOCS / "api.md").read_text(encoding="utf-8")
    m = re.search(r"^## Endpoints\s*$(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert m, "docs/api.md has no '## Endpoints' section"
    row = re.compile(r"^\| `(GET|POST|PUT|PATCH|DELETE) (/api/v1/[^`\s]+)` \|", re.M)
    listed = set(row.findall(m.group(1)))
    routes = core_api_routes()
    assert len(routes) >= 20  # the probe found the API
    assert not routes - listed, f"missing from docs/api.md: {sorted(routes - listed)}"
    assert not listed - routes, f"in docs/api.md but not in the API: {sorted(listed - routes)}"


# --- the hook reference (after Datasette's tests/test_docs.py) ---------------------------------

def spec_hooks():
    from core import hookdoc

    return hookdoc.hooks()


def test_every_hookspec_is_in_the_generator():
    from core import hookspecs

    declared = {n for n in dir(hookspecs) if n.startswith("mat_")}
    assert declared and {h.name for h in spec_hooks()} == declared


@pytest.mark.parametrize("hook", spec_hooks(), ids=lambda h: h.name)
def test_every_hook_has_a_docstring_and_a_working_example(hook):
    from core import hookdoc

    assert hook.doc and not hook.doc.startswith("Example"), f"{hook.name} has no description"
    assert hookdoc.example_problems(hook) == []


@pytest.mark.parametrize("hook", spec_hooks(), ids=lambda h: h.name)
def test_every_hook_has_a_section_in_the_reference(hook):
    text = (DOCS / "hooks.md").read_text(encoding="utf-8")
    assert re.search(rf"^### `{hook.name}`$", text, re.M), f"docs/hooks.md lacks {hook.name}"


def test_the_hook_reference_is_generated_from_the_hookspecs():
    from core import hookdoc

    assert (DOCS / "hooks.md").read_text(encoding="utf-8") == hookdoc.render(), (
        "docs/hooks.md differs from core/hookspecs.py: run python -m core.hookdoc")


def test_a_hook_without_an_example_is_caught():
    from core import hookdoc

    def spec(session, school_id: int) -> None:
        """React to something.

        Example::

            @hookimpl
            def spec(session, school_id, pupil_id):
                ...
        """

    hook = hookdoc.Hook("spec", "phase", spec)
    assert hookdoc.examples(hook.doc) == ["@hookimpl\ndef spec(session, school_id, pupil_id):\n    ..."]
    assert "pupil_id" in hookdoc.example_problems(hook)[0]  # a parameter the hook does not pass
    spec.__doc__ = "React to something.\n\nFor instance::\n\n    spec(1, 2)\n"
    assert "no example" in hookdoc.example_problems(hook)[0]
    spec.__doc__ = "React.\n\nExample::\n\n    @hookimpl\n    def other(session): ...\n"
    assert "no example implements it" in hookdoc.example_problems(hook)[0]
    spec.__doc__ = "React.\n\nExample::\n\n    @hookimpl\n    def spec(session):\n"
    assert "not Python" in hookdoc.example_problems(hook)[0]

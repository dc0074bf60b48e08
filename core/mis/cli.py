"""``mat pupils import``: bring a school's pupils in from its MIS export (or a plugin's source),
with a progress bar, a preview (``--dry-run``) and the same report the pages and API give."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from sqlalchemy import select

from core.db import SYSTEM, current_database
from core.errors import ValidationError
from core.models import School

SHOWN = 20  # entries printed per section; the counts are whole


def _school_id(s, urn: str) -> int:
    sid = s.scalar(select(School.id).where(School.urn == urn))
    if sid is None:
        raise ValidationError({"school": [f"no school with URN {urn}"]})
    return sid


def _section(title: str, entries: list, line) -> None:
    if not entries:
        return
    click.echo(f"{title}:")
    for e in entries[:SHOWN]:
        click.echo(f"  {line(e)}")
    if len(entries) > SHOWN:
        click.echo(f"  ... and {len(entries) - SHOWN} more")


def _what(change: dict) -> str:
    """What changes for one pupil, in words."""
    from core.models.pupils import FLAGS
    from core.pupils import FIELD_LABELS

    parts = [FIELD_LABELS.get(f, f).lower() for f in change["fields"]]
    parts += [f"{FLAGS.get(f, f)} from now" for f in change["flags_on"]]
    parts += [f"{FLAGS.get(f, f)} ends" for f in change["flags_off"]]
    if change["carers_added"]:
        parts.append(f"{change['carers_added']} contact(s) added")
    if change["carers_ended"]:
        parts.append(f"{change['carers_ended']} contact(s) ended")
    return ", ".join(parts) or "the MIS id"


def print_report(report: dict) -> None:
    c = report["counts"]
    click.echo(f"{report['rows']} rows: {c['adds']} to add, {c['changes']} to change, "
               f"{c['unchanged']} unchanged, {c['review']} to review, {c['leavers']} left?, "
               f"{c['problems']} problems")
    _section("to add", report["adds"], lambda e: f"{e['where']}: {e['name']} ({e['upn'] or 'no UPN'})")
    _section("to change", report["changes"], lambda e: f"{e['where']}: {e['name']}: {_what(e)}")
    _section("to review", report["review"], lambda e: f"{e['where']}: {e['name']}: {e['reason']}")
    _section("left? (not in this full file)", report["leavers"], lambda e: e["name"])


@click.command("import")
@click.option("--school", "urn", required=True, help="the school's URN")
@click.argument("file", required=False,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["ctf", "csv"]),
              help="the file's format (default: ctf for .xml, csv otherwise)")
@click.option("--layout", help="a CSV layout the school saved (default: the default layout)")
@click.option("--source", help="a plugin's MIS source instead of a file")
@click.option("--partial", is_flag=True,
              help="the file lists some pupils only (a CTF says so itself): no one is left?")
@click.option("--dry-run", is_flag=True, help="show what would change; store nothing")
def pupils_import(urn, file, fmt, layout, source, partial, dry_run) -> None:
    """Import or update a school's pupils from its MIS: a CTF (XML) or a CSV export."""
    from core.mis import service

    if (file is None) == (source is None):
        raise click.UsageError("give a FILE or --source NAME (one of them)")
    try:
        with current_database().transaction(SYSTEM) as s:
            sid = _school_id(s, urn)
            content = file.read_bytes() if file else b""
            imp = service.start_import(s, None, sid, content, file.name if file else "", fmt,
                                       layout, full=False if partial else None,
                                       commit=not dry_run, source=source)
            label = f"reading {file.name}" if file else f"reading from {imp.filename}"
            with click.progressbar(length=max(len(content), 1), label=label) as bar:
                seen = [0]

                def progress(done: int, total: int) -> None:
                    bar.update(done - seen[0])
                    seen[0] = done
                report = service.process(s, imp, progress)
            status = imp.status
    except ValidationError as exc:
        for field, msgs in exc.errors.items():
            click.echo(f"error: {field}: {'; '.join(msgs)}", err=True)
        sys.exit(2)
    print_report(report)
    if report["problems"]:
        for p in report["problems"]:
            click.echo(f"error: {p['where']}, {p['field']}: {p['message']}", err=True)
        click.echo("nothing was imported: correct the file and run it again", err=True)
        sys.exit(2)
    if status == "committed":
        st = report["stored"]
        click.echo(f"imported: {st['added']} added, {st['changed']} changed, "
                   f"{st['review_added']} new to review, {st['leavers_listed']} newly left?")
    else:
        click.echo("dry run: nothing was stored")

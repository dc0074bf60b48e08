"""``mat staff import --school URN FILE [--dry-run]``: the school's adults from a CSV export
(:mod:`plugins.training.staff_import`), with a preview, all or nothing, and a progress bar."""
from __future__ import annotations

import sys

import click

from core.db import SYSTEM, current_database
from core.errors import ValidationError
from plugins.training import staff_import
from plugins.training.models import JOB_ROLES


def _show(value) -> str:
    if value is None or value == "":
        return "(none)"
    return value.strftime("%d/%m/%Y") if hasattr(value, "strftime") else str(value)


def print_plan(plan: staff_import.StaffPlan) -> None:
    """The preview: counts, then each add, change, leaver and invitation."""
    c = plan.counts()
    click.echo(f"{c['adds']} to add, {c['changes']} to change, {c['leavers']} leaving, "
               f"{c['unchanged']} unchanged, {c['invitations']} to invite")
    for row in plan.adds:
        click.echo(f"  add     line {row.line}: {row.name} ({JOB_ROLES[row.job_role]})")
    for person, row, changed in plan.changes:
        what = "; ".join(f"{f} {_show(old)} -> {_show(new)}" for f, (old, new) in
                         sorted(changed.items()))
        click.echo(f"  change  line {row.line}: {person.name}: {what}")
    for person in plan.leavers:
        click.echo(f"  leaver  {person.name}: not in the file, leaves today")
    for row in plan.accounts:
        click.echo(f"  invite  line {row.line}: {row.email}")


def add_staff_commands(cli: click.Group) -> None:
    """Add the ``staff`` command group to ``mat``."""
    from plugins.training.cli import _fail, _school_id

    @cli.group("staff")
    def staff() -> None:
        """The school's adults (staff, volunteers, governors, contractors)."""

    @staff.command("import")
    @click.option("--school", "urn", required=True, help="school URN")
    @click.option("--dry-run", is_flag=True, help="show what would change; change nothing")
    @click.option("--partial", is_flag=True,
                  help="the file is not the whole list: nobody missing from it leaves")
    @click.option("--site", default=None,
                  help="the address people open (for invitation links), e.g. "
                       "https://safeguarding.example.org")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    def import_command(urn: str, dry_run: bool, partial: bool, site: str | None,
                       path: str) -> None:
        """Import the school's staff list from a CSV export (layout: docs/guide/staff-import.md):
        adds, changes and leavers (given a leaving date, never deleted), all or nothing."""
        with open(path, "rb") as fh:
            data = fh.read()
        try:
            with current_database().transaction(SYSTEM) as s:
                sid = _school_id(s, urn)
                plan = staff_import.plan_import(s, None, sid, data, full=not partial)
                if not plan.ok:
                    for e in plan.errors:
                        click.echo(f"line {e.line}: {e.field}: {e.message}", err=True)
                    click.echo(f"nothing imported: {len(plan.errors)} problem(s)", err=True)
                    s.rollback()
                    sys.exit(2)
                print_plan(plan)
                if dry_run:
                    click.echo("dry run: nothing changed")
                    s.rollback()
                    return
                if plan.accounts and not site:
                    raise ValidationError({"--site": ["is needed to invite people (the "
                                                      "address they open)"]})
                steps = len(plan.adds) + len(plan.changes) + len(plan.leavers)
                with click.progressbar(length=steps, label="importing", file=sys.stderr) as bar:
                    def progress(items):
                        for item in items:
                            yield item
                            bar.update(1)
                    result = staff_import.apply_plan(
                        s, None, sid, plan, progress=progress,
                        link=lambda raw: f"{(site or '').rstrip('/')}/invite/{raw}")
        except ValidationError as exc:
            _fail(exc)
        click.echo(f"imported: {result['adds']} added, {result['changes']} changed, "
                   f"{result['leavers']} left, {result['invitations']} invited")
        for name, email, link in result["links"]:
            click.echo(f"invitation for {name} <{email}> (emailed; shown once): {link}")

"""``mat training ...``: import a provider's CSV and run the reminders from the shell; and
``mat staff import`` (:mod:`plugins.training.staff_cli`), since the staff list is the plugin's."""
from __future__ import annotations

import sys

import click
from sqlalchemy import select

from core.db import SYSTEM, current_database
from core.errors import ValidationError
from core.models import School
from core.plugins import current_host
from plugins.training import service
from plugins.training.definition import NAME


def _school_id(session, urn: str) -> int:
    sid = session.scalar(select(School.id).where(School.urn == urn))
    if sid is None:
        raise ValidationError({"school": [f"no school with URN {urn}"]})
    if not current_host().is_enabled(session, sid, NAME):
        raise ValidationError({"school": [f"training is switched off for {urn}"]})
    return sid


def _fail(exc: ValidationError) -> None:
    for field, msgs in exc.errors.items():
        click.echo(f"error: {field}: {'; '.join(msgs)}", err=True)
    sys.exit(2)


def add_commands(cli: click.Group) -> None:
    """Add the ``training`` and ``staff`` command groups to ``mat``."""
    from plugins.training.staff_cli import add_staff_commands

    add_staff_commands(cli)

    @cli.group(NAME)
    def training() -> None:
        """Staff safeguarding training."""

    @training.command("import")
    @click.option("--school", "urn", required=True, help="school URN")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    def import_command(urn: str, path: str) -> None:
        """Import a training provider's CSV: every row, or none if any row is bad."""
        with open(path, "rb") as fh:
            data = fh.read()
        try:
            with current_database().transaction(SYSTEM) as s:
                result = service.import_csv(s, None, _school_id(s, urn), data)
                if not result.ok:
                    s.rollback()
        except ValidationError as exc:
            _fail(exc)
        if not result.ok:
            for e in result.errors:
                click.echo(f"line {e.line}: {e.field}: {e.message}", err=True)
            click.echo(f"nothing imported: {len(result.errors)} problem(s)", err=True)
            sys.exit(2)
        click.echo(f"imported {result.imported}, skipped {result.skipped} already held")

    @training.command("reminders")
    @click.option("--school", "urn", default=None, help="one school (default: every school "
                  "with training on)")
    def reminders_command(urn: str | None) -> None:
        """Queue and send today's training reminders now (each is sent once per expiry)."""
        from core.jobs import for_each_school_with
        from plugins.training.jobs import send_reminders

        if urn is None:
            click.echo(f"{len(for_each_school_with(NAME, send_reminders))} school job(s) queued")
            return
        try:
            with current_database().transaction(SYSTEM) as s:
                sid = _school_id(s, urn)
        except ValidationError as exc:
            _fail(exc)
        click.echo(f"{send_reminders(sid)['queued']} reminder(s) queued for {urn}")

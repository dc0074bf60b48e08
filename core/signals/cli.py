"""``mat signals``: replay the rules over stored history (how many alerts, per school and
rule, per 1,000 pupils a week) and run the evaluation now."""
from __future__ import annotations

import datetime as dt
import json
import sys

import click
from sqlalchemy import select

from core.db import SYSTEM, current_database
from core.models import School, Trust


def _day(ctx, param, value):
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None


@click.group()
def signals() -> None:
    """Converging signals: replay the rules over history, or evaluate now."""


@signals.command("replay")
@click.option("--from", "start", required=True, callback=_day, help="first day (YYYY-MM-DD)")
@click.option("--to", "end", required=True, callback=_day, help="last day (YYYY-MM-DD)")
@click.option("--trust", "trust_name", default=None, help="one trust, by name")
@click.option("--json", "as_json", is_flag=True, help="print the figures as JSON")
def replay(start: dt.date, end: dt.date, trust_name: str | None, as_json: bool) -> None:
    """Run the rules over stored history, day by day, as the nightly job would have, and
    report per school and rule the alerts they would have raised per 1,000 pupils per week.
    Nothing is stored."""
    from core.signals.evaluate import replay as run

    if end < start:
        click.echo("error: --to: must not be before --from", err=True)
        sys.exit(2)
    if (end - start).days > 400:
        click.echo("error: --to: replay at most 400 days at a time", err=True)
        sys.exit(2)
    with current_database().transaction(SYSTEM) as s:
        trust_id = None
        if trust_name:
            trust_id = s.scalar(select(Trust.id).where(Trust.name == trust_name))
            if trust_id is None:
                click.echo(f"error: --trust: no trust called {trust_name!r}", err=True)
                sys.exit(2)
        rows = run(s, start, end, trust_id)
    if as_json:
        click.echo(json.dumps({"from": start.isoformat(), "to": end.isoformat(),
                               "schools": rows}, indent=2))
        return
    click.echo(f"Replay {start.isoformat()} to {end.isoformat()}: alerts per 1,000 pupils "
               f"per week")
    for r in rows:
        click.echo(f"{r['school']} ({r['pupils']} pupils): {r['rate']:.2f} "
                   f"({sum(r['alerts'].values())} alerts)")
        for rule, n in sorted(r["alerts"].items()):
            click.echo(f"  {rule}: {n} alerts, {r['rates'][rule]:.2f}")


@signals.command("run")
@click.option("--school", "urn", default=None, help="one school, by URN (default: all)")
@click.option("--as-of", "as_of", default=None, callback=_day, help="the day (default today)")
@click.option("--full", is_flag=True, help="every pupil, not only those with new indicators")
def run_now(urn: str | None, as_of: dt.date | None, full: bool) -> None:
    """Evaluate the rules now (what the nightly job does), storing firings and alerts."""
    from core.signals.evaluate import evaluate_school

    with current_database().transaction(SYSTEM) as s:
        stmt = select(School.id, School.urn, School.name).order_by(School.name)
        if urn:
            stmt = stmt.where(School.urn == urn)
        schools = s.execute(stmt).all()
        if urn and not schools:
            click.echo(f"error: --school: no school with URN {urn}", err=True)
            sys.exit(2)
        for sid, u, name in schools:
            r = evaluate_school(s, sid, as_of, incremental=not full)
            click.echo(f"{u} {name}: {r.get('new', 0)} new, {r.get('seen', 0)} seen, "
                       f"{r.get('decided', 0)} decided ({r['seconds']} s)")

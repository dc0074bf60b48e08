"""The ``mat`` command: the core's commands plus ``serve`` and ``demo`` (which need the web app)."""
from __future__ import annotations

import click

from core.cli import build_cli, cli


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
def serve(host, port) -> None:
    """Serve the web app (development server; use gunicorn 'web.wsgi:app' in production)."""
    from web import create_app

    app = create_app()
    click.echo(f"serving on http://{host}:{port}/")
    app.run(host=host, port=port, debug=False, use_reloader=False)


@cli.command()
@click.option("--serve/--no-serve", "do_serve", default=True, help="serve after seeding")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--pupils", default=300, show_default=True, type=click.IntRange(10, 5000),
              help="pupils per school")
@click.option("--seed", default=2026, show_default=True, type=int)
@click.pass_context
def demo(ctx, do_serve, host, port, pupils, seed) -> None:
    """Create a demo trust (3 schools, a term of concerns, every plugin's data), then serve it.
    An existing demo database is reused as it is."""
    from sqlalchemy import select

    from core.db import SYSTEM, current_database
    from core.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET, TRUST_NAME, seed as seed_demo
    from core.migrate import upgrade
    from core.models import Trust
    from core.runtime import settings

    upgrade(settings().migration_url)
    db = current_database()
    with db.session(SYSTEM) as s:
        exists = s.scalar(select(Trust.id).where(Trust.name == TRUST_NAME)) is not None
    if exists:
        click.echo("demo trust already present: reusing it")
    else:
        steps = ["school", "school", "school", "family links", "concerns", "plugin demo data"]
        with click.progressbar(length=len(steps), label="seeding the demo trust") as bar:
            result = seed_demo(db, seed=seed, pupils_per_school=pupils,
                               progress=lambda msg: bar.update(1),
                               exports_to=settings().instance_path / "demo-exports")
        click.echo(f"\nSample MIS exports of each school (CTF and CSV), to try onboarding: "
                   f"{settings().instance_path / 'demo-exports'}")
        click.echo("\nDemo accounts (password: %s):" % DEMO_PASSWORD)
        for email, role, where in result.accounts:
            click.echo(f"  {email:38} {role:13} {where}")
    click.echo(f"\nDSL, deputy and trust-lead accounts need a second factor: add the key "
               f"{DEMO_TOTP_SECRET} to an authenticator app, or use `mat demo-code` for the "
               f"current code.")
    if do_serve:
        ctx.invoke(serve, host=host, port=port)


@cli.command("demo-code")
def demo_code() -> None:
    """Print the current 6-digit code of the demo accounts' authenticator."""
    import pyotp

    from core.demo import DEMO_TOTP_SECRET

    click.echo(pyotp.TOTP(DEMO_TOTP_SECRET).now())


def main() -> None:
    from sqlalchemy.exc import DBAPIError

    try:
        build_cli()(prog_name="mat", standalone_mode=True)
    except DBAPIError as exc:  # a database restart or outage: say so, without a traceback
        if not exc.connection_invalidated and type(exc.orig).__name__ not in (
                "OperationalError", "InterfaceError"):
            raise
        reason = str(exc.orig or exc).strip().splitlines()[0][:300]
        click.echo(f"error: the database could not be reached ({reason}); nothing was done "
                   f"after that point. Try again once it is back.", err=True)
        raise SystemExit(3) from None

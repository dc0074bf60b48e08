"""The ``mat`` command group. Plugins add commands through ``mat_cli_commands``; the web
package adds ``serve`` and ``demo``."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from sqlalchemy import select

from core import accounts, audit
from core.db import SYSTEM, current_database
from core.errors import ValidationError
from core.models import School, Trust, User
from core.plugins import current_host


def _fail_on_validation(fn):
    """Turn a service ValidationError into a clear CLI error naming the field."""
    import functools

    @functools.wraps(fn)
    def wrapper(*a, **kw):
        try:
            return fn(*a, **kw)
        except ValidationError as exc:
            for field, msgs in exc.errors.items():
                click.echo(f"error: {field}: {'; '.join(msgs)}", err=True)
            sys.exit(2)
    return wrapper


@click.group()
@click.pass_context
def cli(ctx: click.Context) -> None:
    """MAT safeguarding platform. Configure with MAT_* environment variables."""
    from core.runtime import start

    if ctx.obj is None:
        ctx.obj = start()[0]


@cli.command()
def init() -> None:
    """Create the database, or migrate an existing one to the latest version (data is kept)."""
    from core.migrate import upgrade
    from core.runtime import settings

    from sqlalchemy.engine import make_url

    url = settings().migration_url  # the owner's, when MAT_DATABASE_OWNER_URL is set
    click.echo(f"migrating {make_url(url).render_as_string(hide_password=True)}")
    with click.progressbar(length=1, label="applying migrations") as bar:
        upgrade(url)
        bar.update(1)
    click.echo("database is up to date")


@cli.group("db")
def db_group() -> None:
    """The database itself: its PostgreSQL roles."""


@db_group.command("roles")
@click.option("--print-sql", "print_sql", is_flag=True, required=True,
              help="print the SQL (the roles are created by a superuser running it)")
@click.option("--database", default=None,
              help="the database name (default: the one in MAT_DATABASE_URL)")
@click.option("--owner", default="mat_owner", show_default=True,
              help="the role that owns the tables and migrates")
@click.option("--login", default="mat", show_default=True,
              help="the role the web app, workers and scheduler log in as")
def db_roles(print_sql, database, owner, login) -> None:
    """Print the SQL that creates the database's roles: an owner for migrations, a login
    role for the app (neither superuser nor BYPASSRLS), mat_tenant and mat_system. New
    passwords are made each time and appear in the SQL and the URLs it names."""
    from sqlalchemy.engine import make_url

    from core import dbroles
    from core.runtime import configured

    url = make_url(configured().database_url)
    if database is None and url.get_backend_name() != "postgresql":
        click.echo("error: database: MAT_DATABASE_URL is not PostgreSQL; name the database "
                   "with --database", err=True)
        sys.exit(2)
    try:
        roles = dbroles.Roles.with_new_passwords(database or url.database, owner, login)
    except ValueError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    host = url.host if url.get_backend_name() == "postgresql" and url.host else "localhost"
    click.echo(dbroles.script(roles, host, url.port or 5432), nl=False)


@cli.group()
def user() -> None:
    """People and their roles."""


@user.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--password", help="omit to be prompted (hidden)")
@click.option("--role", type=click.Choice(["staff", "dsl", "deputy_dsl", "headteacher",
                                           "school_admin", "trust_lead", "trust_admin"]))
@click.option("--school", "school_urn", help="school URN, for school roles")
@click.option("--trust", "trust_name", help="trust name, for trust roles")
@_fail_on_validation
def user_create(email, name, password, role, school_urn, trust_name) -> None:
    """Create a person with a password and optionally grant a role: the operator's own first
    account and test deployments. Everyone else is invited (``mat user invite``) and sets
    their own password."""
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with current_database().transaction(SYSTEM) as s:
        u = accounts.create_user(s, email, name, password)
        if role:
            _grant(s, u.id, role, school_urn, trust_name)
    click.echo(f"created {email}" + (f" as {role}" if role else ""))


def _grant(s, user_id: int, role: str, school_urn: str | None, trust_name: str | None) -> None:
    """Give a role named on the command line (a school by URN, a trust by name)."""
    school_id = trust_id = None
    if school_urn:
        school_id = s.scalar(select(School.id).where(School.urn == school_urn))
        if school_id is None:
            raise ValidationError({"school": [f"no school with URN {school_urn}"]})
    if trust_name:
        trust_id = s.scalar(select(Trust.id).where(Trust.name == trust_name))
        if trust_id is None:
            raise ValidationError({"trust": [f"no trust called {trust_name!r}"]})
    accounts.grant_role(s, user_id, role, school_id=school_id, trust_id=trust_id)


@user.command("invite")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--site", required=True, help="the address people open, e.g. https://safeguarding.example.org")
@click.option("--role", type=click.Choice(["staff", "dsl", "deputy_dsl", "headteacher",
                                           "school_admin", "trust_lead", "trust_admin"]))
@click.option("--school", "school_urn", help="school URN, for school roles")
@click.option("--trust", "trust_name", help="trust name, for trust roles")
@_fail_on_validation
def user_invite(email, name, site, role, school_urn, trust_name) -> None:
    """Invite a person (or invite again: the old link stops working): they set their own
    password with a single-use link that ends in 7 days, emailed and printed here once."""
    from core import invitations

    with current_database().transaction(SYSTEM) as s:
        u = s.scalar(select(User).where(User.email == email.strip().lower()))
        if u is None:
            u = accounts.create_user(s, email, name, None)
        elif u.password_hash:
            raise ValidationError({"email": [f"{u.email} has already set a password"]})
        if role:
            _grant(s, u.id, role, school_urn, trust_name)
        link = invitations.invite(s, u.id, lambda raw: f"{site.rstrip('/')}/invite/{raw}")
    click.echo(f"invited {u.email}" + (f" as {role}" if role else "")
               + f"; the link (shown once, works once, ends in {invitations.INVITE_DAYS} days):")
    click.echo(link)


@cli.group()
def token() -> None:
    """API bearer tokens."""


@token.command("create")
@click.option("--user", "email", required=True, help="the user's email")
@click.option("--name", default="cli", help="a label for the token")
@click.option("--days", default=90, show_default=True, type=click.IntRange(1, 3650))
@_fail_on_validation
def token_create(email, name, days) -> None:
    """Print a new API token for a user (shown once)."""
    with current_database().transaction(SYSTEM) as s:
        uid = s.scalar(select(User.id).where(User.email == email.strip().lower()))
        if uid is None:
            raise ValidationError({"user": [f"no user with email {email}"]})
        raw = accounts.create_token(s, uid, name, days)
    click.echo(raw)


@cli.group("audit")
def audit_group() -> None:
    """The hash-chained audit log."""


@audit_group.command("verify")
@click.option("--checkpoint", "checkpoint_file", type=click.Path(dir_okay=False, path_type=Path),
              help="a checkpoint file: also prove no chain lost entries since (a cut tail)")
def audit_verify(checkpoint_file: Path | None) -> None:
    """Prove every audit chain is intact, or name the first broken entry."""
    points = None
    if checkpoint_file is not None:
        try:
            points = audit.read_checkpoints(checkpoint_file)
        except (OSError, ValueError) as exc:
            raise click.UsageError(f"--checkpoint: {exc}") from None
    with current_database().transaction(SYSTEM) as s:
        result = audit.verify(s, points)
    if result.ok:
        against = f", and against {len(points)} checkpoints" if points else ""
        click.echo(f"audit chain intact: {result.checked} entries in {result.chains} chains "
                   f"verified{against}")
    else:
        where = f"at entry {result.broken_id}: " if result.broken_id else ": "
        click.echo(f"audit chain BROKEN {where}{result.problem} "
                   f"({result.checked} entries before it verified)", err=True)
        sys.exit(1)


@audit_group.command("checkpoint")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="the file to append to (default MAT_AUDIT_CHECKPOINTS, else "
                   "<instance>/audit-checkpoints.jsonl); keep it away from the database")
def audit_checkpoint(out: Path | None) -> None:
    """Append every audit chain's head, signed with the audit key, to a checkpoint file."""
    from core import runtime

    path = out or runtime.settings().checkpoint_file
    with current_database().transaction(SYSTEM) as s:
        n = audit.checkpoint(s, path)
    click.echo(f"{n} chain heads written to {path}")


@cli.group()
def totp() -> None:
    """Authenticator secrets, encrypted at rest under MAT_TOTP_KEY."""


def _reseal(old: str | None, new: str | None) -> None:
    from core import secretbox

    old_key = secretbox.derive(old) if old else secretbox.the_key()
    new_key = secretbox.derive(new) if new else secretbox.the_key()
    try:
        with current_database().transaction(SYSTEM) as s:
            n = accounts.reseal_totp_secrets(s, old_key, new_key)
    except secretbox.SecretKeyError as exc:
        raise click.ClickException(f"{exc}: nothing was changed") from None
    click.echo(f"{n} authenticator secrets encrypted under the "
               f"{'new' if new else 'current'} key")


@totp.command("rotate-key")
@click.option("--old", envvar="MAT_TOTP_OLD_KEY", default=None,
              help="the key the secrets are under now (default: MAT_TOTP_KEY); prefer the "
                   "environment variable MAT_TOTP_OLD_KEY to the command line")
@click.option("--new", envvar="MAT_TOTP_NEW_KEY", required=True,
              help="the key to encrypt them under (at least 32 characters); prefer "
                   "MAT_TOTP_NEW_KEY")
def totp_rotate_key(old: str | None, new: str) -> None:
    """Re-encrypt every authenticator secret under a new key (plain ones too), in one
    transaction; then set MAT_TOTP_KEY to the new key and restart."""
    if len(new) < 32:
        raise click.UsageError("--new: give a key of at least 32 characters")
    _reseal(old, new)


@totp.command("encrypt")
def totp_encrypt() -> None:
    """Encrypt secrets still stored plain (written before encryption) under MAT_TOTP_KEY."""
    _reseal(None, None)


@cli.group()
def trust() -> None:
    """Trusts."""


@trust.command("create")
@click.argument("name")
@_fail_on_validation
def trust_create(name) -> None:
    from core.schools import create_trust

    with current_database().transaction(SYSTEM) as s:
        t = create_trust(s, name)
    click.echo(f"created trust {t.name} (id {t.id})")


@cli.group()
def school() -> None:
    """Schools."""


@school.command("create")
@click.option("--trust", "trust_name", required=True)
@click.option("--urn", required=True)
@click.option("--name", required=True)
@click.option("--phase", default="")
@_fail_on_validation
def school_create(trust_name, urn, name, phase) -> None:
    from core.schools import create_school

    with current_database().transaction(SYSTEM) as s:
        tid = s.scalar(select(Trust.id).where(Trust.name == trust_name))
        if tid is None:
            raise ValidationError({"trust": [f"no trust called {trust_name!r}"]})
        sc = create_school(s, tid, urn, name, phase)
    click.echo(f"created school {sc.name} (URN {sc.urn})")


@cli.group()
def pupils() -> None:
    """Pupils on a school's roll."""


@pupils.command("leave")
@click.option("--school", "urn", required=True, help="the school's URN")
@click.option("--pupil", "pupil_ref", required=True, help="the pupil's UPN or id")
@click.option("--date", "day", required=True, type=click.DateTime(["%Y-%m-%d"]),
              help="the last day on roll (YYYY-MM-DD)")
@click.option("--reason", required=True, help="why the pupil is leaving")
@click.option("--destination-urn", default=None, help="the destination school's 6-digit URN")
@click.option("--destination-unknown", is_flag=True,
              help="the school does not know where the pupil has gone")
@_fail_on_validation
def pupils_leave(urn, pupil_ref, day, reason, destination_urn, destination_unknown) -> None:
    """Take a pupil off roll. A destination URN opens the transfer of the child-protection
    file; --destination-unknown starts the children-missing-education steps."""
    from core.calendar import uk_date
    from core.models import Pupil
    from core.pupils import mark_left

    with current_database().transaction(SYSTEM) as s:
        sid = s.scalar(select(School.id).where(School.urn == urn))
        if sid is None:
            raise ValidationError({"school": [f"no school with URN {urn}"]})
        ref = pupil_ref.strip()
        where = Pupil.id == int(ref) if ref.isdigit() else Pupil.upn == ref.upper()
        pid = s.scalar(select(Pupil.id).where(Pupil.school_id == sid, where))
        if pid is None:
            raise ValidationError({"pupil": [f"no pupil {pupil_ref} at the school {urn}"]})
        p = mark_left(s, None, sid, pid, day.date(), reason, destination_urn,
                      destination_unknown=destination_unknown, require_destination=True)
        name, left = p.display_name, p.on_roll_to
    click.echo(f"{name} is off roll after {uk_date(left)}: " + (
        f"destination URN {destination_urn}" if destination_urn else "destination not known"))


def _add_pupils_import() -> None:
    from core.mis.cli import pupils_import

    pupils.add_command(pupils_import)


_add_pupils_import()


@cli.group()
def plugins() -> None:
    """Installed plugins and where they are switched on."""


@plugins.command("list")
def plugins_list() -> None:
    host = current_host()
    with current_database().transaction(SYSTEM) as s:
        for sc in s.scalars(select(School).order_by(School.name)):
            on = host.enabled(s, sc.id)
            click.echo(f"{sc.urn} {sc.name}: " + ", ".join(
                f"{n}={'on' if n in on else 'off'}" for n in host.names))


@plugins.command("set")
@click.argument("name")
@click.argument("state", type=click.Choice(["on", "off"]))
@click.option("--school", "urn", required=True, help="school URN")
@_fail_on_validation
def plugins_set(name, state, urn) -> None:
    with current_database().transaction(SYSTEM) as s:
        sid = s.scalar(select(School.id).where(School.urn == urn))
        if sid is None:
            raise ValidationError({"school": [f"no school with URN {urn}"]})
        changed = current_host().set_enabled(s, sid, name, state == "on")
    click.echo(f"{name} {'switched ' + state if changed else 'was already ' + state} for {urn}")


@cli.group()
def migrations() -> None:
    """For developers: database migrations."""


@migrations.command("new")
@click.option("--plugin", default=None, help="the plugin's branch (omit for the core)")
@click.option("-m", "--message", required=True)
@click.option("--rev-id", default=None, help="e.g. att0002 (default: random)")
def migrations_new(plugin, message, rev_id) -> None:
    """Autogenerate a migration against a scratch SQLite database. It runs in a fresh
    process that imports only the core and that plugin, so other plugins' tables stay out."""
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        code = ("import sys; from core.migrate import new_revision; "
                "new_revision(sys.argv[1], sys.argv[2] or None, sys.argv[3], sys.argv[4] or None)")
        subprocess.run([sys.executable, "-c", code, f"sqlite:///{tmp}/scratch.sqlite3",
                        plugin or "", message, rev_id or ""], check=True)


def build_cli() -> click.Group:
    import core.jobcommands  # noqa: F401  (mat worker, mat scheduler, mat jobs)
    from core.signals.cli import signals

    cli.add_command(signals)

    current_host().call_global("mat_cli_commands", cli=cli)
    return cli


def main() -> None:
    build_cli()(prog_name="mat")

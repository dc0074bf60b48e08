"""``mat encompass ...``: credentials for police and local-authority systems, and the
trust's registration time."""
from __future__ import annotations

import click
from sqlalchemy import select

from core.cli import _fail_on_validation
from core.db import SYSTEM, current_database
from core.errors import ValidationError
from core.models import Trust

from plugins.encompass import service
from plugins.encompass.definition import NAME


def register(cli: click.Group) -> None:
    @cli.group(NAME)
    def group() -> None:
        """Operation Encompass."""

    @group.command("create-client")
    @click.option("--trust", "trust_name", required=True, help="the trust's name")
    @click.option("--name", required=True, help="who uses it, e.g. 'Northshire Police'")
    @click.option("--urn", default=None, help="limit the credential to this one school")
    @_fail_on_validation
    def create_client(trust_name, name, urn) -> None:
        """Create a credential to post notifications; the secret is printed once."""
        with current_database().transaction(SYSTEM) as s:
            trust_id = s.scalar(select(Trust.id).where(Trust.name == trust_name))
            if trust_id is None:
                raise ValidationError({"trust": [f"no trust called {trust_name!r}"]})
            client, secret = service.create_client(s, trust_id, name, urn)
            key_id = client.key_id
        click.echo(f"key id: {key_id}")
        click.echo(f"secret: {secret}")
        click.echo("The secret is shown once: give both to the system's administrator. "
                   "Send them as HTTP Basic credentials (key id as user name).")

    @group.command("registration-time")
    @click.option("--trust", "trust_name", required=True, help="the trust's name")
    @click.argument("time")
    @_fail_on_validation
    def registration(trust_name, time) -> None:
        """Set the trust's morning registration time (HH:MM, UK time): responses are due
        before it on the next school day."""
        with current_database().transaction(SYSTEM) as s:
            trust_id = s.scalar(select(Trust.id).where(Trust.name == trust_name))
            if trust_id is None:
                raise ValidationError({"trust": [f"no trust called {trust_name!r}"]})
            service.set_registration_time(s, trust_id, time)
        click.echo(f"registration time for {trust_name}: {time}")

    @group.command("revoke-client")
    @click.argument("key_id")
    @_fail_on_validation
    def revoke_client(key_id) -> None:
        """Stop a credential working at once."""
        with current_database().transaction(SYSTEM) as s:
            service.revoke_client(s, key_id)
        click.echo(f"revoked {key_id}")

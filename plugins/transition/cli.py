"""``mat transition ...``: import a bundle from another instance (and print its receipt)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from sqlalchemy import select

from core.db import SYSTEM, current_database
from core.errors import ValidationError
from core.models import User
from core.policy import actor_for
from plugins.transition import service


@click.group()
def transition() -> None:
    """Transfers of the child-protection file."""


@transition.command("import-bundle")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--user", "email", required=True,
              help="the receiving DSL's email (a DSL of the destination school)")
@click.option("--passphrase", default=None,
              help="omit to be prompted (hidden); it came separately from the file")
@click.option("--receipt", "receipt_path", type=click.Path(dir_okay=False, path_type=Path),
              help="write the receipt here (default: print it)")
def import_bundle_cmd(file: Path, email: str, passphrase: str | None,
                      receipt_path: Path | None) -> None:
    """Import an encrypted bundle FILE: the pupil joins the destination school's roll with the
    file. Prints the receipt to send back to the sending school."""
    if passphrase is None:
        passphrase = click.prompt("Passphrase", hide_input=True)
    try:
        with current_database().transaction(SYSTEM) as s:
            uid = s.scalar(select(User.id).where(User.email == email.strip().lower()))
            if uid is None:
                raise ValidationError({"user": [f"no user with email {email}"]})
            # the person is named so the import and the receipt say who received it; they
            # must be a DSL of the destination school (checked by the import)
            actor = actor_for(s, uid, mfa=True)
            row = service.import_bundle(s, actor, file.read_bytes(), passphrase)
            receipt = row.receipt
    except ValidationError as exc:
        for field, msgs in exc.errors.items():
            click.echo(f"error: {field}: {'; '.join(msgs)}", err=True)
        sys.exit(2)
    except Exception as exc:  # NotFound: not a DSL of the destination school
        from core.errors import NotFound

        if isinstance(exc, NotFound):
            click.echo(f"error: user: {email} is not a DSL of the school this file is for",
                       err=True)
            sys.exit(2)
        raise
    text = json.dumps(receipt, indent=2, sort_keys=True)
    if receipt_path:
        receipt_path.write_text(text + "\n")
        click.echo(f"imported; receipt written to {receipt_path}")
    else:
        click.echo(text)

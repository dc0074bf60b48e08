"""Run a list of ``mat`` commands in one process, each exactly as the ``mat`` entry point runs
it (the same click group, arguments, validation, messages and exit status), stopping at the
first that fails. The seeding needs a dozen commands; as separate processes each would pay
seconds of interpreter start-up and imports on a shared machine.

Reads a JSON list of argument lists on stdin; writes a JSON list of
``{"args", "code", "stdout", "stderr"}`` on stdout."""
from __future__ import annotations

import contextlib
import io
import json
import sys
import traceback


def main() -> None:
    import click

    import web.cli  # noqa: F401  (the entry point's module: adds serve and demo)
    from core.cli import build_cli

    commands = json.load(sys.stdin)
    cli, real_stdout, results = build_cli(), sys.stdout, []
    for args in commands:
        out, err, code = io.StringIO(), io.StringIO(), 0
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                cli.main(args=list(args), prog_name="mat", standalone_mode=False)
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
            except click.ClickException as exc:
                exc.show()
                code = exc.exit_code
            except Exception:
                traceback.print_exc()
                code = 1
        results.append({"args": args, "code": code, "stdout": out.getvalue(),
                        "stderr": err.getvalue()})
        if code:
            break
    json.dump(results, real_stdout)


if __name__ == "__main__":
    main()

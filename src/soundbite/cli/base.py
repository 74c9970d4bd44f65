"""The `soundbite` command. With no command it serves, like `datasette file.db` does.

Every command works on the local data directory directly (as the owner account), takes
`--json` where it prints results, writes errors to stderr and exits non-zero on failure.
"""

from __future__ import annotations

import functools
import json
import logging
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click
from pydantic import ValidationError

from soundbite.bootstrap import Soundbite
from soundbite.errors import SoundbiteError
from soundbite.settings import Settings

F = TypeVar("F", bound=Callable[..., Any])


class Context:
    """Built lazily so that `soundbite --help` never touches the database."""

    def __init__(self) -> None:
        self._app: Soundbite | None = None
        self.settings = Settings()

    @property
    def app(self) -> Soundbite:
        if self._app is None:
            from soundbite.services.accounts import ensure_owner

            self._app = Soundbite.from_settings(self.settings)
            ensure_owner(self._app)
        return self._app

    def close(self) -> None:
        """Dispose of the database pool: left to the garbage collector, its connections
        outlive the command (several per command in one process, as under CliRunner)."""
        if self._app is not None:
            self._app.close()
            self._app = None


pass_ctx = click.make_pass_decorator(Context, ensure=True)


def handle_errors(fn: F) -> F:
    """Turn our errors into a message on stderr and the error's exit code."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except SoundbiteError as exc:
            click.echo(f"error: {exc.message}", err=True)
            sys.exit(exc.exit_code)
        except (click.exceptions.Exit, click.ClickException, KeyboardInterrupt, SystemExit):
            raise
        except Exception as exc:
            # a bug or a broken environment: one line for the user, the traceback in the log
            logging.getLogger("soundbite").debug("unexpected error", exc_info=True)
            click.echo(
                f"error: unexpected {type(exc).__name__}: {str(exc).splitlines()[0][:300]}\n"
                "(run with SOUNDBITE_LOG_LEVEL=debug for the traceback)",
                err=True,
            )
            sys.exit(70)

    return wrapper  # type: ignore[return-value]


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=str))


@click.group(invoke_without_command=True)
@click.version_option(package_name="soundbite")
@click.pass_context
def cli(click_ctx: click.Context) -> None:
    """Soundbite: ingest podcasts, transcribe them, clip and share moments."""
    try:
        ctx = click_ctx.ensure_object(Context)
    except ValidationError as exc:  # a bad SOUNDBITE_* variable: say which, not a traceback
        for error in exc.errors():
            name = "SOUNDBITE_" + "_".join(str(part) for part in error["loc"]).upper()
            click.echo(f"error: {name}: {error['msg'].removeprefix('Value error, ')}", err=True)
        sys.exit(2)
    click_ctx.call_on_close(ctx.close)
    logging.basicConfig(
        level=ctx.settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # these narrate every step at INFO; a command line wants our own messages only
    for noisy in ("alembic", "faster_whisper", "httpx"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))
    if click_ctx.invoked_subcommand is None:
        # `soundbite` alone serves (the command is registered by cli/serve.py)
        serve = cli.get_command(click_ctx, "serve")
        assert serve is not None
        click_ctx.invoke(serve)

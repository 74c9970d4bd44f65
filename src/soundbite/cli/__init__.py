"""The `soundbite` command line: the group lives in base.py, commands in one module per topic."""

from soundbite.cli import (  # noqa: F401  (registers the commands)
    analytics,
    clips,
    jobs,
    library,
    moderation,
    podcasts,
    recommend,
    scale,
    search,
    serve,
    users,
)
from soundbite.cli.base import cli


def main() -> None:
    cli(prog_name="soundbite")


__all__ = ["cli", "main"]

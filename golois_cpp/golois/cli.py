"""The `golois` command line: the top layer, above the core, the engine, the trainer and the server.

Each command lives beside the code it drives (`golois.games_cli`, `golois.training.cli`,
`golois.engine.cli`, `golois.tournament.cli`); this root only names them. It imports a
command's module when that command runs (click's lazy group), so `golois info` never loads
the server and `golois serve` never loads the trainer.
"""

from __future__ import annotations

import importlib
from typing import Any

import click

import golois

# Command name -> "module:attribute" of the click command.
COMMANDS = {
    "import-games": "golois.games_cli:import_games_command",
    "info": "golois.games_cli:info_command",
    "train": "golois.training.cli:train_command",
    "evaluate": "golois.training.cli:evaluate_command",
    "gtp": "golois.engine.cli:gtp_command",
    "match": "golois.engine.cli:match_command",
    "match-total": "golois.engine.cli:match_total_command",
    "selfplay": "golois.engine.cli:selfplay_command",
    "serve": "golois.tournament.cli:serve_command",
    "tournament": "golois.tournament.cli:tournament_group",
    "worker": "golois.tournament.cli:worker_command",
    "upload": "golois.tournament.cli:upload_command",
    "standings": "golois.tournament.cli:standings_command",
    "games": "golois.tournament.cli:games_command",
}
BENCHMARKS = {
    "batch": "golois.games_cli:bench_batch_command",
    "train": "golois.training.cli:bench_train_command",
    "engine": "golois.engine.cli:bench_engine_command",
    "upload": "golois.tournament.cli:bench_upload_command",
    "tournament": "golois.tournament.cli:bench_tournament_command",
}


class LazyGroup(click.Group):
    """A group whose commands are imported on first use; the listing shows each command's whole first
    sentence, not click's 45 characters."""

    def __init__(self, *args: Any, lazy: dict[str, str | click.Command] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy or {}  # name -> "module:attribute", or a command already at hand

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.lazy, *super().list_commands(ctx)})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in self.lazy:
            return super().get_command(ctx, name)
        if isinstance(self.lazy[name], click.Command):
            return self.lazy[name]
        module, attribute = self.lazy[name].split(":")
        command = getattr(importlib.import_module(module), attribute)
        assert isinstance(command, click.Command), f"{self.lazy[name]} is not a click command"
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, command.get_short_help_str(limit=200)) for name in self.list_commands(ctx)
                if (command := self.get_command(ctx, name)) is not None and not command.hidden]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(cls=LazyGroup, lazy=BENCHMARKS)
def bench() -> None:
    """Benchmarks of the hot paths, each against its baseline in the same run."""


@click.group(cls=LazyGroup, lazy={**COMMANDS, "bench": bench},
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 120})
@click.version_option(golois.__version__, "--version", "-V", prog_name="golois")
def main() -> None:
    """Golois: train and play Go with small neural networks."""


if __name__ == "__main__":
    main()

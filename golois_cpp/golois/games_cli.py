"""The core's commands, on games files: `golois import-games`, `golois info` and `golois bench batch`."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import click

from golois import _core
from golois.bench import bench_batch
from golois.importer import NothingImported, import_games
from golois.sgf_sources import SourceError, sgf_source_hint


class GamesFileType(click.Path):
    """An existing games file; an SGF file, folder or archive is refused with the command that converts it."""

    def __init__(self) -> None:
        super().__init__(path_type=Path)

    def convert(self, value, param, ctx):  # noqa: ANN001 - click's signature
        path = super().convert(value, param, ctx)
        if hint := sgf_source_hint(path):
            self.fail(hint, param, ctx)
        if not Path(path).is_file():
            self.fail(f"games file {path} does not exist", param, ctx)
        return path


GAMES_FILE = GamesFileType()


@click.command("import-games")
@click.argument("sources", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", "-o", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Games file to write (binary Golois format).")
@click.option("--force", is_flag=True, help="Replace OUT if it exists.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def import_games_command(sources: tuple[Path, ...], out: Path, force: bool, quiet: bool, as_json: bool) -> None:
    """Read SGF games into a games file.

    SOURCES are .sgf/.sgfs files, .sgf.gz, folders, .zip and .tar(.gz/.bz2)
    archives. Games that cannot be used are skipped and counted by reason.
    """
    if out.exists() and not force:
        raise click.ClickException(f"{out} exists; use --force to replace it")
    if not out.resolve().parent.is_dir():
        raise click.ClickException(f"folder {out.resolve().parent} does not exist")
    try:
        summary = import_games(sources, out, progress=not quiet)
    except (SourceError, NothingImported, RuntimeError) as error:
        raise click.ClickException(str(error)) from error
    click.echo(json.dumps(summary.as_dict(), indent=2) if as_json else summary.report())


@click.command("info")
@click.argument("games_file", type=GAMES_FILE)
def info_command(games_file: Path) -> None:
    """Summarise a games file (binary or original text format)."""
    try:
        summary = _core.summarise_games(str(games_file))
    except RuntimeError as error:
        raise click.ClickException(str(error)) from error
    results = Counter(summary["results"])
    komi = Counter(summary["komi"])
    kind = "binary" if _core.is_binary_games_file(str(games_file)) else "text (original games.data)"
    click.echo(f"format     {kind}")
    click.echo(f"games      {summary['games']:,}")
    click.echo(f"moves      {summary['moves']:,}")
    click.echo(f"positions  {summary['positions']:,}")
    click.echo("results    " + ", ".join(f"{r}: {n:,}" for r, n in results.most_common()))
    click.echo("komi       " + ", ".join(f"{k:g}: {n:,}" for k, n in komi.most_common(5)))


@click.command("batch")
@click.option("--games", required=True, type=GAMES_FILE,
              help="Games file to sample from.")
@click.option("-n", "--n", "n", default=10_000, show_default=True, help="Samples per getBatch call.")
@click.option("--threads", default=0, help="Threads (0 = all cores).")
@click.option("--repeat", default=5, show_default=True, help="Timed calls; the fastest counts.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def bench_batch_command(games: Path, n: int, threads: int, repeat: int, as_json: bool) -> None:
    """Samples per second of getBatch, against replaying every game from its start."""
    if n < 1 or repeat < 1:
        raise click.BadParameter("--n and --repeat must be at least 1")
    result = bench_batch(games, n=n, threads=threads, repeat=repeat)
    if as_json:
        click.echo(json.dumps(result, indent=2))
        return
    click.echo(f"getBatch N={n:,} on {result['games']:,} games, {result['threads']} threads: "
               f"{result['samples_per_second']:,} samples/s ({result['cpu_microseconds_per_sample']} us CPU/sample)")
    click.echo(f"baseline (replay from the first move, 1 thread): "
               f"{result['baseline']['samples_per_second']:,} samples/s; speedup x{result['speedup']}")

"""Engine commands of the `golois` CLI: gtp, match, selfplay and bench engine."""

from __future__ import annotations

import functools
import io
import json
import sys
from collections.abc import Callable
from pathlib import Path

import click

from golois.engine import BACKENDS
from golois.engine.clock import SECONDS_PER_MOVE
from golois.engine.gtp_client import EngineFailure
from golois.engine.match import MatchSettings

MODEL_HELP = "Network .h5 file, or 'default' for the bundled network."


def _log(message: str) -> None:
    click.echo(message, err=True)


def engine_options(command: Callable) -> Callable:
    """The options that say which network plays and how long it thinks."""
    options = [
        click.option("--model", "-m", default="default", show_default=True, help=MODEL_HELP),
        click.option("--time", "seconds", type=float, default=None,
                     help=f"CPU seconds per move [default: {SECONDS_PER_MOVE:g}, unless --playouts is given]."),
        click.option("--playouts", type=int, default=None, help="Playouts per move instead of a time (reproducible)."),
        click.option("--backend", type=click.Choice(["auto", *BACKENDS]), default="auto", show_default=True,
                     help="Inference backend; auto picks the fastest that matches Keras."),
        click.option("--threads", type=int, default=1, show_default=True, help="Inference threads."),
        click.option("--batch", type=int, default=16, show_default=True, help="Leaves evaluated per network call."),
        click.option("--seed", type=int, default=0, show_default=True, help="Random seed of the search."),
        click.option("--network-komi", type=float, default=None,
                     help="Komi shown to the network in its input planes [default: the game's komi]; for a network "
                          "trained on games of a single komi, that komi."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def check_engine_options(model: str, seconds: float | None, playouts: int | None, batch: int, threads: int,
                         **_: object) -> None:
    """Refuses bad options and a network file that is missing, not HDF5 or not safe, without TensorFlow."""
    from golois.network import NetworkFileError, check_network_description

    if playouts is not None and playouts < 1:
        raise click.BadParameter("must be at least 1", param_hint="--playouts")
    if seconds is not None and seconds <= 0:
        raise click.BadParameter("must be positive", param_hint="--time")
    if batch < 1 or threads < 1:
        raise click.BadParameter("--batch and --threads must be at least 1")
    try:
        check_network_description(model)
    except NetworkFileError as error:
        raise click.ClickException(str(error)) from error


def make_player(model: str, seconds: float | None, playouts: int | None, backend: str, threads: int, batch: int,
                seed: int, network_komi: float | None = None, **search: float):
    """Loads the network and builds a Player, or exits with a clear message."""
    from golois.engine.clock import Clock
    from golois.engine.inference import BackendUnavailable, NetworkOutputError, load_evaluator
    from golois.engine.player import Player, SearchSettings
    from golois.network import NetworkFileError

    check_engine_options(model, seconds, playouts, batch, threads)
    try:
        evaluator = load_evaluator(model, backend=backend, threads=threads, batch_size=batch, log=_log)
    except (NetworkFileError, BackendUnavailable, NetworkOutputError, OSError) as error:
        raise click.ClickException(str(error)) from error
    clock = Clock(playouts=playouts) if seconds is None else Clock(seconds, playouts)  # playouts win over a time
    return Player(evaluator, SearchSettings(batch_size=batch, seed=seed, network_komi=network_komi, **search), clock)


@click.command("gtp")
@engine_options
@click.option("--quiet", "-q", is_flag=True, help="Nothing on stderr after start-up.")
def gtp_command(quiet: bool, **options) -> None:
    """Speak GTP v2 on stdin/stdout (for Sabaki, Lizzie, gogui, KGS, matches).

    The protocol answers at once; the network loads in the background (a
    converted network is cached by its file's hash, so a second start is
    fast) and the commands that need it wait for it.
    """
    from concurrent.futures import ThreadPoolExecutor

    from golois.engine.gtp_commands import make_gtp_engine, waiting_for

    check_engine_options(**options)  # a missing or unsafe file is refused at once, before any answer
    loading = ThreadPoolExecutor(max_workers=1, thread_name_prefix="golois-load").submit(make_player, **options)
    # GTP is a byte protocol: the engine reads bytes and decodes them itself, and writes UTF-8, whatever
    # the locale says.
    output = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", errors="replace", newline="\n")
    # The reader thread reads the raw stream: after `quit` it is still blocked in a read when the
    # interpreter ends, and a buffered stdin's lock, held by that read, aborts the exit (SIGABRT).
    commands = getattr(sys.stdin.buffer, "raw", sys.stdin.buffer)
    make_gtp_engine(waiting_for(loading), output, log=None if quiet else _log).run(commands)


def _wrap_errors(function: Callable) -> Callable:
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except (ValueError, EngineFailure) as error:
            raise click.ClickException(str(error)) from error
    return wrapper


@click.command("match")
@click.option("--black", "black", required=True, help="Command of the first engine (Black in game 1).")
@click.option("--white", "white", required=True, help="Command of the second engine (White in game 1).")
@click.option("--games", "-n", type=int, default=MatchSettings.games, show_default=True,
              help="Games; colours alternate.")
@click.option("--out", "-o", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the SGF files, engine logs and summary.json.")
@click.option("--time", "seconds", type=float, default=None,
              help="Seconds per move, sent as time_settings and enforced (plus --margin).")
@click.option("--margin", type=float, default=MatchSettings.margin, show_default=True,
              help="Seconds allowed over --time.")
@click.option("--move-timeout", type=float, default=MatchSettings.move_timeout, show_default=True,
              help="Without --time: seconds after which a silent engine loses.")
@click.option("--komi", type=float, default=MatchSettings.komi, show_default=True)
@click.option("--max-moves", type=int, default=MatchSettings.max_moves, show_default=True,
              help="Longer games are scored as they stand.")
@click.option("--parallel", type=int, default=1, show_default=True, help="Games played at the same time.")
@click.option("--openings", is_flag=True,
              help="Start each pair of games (one with each colour) from a 4-move opening of real 9-dan games, a "
                   "different one per pair: engines at fixed playouts otherwise repeat the same two games.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--force", is_flag=True, help="Replace an earlier match in OUT (its games and summary are deleted).")
@_wrap_errors
def match_command(black: str, white: str, games: int, out: Path, seconds: float | None, margin: float,
                  move_timeout: float, komi: float, max_moves: int, parallel: int, openings: bool, as_json: bool,
                  force: bool) -> None:
    """Play GTP engines against each other, scored by area (Tromp-Taylor)."""
    from golois.engine.match import earlier_match_files, play_match

    if games < 1 or parallel < 1:
        raise click.BadParameter("--games and --parallel must be at least 1")
    earlier = earlier_match_files(out)
    if earlier and not force:
        raise click.ClickException(f"{out} holds an earlier match ({len(earlier)} files: games, summary, logs); "
                                   "use another --out, or --force to replace it")
    for path in earlier:
        path.unlink()
    settings = MatchSettings(games=games, seconds_per_move=seconds, margin=margin, move_timeout=move_timeout,
                             komi=komi, max_moves=max_moves, openings=openings)
    summary = play_match(black, white, out, settings, progress=True, parallel=parallel)
    click.echo(json.dumps(summary, indent=2) if as_json else summary["text"])


@click.command("match-total")
@click.argument("folders", nargs=-1, required=True, type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the total as JSON.")
@_wrap_errors
def match_total_command(folders: tuple[Path, ...], as_json: bool) -> None:
    """Add up several runs of one match (the --out folders of `golois match`): wins and 95% interval."""
    from golois.engine.match import add_up_matches

    total = add_up_matches(list(folders))
    click.echo(json.dumps(total, indent=2) if as_json else total["text"])


@click.command("selfplay")
@engine_options
@click.option("--games", "-n", type=int, default=1, show_default=True)
@click.option("--out", "-o", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Games file to write (binary Golois format, with the search's values).")
@click.option("--sgf", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Also write each game as SGF in this folder.")
@click.option("--noise", type=float, default=0.03, show_default=True, help="Dirichlet alpha at the root (0 = off).")
@click.option("--sample-moves", type=int, default=30, show_default=True,
              help="Opening moves chosen in proportion to visits, for variety.")
@click.option("--force", is_flag=True, help="Replace OUT if it exists.")
@_wrap_errors
def selfplay_command(games: int, out: Path, sgf: Path | None, noise: float, sample_moves: int, force: bool,
                     **options) -> None:
    """Play the engine against itself and write the games for training."""
    from golois.engine.selfplay import play_selfplay

    if games < 1:
        raise click.BadParameter("must be at least 1", param_hint="--games")
    if out.exists() and not force:
        raise click.ClickException(f"{out} exists; use --force to replace it")
    if options["playouts"] is None and options["seconds"] is None:
        options["playouts"] = 200  # self-play favours many quick games over slow ones
    player = make_player(**options, noise_alpha=noise, sample_moves=sample_moves, resign_min_moves=60)
    summary = play_selfplay(player, games, out, sgf, progress=True)
    click.echo(summary)


@click.command("engine")
@engine_options
@click.option("--seconds", "duration", type=float, default=5.0, show_default=True,
              help="Seconds of each timed round (search and raw inference alternate, 3 rounds each).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def bench_engine_command(duration: float, as_json: bool, **options) -> None:
    """Search playouts/s against the raw batched inference rate of the same network and backend."""
    from golois.engine.bench import bench_engine

    player = make_player(**options)
    result = bench_engine(player, duration)
    if as_json:
        click.echo(json.dumps(result, indent=2))
        return
    click.echo(f"network {result['model']}, backend {result['backend']}, batch {result['batch']}")
    click.echo(f"raw inference {result['raw_positions_per_s']:.0f} positions/s")
    click.echo(f"search        {result['playouts_per_s']:.0f} playouts/s")
    click.echo(f"ratio         {result['ratio']:.3f} (goal 0.8)")
    click.echo(f"search        {result['playouts_per_cpu_s']:.0f} playouts per CPU second (both threads)")

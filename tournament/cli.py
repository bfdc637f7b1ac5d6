"""The server's commands (`golois serve`, `golois tournament run`, `golois worker`, the benchmarks) and the
students' commands that talk to a server (`golois upload`, `golois standings`, `golois games`)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from golois.engine.clock import SECONDS_PER_MOVE
from golois.engine.match import MatchSettings
from golois.errors import cli_errors

DATA_HELP = "Data folder: database, network files, caches, logs [default: $GOLOIS_DATA or ./golois-data]."


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0: all).")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Server processes (gunicorn gthread workers, 8 requests at once each).")
@click.option("--data", type=click.Path(file_okay=False, path_type=Path), default=None, help=DATA_HELP)
@cli_errors
def serve_command(host: str, port: int, workers: int, data: Path | None) -> None:
    """Run the tournament server (SQLite in the data folder unless DATABASE_URL is set).

    The same command serves production: e.g. --workers 4 --host 0.0.0.0
    behind a reverse proxy (set GOLOIS_TRUSTED_PROXIES=1 there). Uploads are
    checked in a bubblewrap sandbox (GOLOIS_SANDBOX: auto, bubblewrap, none).
    """
    from golois.tournament.config import ServerConfig
    from golois.tournament.serve import prepare_data, serve

    config = ServerConfig.from_environment(data)
    click.echo(f"data folder {config.data_dir}; database {_safe_url(config.database_url)}", err=True)
    click.echo(prepare_data(config, log=lambda message: click.echo(message, err=True)), err=True)
    if not config.admin_password:
        click.echo("admin actions are off (set GOLOIS_ADMIN_PASSWORD to start tournaments from the site)", err=True)
    click.echo(f"{workers} worker{'s' if workers > 1 else ''}, at most {config.check_workers} upload "
               f"check{'s' if config.check_workers > 1 else ''} at once; open http://{host}:{port}/ in a browser",
               err=True)
    serve(config, host, port, workers)


def _safe_url(url: str) -> str:
    """The database URL without its password."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@click.group("tournament")
def tournament_group() -> None:
    """Round robins between the uploaded networks."""


@tournament_group.command("run")
@click.option("--data", type=click.Path(file_okay=False, path_type=Path), default=None, help=DATA_HELP)
@click.option("--time", "seconds", type=float, default=None,
              help=f"CPU seconds a move for each engine [default: {SECONDS_PER_MOVE:g}, unless --playouts is given].")
@click.option("--playouts", type=click.IntRange(1), default=None, help="Playouts a move instead of a time.")
@click.option("--games-per-pair", type=click.IntRange(1), default=2, show_default=True,
              help="Games between each two networks, colours alternating.")
@click.option("--max-moves", type=click.IntRange(10), default=None,
              help=f"Games longer than this are scored as they stand [default: {MatchSettings.max_moves}].")
@click.option("--judge/--no-judge", default=True, show_default=True,
              help="The neutral judge adjudicates decided games and settles dead stones with GNU Go "
                   "(docs/results/adjudication.md); --no-judge plays every game to two passes, counted as it stands.")
@click.option("--parallel", type=click.IntRange(1), default=None, help="Games at once [default: one per core].")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar (a line per game still).")
@click.option("--broker", default=None, help="Play on the workers of this Celery broker (redis://HOST) instead of "
                                            "here [default: $GOLOIS_BROKER, none].")
@click.option("--started-by", type=click.Choice(["command", "admin", "schedule"]), default="command", hidden=True)
@click.pass_context
@cli_errors
def run_command(ctx: click.Context, data: Path | None, seconds: float | None, playouts: int | None, games_per_pair: int,
                max_moves: int | None, judge: bool, parallel: int | None, quiet: bool, broker: str | None,
                started_by: str) -> None:
    """Resume the unfinished tournament, or start a new round robin between the active networks.

    Every finished game is recorded at once with its SGF; after an interruption
    (even kill -9) the same command resumes: finished games are kept, the
    interrupted ones are played again. Several runs on one database share the
    games and never play the same one.
    """
    from golois.tournament.config import ServerConfig
    from golois.tournament.db import Database
    from golois.tournament.domain import TournamentSettings
    from golois.tournament.runner import run_tournament
    from golois.tournament.sandbox import choose_sandbox
    from golois.tournament.uploads import register_bundled_network

    if seconds is not None and playouts is not None:
        raise click.UsageError("give --time or --playouts, not both")
    given = {"seconds_per_move": seconds, "max_moves": max_moves}  # the others keep TournamentSettings' defaults
    settings = TournamentSettings(playouts=playouts, games_per_pair=games_per_pair, judge=judge,
                                  **{name: value for name, value in given.items() if value is not None})
    config = ServerConfig.from_environment(data)
    config.prepare()
    database = Database(config.database_url)
    database.upgrade()
    with database.startup_lock():
        register_bundled_network(database, config, choose_sandbox(config.sandbox),
                                 log=lambda message: click.echo(message, err=True))
    try:
        given = any(ctx.get_parameter_source(name) is click.core.ParameterSource.COMMANDLINE
                    for name in ("seconds", "playouts", "games_per_pair", "max_moves", "judge"))
        broker = broker or config.broker
        if broker:
            from golois.tournament.distributed import dispatch_tournament

            tournament = dispatch_tournament(database, config, settings, broker, progress=not quiet,
                                             started_by=started_by, log=lambda message: click.echo(message, err=True))
        else:
            tournament = run_tournament(database, config, settings, parallel, progress=not quiet,
                                        started_by=started_by, log=lambda message: click.echo(message, err=True),
                                        settings_given=given)
    except KeyboardInterrupt:
        raise click.ClickException("interrupted; the games in progress will be played again by the same command, "
                                   "finished ones are kept") from None
    click.echo(f"tournament {tournament.id} {tournament.status}; standings: golois serve, then "
               f"/tournaments/{tournament.id}")


@click.command("upload")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def bench_upload_command(files: tuple[Path, ...], as_json: bool) -> None:
    """Seconds to check uploads in the sandbox, against the same check without it and a plain Keras load."""

    from golois.tournament.bench import bench_upload

    result = bench_upload(list(files), log=lambda message: click.echo(message, err=True))
    if as_json:
        click.echo(json.dumps(result, indent=2))
        return
    click.echo(f"median check in the sandbox {result['median_check_s']} s; baseline (the same check without it) "
               f"{result['baseline']['median_s']} s; ratio {result['ratio']}; a plain Keras load in a fresh process "
               f"{result['keras_load']['median_s']} s (ratio {result['keras_load']['ratio']}); without the held-out "
               f"scores {result['scores']['median_s']} s (the scores cost a ratio of {result['scores']['ratio']})")


@click.command("tournament")
@click.argument("models", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--time", "seconds", type=float, default=0.1, show_default=True, help="CPU seconds a move.")
@click.option("--games-per-pair", type=click.IntRange(1), default=2, show_default=True)
@click.option("--parallel", type=click.IntRange(1), default=2, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def bench_tournament_command(models: tuple[Path, ...], seconds: float, games_per_pair: int, parallel: int,
                             as_json: bool) -> None:
    """Games per hour of the tournament runner against fresh engines per game (MODELS: default network x2)."""

    from golois.tournament.bench import bench_tournament

    result = bench_tournament(list(models), seconds, games_per_pair, parallel,
                              log=lambda message: click.echo(message, err=True))
    if as_json:
        click.echo(json.dumps(result, indent=2))
        return
    click.echo(f"{result['games_per_hour']} games/hour ({result['moves_per_hour']:,} moves/hour); baseline "
               f"(fresh engines per game) {result['baseline']['games_per_hour']} games/hour "
               f"({result['baseline']['moves_per_hour']:,} moves/hour); speedup x{result['speedup']} in moves/hour")


@click.command("worker")
@click.option("--broker", required=True, help="The Celery broker of the tournament (redis://HOST[:PORT][/DB]).")
@click.option("--server", required=True, help="The tournament server's address, to fetch network files from.")
@click.option("--token", envvar="GOLOIS_WORKER_TOKEN", required=True,
              help="The server's worker token [default: $GOLOIS_WORKER_TOKEN].")
@click.option("--concurrency", type=click.IntRange(1), default=None, help="Games at once [default: one per core].")
@click.option("--data", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="This worker's folder: fetched networks, conversion cache, engine logs [default: ./golois-worker].")
@cli_errors
def worker_command(broker: str, server: str, token: str, concurrency: int | None, data: Path | None) -> None:
    """Play tournament games from the task queue on this machine (needs DATABASE_URL: the shared PostgreSQL).

    pip install 'golois[distributed]' first. The worker measures its speed, then plays
    games until stopped; a game it was playing when it stops is played again elsewhere.
    """
    import os

    from golois.errors import GoloisError
    from golois.tournament.config import ServerConfig
    from golois.tournament.db import Database
    from golois.tournament.distributed import run_worker

    if not os.environ.get("DATABASE_URL"):
        raise GoloisError("set DATABASE_URL to the tournament's shared database (PostgreSQL)")
    config = ServerConfig.from_environment(data or Path("golois-worker"))
    config.prepare()
    os.environ["GOLOIS_CACHE"] = str(config.cache_dir)
    database = Database(config.database_url)
    database.upgrade()
    run_worker(database, config, broker, server, token, concurrency or os.cpu_count() or 1,
               log=lambda message: click.echo(message, err=True))


# ---------------------------------------------------------------- the students' commands (the HTTP API's client)

SERVER_OPTION = click.option("--server", required=True, envvar="GOLOIS_SERVER",
                             help="The tournament server's address [default: $GOLOIS_SERVER].")


@click.command("upload")
@click.argument("network", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@SERVER_OPTION
@click.option("--team", required=True, help="Your team's name (the first upload creates the team).")
@click.option("--name", required=True, help="The network's name; uploading a name again adds a version.")
@click.option("--key", default=None, help="The team's key [default: the one kept from the team's first upload].")
@click.option("--email", default="", help="An address for the tournament results.")
@click.option("--class-token", default="", help="The class token, when the teacher set one.")
@click.option("--json", "as_json", is_flag=True, help="Print the verdict as JSON.")
@cli_errors
def upload_command(network: Path, server: str, team: str, name: str, key: str | None, email: str, class_token: str,
                   as_json: bool) -> None:
    """Upload a network, wait for its checks and print the verdict (exit status 1 when refused).

    The first upload of a team answers the team's key once: it is kept in your
    config folder (mode 0600) and used by later uploads to that server and team.
    """
    from golois.tournament.client import Server, TeamKeys
    from golois.tournament.domain import CheckStatus

    site, keys = Server(server), TeamKeys()
    key = key or keys.get(site.url, team) or ""
    fields = {"team": team, "name": name, "key": key, "email": email, "class_token": class_token}
    shown: set[str] = set()

    def show(check: dict) -> None:
        if check.get("team_key"):
            keys.put(site.url, team, check["team_key"])
            click.echo(f"team {team} created; its key is kept in {keys.path}", err=True)
        elif key and check["status"] == CheckStatus.ACCEPTED:
            keys.put(site.url, team, key)  # a key given with --key that the server took
        for item in check.get("checks") or []:
            if item["name"] not in shown and not as_json:
                shown.add(item["name"])
                mark = {True: "ok  ", False: "FAIL", None: "--  "}[item["ok"]]
                click.echo(f"  {mark} {item['name']}: {item.get('detail', '')}")
        if check["status"] == CheckStatus.QUEUED and not as_json:
            click.echo(f"queued: {check.get('position', 0)} check(s) ahead; {check['page']}", err=True)

    if not as_json:
        click.echo(f"uploading {network} to {site.url} as {team}/{name}", err=True)
    check = site.upload(network, fields)
    check = site.follow(check, show)
    show(check)
    if as_json:
        click.echo(json.dumps(check, indent=2))
    elif check["status"] == CheckStatus.ACCEPTED:
        version = check["network"]["current_version"]
        click.echo(f"accepted: {version['label']}, {version['params']:,} parameters, checked in "
                   f"{check['check_seconds']:g} s")
        _echo_scores(check.get("scores"), check.get("reference") or {})
    else:
        click.echo(f"refused: {check['reason']}")
    if check.get("notice"):
        click.echo(f"note: {check['notice']}")
    if check["status"] != CheckStatus.ACCEPTED:
        raise SystemExit(1)


SCORE_LINES = (("policy_accuracy", "top move is the game's", "{:.1%}"), ("top5_accuracy", "game's move in the top 5",
               "{:.1%}"), ("value_mse", "value MSE (lower is better)", "{:.4f}"),
               ("value_accuracy", "side the value favours won", "{:.1%}"),
               ("playouts_per_cpu_second", "playouts per CPU second", "{:,.0f}"))


def _echo_scores(scores: dict | None, reference: dict) -> None:
    """The held-out scores as the check page shows them: this network, the bundled one, the class's best."""
    if not scores:
        return
    others = (reference.get("bundled"), (reference.get("best") or {}).get("scores"))
    title = f"on {scores['positions']:,} held-out positions"
    click.echo(f"{title:<36}{'this network':>14}{'bundled':>14}{'class best':>14}")
    for key, name, style in SCORE_LINES:
        cells = [style.format(s[key]) if s else "-" for s in (scores, *others)]
        click.echo(f"  {name:<34}" + "".join(f"{cell:>14}" for cell in cells))


@click.command("standings")
@SERVER_OPTION
@click.option("--tournament", "tournament_id", type=click.IntRange(1), default=None,
              help="Which tournament [default: the newest].")
@click.option("--json", "as_json", is_flag=True, help="Print the tournament and its standings as JSON.")
@cli_errors
def standings_command(server: str, tournament_id: int | None, as_json: bool) -> None:
    """Print a tournament's standings: rank with its 95% range, rating, points."""
    from golois.tournament.client import Server

    data = Server(server).latest_tournament(tournament_id)
    if as_json:
        data.pop("games", None)
        click.echo(json.dumps(data, indent=2))
        return
    counts = data["game_counts"]
    click.echo(f"tournament {data['id']} ({data['status']}, {data['time_control']}): "
               f"{counts['finished']} of {sum(counts.values())} games played")
    rows = [(row["rank_text"], row["label"], "" if row["rating"] is None else f"{row['rating']:+.0f}",
             f"{row['points']:g}/{row['games']}") for row in data["standings"]]
    widths = [max(len(header), *(len(row[i]) for row in rows)) for i, header in
              enumerate(("rank", "network", "rating", "points"))] if rows else [4, 7, 6, 6]
    for row in [("rank", "network", "rating", "points"), *rows]:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


@click.command("games")
@SERVER_OPTION
@click.option("--network", "label", required=True, help="The network, as TEAM/NAME.")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write the SGF files to (made if missing; files already there are kept).")
@cli_errors
def games_command(server: str, label: str, out: Path) -> None:
    """Download a network's tournament games as SGF files, to study them."""
    from tqdm import tqdm

    from golois.files import write_atomic
    from golois.tournament.client import Server

    site = Server(server)
    games = site.network_games(label)
    out.mkdir(parents=True, exist_ok=True)
    written = 0
    for game in tqdm(games, unit="game", disable=not games):
        path = out / f"tournament-{game['tournament_id']}-game-{game['number']:04d}.sgf"
        if not path.exists():
            write_atomic(path, site.game_sgf(game["id"]))
            written += 1
    click.echo(f"{len(games)} games of {label}: {written} written to {out}, {len(games) - written} already there")

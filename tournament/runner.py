"""Playing a tournament's games on this machine: `golois tournament run`.

Each of `parallel` slots claims a game (round_robin.claim_game), plays it
between two `golois gtp` processes under the engine's referee, and records
it with its SGF at once (round_robin.finish_game). Engines are kept alive
between games (a few per slot, preferring games between networks a slot
already runs), and their conversions are cached by file hash, so start-up
is paid about once per network. A crash, a hang, a NaN or an illegal move
loses that game only: the failing engine is restarted for the next one.
"""

from __future__ import annotations

import datetime as dt
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from tqdm import tqdm

from golois import BLACK, WHITE
from golois.engine.coords import colour_letter, opponent
from golois.engine.game_end import EndReason
from golois.engine.gtp_client import EngineFailure, GtpClient, GtpCommandError
from golois.engine.judge import DeadStoneJudge, Judge, find_gnugo
from golois.engine.match import SETUP_TIMEOUT, Judging, MatchSettings, Referee, wait_until_loaded
from golois.tournament.config import ServerConfig
from golois.tournament.db import Database
from golois.tournament.domain import GameStatus, TournamentSettings
from golois.tournament.leases import runner_id
from golois.tournament.mail import send_results
from golois.tournament.models import Entry, NetworkVersion, Tournament
from golois.tournament.round_robin import (
    Claim,
    GameRecord,
    claim_game,
    finish_game,
    game_counts,
    record_progress,
    release_game,
    renew_leases,
    start_or_resume,
)
from golois.tournament.storage import NetworkStore

ENGINES_PER_SLOT = 4   # engine processes a slot keeps alive between games
POLL_SECONDS = 5.0     # how often an idle slot looks for games freed by other runners
LIVE_SECONDS = 1.0     # how often a game's moves so far are written for the live view


def move_time_limit(seconds_per_move: float) -> float:
    """Wall-clock seconds after which a move is lost on time: the engine measures its own CPU
    time, so this only catches engines that hang or ignore their budget on a loaded machine."""
    return 2 * seconds_per_move + 5


@dataclass
class Entrant:
    """A tournament entry as the runner needs it."""

    version_id: int
    label: str
    path: Path


def engine_command(path: Path, settings: TournamentSettings) -> str:
    budget = (["--playouts", str(settings.playouts)] if settings.playouts
              else ["--time", f"{settings.seconds_per_move:g}"])
    return shlex.join([sys.executable, "-m", "golois.cli", "gtp", "--model", str(path), "-q", *budget])


EngineCommand = Callable[[Entrant, TournamentSettings], str]


class EnginePool:
    """The engine processes of one slot, by network version, least recently used first out."""

    def __init__(self, settings: TournamentSettings, log_dir: Path, slot: int, cache_dir: Path,
                 command: EngineCommand | None = None) -> None:
        self.settings, self.log_dir, self.slot = settings, log_dir, slot
        self.env = os.environ | {"GOLOIS_CACHE": str(cache_dir)}  # the conversions, shared with the upload checks
        self.command = command or (lambda player, settings: engine_command(player.path, settings))
        self.engines: OrderedDict[int, GtpClient] = OrderedDict()
        self._judging: Judging | None = None
        log_dir.mkdir(parents=True, exist_ok=True)

    def judging(self) -> Judging:
        """The slot's judge (engine/judge.py): loaded for its first judged game, kept for the next ones."""
        if self._judging is None:
            gnugo_log = self.log_dir / f"gnugo-slot-{self.slot}.log"
            self._judging = Judging(Judge.bundled(), DeadStoneJudge(gnugo_log) if find_gnugo() else None)
        return self._judging

    def get(self, player: Entrant) -> GtpClient:
        if player.version_id in self.engines:
            self.engines.move_to_end(player.version_id)
            return self.engines[player.version_id]
        while len(self.engines) >= ENGINES_PER_SLOT:
            self.engines.popitem(last=False)[1].close()
        client = GtpClient(self.command(player, self.settings),
                           self.log_dir / f"version-{player.version_id}-slot-{self.slot}.log", player.label, self.env)
        try:
            client.send("name", SETUP_TIMEOUT)
            wait_until_loaded(client)
        except (EngineFailure, GtpCommandError) as error:
            client.close()
            said = client.last_log_line()
            raise EngineFailure(f"{player.label} did not start: {error}" + (f" ({said})" if said else "")) from error
        self.engines[player.version_id] = client
        return client

    def discard(self, version_id: int) -> None:
        client = self.engines.pop(version_id, None)
        if client is not None:
            client.close()

    def loaded(self) -> set[int]:
        return set(self.engines)

    def close(self) -> None:
        for client in self.engines.values():
            client.close()
        self.engines.clear()
        if self._judging and self._judging.dead_stones:
            self._judging.dead_stones.close()

    def kill(self) -> None:
        """Ends every engine at once (from another thread): their games in progress fail."""
        for client in list(self.engines.values()):
            client.kill()


def live_recorder(db: Database, claim: Claim) -> Callable[[Referee], None]:
    """What a referee calls after each move: the game's moves so far into the database, at most every
    LIVE_SECONDS (the live view polls them)."""
    last = [0.0]

    def record(referee: Referee) -> None:
        now = time.monotonic()
        if now - last[0] < LIVE_SECONDS:
            return
        last[0] = now
        record_progress(db, claim, {"moves": [[colour, point] for point, colour in referee.moves],
                                    "black_seconds": round(referee.thinking[BLACK], 2),
                                    "white_seconds": round(referee.thinking[WHITE], 2),
                                    "winrates": referee.winrates})
    return record


def play_claimed_game(claim: Claim, players: dict[int, Entrant], pool: EnginePool, settings: TournamentSettings,
                      on_move: Callable[[Referee], None] | None = None) -> GameRecord:
    """Plays one game to its end; engine failures lose the game for the engine that failed."""
    sides = {BLACK: players[claim.black_id], WHITE: players[claim.white_id]}
    match = MatchSettings(games=1, seconds_per_move=settings.seconds_per_move, margin=0.0,
                          move_timeout=move_time_limit(settings.seconds_per_move or 60.0), komi=settings.komi,
                          max_moves=settings.max_moves, announce_time=False)
    if settings.seconds_per_move:
        match.margin = move_time_limit(settings.seconds_per_move) - settings.seconds_per_move
    clients, failed = {}, {}
    for colour, player in sides.items():
        try:
            clients[colour] = pool.get(player)
        except EngineFailure as error:
            failed[colour] = str(error)
    referee = Referee(clients, match, pool.judging() if settings.judge and not failed else None, on_move)
    if failed:
        winner = opponent(next(iter(failed))) if len(failed) == 1 else None
        reason, detail = (EndReason.FAILURE if winner is not None else EndReason.VOID), "; ".join(failed.values())
    else:
        try:
            referee.start()
            outcome = referee.play_opening(claim.opening) or referee.play()
        except (EngineFailure, GtpCommandError) as error:  # during set-up: blame the engine named in the error
            culprit = BLACK if str(error).startswith(sides[BLACK].label) else WHITE
            outcome = (opponent(culprit), EndReason.FAILURE, str(error))
        winner, reason, detail = outcome
        # The loser's engine restarts for its next game.
        if reason in (EndReason.FAILURE, EndReason.TIME, EndReason.ILLEGAL_MOVE):
            pool.discard(sides[opponent(winner)].version_id if winner is not None else claim.black_id)
    result, sgf = referee.record(sides[BLACK].label, sides[WHITE].label, winner, reason, detail)
    return GameRecord(colour_letter(winner) if winner is not None else None, result, reason, detail,
                      len(referee.moves), round(referee.thinking[BLACK], 2), round(referee.thinking[WHITE], 2), sgf,
                      referee.winrates, sorted(referee.dead))


class TournamentRun:
    """One process playing games of the unfinished tournament with `parallel` slots."""

    def __init__(self, db: Database, config: ServerConfig, tournament: Tournament, parallel: int,
                 progress: bool, log: Callable[[str], None], command: EngineCommand | None = None) -> None:
        self.db, self.config, self.log, self.command = db, config, log, command
        self.tournament_id = tournament.id
        self.settings = TournamentSettings.of(tournament)
        self.parallel = parallel
        self.runner = runner_id()
        self.players = self._players()
        self.stopping = threading.Event()
        self.claims: dict[int, Claim] = {}  # slot -> the game it plays
        self.pools: list[EnginePool] = []
        self.lock = threading.Lock()
        counts = game_counts(db, tournament.id)
        self.total = sum(counts.values())
        self.bar = tqdm(total=self.total, initial=counts[GameStatus.FINISHED], unit="game", disable=not progress,
                        desc=f"tournament {tournament.id}", dynamic_ncols=True)
        self.errors: list[BaseException] = []

    def _players(self) -> dict[int, Entrant]:
        store = NetworkStore(self.config.networks_dir)
        with self.db.session() as session:
            versions = session.scalars(select(NetworkVersion).join(Entry, Entry.version_id == NetworkVersion.id)
                                       .where(Entry.tournament_id == self.tournament_id)).all()
            return {v.id: Entrant(v.id, v.label, store.path(v.sha256)) for v in versions}

    def run(self) -> None:
        slots = [threading.Thread(target=self._slot, args=(n,), name=f"slot-{n}", daemon=True)
                 for n in range(self.parallel)]
        heartbeat = threading.Thread(target=self._heartbeat, name="heartbeat", daemon=True)
        for thread in [*slots, heartbeat]:
            thread.start()
        try:
            while any(thread.is_alive() for thread in slots):
                for thread in slots:
                    thread.join(timeout=0.5)
        finally:
            if not self.stopping.is_set():  # interrupted: end the games in progress now, they will be replayed
                self.stopping.set()
                with self.lock:
                    for pool in self.pools:
                        pool.kill()
            for thread in slots:
                thread.join()
            self.bar.close()
        if self.errors:
            raise self.errors[0]

    def _slot(self, number: int) -> None:
        pool = EnginePool(self.settings, self.config.logs_dir / "engines", number, self.config.cache_dir, self.command)
        with self.lock:
            self.pools.append(pool)
        try:
            while not self.stopping.is_set():
                claim = claim_game(self.db, self.tournament_id, self.runner, pool.loaded(), self.config.lease_seconds)
                if claim is None:
                    if game_counts(self.db, self.tournament_id)[GameStatus.FINISHED] == self.total:
                        return
                    self.stopping.wait(POLL_SECONDS)  # games held by other runners: take over any that die
                    continue
                with self.lock:
                    self.claims[number] = claim
                try:
                    record = play_claimed_game(claim, self.players, pool, self.settings,
                                               live_recorder(self.db, claim))
                except BaseException:
                    release_game(self.db, claim)
                    raise
                finally:
                    with self.lock:
                        self.claims.pop(number, None)
                if self.stopping.is_set() and record.reason in (EndReason.FAILURE, EndReason.TIME, EndReason.VOID):
                    release_game(self.db, claim)  # engines killed by our own interruption: replay later
                    return
                if finish_game(self.db, claim, record):
                    self._report(claim, record)
        except BaseException as error:  # noqa: BLE001 - reported by run() in the main thread
            self.errors.append(error)
            self.stopping.set()
        finally:
            pool.close()

    def _report(self, claim: Claim, record: GameRecord) -> None:
        black, white = self.players[claim.black_id].label, self.players[claim.white_id].label
        line = f"game {claim.number}: {black} (B) - {white} (W): {record.result} ({record.reason})"
        if self.bar.disable:
            self.log(line)
        else:
            self.bar.write(line, file=sys.stderr)
        self.bar.update(1)

    def _heartbeat(self) -> None:
        while not self.stopping.wait(self.config.lease_seconds / 5):
            with self.lock:
                claims = list(self.claims.values())
            if claims:
                renew_leases(self.db, claims, self.config.lease_seconds)


def run_tournament(db: Database, config: ServerConfig, settings: TournamentSettings, parallel: int | None = None,
                   progress: bool = True, started_by: str = "command", log: Callable[[str], None] = print,
                   settings_given: bool = True, command: EngineCommand | None = None) -> Tournament:
    """Resumes the unfinished tournament, or starts one; plays until every game is recorded.

    SIGTERM and Ctrl-C stop it cleanly: games in progress are given back and
    replayed by the next run (kill -9 leaves them to be reclaimed the same way).
    `command` builds each engine's command line (default: `golois gtp` on the network).
    """
    tournament, resumed = start_or_resume(db, settings, started_by)
    counts = game_counts(db, tournament.id)
    if resumed:
        log(f"resuming tournament {tournament.id} ({tournament.time_control}, {tournament.games_per_pair} games a "
            f"pair): {counts['finished']} of {sum(counts.values())} games already played")
        if settings_given and TournamentSettings.of(tournament) != settings:
            log("(the unfinished tournament keeps its own settings; the options given apply to the next one)")
    else:
        log(f"tournament {tournament.id}: {len(tournament.entries)} networks, {sum(counts.values())} games, "
            f"{tournament.time_control}, komi {tournament.komi:g}")
    if tournament.judge and find_gnugo() is None:
        log("GNU Go is not installed (apt-get install gnugo): the judge adjudicates, but dead stones are counted "
            "as alive")
    run = TournamentRun(db, config, tournament, parallel or os.cpu_count() or 1, progress, log, command)
    previous = signal.getsignal(signal.SIGTERM)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        run.run()
    finally:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, previous)
    send_results(db, config)  # once the tournament is over, if e-mail is configured
    with db.session() as session:
        return session.get(Tournament, tournament.id)


def _raise_interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def spawn_runner(config: ServerConfig, settings: TournamentSettings, parallel: int, started_by: str = "admin") -> int:
    """`golois tournament run` in its own session, logging to <data>/logs; it outlives the web process."""
    command = [sys.executable, "-m", "golois.cli", "tournament", "run", "--data", str(config.data_dir),
               "--games-per-pair", str(settings.games_per_pair), "--parallel", str(parallel), "--quiet",
               "--started-by", started_by]
    command += (["--playouts", str(settings.playouts)] if settings.playouts
                else ["--time", f"{settings.seconds_per_move:g}"])
    env = os.environ | {"DATABASE_URL": config.database_url, "GOLOIS_CACHE": str(config.cache_dir)}
    if not settings.judge:
        command.append("--no-judge")
    if config.broker:
        command += ["--broker", config.broker]
    log_path = config.logs_dir / f"tournament-{dt.datetime.now():%Y%m%d-%H%M%S}.log"
    with open(log_path, "ab") as log:
        child = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env,
                                 start_new_session=True)
    # Reaped when it ends, so that no finished runner stays a zombie under the server.
    threading.Thread(target=child.wait, name=f"golois-runner-{child.pid}", daemon=True).start()
    return child.pid

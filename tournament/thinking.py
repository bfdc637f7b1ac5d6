"""The engine's side of browser games: a pool of engine processes fed from the database.

Web requests never think. A visitor's move sets the game's status to
"engine" and wakes this process's dispatcher thread, which claims the game
(a conditional update on `think_attempt`, with a lease, so that of several
server processes exactly one thinks for it) and hands the position to a
pool of engine processes. Each engine process keeps the networks it has
loaded (their conversions cached on disk by hash), so one visitor's
thinking never blocks another's page, and a process answers many games.
A game left waiting by a restart is claimed again when its lease expires.
The pool is shut down when no game has asked for a move for IDLE_SECONDS:
a visitor who leaves costs nothing.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from sqlalchemy import or_, select, update
from sqlalchemy.orm.exc import StaleDataError

from golois import BLACK, WHITE
from golois.tournament.db import Database
from golois.tournament.domain import PlayEnd, PlayStatus
from golois.tournament.models import PlayGame, utcnow
from golois.tournament.play import engine_move, finish, to_play
from golois.tournament.storage import NetworkStore

IDLE_SECONDS = 300.0
LEASE_MARGIN = 60.0  # seconds beyond the thinking time before another process may take the move over
NETWORKS_PER_PROCESS = 4


class ThinkingService:
    def __init__(self, database: Database, store: NetworkStore, cache_dir: Path, processes: int) -> None:
        self.database, self.store, self.cache_dir, self.processes = database, store, cache_dir, processes
        self.wake = threading.Event()
        self.lock = threading.Lock()
        self.executor: ProcessPoolExecutor | None = None
        self.in_flight = 0
        self.last_work = time.monotonic()
        self.stopped = False
        self.thread = threading.Thread(target=self._dispatch, name="golois-thinking", daemon=True)
        self.thread.start()

    def poke(self) -> None:
        """A game now waits for the engine: claim it without waiting for the next round."""
        self.wake.set()

    def stop(self) -> None:
        self.stopped = True
        self.wake.set()
        self.thread.join(timeout=5)
        with self.lock:
            if self.executor is not None:
                self.executor.shutdown(wait=False, cancel_futures=True)
                self.executor = None

    # ---------------------------------------------------------------- dispatching

    def _dispatch(self) -> None:
        while not self.stopped:
            self.wake.wait(timeout=1.0)
            self.wake.clear()
            try:
                while self.in_flight < self.processes and (claim := self._claim()) is not None:
                    self._submit(*claim)
                self._shut_down_when_idle()
            except Exception:  # noqa: BLE001 - a database hiccup must not end the dispatcher
                time.sleep(1.0)

    def _claim(self) -> tuple[int, int, dict] | None:
        now = utcnow()
        with self.database.session() as session:
            games = session.scalars(select(PlayGame).where(
                PlayGame.status == PlayStatus.ENGINE,
                or_(PlayGame.think_lease_until.is_(None), PlayGame.think_lease_until < now))
                .order_by(PlayGame.updated_at).limit(8)).all()  # the longest wait first: a fair queue
            for game in games:
                attempt = game.think_attempt + 1
                lease = now + dt.timedelta(seconds=game.seconds * 3 + LEASE_MARGIN)
                taken = session.execute(
                    update(PlayGame).where(PlayGame.id == game.id, PlayGame.think_attempt == game.think_attempt,
                                           PlayGame.status == PlayStatus.ENGINE)
                    .values(think_attempt=attempt, think_lease_until=lease)
                    .execution_options(synchronize_session=False))
                if taken.rowcount == 1:
                    request = {"network": str(self.store.path(game.version.sha256)), "komi": game.komi,
                               "setup": list(game.setup), "moves": [m[:2] for m in game.moves],
                               "colour": to_play(game), "seconds": game.seconds}
                    return game.id, attempt, request
        return None

    def _submit(self, game_id: int, attempt: int, request: dict) -> None:
        with self.lock:
            try:
                future = self._executor().submit(think, **request)
            except BrokenProcessPool:  # an engine process died (killed for memory?): a fresh pool
                self.executor.shutdown(wait=False)
                self.executor = None
                future = self._executor().submit(think, **request)
            self.in_flight += 1  # counted once submitted: a submit that fails leaves the game to its lease
            self.last_work = time.monotonic()
        future.add_done_callback(lambda done: self._record(game_id, attempt, done))

    def _executor(self) -> ProcessPoolExecutor:
        """The pool of engine processes, started on demand (call with the lock held)."""
        if self.executor is None:
            self.executor = ProcessPoolExecutor(self.processes, mp_context=multiprocessing.get_context("spawn"),
                                                initializer=_start_engine_process, initargs=(str(self.cache_dir),))
        return self.executor

    def _record(self, game_id: int, attempt: int, done: Future) -> None:
        try:
            with self.database.session() as session:
                game = session.get(PlayGame, game_id, with_for_update=not self.database.is_sqlite)
                if game is None or game.think_attempt != attempt or game.status != PlayStatus.ENGINE:
                    return  # taken over by another process, or the visitor resigned meanwhile
                game.think_lease_until = None
                try:
                    point, winrate = done.result()
                    engine_move(game, point, winrate)
                except Exception as error:  # noqa: BLE001 - the visitor must hear why
                    game.error = f"the engine could not answer: {str(error)[:300] or type(error).__name__}"
                    finish(game, BLACK if game.human == "B" else WHITE, PlayEnd.ENGINE_FAILURE)
        except StaleDataError:
            pass  # the visitor resigned between our read and our write: the answer is moot
        finally:
            with self.lock:
                self.in_flight -= 1
                self.last_work = time.monotonic()
            self.wake.set()

    def _shut_down_when_idle(self) -> None:
        with self.lock:
            if self.executor is not None and self.in_flight == 0 and \
                    time.monotonic() - self.last_work > IDLE_SECONDS:
                self.executor.shutdown(wait=False)
                self.executor = None


# ---------------------------------------------------------------- in the engine processes

_players: dict[str, object] = {}  # this engine process's loaded networks (each process has its own)


def _start_engine_process(cache_dir: str) -> None:
    os.environ["GOLOIS_CACHE"] = cache_dir
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def think(network: str, komi: float, setup: list[int], moves: list[list[int]], colour: int,
          seconds: float) -> tuple[int | None, float]:
    """The engine's move (None: it resigns) and its win rate, for the position given."""
    from golois.engine.clock import Clock, MoveBudget
    from golois.engine.inference import load_evaluator
    from golois.engine.player import RESIGN, Player, SearchSettings

    player = _players.pop(network, None)
    if player is None:
        player = Player(load_evaluator(network), SearchSettings(), Clock())
        while len(_players) >= NETWORKS_PER_PROCESS:
            _players.pop(next(iter(_players)))
    _players[network] = player  # the most recently used last
    player.new_game(komi)
    for point in setup:
        player.place(point, BLACK)
    for move_colour, point in moves:
        player.play(point, move_colour)
    report = player.genmove(colour, MoveBudget(cpu_seconds=seconds))
    return (None if report.move == RESIGN else report.move), float(report.winrate)

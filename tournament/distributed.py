"""Tournaments across machines: every game a Celery task on a Redis broker.

    pip install 'golois[distributed]'
    golois worker --broker redis://HOST --server http://SERVER:5000 --token TOKEN   # on each machine
    golois tournament run --broker redis://HOST                                      # anywhere

Workers share the database (PostgreSQL, DATABASE_URL) but not a disk: they
fetch network files by hash from the server (with the worker token,
GOLOIS_WORKER_TOKEN on the server) and keep them. A task is one game; it is
acknowledged late, and the game itself is claimed in the database with a
lease that the worker renews while it plays (round_robin.claim_game), so:

- a worker that dies loses only its game in progress: its lease runs out
  and the dispatcher hands the game out again, another worker replays it;
- a task delivered twice finds its game taken or finished and does nothing;
- results land in the database exactly once (round_robin.finish_game).

CPU time a move is the fairness rule, so each worker measures its speed at
start (the engine's fixed search benchmark on the bundled network) and the
site shows it beside its games and its losses on time.
"""

from __future__ import annotations

import datetime as dt
import itertools
import socket
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import and_, or_, select, update
from tqdm import tqdm

from golois.engine.game_end import EndReason
from golois.errors import GoloisError
from golois.files import atomic_path, sha256_file
from golois.tournament.config import ServerConfig
from golois.tournament.db import Database
from golois.tournament.domain import GameStatus, TournamentSettings
from golois.tournament.leases import runner_id
from golois.tournament.mail import send_results
from golois.tournament.models import Game, NetworkVersion, Tournament, Worker, utcnow
from golois.tournament.round_robin import (
    Claim,
    GameRecord,
    claim_game,
    expire_claim,
    finish_game,
    game_counts,
    renew_leases,
    start_or_resume,
)
from golois.tournament.runner import EnginePool, Entrant, live_recorder, play_claimed_game
from golois.tournament.sandbox import choose_sandbox

QUEUE = "golois-games"
CHECK_QUEUE = "golois-checks"  # upload checks (check_tasks.py), taken by workers that have a sandbox
MAX_ATTEMPTS = 5  # a game no worker could play this many times is recorded void (see the workers' logs)
TASK = "golois.play_game"
POLL_SECONDS = 2.0


def make_celery(broker: str):
    """The Celery application of the dispatcher and the workers (no result backend: results go to the database)."""
    try:
        from celery import Celery
    except ImportError as error:
        raise GoloisError("tournaments across machines need Celery: pip install 'golois[distributed]'") from error
    app = Celery("golois", broker=broker, set_as_current=False)
    app.conf.update(
        task_acks_late=True,              # a game's message is acknowledged once the game is recorded
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,     # a worker takes one game at a time per slot
        task_ignore_result=True,
        task_default_queue=QUEUE,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
    )
    app.task(name=TASK, ignore_result=True)(play_game_task)
    from golois.tournament.check_tasks import CHECK_TASK, check_upload_task

    app.task(name=CHECK_TASK, ignore_result=True)(check_upload_task)
    return app


# ---------------------------------------------------------------- the dispatcher


def dispatch_tournament(db: Database, config: ServerConfig, settings: TournamentSettings, broker: str,
                        progress: bool = True, started_by: str = "command",
                        log: Callable[[str], None] = print) -> Tournament:
    """Starts or resumes the tournament and hands its games to the workers until every one is recorded."""
    app = make_celery(broker)
    tournament, resumed = start_or_resume(db, settings, started_by)
    counts = game_counts(db, tournament.id)
    total = sum(counts.values())
    log(f"{'resuming' if resumed else 'starting'} tournament {tournament.id} on the workers of {broker}: "
        f"{counts['finished']} of {total} games played")
    bar = tqdm(total=total, initial=counts[GameStatus.FINISHED], unit="game", disable=not progress,
               desc=f"tournament {tournament.id}")
    sent: dict[int, dt.datetime] = {}  # game id -> when its last message went out
    next_queue_check = utcnow()
    try:
        while True:
            now = utcnow()
            with db.session() as session:
                ready = session.execute(select(Game.id, Game.status, Game.attempt, Game.lease_until).where(
                    Game.tournament_id == tournament.id,
                    or_(Game.status == GameStatus.PENDING,
                        and_(Game.status == GameStatus.RUNNING, Game.lease_until < now)))).all()
            # A message delivered to a worker that died before claiming its game is in no queue and
            # under no lease (Redis gives it back only after its visibility timeout, an hour). So once
            # the queue is empty, a game still unclaimed a lease after its message went out is sent
            # again: a duplicate finds its game taken or finished and does nothing.
            # The queue is looked at a few times a lease at most (a full queue stays full for hours).
            overdue = now - dt.timedelta(seconds=config.lease_seconds)
            if now >= next_queue_check and any(sent.get(game_id, now) < overdue for game_id, *_ in ready):
                next_queue_check = now + dt.timedelta(seconds=config.lease_seconds / 5)
                if _queued_messages(app) == 0:
                    sent = {game_id: when for game_id, when in sent.items() if when >= overdue}
            for game_id, status, attempts, lease_until in ready:
                if attempts >= MAX_ATTEMPTS:
                    _record_void(db, tournament.id, game_id, attempts)
                # A running game here lost its worker (its lease ran out): send it again, once.
                elif game_id not in sent or (status == GameStatus.RUNNING and sent[game_id] < lease_until):
                    app.send_task(TASK, args=[game_id], queue=QUEUE)
                    sent[game_id] = utcnow()
            finished = game_counts(db, tournament.id)[GameStatus.FINISHED]
            bar.update(finished - bar.n)
            if finished == total:
                break
            time.sleep(POLL_SECONDS)
    finally:
        bar.close()
    send_results(db, config)
    with db.session() as session:
        return session.get(Tournament, tournament.id)


def _queued_messages(app) -> int | None:
    """Messages of the games queue not yet delivered to a worker; None when the broker does not say."""
    from kombu.exceptions import ChannelError

    try:
        with app.connection_for_read() as connection:
            return connection.default_channel.queue_declare(QUEUE, passive=True).message_count
    except ChannelError:
        return 0  # Redis drops an empty queue's key: no such queue is an empty queue
    except Exception:  # noqa: BLE001 - a broker hiccup: no resending this round, the next check will tell
        return None


def _record_void(db: Database, tournament_id: int, game_id: int, attempts: int) -> None:
    claim = claim_game(db, tournament_id, runner_id(), game_id=game_id)
    if claim is not None:
        detail = f"no worker could play it in {attempts} attempts (see the workers' logs)"
        finish_game(db, claim, GameRecord(None, "Void", EndReason.VOID, detail, 0, 0.0, 0.0, ""))


# ---------------------------------------------------------------- the workers


@dataclass
class WorkerContext:
    """What the tasks of this worker process share."""

    db: Database
    config: ServerConfig
    server: str
    token: str
    files: Path
    name: str = field(default_factory=runner_id)
    claims: dict[int, Claim] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    pools: threading.local = field(default_factory=threading.local)
    slot_numbers: Iterator[int] = field(default_factory=lambda: itertools.count(1))  # engine log names

    def network_file(self, sha256: str) -> Path:
        """The network's file, fetched from the server once and kept (checked against its hash)."""
        path = self.files / f"{sha256}.h5"
        if path.is_file():
            return path
        self.files.mkdir(parents=True, exist_ok=True)
        self.fetch(f"/api/worker/networks/{sha256}", path, sha256)
        return path

    def fetch(self, route: str, target: Path, sha256: str) -> None:
        """Downloads the server's `route` (with the worker token) to `target`, whole, with this SHA-256."""
        request = urllib.request.Request(f"{self.server.rstrip('/')}{route}",
                                         headers={"Authorization": f"Bearer {self.token}"})
        with atomic_path(target) as tmp:
            try:
                with urllib.request.urlopen(request, timeout=120) as answer, open(tmp, "wb") as out:
                    while block := answer.read(1 << 20):
                        out.write(block)
            except urllib.error.HTTPError as error:
                raise GoloisError(f"the server refused {route}: {error.code} {error.reason}") from error
            if sha256_file(tmp) != sha256:
                raise GoloisError(f"{route} arrived damaged (its hash differs)")

    def pool(self, settings: TournamentSettings) -> EnginePool:
        """This thread's engines (kept between games of the same settings)."""
        pool = getattr(self.pools, "pool", None)
        if pool is None or pool.settings != settings:
            if pool is not None:
                pool.close()
            pool = EnginePool(settings, self.config.logs_dir / "engines", next(self.slot_numbers),
                              self.config.cache_dir)
            self.pools.pool = pool
        return pool


_context: WorkerContext | None = None  # set by run_worker in the worker process, read by its tasks


def worker_context() -> WorkerContext:
    if _context is None:
        raise RuntimeError("the golois worker is not initialised")
    return _context


def play_game_task(game_id: int) -> str:
    """Plays one game if it is still to play; records it once."""
    context = worker_context()
    with context.db.session() as session:
        game = session.get(Game, game_id)
        if game is None or game.status == GameStatus.FINISHED:
            return "already recorded"
        tournament_id = game.tournament_id
        settings = TournamentSettings.of(game.tournament)
        versions = {v.id: v for v in session.scalars(select(NetworkVersion).where(
            NetworkVersion.id.in_([game.black_id, game.white_id])))}
        players = {vid: (v.label, v.sha256) for vid, v in versions.items()}
    claim = claim_game(context.db, tournament_id, context.name, game_id=game_id,
                       lease_seconds=context.config.lease_seconds)
    if claim is None:
        return "taken by another worker"
    with context.lock:
        context.claims[game_id] = claim
    try:
        files = {vid: Entrant(vid, label, context.network_file(sha)) for vid, (label, sha) in players.items()}
        record = play_claimed_game(claim, files, context.pool(settings), settings,
                                   live_recorder(context.db, claim))
        finish_game(context.db, claim, record)
        return f"{record.result} ({record.reason})"
    except BaseException:
        expire_claim(context.db, claim)  # the dispatcher hands the game out again, to be played from the start
        raise
    finally:
        with context.lock:
            context.claims.pop(game_id, None)


def measure_speed(seconds: float = 1.0) -> float:
    """Playouts per CPU second of the engine on the bundled network: the fixed benchmark of a worker."""
    from golois.engine.bench import bench_engine
    from golois.engine.clock import Clock
    from golois.engine.inference import load_evaluator
    from golois.engine.player import Player, SearchSettings

    player = Player(load_evaluator("default"), SearchSettings(), Clock(playouts=10_000))
    return float(bench_engine(player, seconds)["playouts_per_cpu_s"])


def run_worker(db: Database, config: ServerConfig, broker: str, server: str, token: str, concurrency: int,
               log: Callable[[str], None] = print) -> None:
    """Measures this machine, registers it, and plays games from the queue until stopped."""
    global _context  # the tasks of this process find their context here
    speed = measure_speed()
    _context = WorkerContext(db, config, server, token, config.data_dir / "networks")
    with db.session() as session:
        session.add(Worker(name=_context.name, host=socket.gethostname()[:120], playouts_per_cpu_second=speed))
    log(f"worker {_context.name}: {speed:,.0f} playouts per CPU second on the bundled network; "
        f"{concurrency} game(s) at once from {broker}")
    sandbox = choose_sandbox(config.sandbox)
    queues = [QUEUE, CHECK_QUEUE] if sandbox.checks_allowed else [QUEUE]
    log(sandbox.describe() + ("" if sandbox.checks_allowed else "; this worker takes no upload checks"))
    threading.Thread(target=_heartbeat, args=(_context,), name="golois-heartbeat", daemon=True).start()
    app = make_celery(broker)
    app.worker_main(["worker", "--pool=threads", f"--concurrency={concurrency}", f"--queues={','.join(queues)}",
                     "--without-gossip", "--without-mingle", "--loglevel=WARNING",
                     f"--hostname=golois-{_context.name.replace(':', '-')}"])


def _heartbeat(context: WorkerContext) -> None:
    """Renews the leases of the games this worker plays, and says it is alive."""
    while True:
        time.sleep(context.config.lease_seconds / 5)
        with context.lock:
            claims = list(context.claims.values())
        try:
            if claims:
                renew_leases(context.db, claims, context.config.lease_seconds)
            with context.db.session() as session:
                session.execute(update(Worker).where(Worker.name == context.name).values(last_seen=utcnow()))
        except Exception as error:  # noqa: BLE001 - a database hiccup: the lease has slack for the next try
            print(f"heartbeat failed: {error}", file=sys.stderr)

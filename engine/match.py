"""Matches between GTP engines, refereed and scored here.

The referee keeps its own board: an illegal move (positional superko
included), a crash, a hang or a move over the time limit loses the game and
the match goes on with a fresh process. Games end by resignation or after
two passes, and are scored by area (Tromp-Taylor) as the board stands, or,
with a judge (engine/judge.py), are adjudicated once decided and scored
with the dead stones taken off.
"""

from __future__ import annotations

import contextlib
import json
import math
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tqdm import tqdm

from golois import BLACK, DEFAULT_KOMI, WHITE, _core
from golois.engine.coords import SIZE, colour_letter, gtp_vertex, opponent, parse_gtp_vertex
from golois.engine.game_end import EndReason
from golois.engine.gtp_client import EngineFailure, EngineTimeout, GtpClient, GtpCommandError
from golois.engine.judge import DeadStoneJudge, Judge, settled_score
from golois.engine.openings import opening_for
from golois.engine.sgf_writer import game_sgf, result_text
from golois.files import write_atomic

SETUP_TIMEOUT = 300.0  # seconds for a fresh engine to answer (loading a network, converting it)
COMMAND_TIMEOUT = 30.0


@dataclass
class MatchSettings:
    games: int = 2
    seconds_per_move: float | None = None
    margin: float = 2.0
    move_timeout: float = 120.0
    komi: float = DEFAULT_KOMI
    max_moves: int = 600
    announce_time: bool = True  # send time_settings; False when each engine keeps its own time a move
    openings: bool = False      # games 2k-1 and 2k start from the k-th balanced opening (engine/openings.py)


@dataclass
class GameOutcome:
    game: int
    black: str
    white: str
    winner: str | None          # "first", "second" or None for a draw
    result: str                 # SGF RE, e.g. "B+3.5", "W+R"
    reason: str                 # score, resignation, time, illegal move, failure, move limit
    detail: str = ""
    moves: int = 0
    seconds: dict[str, float] = field(default_factory=dict)  # thinking time per engine
    sgf: str = ""


def wilson_interval(wins: float, games: int, z: float = 1.96) -> tuple[float, float]:
    """95% confidence interval of a win rate (Wilson score interval); draws count half."""
    if games == 0:
        return 0.0, 1.0
    p = wins / games
    centre = (p + z * z / (2 * games)) / (1 + z * z / games)
    half = z * math.sqrt(p * (1 - p) / games + z * z / (4 * games * games)) / (1 + z * z / games)
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass
class Judging:
    """The neutral judge of a referee's games (engine/judge.py); each part may be absent."""

    judge: Judge | None = None                  # Black's win rate after every move; adjudication
    dead_stones: DeadStoneJudge | None = None   # dead stones settled before the count
    adjudicate: bool = True                     # False: the judge only watches (to measure its rule)

    def describe(self) -> str:
        parts = [self.judge.rule.describe() if self.judge and self.adjudicate else "no adjudication",
                 "dead stones settled by GNU Go" if self.dead_stones else "dead stones counted as alive"]
        return "; ".join(parts)


class Referee:
    """One game between two running engines, from an optional opening.

    Besides the moves it records each engine's own win rate (where the
    engine answers Leela Zero's `lz-genmove_analyze`) and the judge's, all
    as Black's win rate after a move, numbered from 1."""

    def __init__(self, engines: dict[int, GtpClient], settings: MatchSettings, judging: Judging | None = None,
                 on_move: Callable[[Referee], None] | None = None) -> None:
        self.engines, self.settings = engines, settings
        self.judging = judging or Judging()
        self.on_move = on_move
        self.state = _core.GameState(settings.komi)
        self.moves: list[tuple[int, int]] = []
        self.thinking = {BLACK: 0.0, WHITE: 0.0}
        self.winrates: dict[str, list[tuple[int, float]]] = {"B": [], "W": [], "judge": []}
        self.adjudication: tuple[int, int] | None = None  # (move, winner) when the judge's rule first held
        self.dead: set[int] = set()
        self.settled_score: float | None = None
        self.analyses = {BLACK: False, WHITE: False}

    def start(self) -> None:
        s = self.settings
        for colour, client in self.engines.items():
            client.send(f"boardsize {SIZE}", COMMAND_TIMEOUT)
            client.send("clear_board", COMMAND_TIMEOUT)
            client.send(f"komi {s.komi:g}", COMMAND_TIMEOUT)
            if s.seconds_per_move and s.announce_time:
                # One byo-yomi period of one stone means "this many seconds a move". An
                # engine without time control still plays, and the clock here still applies.
                with contextlib.suppress(GtpCommandError):
                    client.send(f"time_settings 0 {s.seconds_per_move:g} 1", COMMAND_TIMEOUT)
            with contextlib.suppress(GtpCommandError):
                known = client.send("known_command lz-genmove_analyze", COMMAND_TIMEOUT)
                self.analyses[colour] = known.strip() == "true"
        if self.judging.judge:
            self.judging.judge.new_game(s.komi)

    @property
    def score(self) -> float:
        """Black minus White by area: with the dead stones settled when the judge settled them."""
        return self.settled_score if self.settled_score is not None else float(self.state.score())

    def play_opening(self, vertices: list[str]) -> tuple[int | None, str, str] | None:
        """Plays fixed moves (Black first) on the board and in both engines; an engine that refuses one loses."""
        for vertex in vertices:
            colour, point = self.state.to_play, parse_gtp_vertex(vertex)
            why = self.state.check(point)
            if why != "legal":
                raise ValueError(f"opening move {vertex} is {why}")
            self._record(point, colour)
            for other, client in self.engines.items():
                try:
                    client.send(f"play {colour_letter(colour).lower()} {vertex}", COMMAND_TIMEOUT)
                except (EngineFailure, GtpCommandError) as error:
                    return opponent(other), EndReason.FAILURE, f"refused the opening move {vertex}: {error}"
        return None

    def play(self) -> tuple[int | None, str, str]:
        """Plays from the current position to the end; returns (winner colour or None, reason, detail)."""
        colour = self.state.to_play
        while True:
            if len(self.moves) >= self.settings.max_moves:
                return self._score(EndReason.MOVE_LIMIT)
            outcome = self._turn(colour) or self._adjudicated()
            if outcome:
                return outcome
            if self.state.passes >= 2:
                return self._score(EndReason.SCORE)
            colour = opponent(colour)

    def _turn(self, colour: int) -> tuple[int | None, str, str] | None:
        other = opponent(colour)
        s = self.settings
        limit = s.seconds_per_move + s.margin if s.seconds_per_move else s.move_timeout
        letter = colour_letter(colour).lower()
        start = time.monotonic()
        try:
            command = f"lz-genmove_analyze {letter}" if self.analyses[colour] else f"genmove {letter}"
            answer, winrate = _move_and_winrate(self.engines[colour].send(command, limit))
        except EngineTimeout as error:
            return other, EndReason.TIME if s.seconds_per_move else EndReason.FAILURE, str(error)
        except (EngineFailure, GtpCommandError) as error:
            return other, EndReason.FAILURE, str(error)
        elapsed = time.monotonic() - start
        self.thinking[colour] += elapsed
        if s.seconds_per_move and elapsed > limit:
            return other, EndReason.TIME, f"{elapsed:.1f} s for a move (limit {limit:g} s)"
        if answer.strip().lower() == "resign":
            return other, EndReason.RESIGNATION, ""
        try:
            point = parse_gtp_vertex(answer)
        except ValueError:
            return other, EndReason.ILLEGAL_MOVE, f"not a move: {answer[:40]!r}"
        why = self.state.check(point)
        if why != "legal":
            return other, EndReason.ILLEGAL_MOVE, f"{answer} ({why})"
        self._record(point, colour, winrate)
        try:
            self.engines[other].send(f"play {letter} {gtp_vertex(point)}", COMMAND_TIMEOUT)
        except (EngineFailure, GtpCommandError) as error:
            return colour, EndReason.FAILURE, f"refused the legal move {gtp_vertex(point)}: {error}"
        return None

    def _record(self, point: int, colour: int, winrate: float | None = None) -> None:
        """Plays a legal move on the referee's board, with the mover's win rate and the judge's."""
        self.state.play(point)
        self.moves.append((point, colour))
        number = len(self.moves)
        if winrate is not None:
            self.winrates[colour_letter(colour)].append((number, winrate if colour == BLACK else 1.0 - winrate))
        judge = self.judging.judge
        if judge is not None:
            black = judge.judge(point, colour)
            if black is not None:
                self.winrates["judge"].append((number, black))
            self.adjudication = self.adjudication or judge.decided()
        if self.on_move:
            self.on_move(self)

    def _adjudicated(self) -> tuple[int | None, str, str] | None:
        if self.adjudication is None or not self.judging.adjudicate:
            return None
        move, winner = self.adjudication
        rule = self.judging.judge.rule
        return winner, EndReason.ADJUDICATED, (
            f"the judge gave {'Black' if winner == BLACK else 'White'} at least {rule.threshold:.0%} for "
            f"{rule.in_a_row} moves in a row, up to move {move} ({rule.describe()})")

    def _score(self, reason: EndReason) -> tuple[int | None, str, str]:
        how = f"area, komi {self.settings.komi:g}"
        if self.judging.dead_stones:
            try:
                self.dead = self.judging.dead_stones.dead_stones([], self.moves, self.settings.komi)
                self.settled_score = settled_score(self.state.board, self.dead,
                                                   self.settings.komi)
                how += f", {len(self.dead)} dead stone{'s' if len(self.dead) != 1 else ''} removed by GNU Go"
            except (EngineFailure, GtpCommandError) as error:
                how += f", dead stones counted as alive: GNU Go failed ({error})"
        score = self.score
        winner = BLACK if score > 0 else WHITE if score < 0 else None
        return winner, reason, f"{score:+g} for Black ({how})"

    def record(self, black: str, white: str, winner: int | None, reason: str, detail: str) -> tuple[str, str]:
        """The game's SGF result and record: win rates as each move's comment, dead stones marked."""
        result = "Void" if reason == EndReason.VOID else result_text(winner, self.score, reason)
        by_move: dict[int, list[str]] = {}
        for key, label in (("B", "Black's engine"), ("W", "White's engine"), ("judge", "the judge")):
            for number, black_rate in self.winrates[key]:
                by_move.setdefault(number, []).append(f"{label} {black_rate:.1%}")
        comments = {n: "Black's win rate: " + ", ".join(parts) for n, parts in by_move.items()}
        about = f"{reason}: {detail}" if detail else str(reason)
        if self.judging.judge or self.judging.dead_stones:
            about += f". Judge: {self.judging.describe()}"
        sgf = game_sgf(self.moves, self.settings.komi, black, white, result, comment=about,
                       move_comments=comments, dead=self.dead)
        return result, sgf


def _move_and_winrate(answer: str) -> tuple[str, float | None]:
    """The move of a genmove answer, and the mover's win rate from an lz-genmove_analyze answer's `info`
    (of the move played, else the first), or None."""
    lines = answer.strip().splitlines()
    if not lines or not lines[-1].startswith("play "):
        return answer, None
    move = lines[-1].split(maxsplit=1)[1].strip()
    infos = [part.split() for line in lines[:-1] for part in line.split("info ")[1:]]
    rates = {}
    for words in infos:
        fields = dict(zip(words[::2], words[1::2], strict=False))
        with contextlib.suppress(KeyError, ValueError):
            rates.setdefault(fields["move"].upper(), int(fields["winrate"]) / 10000)
    winrate = rates.get(move.upper(), next(iter(rates.values()), None))
    return move, winrate if winrate is None or 0.0 <= winrate <= 1.0 else None


def wait_until_loaded(client: GtpClient) -> None:
    """Waits up to SETUP_TIMEOUT for a fresh engine's network.

    Golois answers `name` at once and loads (or converts) its network in the
    background; the first board command waits for it, which on a busy machine
    can take longer than a game's COMMAND_TIMEOUT. A network that cannot load
    is left to say so at the game's first command, as before.
    """
    with contextlib.suppress(GtpCommandError):
        client.send(f"boardsize {SIZE}", SETUP_TIMEOUT)


def _engine_name(client: GtpClient, fallback: str) -> str:
    try:
        name = client.send("name", SETUP_TIMEOUT)
        version = client.send("version", COMMAND_TIMEOUT)
        return f"{name} {version}".strip() or fallback
    except GtpCommandError:
        return fallback


class _MatchRun:
    """Shared state of a match whose games may run in parallel, each worker with its own engines."""

    def __init__(self, first: str, second: str, out: Path, settings: MatchSettings, progress: bool) -> None:
        self.commands = {"first": first, "second": second}
        self.out, self.settings = out, settings
        self.names: dict[str, str] = {}
        self.outcomes: dict[int, GameOutcome] = {}
        self.next_game = 0
        self.failure: EngineFailure | None = None
        self.lock = threading.Lock()
        self.bar = tqdm(total=settings.games, desc="match", unit="game", disable=not progress)

    def take_game(self) -> int | None:
        with self.lock:
            if self.next_game >= self.settings.games or self.failure:
                return None
            self.next_game += 1
            return self.next_game - 1

    def start_engine(self, key: str, worker: int) -> GtpClient:
        client = GtpClient(self.commands[key], self.out / f"{key}-engine-{worker + 1}.log", key)
        name = _engine_name(client, self.commands[key])
        wait_until_loaded(client)
        with self.lock:
            if key not in self.names:
                self.names[key] = name
                if self.names.get("first") == self.names.get("second"):
                    self.names = {k: f"{n} ({k})" for k, n in self.names.items()}
        return client

    def worker(self, number: int) -> None:
        clients: dict[str, GtpClient | None] = {"first": None, "second": None}
        try:
            while (index := self.take_game()) is not None:
                for key in clients:
                    clients[key] = clients[key] or self.start_engine(key, number)
                order = ("first", "second") if index % 2 == 0 else ("second", "first")
                outcome = _play_one(index + 1, order, clients, self.names, self.settings, self.out)
                with self.lock:
                    self.outcomes[index] = outcome
                    self.summary()
                    if not self.bar.disable:
                        self.bar.write(f"game {outcome.game}: {outcome.black} (B) - {outcome.white} (W): "
                                       f"{outcome.result} ({outcome.reason})", file=sys.stderr)
                    self.bar.update(1)
                    self.bar.set_postfix_str(_score_line(list(self.outcomes.values())))
        except EngineFailure as error:
            with self.lock:
                self.failure = self.failure or error
        finally:
            for client in clients.values():
                if client is not None:
                    client.close()

    def summary(self) -> dict:
        outcomes = [self.outcomes[i] for i in sorted(self.outcomes)]
        return _write_summary(self.out, self.commands, self.names, outcomes, self.settings)


def earlier_match_files(out: Path) -> list[Path]:
    """The files a match writes that are already in `out` (games, summary, engine logs)."""
    if not out.is_dir():
        return []
    return sorted(p for pattern in ("game-*.sgf", "summary.json", "*-engine-*.log") for p in out.glob(pattern))


def play_match(first: str, second: str, out: Path, settings: MatchSettings, progress: bool = False,
               parallel: int = 1) -> dict:
    """Plays settings.games games, colours alternating (`first` is Black in game 1).

    With `parallel` > 1, that many games run at once, each pair of engines
    in its own processes (a CPU-time budget per move is unaffected; a
    wall-clock one is shared with the other games).
    """
    out.mkdir(parents=True, exist_ok=True)
    run = _MatchRun(first, second, out, settings, progress)
    workers = [threading.Thread(target=run.worker, args=(n,), name=f"match-{n + 1}")
               for n in range(max(1, min(parallel, settings.games)))]
    try:
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join()
    finally:
        run.bar.close()
    if run.failure:
        raise run.failure
    return run.summary()


def _play_one(number: int, order: tuple[str, str], clients: dict, names: dict, settings: MatchSettings,
              out: Path) -> GameOutcome:
    by_colour = {BLACK: order[0], WHITE: order[1]}
    referee = Referee({colour: clients[key] for colour, key in by_colour.items()}, settings)
    try:
        referee.start()
        # At a fixed number of playouts the engines are deterministic: without openings every pair of games repeats.
        refused = referee.play_opening(opening_for(0, number - 1, settings.games)) if settings.openings else None
        winner, reason, detail = refused or referee.play()
    except (EngineFailure, GtpCommandError) as error:  # during set-up: nobody's fault we can tell
        winner, reason, detail = None, EndReason.VOID, str(error)
    # A crashed or late engine starts afresh next game.
    if reason in (EndReason.FAILURE, EndReason.TIME, EndReason.VOID):
        for colour, key in by_colour.items():
            if reason == EndReason.VOID or colour != winner:
                clients[key].close()
                clients[key] = None
    result, sgf = referee.record(names[order[0]], names[order[1]], winner, reason, detail)
    sgf_name = f"game-{number:03d}.sgf"
    (out / sgf_name).write_text(sgf)
    return GameOutcome(number, names[order[0]], names[order[1]], by_colour.get(winner), result, reason, detail,
                       len(referee.moves), {by_colour[c]: round(t, 1) for c, t in referee.thinking.items()}, sgf_name)


def _score_line(outcomes: list[GameOutcome]) -> str:
    first = sum(o.winner == "first" for o in outcomes)
    second = sum(o.winner == "second" for o in outcomes)
    return f"first {first} - {second} second"


def _write_summary(out: Path, commands: dict, names: dict, outcomes: list[GameOutcome],
                   settings: MatchSettings) -> dict:
    counted = [o for o in outcomes if o.reason != EndReason.VOID]
    wins = sum(o.winner == "first" for o in counted) + 0.5 * sum(o.winner is None for o in counted)
    low, high = wilson_interval(wins, len(counted))
    summary = {
        "first": {"command": commands["first"], "name": names.get("first", "")},
        "second": {"command": commands["second"], "name": names.get("second", "")},
        "settings": asdict(settings),
        "games": len(counted),
        "void": len(outcomes) - len(counted),
        "first_wins": wins,
        "first_win_rate": wins / len(counted) if counted else None,
        "first_win_rate_95ci": [round(low, 4), round(high, 4)],
        "first_wins_as_black": sum(o.winner == "first" and o.game % 2 == 1 for o in counted),
        "outcomes": [asdict(o) for o in outcomes],
    }
    summary["text"] = (_result_line(names.get("first", "first"), names.get("second", "second"), wins, len(counted),
                                    (low, high))
                       + (f"; {summary['void']} void" if summary["void"] else ""))
    write_atomic(out / "summary.json", json.dumps(summary, indent=2) + "\n")
    return summary


def _result_line(first: str, second: str, wins: float, games: int, interval: tuple[float, float]) -> str:
    low, high = interval
    rate = f"{wins / games:.1%}" if games else "n/a"
    return f"{first} vs {second}: {wins:g}/{games} for the first ({rate}, 95% CI {low:.1%} to {high:.1%})"


def add_up_matches(folders: list[Path]) -> dict:
    """The total of several matches between the same two engine commands at the same komi, with the
    interval of the whole: separate runs of one match (`golois match-total`)."""
    if not folders:
        raise ValueError("no match folders given")
    if len({folder.resolve() for folder in folders}) < len(folders):
        raise ValueError("a match folder is named twice; its games would count twice")
    summaries, first_identity = [], None
    for folder in folders:
        path = folder / "summary.json"
        if not path.is_file():
            raise ValueError(f"{folder} holds no summary.json: not the --out folder of a `golois match`")
        try:
            summary = json.loads(path.read_text())
            identity = summary["first"]["command"], summary["second"]["command"], summary["settings"]["komi"]
            counts = [summary[key] for key in ("games", "void", "first_wins", "first_wins_as_black")]
            if not all(isinstance(count, (int, float)) and count >= 0 for count in counts):
                raise TypeError("its counts are not numbers")
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as error:
            raise ValueError(f"{path} is not a match summary ({type(error).__name__}: {error})") from error
        first_identity = first_identity or identity
        if identity != first_identity:
            raise ValueError(f"{folder} is a match of other engines or another komi than {folders[0]}; "
                             "only runs of the same match add up")
        summaries.append(summary)
    games = sum(s["games"] for s in summaries)
    wins = sum(s["first_wins"] for s in summaries)
    low, high = wilson_interval(wins, games)
    first, second = summaries[0]["first"], summaries[0]["second"]
    return {
        "first": first, "second": second, "komi": summaries[0]["settings"]["komi"],
        "matches": [str(folder) for folder in folders],
        "games": games,
        "void": sum(s["void"] for s in summaries),
        "first_wins": wins,
        "first_win_rate": wins / games if games else None,
        "first_win_rate_95ci": [round(low, 4), round(high, 4)],
        "first_wins_as_black": sum(s["first_wins_as_black"] for s in summaries),
        "text": _result_line(first["name"] or "first", second["name"] or "second", wins, games, (low, high))
        + f" over {len(summaries)} match{'es' if len(summaries) > 1 else ''}",
    }


"""A Go player: the C++ search tree driven by a network evaluator.

The tree lives in C++ (`golois._core.Search`); this module runs the network
on the batches of leaves it gathers, decides when to stop thinking, and
adds the decisions a search alone does not make: resigning a lost game,
passing a settled one, and choosing moves for self-play.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from golois import BLACK, DEFAULT_KOMI, PASS, WHITE, _core
from golois.engine.clock import Clock, MoveBudget
from golois.engine.coords import SIZE, opponent
from golois.engine.inference import Evaluator
from golois.network import BOARD_SHAPE

RESIGN = -1  # genmove's answer when the engine resigns


@dataclass
class SearchSettings:
    batch_size: int = 16
    c_puct: float = _core.SEARCH_DEFAULTS["c_puct"]  # the tree's own settings: defaults from the C++ SearchSettings
    fpu_reduction: float = _core.SEARCH_DEFAULTS["fpu_reduction"]
    virtual_loss: int = _core.SEARCH_DEFAULTS["virtual_loss"]
    seed: int = 0
    resign_below: float = 0.05      # resign when our win rate stays under this...
    resign_after: int = 3           # ...for this many of our moves in a row
    resign_min_moves: int = 100     # and never this early in the game
    noise_alpha: float = 0.0        # Dirichlet noise on the root priors (self-play), 0 = off
    noise_fraction: float = 0.25
    sample_moves: int = 0           # pick by visit counts (not the most visited) for this many moves
    network_komi: float | None = None  # komi shown in the input planes; None = the game's komi


@dataclass
class SearchReport:
    move: int                       # a point, PASS or RESIGN
    winrate: float                  # of the side that moved, from the search
    playouts: int                   # new playouts of this search
    seconds: float                  # wall time of the search
    children: list[dict] = field(default_factory=list)


class Player:
    """Plays one game at a time; `new_game` starts the next."""

    def __init__(self, evaluator: Evaluator, settings: SearchSettings | None = None, clock: Clock | None = None,
                 komi: float = DEFAULT_KOMI) -> None:
        self.evaluator = evaluator
        self.settings = settings or SearchSettings()
        self.clock = clock or Clock()
        # Two buffers: the next batch is gathered into one while the network reads the other.
        self._planes = np.zeros((2, self.settings.batch_size, *BOARD_SHAPE), np.float32)
        self._gatherer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="golois-gather")
        self._random = random.Random(self.settings.seed)
        self.new_game(komi)

    # ---------------------------------------------------------------- game

    def new_game(self, komi: float | None = None) -> None:
        self.komi = self.komi if komi is None else komi
        self.setup: list[tuple[int, int]] = []
        self.history: list[tuple[int, int]] = []  # (point, colour), passes included
        self._low_winrate_moves = {BLACK: 0, WHITE: 0}  # our moves in a row under resign_below
        self._analysis_colour: int | None = None  # the tree is an analysis for this colour, not the game
        self.tree = self._new_tree()

    def _new_tree(self) -> _core.Search:
        s = self.settings
        return _core.Search(komi=self.komi, network_komi=s.network_komi, c_puct=s.c_puct, fpu_reduction=s.fpu_reduction,
                            virtual_loss=s.virtual_loss, seed=s.seed)

    @property
    def to_play(self) -> int:
        """Who moves next in the game (an analysis for the other colour does not change it)."""
        if self.history:
            return opponent(self.history[-1][1])
        return WHITE if self.setup else BLACK

    def place(self, point: int, colour: int) -> None:
        """A setup (handicap) stone; White plays first after handicap stones."""
        self.end_analysis()
        self.tree.place(point, colour)
        self.setup.append((point, colour))
        self.tree.set_to_play(WHITE)

    def play(self, point: int, colour: int) -> None:
        """Plays a move; raises ValueError (with the reason) if it is illegal."""
        self.end_analysis()
        self.tree.play(point, colour)
        self.history.append((point, colour))

    def undo(self) -> None:
        if not self.history:
            raise ValueError("no move to undo")
        self._replay(self.history[:-1])

    def set_komi(self, komi: float) -> None:
        self.komi = komi
        self._replay(self.history)

    def _replay(self, moves: list[tuple[int, int]]) -> None:
        """Rebuilds the game from its setup and `moves` (the tree starts afresh)."""
        self._analysis_colour = None
        self.tree = self._new_tree_from(moves)
        self.history = list(moves)

    def _new_tree_from(self, moves: list[tuple[int, int]]) -> _core.Search:
        """A fresh tree for the game's setup stones, then `moves`."""
        tree = self._new_tree()
        for point, colour in self.setup:
            tree.place(point, colour)
        if self.setup:
            tree.set_to_play(WHITE)
        for point, colour in moves:
            tree.play(point, colour)
        return tree

    def game_over(self) -> bool:
        return self.tree.passes >= 2

    # ---------------------------------------------------------------- thinking

    def think(self, budget: MoveBudget, should_stop: Callable[[], bool] = lambda: False,
              on_step: Callable[[], None] | None = None) -> int:
        """Searches the current position within `budget`; returns the new playouts.

        The tree (C++, no GIL) gathers the next batch of leaves in a worker
        thread while the network evaluates the current one here; the tree
        is only touched by one of them at a time.
        """
        try:
            return self._search_until(budget, should_stop, on_step)
        finally:
            self.tree.discard_pending()  # the batch gathered last, never evaluated

    def _search_until(self, budget: MoveBudget, should_stop: Callable[[], bool],
                      on_step: Callable[[], None] | None) -> int:
        start_visits = self.tree.root_visits
        start_cpu, start_wall = time.process_time(), time.perf_counter()
        noise_pending = self.settings.noise_alpha > 0
        batch = self.settings.batch_size

        def room(in_flight: int) -> int:
            """Leaves the next gather may take: a batch, or what is left of a playout budget."""
            if budget.playouts is None:
                return batch
            return max(0, min(batch, budget.playouts - (self.tree.root_visits - start_visits) - in_flight))

        current = 0
        first = room(0)
        count = self.tree.gather(self._planes[current][:first]) if first else 0
        while True:
            visits_before = self.tree.root_visits
            size = room(count)
            following = self._gatherer.submit(self.tree.gather, self._planes[1 - current][:size]) if size else None
            try:
                if count:
                    policy, value = self.evaluator(self._planes[current, :count])
            finally:
                next_count = following.result() if following else 0
            if count:
                self.tree.apply(policy, value, count)
            current, count = 1 - current, next_count
            if noise_pending and self.tree.root_expanded:
                self.tree.add_root_noise(self.settings.noise_alpha, self.settings.noise_fraction)
                noise_pending = False
            if on_step:
                on_step()
            done = self.tree.root_visits - start_visits
            cpu, wall = time.process_time() - start_cpu, time.perf_counter() - start_wall
            if should_stop() or self._budget_spent(budget, done, cpu, wall) or self._decided(budget, done, cpu, wall):
                return done
            if count == 0 and self.tree.root_visits == visits_before:
                return done  # nothing left to search: the game is over at the root

    @staticmethod
    def _budget_spent(budget: MoveBudget, playouts: int, cpu: float, wall: float) -> bool:
        return ((budget.playouts is not None and playouts >= budget.playouts)
                or (budget.cpu_seconds is not None and cpu >= budget.cpu_seconds)
                or (budget.wall_seconds is not None and wall >= budget.wall_seconds))

    def _decided(self, budget: MoveBudget, playouts: int, cpu: float, wall: float) -> bool:
        """True when the most visited move can no longer be overtaken in the time left."""
        if budget.playouts is not None:
            remaining = budget.playouts - playouts
        else:
            seconds = [b - used for b, used in ((budget.cpu_seconds, cpu), (budget.wall_seconds, wall)) if b]
            if not seconds or playouts < self.settings.batch_size or wall <= 0:
                return False
            remaining = min(seconds) * playouts / max(cpu, wall, 1e-6)
        return self.tree.root_visit_lead > remaining

    def genmove(self, colour: int, budget: MoveBudget | None = None,
                should_stop: Callable[[], bool] = lambda: False, cleanup: bool = False) -> SearchReport:
        """Chooses and plays a move for `colour` (a point, PASS or RESIGN); every move it answers is played.

        With `cleanup` (KGS's cleanup phase) it does not pass while it can
        still take liberties from an opponent string without putting its own
        stone in atari: dead stones get captured before the game ends.
        """
        self.end_analysis()
        if colour != self.to_play:
            self.tree.set_to_play(colour)
        start = time.perf_counter()
        if self.game_over() or (self._opponent_passed() and self._winning_on_the_board(colour)):
            # The game is over, or settled and won as the board stands: pass, unless cleaning up.
            move = self._cleanup_move(colour) if cleanup and not self.game_over() else PASS
            self.play(move, colour)
            return SearchReport(move, 1.0, 0, time.perf_counter() - start)
        budget = budget or self.clock.budget(len(self.history), colour)
        playouts = self.think(budget, should_stop)
        children = self.tree.root_children(8)
        winrate = self.tree.root_winrate
        move = self._choose(children)
        if move == PASS and cleanup:
            move = self._cleanup_move(colour)
        report = SearchReport(move, winrate, playouts, time.perf_counter() - start, children)
        if not cleanup and self._should_resign(colour, winrate):
            report.move = RESIGN
            return report
        self.play(report.move, colour)
        return report

    def _choose(self, children: list[dict]) -> int:
        if not children:
            return PASS
        if len(self.history) < self.settings.sample_moves:
            weights = [c["visits"] for c in children]
            if sum(weights) > 0:
                return self._random.choices([c["move"] for c in children], weights)[0]
        return self.tree.best_move()

    def _cleanup_move(self, colour: int) -> int:
        """A liberty of the opponent string with the fewest liberties where our stone is not left in atari
        (or captures), if the game allows it there; PASS when there is none."""
        colours = self.board()
        other = opponent(colour)
        strings = _strings(colours, other)
        for _, liberties in sorted(strings, key=lambda s: (len(s[1]), s[0])):
            for point in sorted(liberties):
                trial = _core.Board()
                for q, c in enumerate(colours):
                    if c:
                        trial.place(q, c)
                try:
                    captured = trial.play(point, colour)
                except ValueError:
                    continue
                if (captured or trial.liberties(point) >= 2) and not self.tree.check(point, colour):
                    return point
        return PASS

    # ---------------------------------------------------------------- what front ends ask

    def board(self) -> list[int]:
        """The colour on each point (0 empty, BLACK, WHITE), row by row from the top."""
        return [int(c) for c in self.tree.board()]

    def score(self) -> float:
        """Black minus White by area (Tromp-Taylor), komi included, on the board as it stands."""
        return float(self.tree.score())

    def analyse(self, colour: int, playouts: int) -> list[dict]:
        """Searches `playouts` more for `colour` to move; returns the root's moves, most visited first.

        Analysis never changes the game: for the colour not to move, the
        search runs on a copy of the position, which stays until the game
        changes (see `end_analysis`)."""
        if colour == self.to_play:
            self.end_analysis()
        elif self._analysis_colour != colour:
            self.tree = self._new_tree_from(self.history)
            self.tree.set_to_play(colour)
            self._analysis_colour = colour
        self.think(MoveBudget(playouts=playouts))
        return self.tree.root_children(12)

    def end_analysis(self) -> None:
        """Back to the game's own tree, if an analysis for the other colour replaced it."""
        if self._analysis_colour is not None:
            self._replay(self.history)  # which also clears the analysis colour

    def _opponent_passed(self) -> bool:
        return bool(self.history) and self.history[-1][0] == PASS

    def _winning_on_the_board(self, colour: int) -> bool:
        score = self.score()
        return score > 0 if colour == BLACK else score < 0

    def _should_resign(self, colour: int, winrate: float) -> bool:
        s = self.settings
        low = self._low_winrate_moves
        low[colour] = low[colour] + 1 if winrate < s.resign_below else 0
        return len(self.history) >= s.resign_min_moves and low[colour] >= s.resign_after


def _strings(colours: list[int], colour: int) -> list[tuple[int, set[int]]]:
    """(first point, liberties) of every string of `colour`."""
    seen: set[int] = set()
    found = []
    for start, c in enumerate(colours):
        if c != colour or start in seen:
            continue
        points, liberties, todo = {start}, set(), [start]
        while todo:
            row, col = divmod(todo.pop(), SIZE)
            for r, k in ((row - 1, col), (row + 1, col), (row, col - 1), (row, col + 1)):
                if 0 <= r < SIZE and 0 <= k < SIZE:
                    q = r * SIZE + k
                    if colours[q] == 0:
                        liberties.add(q)
                    elif colours[q] == colour and q not in points:
                        points.add(q)
                        todo.append(q)
        seen |= points
        found.append((start, liberties))
    return found

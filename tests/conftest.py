"""Shared helpers: random legal games, games files and SGF text made from them.

Fixtures hand out factories (pytest fixtures cannot take arguments):

    def test_x(random_games, write_games):
        games = random_games(30, seed=1)
        path = write_games(tmp_path / "games.data", games)
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path

import numpy as np
import pytest

import golois
from golois import BLACK, PASS

KOMI = 7.5


def neighbours(q: int) -> list[int]:
    row, col = divmod(q, 19)
    return [19 * r + c for r, c in ((row - 1, col), (row + 1, col), (row, col - 1), (row, col + 1))
            if 0 <= r < 19 and 0 <= c < 19]


def is_own_eye(board: golois.Board, q: int, colour: int) -> bool:
    """An empty point whose every neighbour is a stone of `colour`."""
    return all(board.color(n) == colour for n in neighbours(q))


def play_random_game(seed: int, min_moves: int = 150, max_moves: int = 250) -> golois.Game:
    """Random legal moves (no own-eye filling; a pass when nothing else is left),
    stopping after a seeded length in [min_moves, max_moves] or two passes.
    The result is the sign of the Tromp-Taylor score with komi 7.5."""
    rng = random.Random(seed)
    length = rng.randint(min_moves, max_moves)
    state = golois.GameState(komi=KOMI)
    moves: list[tuple[int, int]] = []
    while len(moves) < length and state.passes < 2:
        colour = state.to_play
        legal = state.legal_points()
        rng.shuffle(legal)
        q = next((q for q in legal if not is_own_eye(state.board, q, colour)), PASS)
        state.play(q)
        moves.append((q, colour))
    result = "B" if state.board.score(KOMI) > 0 else "W"
    return golois.Game(komi=KOMI, result=result, moves=moves)


@cache
def _cached_random_games(n: int, seed: int, min_moves: int, max_moves: int) -> tuple[golois.Game, ...]:
    return tuple(play_random_game(seed * 100_003 + i, min_moves, max_moves) for i in range(n))


def make_random_games(n: int, seed: int = 0, min_moves: int = 150, max_moves: int = 250) -> list[golois.Game]:
    """n random games (cached: they are a little slow to play)."""
    return list(_cached_random_games(n, seed, min_moves, max_moves))


def with_outcome_values(game: golois.Game) -> golois.Game:
    """The game with every move's value set from the result (1.0 White won, 0.0
    Black won), as the original text games.data needs: there a move without a
    value is never sampled."""
    value = 1.0 if game.result == "W" else 0.0
    return golois.Game(komi=game.komi, result=game.result, setup=game.setup,
                       moves=[(q, c, value) for q, c, _, _ in game.moves])


def write_binary_games(path: Path, games: Sequence[golois.Game]) -> Path:
    with golois.GamesWriter(str(path)) as writer:
        for game in games:
            writer.add(game)
    return path


def write_text_games(path: Path, games: Sequence[golois.Game]) -> Path:
    """The original text format (moves carry their outcome value)."""
    golois.write_text_games(str(path), [with_outcome_values(g) for g in games])
    return path


def write_original_text_games(path: Path, games: Sequence[golois.Game]) -> Path:
    """games.data exactly as the original course tools write it: the winner as a letter (B or W), one
    line per game, each move as `inter color val points` with the outcome as its value."""
    lines = [str(len(games))]
    for game in games:
        winner = "W" if game.result == "W" else "B"
        value = 1 if winner == "W" else 0
        moves = " ".join(f"{q} {1 if c == BLACK else 0} {value} 0" for q, c, _, _ in game.moves)
        lines.append(f"{game.komi:g} {winner} {len(game.moves)} {moves}")
    path.write_text("\n".join(lines) + "\n")
    return path


def temporary_files(path: Path) -> list[Path]:
    """The temporary files a games writer left beside `path` (`<name>.tmp.<random>`)."""
    return sorted(path.parent.glob(path.name + ".tmp*"))


def sgf_point(q: int) -> str:
    return "" if q == PASS else chr(97 + q % 19) + chr(97 + q // 19)


def game_to_sgf(game: golois.Game, size: int = 19) -> str:
    """SGF text of a game: root properties, then one node per move (B[] = pass)."""
    result = {"B": "B+R", "W": "W+R", "draw": "0"}.get(game.result, "?")
    moves = "".join(f";{'B' if c == BLACK else 'W'}[{sgf_point(q)}]" for q, c, _, _ in game.moves)
    return f"(;GM[1]FF[4]SZ[{size}]KM[{game.komi:g}]RE[{result}]{moves})\n"


def move_record(game: golois.Game) -> list[tuple[int, int]]:
    """(point, colour) of every move: what an SGF round trip must keep."""
    return [(q, c) for q, c, _, _ in game.moves]



def cli_refusal_without_tensorflow(*args: str) -> str:
    """Runs `golois ARGS` in a fresh interpreter, checks that it fails (exit 1) without having imported
    TensorFlow, and returns its stderr."""
    script = ("import sys; from golois.cli import main\n"
              "try:\n"
              f"    main({list(args)!r})\n"
              "except SystemExit as e:\n"
              "    print(e.code, 'tensorflow' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.stdout.split() == ["1", "False"], result.stdout + result.stderr
    return result.stderr


@pytest.fixture
def random_games() -> Callable[..., list[golois.Game]]:
    """random_games(n, seed=0, min_moves=150, max_moves=250) -> n golois.Game of random legal moves."""
    return make_random_games


@pytest.fixture
def write_games() -> Callable[[Path, Sequence[golois.Game]], Path]:
    """write_games(path, games) -> path: a binary games file (GamesWriter)."""
    return write_binary_games


@pytest.fixture
def sgf_text() -> Callable[..., str]:
    """sgf_text(game, size=19) -> the SGF text of the game."""
    return game_to_sgf


@pytest.fixture
def games_data(tmp_path: Path) -> Path:
    """A binary games.data of 30 random games in tmp_path."""
    return write_binary_games(tmp_path / "games.data", make_random_games(30, seed=0))


def same_batch(a: golois.Batch, b: golois.Batch) -> bool:
    return all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def copy_batch(batch: golois.Batch) -> golois.Batch:
    return golois.Batch(*(a.copy() for a in batch))


@pytest.fixture(scope="session", autouse=True)
def conversion_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Network conversions of the whole test session go to a fresh folder, never to ~/.cache."""
    folder = tmp_path_factory.mktemp("conversion-cache")
    previous = os.environ.get("GOLOIS_CACHE")
    os.environ["GOLOIS_CACHE"] = str(folder)
    yield folder
    if previous is None:
        os.environ.pop("GOLOIS_CACHE", None)
    else:
        os.environ["GOLOIS_CACHE"] = previous


@pytest.fixture(scope="session")
def default_evaluator():
    """The bundled network on ONNX Runtime (converted once per test session)."""
    from golois.engine.inference import load_evaluator

    return load_evaluator("default", backend="onnxruntime")


@pytest.fixture
def make_player(default_evaluator):
    """make_player(playouts=8, **search settings) -> a Player on the bundled network."""
    from golois.engine.clock import Clock
    from golois.engine.player import Player, SearchSettings

    def make(playouts: int = 8, **settings) -> Player:
        return Player(default_evaluator, SearchSettings(batch_size=8, **settings), Clock(playouts=playouts))

    return make

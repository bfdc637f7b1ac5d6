"""Golois: Go rules, SGF import, games files and the batch generator.

The course API (``getBatch``, ``getValidation``) reads ``games.data`` in the
working directory, exactly like the original module; ``Dataset`` is the
modern API bound to any games file.
"""

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from golois._core import (
    BLACK,
    DEFAULT_KOMI,
    EMPTY,
    PASS,
    PLANE_LAYOUT,
    PLANES,
    PLAY_MOVE_LIMIT,
    SIZE,
    WHITE,
    Board,
    Game,
    GamesFile,
    GameState,
    GamesWriter,
    SgfGame,
    is_binary_games_file,
    parse_sgf,
    read_games,
    transform_point,
    write_text_games,
)
from golois.dataset import Batch, Dataset
from golois.legacy import getBatch, getValidation, set_games_file

try:
    __version__ = version("golois")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"



def plane_slice(name: str) -> slice:
    """The input planes of one group of PLANE_LAYOUT (name -> (first plane, count)), e.g. plane_slice("komi")."""
    first, count = PLANE_LAYOUT[name]
    return slice(first, first + count)


SAMPLE_GAMES = Path(__file__).parent / "data" / "sample-9d.data"  # 200 real 9-dan games, for demos and benchmarks
HELD_OUT_GAMES = Path(__file__).parent / "data" / "held-out-9d.data"  # 2,000 of December 2011: upload scores

__all__ = [
    "BLACK",
    "DEFAULT_KOMI",
    "Batch",
    "EMPTY",
    "PASS",
    "PLANE_LAYOUT",
    "PLANES",
    "PLAY_MOVE_LIMIT",
    "SIZE",
    "WHITE",
    "Board",
    "Dataset",
    "Game",
    "GameState",
    "GamesFile",
    "GamesWriter",
    "HELD_OUT_GAMES",
    "SAMPLE_GAMES",
    "SgfGame",
    "getBatch",
    "plane_slice",
    "getValidation",
    "is_binary_games_file",
    "parse_sgf",
    "read_games",
    "set_games_file",
    "transform_point",
    "write_text_games",
]

"""Games files: the binary format (GamesWriter / GamesFile / read_games) and
the original text games.data of the course (read_games / write_text_games),
and how golois.Dataset loads them."""

from __future__ import annotations

import gc
import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import temporary_files

import golois
from golois import BLACK, PASS, WHITE, _core

Point = int


def p(row: int, col: int) -> Point:
    return 19 * row + col


def record(game: golois.Game) -> tuple:
    """Everything a game file keeps, comparable with ==."""
    return (game.komi, game.result, list(game.setup), list(game.moves))


GAMES = [
    golois.Game(komi=7.5, result="W", moves=[(p(3, 3), BLACK), (p(15, 15), WHITE), (p(3, 15), BLACK)]),
    golois.Game(komi=0.5, result="B", setup=[(p(3, 3), BLACK), (p(15, 15), BLACK)],
                moves=[(p(3, 15), WHITE, 0.25, -3.5), (PASS, BLACK, 0.5, 1.0),
                       (p(15, 3), WHITE, 0.75, 2.25)]),
    golois.Game(komi=6.5, result="draw", moves=[(p(9, 9), BLACK, -1.0, 0.0), (p(9, 10), WHITE, 1.0, 0.0)]),
    golois.Game(komi=-3.0, result="?", moves=[(p(0, 0), BLACK, 0.0), (PASS, WHITE)]),
]


def write_binary(path: Path, games: list[golois.Game]) -> Path:
    with golois.GamesWriter(str(path)) as writer:
        for g in games:
            writer.add(g)
        assert writer.count == len(games)
    return path


# ---------------------------------------------------------------- binary


def test_game_record_accessors() -> None:
    g = GAMES[1]
    assert g.komi == 0.5
    assert g.result == "B"
    assert g.setup == [(p(3, 3), BLACK), (p(15, 15), BLACK)]
    assert g.moves == [(p(3, 15), WHITE, 0.25, -3.5), (PASS, BLACK, 0.5, 1.0), (p(15, 3), WHITE, 0.75, 2.25)]
    assert len(g) == 3
    assert GAMES[0].moves[0] == (p(3, 3), BLACK, -1.0, 0.0)  # defaults: no value, score 0


def test_binary_round_trip(tmp_path: Path) -> None:
    path = write_binary(tmp_path / "games.bin", GAMES)
    assert path.exists()
    assert not temporary_files(path)
    assert golois.is_binary_games_file(str(path))
    f = golois.GamesFile(str(path))
    assert len(f) == len(GAMES)
    assert [record(f[i]) for i in range(len(f))] == [record(g) for g in GAMES]
    assert record(f[-1]) == record(GAMES[-1])
    with pytest.raises(IndexError):
        f[len(GAMES)]
    assert [record(g) for g in golois.read_games(str(path))] == [record(g) for g in GAMES]


def test_binary_random_access_in_any_order(tmp_path: Path) -> None:
    games = [golois.Game(komi=float(i), result="W", moves=[(i, BLACK, i / 100)]) for i in range(50)]
    f = golois.GamesFile(str(write_binary(tmp_path / "g.bin", games)))
    for i in (49, 0, 17, 17, 3, 48):
        assert record(f[i]) == record(games[i])


def test_empty_binary_file(tmp_path: Path) -> None:
    path = write_binary(tmp_path / "empty.bin", [])
    assert len(golois.GamesFile(str(path))) == 0
    assert golois.read_games(str(path)) == []


def test_writer_file_appears_on_close_only(tmp_path: Path) -> None:
    path = tmp_path / "games.bin"
    writer = golois.GamesWriter(str(path))
    writer.add(GAMES[0])
    assert not path.exists()
    writer.close()
    assert path.exists()
    writer.close()  # closing twice is harmless
    with pytest.raises(RuntimeError):
        writer.add(GAMES[0])


def test_unclosed_writer_leaves_no_file(tmp_path: Path) -> None:
    path = tmp_path / "games.bin"
    writer = golois.GamesWriter(str(path))
    writer.add(GAMES[0])
    assert len(temporary_files(path)) == 1
    del writer
    gc.collect()
    assert list(tmp_path.iterdir()) == []


class Interrupted(Exception):
    pass


def test_exception_inside_the_with_block_leaves_no_file(tmp_path: Path) -> None:
    path = tmp_path / "games.bin"
    # pytest.raises' ExceptionInfo keeps the writer alive: its file goes anyway.
    with pytest.raises(Interrupted), golois.GamesWriter(str(path)) as writer:
        writer.add(GAMES[0])
        assert len(temporary_files(path)) == 1
        raise Interrupted
    assert list(tmp_path.iterdir()) == []


def test_discard_removes_the_temporary_file_at_once(tmp_path: Path) -> None:
    path = tmp_path / "games.bin"
    writer = golois.GamesWriter(str(path))
    writer.add(GAMES[0])
    writer.discard()
    assert list(tmp_path.iterdir()) == []
    writer.close()  # nothing left to close
    assert not path.exists()


def test_two_writers_of_the_same_path_do_not_share_a_temporary_file(tmp_path: Path) -> None:
    # Two imports (or a self-play run and an import) writing the same file at
    # once: each writes a file of its own and the last to close wins whole.
    path = tmp_path / "games.bin"
    first, second = golois.GamesWriter(str(path)), golois.GamesWriter(str(path))
    assert len(temporary_files(path)) == 2
    for game in GAMES:
        first.add(game)
    second.add(GAMES[0])
    first.close()
    assert [record(g) for g in golois.read_games(str(path))] == [record(g) for g in GAMES]
    second.close()
    assert [record(g) for g in golois.read_games(str(path))] == [record(GAMES[0])]
    assert list(tmp_path.iterdir()) == [path]


FULL_DISK = """
import resource, signal, sys
import golois
from conftest import make_random_games

signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG) as on a full disk
resource.setrlimit(resource.RLIMIT_FSIZE, (10_000, 10_000))
games = make_random_games(40, seed=5, min_moves=150, max_moves=200)
for name in ("binary", "text"):
    try:
        if name == "binary":
            with golois.GamesWriter(sys.argv[1]) as writer:
                for game in games:
                    writer.add(game)
        else:
            golois.write_text_games(sys.argv[1], games)
    except RuntimeError as error:
        print(name, error)
"""


def test_a_full_disk_is_a_clean_error_that_leaves_the_old_file_and_no_temporary_one(tmp_path: Path) -> None:
    path = tmp_path / "games.data"
    path.write_text("the previous games\n")
    done = subprocess.run([sys.executable, "-c", FULL_DISK, str(path)], capture_output=True, text=True, timeout=120,
                          env=os.environ | {"PYTHONPATH": str(Path(__file__).parent)})  # for conftest
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [line.split()[0] for line in lines] == ["binary", "text"]
    assert all("write failed: File too large" in line for line in lines), lines
    assert path.read_text() == "the previous games\n"
    assert list(tmp_path.iterdir()) == [path]


def test_writer_in_a_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="cannot open"):
        golois.GamesWriter(str(tmp_path / "no" / "such" / "dir" / "games.bin"))


# ---------------------------------------------------------------- corrupt binary


def test_truncated_binary_file(tmp_path: Path) -> None:
    path = write_binary(tmp_path / "games.bin", GAMES)
    data = path.read_bytes()
    for size in (40, len(data) - 4, len(data) // 2):
        cut = tmp_path / f"cut{size}.bin"
        cut.write_bytes(data[:size])
        with pytest.raises(RuntimeError, match=f"cut{size}.bin"):
            golois.read_games(str(cut))


def test_binary_header_only(tmp_path: Path) -> None:
    path = write_binary(tmp_path / "games.bin", GAMES)
    cut = tmp_path / "header.bin"
    cut.write_bytes(path.read_bytes()[:20])  # magic and version, then nothing
    with pytest.raises(RuntimeError, match="truncated"):
        golois.GamesFile(str(cut))


def test_bad_magic_is_not_a_games_file(tmp_path: Path) -> None:
    data = bytearray(write_binary(tmp_path / "games.bin", GAMES).read_bytes())
    data[0:8] = b"XOLOISG1"
    bad = tmp_path / "bad.bin"
    bad.write_bytes(bytes(data))
    assert not golois.is_binary_games_file(str(bad))
    with pytest.raises(RuntimeError, match="not a Golois games file"):
        golois.GamesFile(str(bad))
    # read_games takes it for a text file, which it is not either.
    with pytest.raises(RuntimeError, match="bad.bin"):
        golois.read_games(str(bad))


def test_unsupported_version(tmp_path: Path) -> None:
    data = bytearray(write_binary(tmp_path / "games.bin", GAMES).read_bytes())
    data[8:12] = struct.pack("<I", 2)
    bad = tmp_path / "v2.bin"
    bad.write_bytes(bytes(data))
    with pytest.raises(RuntimeError, match="version 2"):
        golois.GamesFile(str(bad))


def test_corrupt_move_code(tmp_path: Path) -> None:
    game = golois.Game(komi=7.5, result="W", moves=[(p(3, 3), BLACK)])
    data = bytearray(write_binary(tmp_path / "games.bin", [game]).read_bytes())
    # Header (32 bytes), game header (12 bytes), then the one move code.
    assert struct.unpack_from("<H", data, 44)[0] == p(3, 3) | (BLACK << 9)
    struct.pack_into("<H", data, 44, p(3, 3) | (3 << 9))
    bad = tmp_path / "colour.bin"
    bad.write_bytes(bytes(data))
    with pytest.raises(RuntimeError, match="corrupt"):
        golois.read_games(str(bad))
    struct.pack_into("<H", data, 44, 400 | (BLACK << 9))
    bad.write_bytes(bytes(data))
    with pytest.raises(RuntimeError, match="corrupt"):
        golois.read_games(str(bad))


def test_corrupt_game_header(tmp_path: Path) -> None:
    data = bytearray(write_binary(tmp_path / "games.bin", GAMES[:1]).read_bytes())
    data[36] = 9  # the result byte
    bad = tmp_path / "result.bin"
    bad.write_bytes(bytes(data))
    with pytest.raises(RuntimeError, match="corrupt"):
        golois.read_games(str(bad))


def test_missing_file() -> None:
    with pytest.raises(RuntimeError, match="cannot open"):
        golois.read_games("/nonexistent/games.data")
    with pytest.raises(FileNotFoundError):
        golois.Dataset("/nonexistent/games.data")


# ---------------------------------------------------------------- text format

TEXT = (
    "2\n"
    "7.5 0 3 72 1 -1 0 288 0 -1 0 300 1 0.25 1.5\n"
    "6.5 1 2 60 1 0.5 -2 361 0 0.125 0\n"
)


def test_read_original_text_format(tmp_path: Path) -> None:
    path = tmp_path / "games.data"
    path.write_text(TEXT)
    assert not golois.is_binary_games_file(str(path))
    games = golois.read_games(str(path))
    assert len(games) == 2
    assert record(games[0]) == (7.5, "W", [], [(72, BLACK, -1.0, 0.0), (288, WHITE, -1.0, 0.0),
                                                (300, BLACK, 0.25, 1.5)])
    assert record(games[1]) == (6.5, "B", [], [(60, BLACK, 0.5, -2.0), (PASS, WHITE, 0.125, 0.0)])


def test_text_format_accepts_any_whitespace(tmp_path: Path) -> None:
    path = tmp_path / "games.data"
    path.write_text(TEXT.replace(" ", "\t").replace("\n", "\r\n") + "\n\n")
    assert [record(g) for g in golois.read_games(str(path))] == [
        record(g) for g in golois.read_games(str(_write(tmp_path / "plain.data", TEXT)))]


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_text_round_trip(tmp_path: Path) -> None:
    games = golois.read_games(str(_write(tmp_path / "games.data", TEXT)))
    out = tmp_path / "again.data"
    golois.write_text_games(str(out), games)
    assert not temporary_files(out)
    again = golois.read_games(str(out))
    assert [record(g) for g in again] == [record(g) for g in games]
    # And once more: the text itself is stable.
    golois.write_text_games(str(tmp_path / "third.data"), again)
    assert (tmp_path / "third.data").read_text() == out.read_text()


def test_text_round_trip_of_hand_made_games(tmp_path: Path) -> None:
    games = [GAMES[0], golois.Game(komi=6.5, result="B", moves=[(p(3, 3), BLACK, 0.1, 7.25), (PASS, WHITE)])]
    out = tmp_path / "games.data"
    golois.write_text_games(str(out), games)
    assert out.read_text().splitlines()[0] == "2"
    back = golois.read_games(str(out))
    assert [(g.komi, g.result, g.setup) for g in back] == [(g.komi, g.result, g.setup) for g in games]
    # The text format has one value per move: each move keeps its value target
    # (its own value, else the outcome), which reads back as the move's value.
    for written, read in zip(games, back, strict=True):
        assert [(q, c, score) for q, c, _, score in read.moves] == [(q, c, score) for q, c, _, score in written.moves]
        assert [v for _, _, v, _ in read.moves] == [written.value_target(i) for i in range(len(written))]
    # Written again, the file is the same: the round trip is exact.
    again = tmp_path / "again.data"
    golois.write_text_games(str(again), back)
    assert again.read_text() == out.read_text()


def test_text_writer_keeps_setup_stones_as_leading_moves(tmp_path: Path) -> None:
    out = tmp_path / "games.data"
    golois.write_text_games(str(out), [GAMES[1]])
    (game,) = golois.read_games(str(out))
    assert game.setup == []
    assert [(q, c) for q, c, _, _ in game.moves[:2]] == [(p(3, 3), BLACK), (p(15, 15), BLACK)]
    assert game.moves[2:] == GAMES[1].moves
    assert game.replay_error() == ""


@pytest.mark.parametrize(("text", "message"), [
    ("", "number of games"),
    ("two\n", "number of games"),
    ("1\n7.5 0 x 72 1 -1 0\n", "number of moves"),
    ("1\nseven 0 1 72 1 -1 0\n", "komi"),
    ("1\n7.5 0 2 72 1 -1 0 ab 0 -1 0\n", "move point"),
    ("1\n7.5 0 1 72 1 high 0\n", "move value"),
    ("2\n7.5 0 1 72 1 -1 0\n", "komi"),  # truncated: the second game is missing
    ("1\n7.5 0 3 72 1 -1 0 288 0\n", "move value"),  # truncated inside a move
    ("1\n7.5 0 1 72 2 -1 0\n", "bad move"),  # colour 2 does not exist in this format
    ("1\n7.5 0 1 362 1 -1 0\n", "bad move"),
    ("1\n7.5 0 -1\n", "bad number of moves"),
    ("-1\n", "negative"),
])
def test_malformed_text_file(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path / "broken.data", text)
    with pytest.raises(RuntimeError, match=message) as info:
        golois.read_games(str(path))
    assert str(path) in str(info.value)


def test_malformed_text_error_gives_the_line(tmp_path: Path) -> None:
    path = _write(tmp_path / "broken.data", "2\n7.5 0 1 72 1 -1 0\n7.5 0 1 oops 1 -1 0\n")
    with pytest.raises(RuntimeError, match="line 3"):
        golois.read_games(str(path))


def test_text_moves_without_value_are_not_sampled(tmp_path: Path) -> None:
    # docs/golois-format.md: "val is the value target for that move (-1 when
    # unknown; such moves are not sampled)".
    ds = golois.Dataset(_write(tmp_path / "games.data", TEXT))
    assert ds.num_training_positions == 2  # (300, 0.25) and (60, 0.5): not the two -1 moves nor the pass
    with pytest.raises(ValueError):
        ds.sample(0, 0)


# ---------------------------------------------------------------- loading


ILLEGAL = golois.Game(komi=7.5, result="W", moves=[(p(3, 3), BLACK), (p(3, 3), WHITE)])


def test_add_game_refuses_an_illegal_move() -> None:
    ds = _core.Dataset(0)
    why = ds.add_game(ILLEGAL)
    assert why.startswith("illegal move")
    assert "2" in why and "occupied" in why
    assert ds.num_games == 0
    assert ILLEGAL.replay_error() == why
    ko_setup = [(p(2, 3), BLACK), (p(4, 3), BLACK), (p(3, 2), BLACK),
                (p(2, 4), WHITE), (p(4, 4), WHITE), (p(3, 5), WHITE), (p(3, 3), WHITE)]
    ko = golois.Game(result="W", setup=ko_setup, moves=[(p(3, 4), BLACK), (p(3, 3), WHITE)])
    assert ds.add_game(ko) == "illegal move 2 (ko)"
    bad_setup = golois.Game(result="W", setup=[(p(3, 3), BLACK), (p(3, 3), WHITE)], moves=[(p(9, 9), BLACK)])
    assert ds.add_game(bad_setup) != ""
    assert ds.num_games == 0


def test_dataset_skips_illegal_games_of_a_text_file(tmp_path: Path) -> None:
    text = ("3\n"
            "7.5 0 2 72 1 0.5 0 288 0 0.5 0\n"
            "7.5 0 2 72 1 0.5 0 72 0 0.5 0\n"  # White plays on Black's stone
            "7.5 1 1 60 1 0.5 0\n")
    ds = golois.Dataset(_write(tmp_path / "games.data", text))
    assert ds.skipped == {"illegal move": 1}
    assert ds.num_games == 2
    assert ds.num_training_positions == 3
    x = ds.sample(1, 0)
    assert x["policy"][60] == 1.0


def test_dataset_skips_illegal_games_of_a_binary_file(tmp_path: Path) -> None:
    path = write_binary(tmp_path / "games.bin", [GAMES[0], ILLEGAL, GAMES[1]])
    ds = golois.Dataset(path)
    assert ds.skipped == {"illegal move": 1}
    assert ds.num_games == 2
    # GAMES[0]: 3 positions; GAMES[1]: 2 (the pass is not sampled).
    assert ds.num_training_positions == 5


def test_dataset_counts_games_without_positions(tmp_path: Path) -> None:
    unknown = golois.Game(komi=7.5, result="?", moves=[(p(3, 3), BLACK)])
    ds = golois.Dataset(write_binary(tmp_path / "games.bin", [GAMES[0], unknown]))
    assert ds.skipped == {"no position to sample": 1}
    assert ds.num_games == 1


def test_dataset_with_no_usable_game(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no usable game"):
        golois.Dataset(write_binary(tmp_path / "games.bin", [ILLEGAL]))


def test_dataset_refuses_a_corrupt_file_with_a_clear_error(tmp_path: Path) -> None:
    path = write_binary(tmp_path / "games.bin", GAMES)
    cut = tmp_path / "cut.bin"
    cut.write_bytes(path.read_bytes()[:-3])
    with pytest.raises(RuntimeError, match="cut.bin"):
        golois.Dataset(cut)


def test_binary_and_text_files_give_the_same_samples(tmp_path: Path) -> None:
    games = golois.read_games(str(_write(tmp_path / "games.data", TEXT)))
    binary = golois.Dataset(write_binary(tmp_path / "games.bin", games))
    text = golois.Dataset(tmp_path / "games.data")
    assert binary.num_training_positions == text.num_training_positions
    for game, move in ((0, 2), (1, 0)):
        a, b = binary.sample(game, move, 3), text.sample(game, move, 3)
        for key in a:
            assert np.array_equal(a[key], b[key]), key


def test_games_too_long_to_store_are_refused_everywhere(tmp_path: Path) -> None:
    # Move numbers must fit 16 bits in the feature builder: longer games are
    # refused by the dataset and the writers, never written into a file that
    # the readers would then reject as a whole.
    moves = [(PASS, BLACK if i % 2 == 0 else WHITE) for i in range(30_001)] + [(p(3, 3), BLACK)]
    game = golois.Game(result="W", moves=moves)
    dataset = golois._core.Dataset()
    assert dataset.add_game(game) == "game too long"
    with pytest.raises(ValueError, match="at most 30000"):
        golois.GamesWriter(str(tmp_path / "long.data")).add(game)
    with pytest.raises(ValueError, match="at most 30000"):
        golois.write_text_games(str(tmp_path / "long.txt"), [game])
    assert not list(tmp_path.iterdir())  # neither file nor leftover .tmp
    sgf = "(;RE[W+R]" + ";B[];W[]" * 15_001 + ";B[dd])"
    (parsed,) = golois.parse_sgf(sgf)
    assert parsed.skip_reason == "game too long"

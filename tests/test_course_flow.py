"""The course script, exactly as students run it, on a games.data in the working directory.

    input_data = np.random.randint(2, size=(N, 19, 19, planes)).astype('float32')
    ...
    golois.getValidation(input_data, policy, value, end)
    for i in range(1, epochs + 1):
        golois.getBatch(input_data, policy, value, end, groups, i * N)

Samples are traced back to their game through the `end` target (the final
position of the game, under one of the 8 symmetries), which lets us check the
value target against the game's result and that validation games never feed
training.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from conftest import (
    copy_batch,
    make_random_games,
    same_batch,
    write_binary_games,
    write_original_text_games,
    write_text_games,
)

import golois
import golois.legacy
from golois import BLACK, PASS, PLANES, WHITE, Batch

N = 20  # samples per call; the validation set needs at most one game per sample
NUM_GAMES = 30
KOMI_PLANE = 21 + 7  # komi 7.5
TO_PLAY, OWN_NOW, OPPONENT_NOW = 0, 11, 12


def validation_args(batch: Batch) -> tuple[np.ndarray, ...]:
    return batch.input_data, batch.policy, batch.value, batch.end


def course_arrays(n: int = N, seed: int = 0) -> Batch:
    """The arrays of the course script, random-initialised as it does (one-hot
    policy built with numpy instead of keras.utils.to_categorical)."""
    rs = np.random.RandomState(seed)
    input_data = rs.randint(2, size=(n, 19, 19, PLANES)).astype("float32")
    policy = np.eye(361, dtype="float32")[rs.randint(361, size=n)]
    value = rs.randint(2, size=(n,)).astype("float32")
    end = rs.randint(2, size=(n, 19, 19, 2)).astype("float32")
    groups = np.zeros((n, 19, 19, 1)).astype("float32")
    return Batch(input_data, policy, value, end, groups)


# ---------------------------------------------------------------- tracing samples to games

BoardKey = tuple[frozenset[int], frozenset[int]]  # (black points, white points)


def final_colours(game: golois.Game) -> list[int]:
    board = golois.Board()
    for q, c, _, _ in game.moves:
        board.play(q, c)
    return [board.color(q) for q in range(361)]


def final_board_index(games: list[golois.Game]) -> dict[BoardKey, int]:
    """Every symmetric image of every game's final position -> game index."""
    index: dict[BoardKey, int] = {}
    for g, game in enumerate(games):
        colours = final_colours(game)
        for s in range(8):
            black = frozenset(golois.transform_point(q, s) for q in range(361) if colours[q] == BLACK)
            white = frozenset(golois.transform_point(q, s) for q in range(361) if colours[q] == WHITE)
            assert index.setdefault((black, white), g) == g, "two random games end in the same position"
    return index


def points(plane: np.ndarray) -> frozenset[int]:
    return frozenset(int(q) for q in np.flatnonzero(plane.reshape(361)))


def game_of_sample(batch: Batch, i: int, index: dict[BoardKey, int]) -> int:
    black_to_play = batch.input_data[i, 0, 0, TO_PLAY] == 1.0
    own, opponent = points(batch.end[i, :, :, 0]), points(batch.end[i, :, :, 1])
    key = (own, opponent) if black_to_play else (opponent, own)
    assert key in index, f"sample {i}: its end position is no game's final position"
    return index[key]


def check_samples(batch: Batch, games: list[golois.Game], *, with_groups: bool = True) -> list[int]:
    """Checks every sample against the data contract; returns their games."""
    n = batch.input_data.shape[0]
    x = batch.input_data
    assert set(np.unique(x)) <= {0.0, 1.0}
    # Plane 0 is constant per sample, the komi plane of 7.5 is set, the others not.
    assert np.all(x[:, :, :, TO_PLAY] == x[:, :1, :1, TO_PLAY])
    assert np.all(x[:, :, :, KOMI_PLANE] == 1.0)
    assert not np.any(np.delete(x[:, :, :, 21:31], KOMI_PLANE - 21, axis=3))
    # The two stone planes of "now" never overlap.
    assert not np.any(x[:, :, :, OWN_NOW] * x[:, :, :, OPPONENT_NOW])

    assert np.array_equal(batch.policy.sum(axis=1), np.ones(n, np.float32))
    assert set(np.unique(batch.policy)) <= {0.0, 1.0}
    moves = batch.policy.argmax(axis=1)
    stones = (x[:, :, :, OWN_NOW] + x[:, :, :, OPPONENT_NOW]).reshape(n, 361)
    assert np.all(stones[np.arange(n), moves] == 0.0), "the move played is on an occupied point"

    assert np.all((batch.value >= 0.0) & (batch.value <= 1.0))
    assert set(np.unique(batch.end)) <= {0.0, 1.0}
    if with_groups:
        assert np.array_equal(batch.groups[:, :, :, 0] > 0, stones.reshape(n, 19, 19) > 0)

    index = final_board_index(games)
    owners = [game_of_sample(batch, i, index) for i in range(n)]
    for i, g in enumerate(owners):
        assert batch.value[i] == (1.0 if games[g].result == "W" else 0.0), f"sample {i} of game {g}"
    return owners


def validation_file_positions(path: Path = Path("validation.data")) -> list[tuple[int, int]]:
    lines = path.read_text().splitlines()
    return [(int(g), int(m)) for g, m in (line.split() for line in lines[3:])]


# ---------------------------------------------------------------- fixtures


@pytest.fixture(autouse=True)
def fresh_module_state() -> Iterator[None]:
    """Each test starts (and leaves) golois with no games file loaded."""
    golois.legacy.set_games_file("games.data")
    yield
    golois.legacy.set_games_file("games.data")


@pytest.fixture
def games() -> list[golois.Game]:
    return make_random_games(NUM_GAMES, seed=0)


@pytest.fixture(params=["binary", "text", "original"])
def course_dir(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
               games: list[golois.Game]) -> Path:
    """A working directory holding games.data: binary, the text format as we write it, or exactly as the
    original course tools write it (winners as letters)."""
    write = {"binary": write_binary_games, "text": write_text_games,
             "original": write_original_text_games}[request.param]
    write(tmp_path / "games.data", games)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def binary_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, games: list[golois.Game]) -> Path:
    write_binary_games(tmp_path / "games.data", games)
    monkeypatch.chdir(tmp_path)
    return tmp_path


# ---------------------------------------------------------------- the course flow


def test_course_script_flow(course_dir: Path, games: list[golois.Game]) -> None:
    batch = course_arrays()
    before = copy_batch(batch)
    golois.getValidation(*validation_args(batch))
    assert (course_dir / "validation.data").is_file()
    assert not np.array_equal(batch.input_data, before.input_data)
    owners = check_samples(batch, games, with_groups=False)
    assert owners == [g for g, _ in validation_file_positions()]

    seen = []
    for i in range(1, 4):
        arrays = (batch.input_data, batch.policy, batch.value, batch.end, batch.groups)
        golois.getBatch(*arrays, i * N)
        # Filled in place: the very same array objects hold the new samples.
        assert all(a is b for a, b in zip(arrays, batch, strict=True))
        check_samples(batch, games)
        seen.append(copy_batch(batch))
    assert not same_batch(seen[0], seen[1]) and not same_batch(seen[1], seen[2])


def test_arrays_are_filled_in_place_not_replaced(binary_dir: Path) -> None:
    batch = course_arrays()
    addresses = [a.__array_interface__["data"][0] for a in batch]
    golois.getValidation(*validation_args(batch))
    golois.getBatch(*batch, N)
    assert [a.__array_interface__["data"][0] for a in batch] == addresses
    assert np.any(batch.groups > 0)


def test_a_second_get_validation_gives_identical_arrays(course_dir: Path) -> None:
    first = course_arrays(seed=1)
    golois.getValidation(*validation_args(first))
    second = course_arrays(seed=2)
    golois.getValidation(*validation_args(second))
    assert all(np.array_equal(a, b) for a, b in zip(first[:4], second[:4], strict=True))


def test_validation_is_reloaded_by_a_fresh_module_state(course_dir: Path) -> None:
    first = course_arrays(seed=1)
    golois.getValidation(*validation_args(first))
    remembered = (course_dir / "validation.data").read_bytes()

    golois.legacy.set_games_file("games.data")  # as a new run of the script
    second = course_arrays(seed=2)
    golois.getValidation(*validation_args(second))
    assert all(np.array_equal(a, b) for a, b in zip(first[:4], second[:4], strict=True))
    assert (course_dir / "validation.data").read_bytes() == remembered


def test_validation_set_is_chosen_again_identically_without_the_file(course_dir: Path) -> None:
    golois.getValidation(*validation_args(course_arrays()))
    remembered = (course_dir / "validation.data").read_text()
    (course_dir / "validation.data").unlink()
    golois.legacy.set_games_file("games.data")
    golois.getValidation(*validation_args(course_arrays()))
    assert (course_dir / "validation.data").read_text() == remembered


def test_validation_games_are_removed_from_training(course_dir: Path) -> None:
    golois.getValidation(*validation_args(course_arrays()))
    chosen = validation_file_positions()
    assert len(chosen) == N
    held_out = {g for g, _ in chosen}
    assert len(held_out) == N, "one validation position per game"

    path = course_dir / "games.data"
    file_games = golois.read_games(str(path))
    dataset = golois.Dataset(path)
    everything = dataset.num_training_positions
    assert everything == sum(g.num_positions for g in file_games)
    dataset.use_validation(N, remember=course_dir / "other-validation.data")
    assert dataset.validation == chosen  # the same fixed seed picks the same set
    assert everything - dataset.num_training_positions == sum(file_games[g].num_positions for g in held_out)


def test_one_epoch_of_training_holds_every_training_position_once(binary_dir: Path,
                                                                  games: list[golois.Game]) -> None:
    golois.getValidation(*validation_args(course_arrays()))
    held_out = {g for g, _ in validation_file_positions()}
    training = sum(g.num_positions for i, g in enumerate(games) if i not in held_out)

    counts: Counter[int] = Counter()
    size = 512
    for start in range(0, training, size):
        batch = course_arrays(min(size, training - start))
        golois.getBatch(*batch, start)
        counts.update(check_samples(batch, games))
    assert not held_out & set(counts), "a validation game feeds training"
    assert counts == {i: g.num_positions for i, g in enumerate(games) if i not in held_out}


def test_get_batch_is_deterministic(course_dir: Path) -> None:
    golois.getValidation(*validation_args(course_arrays()))
    first, again, other = course_arrays(seed=1), course_arrays(seed=2), course_arrays(seed=3)
    golois.getBatch(*first, 2 * N)
    golois.getBatch(*again, 2 * N)
    golois.getBatch(*other, 3 * N)
    assert same_batch(first, again)
    assert not same_batch(first, other)


def test_get_batch_before_get_validation_still_holds_out_the_remembered_games(course_dir: Path) -> None:
    golois.getValidation(*validation_args(course_arrays()))
    expected = course_arrays()
    golois.getBatch(*expected, N)

    golois.legacy.set_games_file("games.data")  # a new run that asks for batches first
    batch = course_arrays(seed=5)
    golois.getBatch(*batch, N)
    assert same_batch(batch, expected)


def test_set_games_file_points_at_another_file(binary_dir: Path, games: list[golois.Game]) -> None:
    other_games = make_random_games(12, seed=7)
    other = write_binary_games(binary_dir / "other.data", other_games)

    here = course_arrays()
    golois.getBatch(*here, 0)
    golois.set_games_file(other)
    there = course_arrays()
    golois.getBatch(*there, 0)

    assert not same_batch(here, there)
    expected = course_arrays()
    golois.Dataset(other).get_batch(*expected, 0)
    assert same_batch(there, expected)
    check_samples(there, other_games)


def test_set_games_file_accepts_a_str(binary_dir: Path) -> None:
    write_binary_games(binary_dir / "other.data", make_random_games(12, seed=7))
    golois.set_games_file(str(binary_dir / "other.data"))
    batch = course_arrays()
    golois.getBatch(*batch, 0)
    check_samples(batch, make_random_games(12, seed=7))


# ---------------------------------------------------------------- errors


def test_missing_games_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    batch = course_arrays()
    with pytest.raises(FileNotFoundError, match="golois import-games"):
        golois.getValidation(*validation_args(batch))
    with pytest.raises(FileNotFoundError, match="golois import-games"):
        golois.getBatch(*batch, 0)
    assert not (tmp_path / "validation.data").exists()


def _bad_variants() -> list[tuple[str, str, object]]:
    """(test id, array name expected in the message, how to spoil the arrays)."""
    return [
        ("float64-input", "input_data", lambda b: b._replace(input_data=b.input_data.astype("float64"))),
        ("policy-360", "policy", lambda b: b._replace(policy=np.zeros((N, 360), np.float32))),
        ("planes-30", "input_data", lambda b: b._replace(input_data=np.zeros((N, 19, 19, 30), np.float32))),
        ("fewer-values", "value", lambda b: b._replace(value=np.zeros(N - 1, np.float32))),
        ("fewer-ends", "end", lambda b: b._replace(end=np.zeros((N + 1, 19, 19, 2), np.float32))),
        ("transposed-end", "end",
         lambda b: b._replace(end=np.zeros((N, 2, 19, 19), np.float32).transpose(0, 2, 3, 1))),
        ("transposed-policy", "policy", lambda b: b._replace(policy=np.zeros((361, N), np.float32).T)),
        ("read-only-input", "input_data", lambda b: b._replace(input_data=_read_only(b.input_data))),
        ("int-value", "value", lambda b: b._replace(value=b.value.astype("int32"))),
    ]


def _read_only(a: np.ndarray) -> np.ndarray:
    a = a.copy()
    a.flags.writeable = False
    return a


BAD = _bad_variants()


@pytest.mark.parametrize(("name", "spoil"), [(n, s) for _, n, s in BAD], ids=[i for i, _, _ in BAD])
def test_bad_arrays_are_refused_with_a_clear_message(binary_dir: Path, name: str, spoil) -> None:
    golois.getValidation(*validation_args(course_arrays()))
    good = course_arrays()
    golois.getBatch(*good, 0)
    bad = spoil(course_arrays())
    snapshot = copy_batch(bad)
    with pytest.raises((TypeError, ValueError), match=name):
        golois.getBatch(*bad, 0)
    with pytest.raises((TypeError, ValueError), match=name):
        golois.getValidation(*validation_args(bad))
    # The refused arrays are untouched and the module still works.
    assert same_batch(bad, snapshot)
    again = course_arrays()
    golois.getBatch(*again, 0)
    assert same_batch(again, good)


def test_non_contiguous_message_says_how_to_fix(binary_dir: Path) -> None:
    batch = course_arrays()._replace(input_data=np.zeros((N, 31, 19, 19), np.float32).transpose(0, 2, 3, 1))
    with pytest.raises(ValueError, match="contiguous"):
        golois.getBatch(*batch, 0)


def test_read_only_message_says_filled_in_place(binary_dir: Path) -> None:
    batch = course_arrays()._replace(policy=_read_only(np.zeros((N, 361), np.float32)))
    with pytest.raises(ValueError, match="read-only"):
        golois.getBatch(*batch, 0)


@pytest.mark.parametrize("thing", [None, [[0.0]], 3.0, "x"])
def test_non_arrays_are_a_type_error(binary_dir: Path, thing: object) -> None:
    batch = course_arrays()
    with pytest.raises(TypeError, match="input_data"):
        golois.getBatch(thing, *batch[1:], 0)
    with pytest.raises(TypeError):
        golois.getBatch(*batch[:4], thing, 0)
    with pytest.raises(TypeError, match="input_data"):
        golois.getValidation(thing, *batch[1:4])


def test_negative_index_is_refused(binary_dir: Path) -> None:
    with pytest.raises((ValueError, TypeError, OverflowError)):
        golois.getBatch(*course_arrays(), -1)


def test_refused_get_validation_leaves_no_validation_file(binary_dir: Path) -> None:
    # A student who forgets the N axis passes (19, 19, 31): the call must be
    # refused without fixing a 19-position validation set for every later run.
    batch = course_arrays()
    with pytest.raises((TypeError, ValueError)):
        golois.getValidation(np.zeros((19, 19, PLANES), np.float32), *batch[1:4])
    assert not (binary_dir / "validation.data").exists()
    golois.getValidation(*validation_args(batch))  # the fixed script then works
    assert len(validation_file_positions()) == N


def test_validation_file_of_another_games_file_is_refused(binary_dir: Path) -> None:
    golois.getValidation(*validation_args(course_arrays()))
    other = write_binary_games(binary_dir / "other.data", make_random_games(25, seed=3))
    golois.set_games_file(other)
    with pytest.raises(ValueError, match="delete it"):
        golois.getValidation(*validation_args(course_arrays()))
    with pytest.raises(ValueError, match="delete it"):
        golois.getBatch(*course_arrays(), 0)


def test_validation_file_of_another_size_is_refused(binary_dir: Path) -> None:
    golois.getValidation(*validation_args(course_arrays()))
    golois.legacy.set_games_file("games.data")
    with pytest.raises(ValueError, match="delete it"):
        golois.getValidation(*validation_args(course_arrays(N - 1)))


def test_garbage_validation_file_is_refused(binary_dir: Path) -> None:
    (binary_dir / "validation.data").write_text("hello\n")
    with pytest.raises(ValueError, match="delete it"):
        golois.getValidation(*validation_args(course_arrays()))


def test_more_validation_positions_than_games(binary_dir: Path) -> None:
    with pytest.raises(ValueError, match=str(NUM_GAMES)):
        golois.getValidation(*validation_args(course_arrays(NUM_GAMES + 1)))
    assert not (binary_dir / "validation.data").exists()
    # One per game is the most there can be.
    golois.getValidation(*validation_args(course_arrays(NUM_GAMES)))


def with_two_passes(game: golois.Game, at: int) -> golois.Game:
    """The game with a pass by each player inserted before move `at`."""
    moves = [(q, c) for q, c, _, _ in game.moves]
    colour = moves[at][1]
    other = WHITE if colour == BLACK else BLACK
    return golois.Game(komi=game.komi, result=game.result,
                       moves=moves[:at] + [(PASS, colour), (PASS, other)] + moves[at:])


def test_passes_are_never_sampled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    games = [with_two_passes(g, 10 + 7 * i) for i, g in enumerate(make_random_games(4, seed=11))]
    assert all(g.num_positions == len(g) - 2 for g in games)
    write_binary_games(tmp_path / "games.data", games)
    monkeypatch.chdir(tmp_path)
    total = sum(g.num_positions for g in games)
    batch = course_arrays(total)
    golois.getBatch(*batch, 0)  # one whole epoch
    assert np.array_equal(batch.policy.sum(axis=1), np.ones(total, np.float32))
    assert Counter(check_samples(batch, games)) == {i: g.num_positions for i, g in enumerate(games)}


@pytest.mark.parametrize("token, winner", [("W", "W"), ("w", "W"), ("White", "W"), ("B", "B"), ("b", "B"),
                                           ("Black", "B"), ("0", "W"), ("1", "B"), ("2", "draw")])
def test_the_winner_is_read_as_the_original_reads_it(tmp_path: Path, token: str, winner: str) -> None:
    path = tmp_path / "games.data"
    path.write_text(f"1\n7.5 {token} 2 72 1 -1 0 288 0 -1 0\n")
    (game,) = golois.read_games(str(path))
    assert game.result == winner and game.komi == 7.5 and len(game.moves) == 2

"""golois.Dataset: the modern batch API bound to one games file.

Samples of a batch are identified exactly with an oracle built from
Dataset.sample(game, move, symmetry) over every position and symmetry of a
small games file, so orders and symmetries can be compared without guessing.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pytest
from conftest import make_random_games, same_batch, write_binary_games, write_text_games

import golois
from golois import BLACK, PASS, WHITE, Batch

Position = tuple[int, int]  # (game, move)


def arrays(n: int) -> Batch:
    return Batch.zeros(n)


def batch(dataset: golois.Dataset, n: int, index: int) -> Batch:
    out = arrays(n)
    dataset.get_batch(*out, index)
    return out


def validation_batch(dataset: golois.Dataset, n: int) -> Batch:
    out = arrays(n)
    dataset.get_validation(*out[:4])
    return out


def key(x: np.ndarray, policy: np.ndarray, end: np.ndarray) -> bytes:
    return hashlib.blake2b(x.tobytes() + policy.tobytes() + end.tobytes(), digest_size=16).digest()


class Oracle:
    """Every (position, symmetry) of a dataset, by the content of its sample."""

    def __init__(self, dataset: golois.Dataset, games: list[golois.Game]) -> None:
        found: defaultdict[bytes, set[tuple[int, int, int]]] = defaultdict(set)
        self.positions: list[Position] = []
        for g, game in enumerate(games):
            for m, (q, _, _, _) in enumerate(game.moves):
                if q == PASS:
                    continue
                self.positions.append((g, m))
                for s in range(8):
                    x = dataset.sample(g, m, s)
                    found[key(x["input"], x["policy"], x["end"])].add((g, m, s))
        self.found = dict(found)

    def identify(self, b: Batch, i: int) -> tuple[Position, frozenset[int]]:
        """The position of sample i and the symmetries that give exactly it."""
        matches = self.found.get(key(b.input_data[i], b.policy[i], b.end[i]))
        assert matches, f"sample {i} is no (position, symmetry) of the dataset"
        positions = {(g, m) for g, m, _ in matches}
        assert len(positions) == 1, f"sample {i} matches several positions: {positions}"
        return positions.pop(), frozenset(s for _, _, s in matches)

    def positions_of(self, b: Batch) -> list[Position]:
        return [self.identify(b, i)[0] for i in range(b.input_data.shape[0])]


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def small_games() -> list[golois.Game]:
    return make_random_games(6, seed=21, min_moves=30, max_moves=45)


@pytest.fixture(scope="module")
def other_games() -> list[golois.Game]:
    return make_random_games(5, seed=22, min_moves=30, max_moves=45)


@pytest.fixture(scope="module")
def small_file(tmp_path_factory: pytest.TempPathFactory, small_games: list[golois.Game]) -> Path:
    return write_binary_games(tmp_path_factory.mktemp("small") / "games.data", small_games)


@pytest.fixture(scope="module")
def other_file(tmp_path_factory: pytest.TempPathFactory, other_games: list[golois.Game]) -> Path:
    return write_binary_games(tmp_path_factory.mktemp("other") / "games.data", other_games)


@pytest.fixture(scope="module")
def oracle(small_file: Path, small_games: list[golois.Game]) -> Oracle:
    return Oracle(golois.Dataset(small_file), small_games)


@pytest.fixture(scope="module")
def total(small_games: list[golois.Game]) -> int:
    return sum(g.num_positions for g in small_games)


# ---------------------------------------------------------------- loading


def test_loads_every_game(small_file: Path, small_games: list[golois.Game], total: int) -> None:
    dataset = golois.Dataset(small_file, seed=3, threads=2)
    assert dataset.path == small_file
    assert dataset.num_games == len(small_games)
    assert dataset.num_training_positions == total
    assert dataset.skipped == {}
    assert dataset.validation == []


def test_accepts_a_str_path(small_file: Path) -> None:
    assert golois.Dataset(str(small_file)).num_games == golois.Dataset(small_file).num_games


def test_nonexistent_path(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nope.data"):
        golois.Dataset(tmp_path / "nope.data")


def test_a_folder_is_not_a_games_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        golois.Dataset(tmp_path)
    (tmp_path / "game.sgf").write_text("(;GM[1]SZ[19];B[pd])")
    for source in (tmp_path, tmp_path / "game.sgf"):  # SGF games: say what makes a games file of them
        with pytest.raises(ValueError, match=f"golois import-games {source} --out games.data"):
            golois.Dataset(source)


def p(row: int, col: int) -> int:
    return 19 * row + col


ON_AN_OCCUPIED_POINT = golois.Game(komi=7.5, result="W", moves=[(p(3, 3), BLACK), (p(3, 3), WHITE)])
SUICIDE = golois.Game(komi=7.5, result="W", moves=[(p(0, 1), BLACK), (p(9, 9), WHITE), (p(1, 0), BLACK),
                                                   (p(0, 0), WHITE)])
ONLY_PASSES = golois.Game(komi=7.5, result="W", moves=[(PASS, BLACK), (PASS, WHITE)])
NO_RESULT = golois.Game(komi=7.5, result="?", moves=[(p(3, 3), BLACK), (p(15, 15), WHITE)])


def test_refused_games_are_counted_by_reason(tmp_path: Path, small_games: list[golois.Game]) -> None:
    games = [small_games[0], ON_AN_OCCUPIED_POINT, small_games[1], SUICIDE, ONLY_PASSES, NO_RESULT,
             small_games[2]]
    dataset = golois.Dataset(write_binary_games(tmp_path / "mixed.data", games))
    assert dataset.skipped == {"illegal move": 2, "no position to sample": 2}
    assert dataset.num_games == 3
    assert dataset.num_training_positions == sum(g.num_positions for g in small_games[:3])


def test_refused_games_of_a_text_file(tmp_path: Path, small_games: list[golois.Game]) -> None:
    path = write_text_games(tmp_path / "games.data", [small_games[0], ON_AN_OCCUPIED_POINT])
    dataset = golois.Dataset(path)
    assert dataset.skipped == {"illegal move": 1}
    assert dataset.num_games == 1


def test_no_usable_game_is_a_value_error(tmp_path: Path) -> None:
    path = write_binary_games(tmp_path / "bad.data", [ON_AN_OCCUPIED_POINT, SUICIDE])
    with pytest.raises(ValueError, match="illegal move"):
        golois.Dataset(path)


def test_empty_games_file_is_a_value_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no usable game"):
        golois.Dataset(write_binary_games(tmp_path / "empty.data", []))
    (tmp_path / "empty.txt").write_text("0\n")
    with pytest.raises(ValueError, match="no usable game"):
        golois.Dataset(tmp_path / "empty.txt")


TEXT_GAME = "7.5 0 2 72 1 1 0 288 0 1 0"  # komi winner moves, then (point colour value score) x 2


@pytest.mark.parametrize("content", [
    f"2\n{TEXT_GAME}\n7.5 0 2 72 1 x 0 288 0 1 0\n",   # a word instead of a value
    f"3\n{TEXT_GAME}\n{TEXT_GAME}\n",                   # fewer games than announced
    f"1\n{TEXT_GAME.replace(' 288 0 ', ' 288 5 ')}\n",  # colour 5
    f"1\n{TEXT_GAME.replace(' 288 ', ' 999 ')}\n",      # point 999
    "1\n7.5 0 -3\n",                                    # negative number of moves
    f"1\n{TEXT_GAME[:-4]}\n",                           # the line stops mid-move
    "many\n",
    "",
], ids=["word", "fewer-games", "colour", "point", "negative-moves", "cut-line", "no-count", "empty"])
def test_malformed_text_games_file_names_the_file(tmp_path: Path, content: str) -> None:
    path = tmp_path / "broken-games.data"
    path.write_text(content)
    with pytest.raises(RuntimeError, match="broken-games.data"):
        golois.Dataset(path)
    with pytest.raises(RuntimeError, match="broken-games.data"):
        golois.read_games(str(path))


def test_well_formed_text_line_is_read(tmp_path: Path) -> None:
    path = tmp_path / "games.data"
    path.write_text(f"1\n{TEXT_GAME}\n")
    dataset = golois.Dataset(path)
    assert dataset.num_training_positions == 2
    x = dataset.sample(0, 1)
    assert x["value"][0] == 1.0
    assert np.all(x["input"][:, :, 0] == 0.0)  # White to play


def test_text_file_feeds_the_same_samples_as_the_binary_file(tmp_path: Path, small_games: list[golois.Game],
                                                             small_file: Path, total: int) -> None:
    text = golois.Dataset(write_text_games(tmp_path / "games.txt", small_games), seed=4)
    binary = golois.Dataset(small_file, seed=4)
    assert same_batch(batch(text, total, 0), batch(binary, total, 0))


# ---------------------------------------------------------------- order and determinism


def test_same_seed_same_batches(small_file: Path) -> None:
    a, b = golois.Dataset(small_file, seed=9), golois.Dataset(small_file, seed=9)
    assert same_batch(batch(a, 50, 17), batch(b, 50, 17))
    assert same_batch(batch(a, 50, 17), batch(a, 50, 17))


def test_an_epoch_holds_every_position_once(small_file: Path, oracle: Oracle, total: int) -> None:
    dataset = golois.Dataset(small_file, seed=1)
    positions = oracle.positions_of(batch(dataset, total, 0))
    assert sorted(positions) == sorted(oracle.positions)


def test_different_seeds_shuffle_differently(small_file: Path, oracle: Oracle, total: int) -> None:
    one = oracle.positions_of(batch(golois.Dataset(small_file, seed=1), total, 0))
    two = oracle.positions_of(batch(golois.Dataset(small_file, seed=2), total, 0))
    assert Counter(one) == Counter(two)
    assert one != two
    # Most positions land at another place in the order.
    assert sum(a == b for a, b in zip(one, two, strict=True)) < total // 4


def test_default_seed_is_zero(small_file: Path) -> None:
    assert same_batch(batch(golois.Dataset(small_file), 40, 3), batch(golois.Dataset(small_file, seed=0), 40, 3))


@pytest.mark.parametrize("threads", [2, 0])
def test_thread_count_does_not_change_the_batch(small_file: Path, total: int, threads: int) -> None:
    one = batch(golois.Dataset(small_file, seed=5, threads=1), total, 11)
    many = batch(golois.Dataset(small_file, seed=5, threads=threads), total, 11)
    assert same_batch(one, many)


def test_index_wraps_around(small_file: Path, oracle: Oracle, total: int) -> None:
    dataset = golois.Dataset(small_file, seed=1)
    order = oracle.positions_of(batch(dataset, total, 0))
    assert oracle.positions_of(batch(dataset, 10, total + 3)) == order[3:13]
    assert oracle.positions_of(batch(dataset, 10, 7 * total + 3)) == order[3:13]
    # One batch across the end of the order.
    assert oracle.positions_of(batch(dataset, 10, total - 4)) == order[-4:] + order[:6]
    # A batch bigger than the whole dataset.
    assert oracle.positions_of(batch(dataset, 2 * total + 5, 0)) == order + order + order[:5]


def test_symmetries_change_between_epochs(small_file: Path, oracle: Oracle, total: int) -> None:
    dataset = golois.Dataset(small_file, seed=1)
    first, second = batch(dataset, total, 0), batch(dataset, total, total)
    found_first = [oracle.identify(first, i) for i in range(total)]
    found_second = [oracle.identify(second, i) for i in range(total)]
    assert [pos for pos, _ in found_first] == [pos for pos, _ in found_second]

    # Every symmetry is drawn, and the same position is not always seen the same way.
    drawn = Counter(min(syms) for _, syms in found_first if len(syms) == 1)
    assert set(drawn) == set(range(8))
    differ = sum(not (a & b) for (_, a), (_, b) in zip(found_first, found_second, strict=True))
    assert differ > total // 2

    # The moves played are images of each other under some symmetry.
    for i in range(total):
        q1, q2 = int(first.policy[i].argmax()), int(second.policy[i].argmax())
        assert any(golois.transform_point(q1, s) == q2 for s in range(8)), i


def test_sample_symmetry_moves_the_policy_target(small_file: Path, small_games: list[golois.Game]) -> None:
    dataset = golois.Dataset(small_file)
    g, m = 0, 5
    q = small_games[g].moves[m][0]
    for s in range(8):
        x = dataset.sample(g, m, s)
        assert int(x["policy"].argmax()) == golois.transform_point(q, s)
        assert x["policy"].sum() == 1.0


# ---------------------------------------------------------------- validation


def test_validation_sample_i_uses_symmetry_i_mod_8(small_file: Path, small_games: list[golois.Game]) -> None:
    dataset = golois.Dataset(small_file, seed=6)
    n = len(small_games)
    dataset.use_validation(n)
    assert len(dataset.validation) == n
    assert sorted(g for g, _ in dataset.validation) == list(range(n))
    out = validation_batch(dataset, n)
    for i, (g, m) in enumerate(dataset.validation):
        assert small_games[g].moves[m][0] != PASS
        x = dataset.sample(g, m, i % 8)
        assert np.array_equal(out.input_data[i], x["input"]), i
        assert np.array_equal(out.policy[i], x["policy"]), i
        assert out.value[i] == x["value"][0]
        assert np.array_equal(out.end[i], x["end"]), i


def test_validation_is_stable_and_leaves_training(small_file: Path, small_games: list[golois.Game],
                                                  oracle: Oracle, total: int) -> None:
    dataset = golois.Dataset(small_file, seed=6)
    dataset.use_validation(2)
    held_out = {g for g, _ in dataset.validation}
    left = dataset.num_training_positions
    assert left == total - sum(small_games[g].num_positions for g in held_out)
    assert same_batch(validation_batch(dataset, 2), validation_batch(dataset, 2))
    assert {g for g, _ in oracle.positions_of(batch(dataset, left, 0))} == set(range(6)) - held_out
    again = golois.Dataset(small_file, seed=6)
    again.use_validation(2)
    assert again.validation == dataset.validation


def test_validation_value_target_is_the_probability_that_white_wins(small_file: Path,
                                                                    small_games: list[golois.Game]) -> None:
    dataset = golois.Dataset(small_file)
    dataset.use_validation(len(small_games))
    out = validation_batch(dataset, len(small_games))
    for i, (g, _) in enumerate(dataset.validation):
        assert out.value[i] == (1.0 if small_games[g].result == "W" else 0.0)


def test_validation_remembered_in_a_file(tmp_path: Path, small_file: Path) -> None:
    remember = tmp_path / "validation.data"
    first = golois.Dataset(small_file, seed=2)
    first.use_validation(3, remember=remember)
    assert remember.is_file()
    second = golois.Dataset(small_file, seed=2)
    second.use_validation(None, remember=remember)
    assert second.validation == first.validation
    assert same_batch(validation_batch(second, 3), validation_batch(first, 3))
    # Another seed is another validation set: the file says so.
    with pytest.raises(ValueError, match="delete it"):
        golois.Dataset(small_file, seed=3).use_validation(3, remember=remember)


def test_validation_errors(small_file: Path, small_games: list[golois.Game]) -> None:
    dataset = golois.Dataset(small_file)
    with pytest.raises(ValueError, match=str(len(small_games))):
        dataset.use_validation(len(small_games) + 1)
    with pytest.raises(ValueError):
        dataset.use_validation(None)
    dataset.use_validation(2)
    with pytest.raises(ValueError):
        validation_batch(dataset, 3)  # more samples than the validation set


def test_all_games_held_out_leaves_no_training(small_file: Path, small_games: list[golois.Game]) -> None:
    dataset = golois.Dataset(small_file)
    dataset.use_validation(len(small_games))
    assert dataset.num_training_positions == 0
    with pytest.raises(RuntimeError, match="no training positions"):
        batch(dataset, 4, 0)


def test_sample_refuses_positions_that_do_not_exist(small_file: Path, small_games: list[golois.Game]) -> None:
    dataset = golois.Dataset(small_file)
    bad = [(len(small_games), 0, 0), (-1, 0, 0), (0, len(small_games[0]), 0), (0, -1, 0),
           (0, 0, 8), (0, 0, -1)]
    for game, move, symmetry in bad:
        with pytest.raises((ValueError, TypeError)):
            dataset.sample(game, move, symmetry)


# ---------------------------------------------------------------- independence


def test_two_datasets_on_two_files_are_independent(small_file: Path, other_file: Path,
                                                   oracle: Oracle) -> None:
    a, b = golois.Dataset(small_file, seed=1), golois.Dataset(other_file, seed=1)
    a_before = batch(a, 30, 5)
    b_before = batch(b, 30, 5)
    assert not same_batch(a_before, b_before)
    assert a.num_games == 6 and b.num_games == 5

    b.use_validation(2)
    batch(b, 100, 40)
    assert a.validation == []
    assert same_batch(batch(a, 30, 5), a_before)
    assert same_batch(batch(golois.Dataset(small_file, seed=1), 30, 5), a_before)
    oracle.positions_of(a_before)  # every sample of a comes from a's file

    a.use_validation(3)
    assert b.num_games == 5 and len(b.validation) == 2
    assert not same_batch(batch(b, 30, 5), b_before)  # b's own validation changed its training set
    fresh = golois.Dataset(other_file, seed=1)
    fresh.use_validation(2)
    assert same_batch(batch(b, 30, 5), batch(fresh, 30, 5))


def test_datasets_with_different_seeds_on_one_file_coexist(small_file: Path) -> None:
    a, b = golois.Dataset(small_file, seed=1), golois.Dataset(small_file, seed=2)
    a_first = batch(a, 20, 0)
    batch(b, 20, 0)
    assert same_batch(batch(a, 20, 0), a_first)


def test_plane_0_follows_the_colour_to_play(small_file: Path, small_games: list[golois.Game]) -> None:
    dataset = golois.Dataset(small_file)
    for m in (0, 1, 2, 3):
        colour = small_games[0].moves[m][1]
        plane = dataset.sample(0, m)["input"][:, :, 0]
        assert colour in (BLACK, WHITE)
        assert np.all(plane == (1.0 if colour == BLACK else 0.0))

"""Real game records: the bundled 9-dan sample, and ../shared/data when present."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import golois
from golois.importer import import_games

SAMPLE = Path(__file__).parent / "data" / "tygem-9d-sample.sgf"
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def shared(name: str) -> Path:
    path = SHARED_DATA / name
    if not path.exists():
        pytest.skip(f"{path} is not available")
    return path


@pytest.fixture(scope="module")
def sample_games_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("real") / "sample.data"
    summary = import_games([SAMPLE], out, progress=False)
    assert summary.games_written == 200 and not summary.skipped
    return out


@pytest.fixture(scope="module")
def sample_dataset(sample_games_file: Path) -> golois.Dataset:
    return golois.Dataset(sample_games_file)


def test_sample_games_are_read_exactly(sample_games_file: Path) -> None:
    games = golois.read_games(str(sample_games_file))
    first = golois.parse_sgf(SAMPLE.read_text(encoding="utf-8"))[0].game
    assert games[0].moves == first.moves
    assert {g.komi for g in games} == {6.5}
    assert {g.result for g in games} <= {"B", "W"}
    # The first game opens B[pd] W[pp] B[dc]: (col 15, row 3), (15, 15), (3, 2).
    assert [m[:2] for m in games[0].moves[:3]] == [(72, golois.BLACK), (300, golois.WHITE), (41, golois.BLACK)]
    assert games[0].result == "B"  # RE[B+9.5]


def test_targets_of_a_real_position(sample_dataset: golois.Dataset, sample_games_file: Path) -> None:
    game = golois.read_games(str(sample_games_file))[0]
    sample = sample_dataset.sample(0, 2, symmetry=0)
    assert sample["policy"].argmax() == game.moves[2][0]
    assert sample["value"][0] == {"W": 1.0, "B": 0.0}[game.result]
    planes = sample["input"]
    assert planes[..., 0].min() == 1.0  # Black to play
    assert planes[..., 27].min() == 1.0 and planes[..., 21:31].sum() == 361  # komi 6.5
    # Now: Black's pd and White's pp; one move ago only Black's pd.
    assert planes[3, 15, 11] == 1 and planes[15, 15, 12] == 1
    assert planes[3, 15, 13] == 1 and planes[15, 15, 14] == 0
    assert planes[..., 11:21].sum() == 2 + 1  # two stones now, one a move ago, none before


def test_real_positions_carry_ladder_planes(sample_dataset: golois.Dataset) -> None:
    n = 2000
    x, policy, value, end, groups = (np.zeros(s, np.float32) for s in
                                     [(n, 19, 19, 31), (n, 361), (n,), (n, 19, 19, 2), (n, 19, 19, 1)])
    sample_dataset.get_batch(x, policy, value, end, groups, 0)
    with_plane = [(x[..., p].reshape(n, -1).max(axis=1) > 0).mean() for p in range(1, 5)]
    # Real middle games have strings in atari and ladders: the planes are used,
    # but they are far from saturated.
    assert all(0.05 < share < 0.95 for share in with_plane), with_plane
    # A string marked lost (plane 1) always has one liberty (plane 5).
    assert np.all(x[..., 5][x[..., 1] == 1] == 1)
    assert np.all(x[..., 6][x[..., 3] == 1] == 1)


@pytest.mark.parametrize("position", [(3, 120), (17, 45), (42, 200), (99, 150)])
def test_real_positions_are_symmetric(sample_dataset: golois.Dataset, sample_games_file: Path,
                                      position: tuple[int, int]) -> None:
    game_index, move = position
    game = golois.read_games(str(sample_games_file))[game_index]
    reference = sample_dataset.sample(game_index, move, 0)["input"]
    for s in range(8):
        turned = golois.Game(komi=game.komi, result=game.result,
                             moves=[(golois.transform_point(p, s), c) for p, c, _, _ in game.moves])
        single = golois._core.Dataset()
        assert single.add_game(turned) == ""
        single.shuffle()
        expected = sample_dataset.sample(game_index, move, s)["input"]
        assert np.array_equal(single.sample(0, move, 0)["input"], expected), f"symmetry {s}"
        # And the identity planes, moved point by point, give the same planes.
        moved = np.zeros_like(reference)
        for p in range(361):
            q = golois.transform_point(p, s)
            moved[q // 19, q % 19] = reference[p // 19, p % 19]
        assert np.array_equal(moved, expected), f"symmetry {s}"


def test_tygem_archive_and_collection_import_cleanly(tmp_path: Path) -> None:
    summary = import_games([shared("tygem-9d-2011/2011-01.tar.bz2"), shared("tygem-9d-2011/2011-06.sgf.gz")],
                           tmp_path / "tygem.data", progress=False)
    assert summary.games_read > 20_000
    assert sum(summary.skipped.values()) <= 5, summary.skipped
    assert summary.positions > 150 * summary.games_written


def test_ai_games_with_messy_encodings_import(tmp_path: Path) -> None:
    summary = import_games([shared("ai-games.zip")], tmp_path / "ai.data", progress=False)
    assert summary.games_written > 6000
    assert sum(summary.skipped.values()) <= 10, summary.skipped
    games = golois.read_games(str(tmp_path / "ai.data"))
    # KM[750] and KM[375] are Chinese servers' ways of writing 7.5.
    assert sum(g.komi == 7.5 for g in games) > 3900
    assert any(g.setup for g in games)  # handicap games keep their AB stones

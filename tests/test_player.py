"""The player: inference backends, the search loop, its decisions, and the clock."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from golois import BLACK, PASS, WHITE
from golois.engine import BACKENDS
from golois.engine.clock import Clock
from golois.engine.inference import TF_MARGIN, TOLERANCE, Evaluator, _fastest, check_batch, load_evaluator
from golois.engine.player import RESIGN, Player, SearchSettings
from golois.files import sha256_file
from golois.network import DEFAULT_NETWORK, NetworkFileError, load_network

SHARED_MODELS = Path(__file__).resolve().parents[2] / "shared" / "models"


@pytest.mark.parametrize("backend", BACKENDS)
def test_each_backend_reproduces_keras(backend: str) -> None:
    evaluator = load_evaluator("default", backend=backend, batch_size=4)
    assert evaluator.backend == backend
    planes = check_batch(5, seed=3)  # another size than the conversion's check batch
    policy, value = load_network("default")(planes, training=False)
    got_policy, got_value = evaluator(planes)
    assert got_policy.shape == (5, 361) and got_value.shape == (5,)
    assert np.max(np.abs(got_policy - policy.numpy())) <= TOLERANCE
    assert np.max(np.abs(got_value - value.numpy().reshape(-1))) <= TOLERANCE


def test_auto_picks_the_fastest_backend_that_matches() -> None:
    lines: list[str] = []
    evaluator = load_evaluator("default", log=lines.append)
    assert evaluator.backend in evaluator.timings_ms
    assert evaluator.backend == _fastest(evaluator.timings_ms)
    assert lines and lines[0].startswith(f"inference backend: {evaluator.backend}")


def test_the_tensorflow_graph_must_be_clearly_faster_to_be_chosen() -> None:
    # The others start from the cache in a second; TensorFlow needs loading at every start.
    assert _fastest({"onnxruntime": 10.0, "openvino": 12.0, "tensorflow": 9.0}) == "onnxruntime"
    assert _fastest({"onnxruntime": 10.0, "openvino": 12.0, "tensorflow": 10 / TF_MARGIN - 0.1}) == "tensorflow"
    assert _fastest({"openvino": 8.0, "onnxruntime": 10.0, "tensorflow": 9.0}) == "openvino"
    assert _fastest({"tensorflow": 9.0}) == "tensorflow"


def test_unknown_backend_and_bad_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown backend"):
        load_evaluator("default", backend="cuda")
    junk = tmp_path / "junk.h5"
    junk.write_bytes(b"not an hdf5 file")
    with pytest.raises(NetworkFileError):
        load_evaluator(junk)


def test_a_network_with_a_lambda_layer_is_refused_without_running_it(tmp_path: Path) -> None:
    from golois.network.framework import keras

    marker = tmp_path / "ran"
    marker_name = str(marker)

    def touch_marker(x):  # what an attacker would hide in the file
        open(marker_name, "w").close()  # noqa: SIM115
        return x

    board = keras.Input((19, 19, 31), name="board")
    trunk = keras.layers.Lambda(touch_marker)(keras.layers.Conv2D(2, 1)(board))
    policy = keras.layers.Dense(361, activation="softmax", name="policy")(keras.layers.Flatten()(trunk))
    value = keras.layers.Dense(1, activation="sigmoid", name="value")(keras.layers.GlobalAveragePooling2D()(trunk))
    path = tmp_path / "lambda.h5"
    keras.Model(board, [policy, value]).save(path)
    marker.unlink()
    with pytest.raises(NetworkFileError, match="Lambda"):
        load_evaluator(path)
    assert not marker.exists()


@pytest.mark.skipif(not SHARED_MODELS.is_dir(), reason="../shared/models is not here")
@pytest.mark.parametrize("name", ["cocorigo-resnet.h5", "gonet-mixnet-tfoplambda.h5",
                                  "gonet-convnext-legacy-depthwise.h5", "cocorigo-shufflenet.h5"])
def test_real_course_networks_play(name: str) -> None:
    evaluator = load_evaluator(SHARED_MODELS / name, batch_size=8)
    player = Player(evaluator, SearchSettings(batch_size=8), Clock(playouts=16))
    report = player.genmove(BLACK)
    assert 0 <= report.move < PASS and player.history == [(report.move, BLACK)]


def test_genmove_plays_a_legal_move_and_undo_takes_it_back(make_player) -> None:
    player = make_player(playouts=24)
    player.play(72, BLACK)
    before = player.tree.board().copy()
    report = player.genmove(WHITE)
    assert report.move != RESIGN and report.playouts >= 24
    assert player.history == [(72, BLACK), (report.move, WHITE)]
    assert player.tree.board()[report.move] == WHITE
    player.undo()
    assert np.array_equal(player.tree.board(), before) and player.to_play == WHITE
    with pytest.raises(ValueError, match="illegal"):
        player.play(72, WHITE)


def test_handicap_stones_then_white_plays_first(make_player) -> None:
    player = make_player()
    for point in (72, 288):
        player.place(point, BLACK)
    assert player.to_play == WHITE
    report = player.genmove(WHITE)
    player.undo()
    assert player.setup == [(72, BLACK), (288, BLACK)] and player.history == []
    assert report.move not in (72, 288)


def test_a_won_game_is_ended_by_passing_after_the_opponent_passes(make_player) -> None:
    player = make_player()
    for row in range(19):
        player.place(19 * row + 9, BLACK)  # Black's wall: the whole board is Black's area
    player.play(PASS, WHITE)
    report = player.genmove(BLACK)
    assert report.move == PASS and report.playouts == 0 and player.game_over()


def white_always_wins(planes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.full((len(planes), 361), 1 / 361, np.float32), np.ones(len(planes), np.float32)


def test_a_lost_game_is_resigned_after_a_few_moves() -> None:
    evaluator = Evaluator("numpy", white_always_wins, "white-always-wins", 8)
    player = Player(evaluator, SearchSettings(batch_size=8, resign_min_moves=0, resign_after=3), Clock(playouts=16))
    moves = []
    for _ in range(3):
        moves.append(player.genmove(BLACK).move)
        if moves[-1] != RESIGN:
            player.genmove(WHITE)
    assert RESIGN not in moves[:2] and moves[2] == RESIGN
    assert player.genmove(WHITE).move != RESIGN  # White is winning


def test_fixed_seed_fixed_playouts_same_moves(default_evaluator) -> None:
    def game(seed: int) -> list[int]:
        player = Player(default_evaluator, SearchSettings(batch_size=8, seed=seed), Clock(playouts=32))
        return [player.genmove(colour).move for colour in (BLACK, WHITE, BLACK, WHITE)]

    assert game(4) == game(4)


def test_noise_and_sampling_vary_the_opening(default_evaluator) -> None:
    def first_moves(seed: int) -> list[int]:
        settings = SearchSettings(batch_size=8, seed=seed, noise_alpha=0.3, sample_moves=10)
        player = Player(default_evaluator, settings, Clock(playouts=16))
        return [player.genmove(colour).move for colour in (BLACK, WHITE, BLACK)]

    assert len({tuple(first_moves(seed)) for seed in range(4)}) > 1


def test_clock_budgets() -> None:
    assert Clock().budget(0, BLACK).cpu_seconds == 2.0
    assert Clock(seconds_per_move=None, playouts=50).budget(0, BLACK).playouts == 50
    clock = Clock()
    clock.set_time_settings(300, 0, 0)
    assert clock.budget(0, BLACK).wall_seconds == pytest.approx(2.5)  # 300 s over 120 moves of ours
    clock.set_time_left(BLACK, 10, 0)
    assert clock.budget(200, BLACK).wall_seconds == pytest.approx(0.5)  # never plan over fewer than 20 moves
    assert clock.budget(0, WHITE).wall_seconds == pytest.approx(2.5)  # each colour its own clock
    clock.set_time_settings(0, 30, 5)
    assert clock.budget(0, BLACK).wall_seconds == pytest.approx((30 - 0.15 * 30) / 5)
    clock.set_time_settings(0, 0, 0)  # no limit: back to the per-move default
    assert clock.budget(0, BLACK).cpu_seconds == 2.0
    with pytest.raises(ValueError):
        clock.set_time_settings(-1, 0, 0)


def test_byo_yomi_time_without_stones_means_no_time_limits() -> None:
    clock = Clock()
    clock.set_time_settings(0, 10, 0)  # GTP: byo-yomi time with no stones signifies no time limits
    assert not clock.limited and clock.budget(0, BLACK).cpu_seconds == 2.0
    clock.set_time_settings(600, 10, 0)
    assert not clock.limited


def test_the_byo_yomi_period_keeps_a_safety_margin() -> None:
    clock = Clock()
    clock.set_time_settings(0, 10, 1)
    clock.set_time_left(BLACK, 10, 1)
    assert clock.budget(100, BLACK).wall_seconds == pytest.approx(8.5)  # was 9.7: 9.4 s used of 10 s left
    clock.set_time_left(BLACK, 3, 1)
    assert clock.budget(100, BLACK).wall_seconds == pytest.approx(2.0)  # at least a second kept back


def test_odd_time_left_values() -> None:
    clock = Clock()
    clock.set_time_settings(60, 0, 0)
    clock.set_time_left(WHITE, -2.5, 0)  # a referee's clock past zero: no time at all
    assert clock.budget(10, WHITE).wall_seconds == pytest.approx(0.05)
    with pytest.raises(ValueError):
        clock.set_time_left(WHITE, 5, -1)


def test_a_second_load_uses_the_cached_conversion_without_tensorflow(tmp_path: Path) -> None:
    first = load_evaluator("default", cache=tmp_path)
    assert not first.cached and (tmp_path / sha256_file(DEFAULT_NETWORK) / "meta.json").is_file()
    # A new process: the cached ONNX / OpenVINO files run without importing TensorFlow.
    script = ("import sys, numpy as np; from golois.engine.inference import load_evaluator, check_batch;"
              f"e = load_evaluator('default', cache={str(tmp_path)!r});"
              "p, v = e(check_batch(5, seed=3)); np.save(sys.argv[1], np.concatenate([p.ravel(), v]));"
              "print(e.backend, e.cached, 'tensorflow' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", script, str(tmp_path / "out.npy")], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out[1:] == ["True", "False"] and out[0] in ("onnxruntime", "openvino")
    assert out[0] == first.backend or first.backend == "tensorflow"
    policy, value = load_network("default")(check_batch(5, seed=3), training=False)
    got = np.load(tmp_path / "out.npy")
    assert np.max(np.abs(got[: 5 * 361] - policy.numpy().ravel())) <= TOLERANCE
    assert np.max(np.abs(got[5 * 361:] - value.numpy().ravel())) <= TOLERANCE


def test_a_damaged_cache_entry_is_converted_again(tmp_path: Path) -> None:
    load_evaluator("default", cache=tmp_path)
    entry = tmp_path / sha256_file(DEFAULT_NETWORK)
    for name in ("onnxruntime.onnx", "openvino.xml"):
        (entry / name).write_bytes(b"garbage")
    evaluator = load_evaluator("default", cache=tmp_path)
    assert not evaluator.cached
    assert evaluator(check_batch(2))[0].shape == (2, 361)
    assert load_evaluator("default", cache=tmp_path).cached  # the entry was rebuilt


def test_playouts_asked_are_playouts_given(default_evaluator) -> None:
    player = Player(default_evaluator, SearchSettings(batch_size=16), Clock(playouts=50))
    counts = [player.genmove(colour).playouts for colour in (BLACK, WHITE, BLACK, WHITE)]
    assert max(counts) == 50 and all(count <= 50 for count in counts), counts  # never more (an early stop: fewer)

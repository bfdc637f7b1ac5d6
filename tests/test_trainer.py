"""The trainer, evaluation and the training benchmark, end to end on the bundled games."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import cli_refusal_without_tensorflow

from golois import SAMPLE_GAMES, Dataset
from golois.cli import main
from golois.network import DEFAULT_NETWORK, count_parameters, load_network
from golois.network.scores import EVALUATION_SEED, evaluate_arrays, value_accuracy, value_by_phase
from golois.training import evaluate as evaluate_module
from golois.training import trainer as trainer_module
from golois.training.config import TrainConfig
from golois.training.evaluate import evaluate
from golois.training.networks import build_network, network_spec
from golois.training.pipeline import validation_arrays
from golois.training.run_files import RunExists, RunFiles
from golois.training.trainer import train

TINY = network_spec("residual", blocks=1, filters=8)


def tiny_config(out: Path, **changes: object) -> TrainConfig:
    settings = {"epochs": 2, "batch": 32, "samples_per_epoch": 128, "validation": 20, "lr": 0.01, **changes}
    return TrainConfig(settings.pop("spec", TINY), SAMPLE_GAMES, out, **settings)


def log_rows(files: RunFiles) -> list[dict[str, str]]:
    with files.log.open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_training_writes_best_last_log_curves_and_state(tmp_path: Path) -> None:
    out = tmp_path / "net.h5"
    state = train(tiny_config(out), progress=False)
    files = RunFiles(out)
    assert state["epoch"] == 2 and json.loads(files.state.read_text())["epoch"] == 2
    for path in (out, files.last, files.log, files.curves, files.validation):
        assert path.is_file(), path
    assert files.curves.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    rows = log_rows(files)
    assert [row["samples"] for row in rows] == ["128", "256"]
    assert {"val_policy_acc", "val_policy_top5", "val_value_mse", "lr"} <= set(rows[0])
    best = max(float(row["val_policy_acc"]) for row in rows)
    assert state["best_val_policy_acc"] == pytest.approx(best)
    assert float(rows[1]["lr"]) < float(rows[0]["lr"]), "the cosine schedule lowers the learning rate"
    assert load_network(out).count_params() == load_network(files.last).count_params()


def interrupt_after_saving_epoch(monkeypatch: pytest.MonkeyPatch, interrupted_epoch: int) -> None:
    save_epoch = trainer_module._SaveRun.on_epoch_end

    def save_then_interrupt(self, epoch, logs=None):
        save_epoch(self, epoch, logs)
        if epoch == interrupted_epoch:
            raise KeyboardInterrupt

    monkeypatch.setattr(trainer_module._SaveRun, "on_epoch_end", save_then_interrupt)


def test_an_interrupted_run_resumes_where_it_stopped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    whole = tmp_path / "whole.h5"
    train(tiny_config(whole, epochs=3), progress=False)
    out = tmp_path / "net.h5"
    interrupt_after_saving_epoch(monkeypatch, 0)
    with pytest.raises(KeyboardInterrupt):
        train(tiny_config(out, epochs=3), progress=False)
    monkeypatch.undo()
    files = RunFiles(out)
    assert json.loads(files.state.read_text())["epoch"] == 1

    starts: list[int] = []
    stream_init = trainer_module.BatchStream.__init__

    def record_start(self, dataset, batch_size, start=0, **kwargs):
        starts.append(start)
        stream_init(self, dataset, batch_size, start, **kwargs)

    monkeypatch.setattr(trainer_module.BatchStream, "__init__", record_start)
    state = train(tiny_config(out, epochs=99), resume=True, progress=False)  # the saved settings win
    assert starts == [128], "the data order continues after the samples already seen"
    assert state["epoch"] == 3 and state["config"]["epochs"] == 3
    resumed, uninterrupted = log_rows(files), log_rows(RunFiles(whole))
    assert [row["epoch"] for row in resumed] == ["0", "1", "2"]
    # the learning rate follows the schedule of the uninterrupted run: the optimizer's step count was restored
    assert [float(row["lr"]) for row in resumed] == pytest.approx([float(row["lr"]) for row in uninterrupted])


def test_a_run_trained_in_slices_ends_as_the_whole_run(tmp_path: Path) -> None:
    """--stop-after-epoch: a run made in two sittings, moved to another folder between them."""
    import shutil

    whole = tmp_path / "whole.h5"
    train(tiny_config(whole, epochs=3), progress=False)
    first = tmp_path / "first" / "net.h5"
    first.parent.mkdir()
    state = train(tiny_config(first, epochs=3), progress=False, stop_after=1)
    assert state["epoch"] == 1
    shutil.move(first.parent, tmp_path / "moved")  # run files name their paths relative to the run folder
    moved = tmp_path / "moved" / "net.h5"
    state = train(tiny_config(moved, epochs=3), resume=True, progress=False)
    assert state["epoch"] == 3
    rows, whole_rows = log_rows(RunFiles(moved)), log_rows(RunFiles(whole))
    assert [row["epoch"] for row in rows] == ["0", "1", "2"]
    assert [float(row["lr"]) for row in rows] == pytest.approx([float(row["lr"]) for row in whole_rows])


def test_resume_ignores_an_epoch_saved_after_the_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "net.h5"
    interrupt_after_saving_epoch(monkeypatch, 1)
    write_state = RunFiles.write_state

    def lose_the_second_state(self, state):  # as if interrupted between the checkpoint and the state
        if state["epoch"] != 2:
            write_state(self, state)

    monkeypatch.setattr(RunFiles, "write_state", lose_the_second_state)
    with pytest.raises(KeyboardInterrupt):
        train(tiny_config(out, epochs=3), progress=False)
    monkeypatch.undo()
    files = RunFiles(out)
    assert len(log_rows(files)) == 2 and json.loads(files.state.read_text())["epoch"] == 1
    state = train(tiny_config(out), resume=True, progress=False)
    assert state["epoch"] == 3 and [row["epoch"] for row in log_rows(files)] == ["0", "1", "2"]


def test_resume_restores_weights_and_optimizer_state(tmp_path: Path) -> None:
    from golois.network.framework import tf

    out = tmp_path / "net.h5"
    train(tiny_config(out, epochs=1), progress=False)
    files = RunFiles(out)
    model, training_model = trainer_module.build_models(tiny_config(out))
    optimizer = trainer_module.make_optimizer(tiny_config(out))
    trainer_module.compile_for_training(training_model, optimizer)
    checkpoint = tf.train.Checkpoint(model=training_model, optimizer=optimizer)
    checkpoint.restore(str(files.checkpoints / "ckpt-1")).expect_partial()
    assert int(optimizer.iterations) == 4
    saved = load_network(files.last)
    for restored, expected in zip(model.weights, saved.weights, strict=True):
        np.testing.assert_array_equal(restored.numpy(), expected.numpy())


def test_an_existing_run_is_kept_unless_forced(tmp_path: Path) -> None:
    out = tmp_path / "net.h5"
    train(tiny_config(out, epochs=1), progress=False)
    with pytest.raises(RunExists, match="--resume"):
        train(tiny_config(out, epochs=1), progress=False)
    with pytest.raises(ValueError, match="one position per game"):  # a bad new run leaves the old one alone
        train(tiny_config(out, epochs=1, validation=500), force=True, progress=False)
    assert RunFiles(out).state.is_file() and len(log_rows(RunFiles(out))) == 1
    state = train(tiny_config(out, epochs=1), force=True, progress=False)
    assert state["epoch"] == 1 and len(log_rows(RunFiles(out))) == 1


def test_an_existing_network_is_not_overwritten(tmp_path: Path) -> None:
    out = tmp_path / "precious.h5"
    out.write_bytes(b"someone's network")
    with pytest.raises(RunExists, match="--force"):
        train(tiny_config(out), progress=False)
    assert out.read_bytes() == b"someone's network"


def test_cli_refuses_over_the_limit_before_tensorflow(tmp_path: Path) -> None:
    out = tmp_path / "big.h5"
    said = cli_refusal_without_tensorflow("train", "--games", str(SAMPLE_GAMES), "--out", str(out),
                                          "--blocks", "9", "--filters", "40")
    assert "residual (arch=residual, blocks=9, filters=40" in said
    params = count_parameters(build_network(network_spec("residual", blocks=9, filters=40)))  # the rule
    assert f"has {params:,} trainable parameters, {params - 100_000:,} over the limit of 100,000" in said
    assert not out.exists() and not RunFiles(out).folder.exists()


@pytest.mark.parametrize(("args", "message"), [
    (["--out", "x.h5"], "--games is required"),
    (["--out", "x.h5", "--resume", "--force"], "contradict"),
    (["--out", "x.h5", "--resume", "--epochs", "5"], "saved settings"),
    (["--out", "x.h5", "--games", "missing.data"], "does not exist"),
    (["--out", "x.h5", "--games", str(SAMPLE_GAMES), "--arch", "shufflenet", "--filters", "30"], "multiples"),
    (["--out", "nothing.h5", "--resume"], "nothing to resume"),
])
def test_cli_train_errors(args: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["train", *args])
    assert result.exit_code != 0 and message in result.output


def test_a_small_file_gets_a_tenth_of_its_games_for_validation(tmp_path: Path) -> None:
    out = tmp_path / "net.h5"
    train(tiny_config(out, epochs=1, validation=None), progress=False)  # the bundled 200 games
    assert json.loads(RunFiles(out).state.read_text())["config"]["validation"] == 20


def test_validation_needs_more_games_than_positions(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="one position per game.*--validation 20 "):
        train(tiny_config(tmp_path / "net.h5", validation=500), progress=False)


def test_cli_train_then_evaluate_json(tmp_path: Path) -> None:
    out = tmp_path / "cli.h5"
    runner = CliRunner()
    result = runner.invoke(main, ["train", "--games", str(SAMPLE_GAMES), "--out", str(out), "--blocks", "1",
                                  "--filters", "8", "--epochs", "1", "--samples-per-epoch", "64", "--batch", "32",
                                  "--validation", "10", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "best validation policy accuracy" in result.output
    result = runner.invoke(main, ["evaluate", "--model", str(out), "--games", str(SAMPLE_GAMES),
                                  "--positions", "50", "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert {"policy_accuracy", "top5_accuracy", "value_mse", "params", "positions"} <= set(figures), \
        "the first keys stay (scripts read them)"
    assert {"value_accuracy", "value_std", "value_by_phase", "komi"} <= set(figures)
    assert list(figures["value_by_phase"]) == ["0-49", "50-99", "100-149", "150+"]
    assert sum(phase["positions"] for phase in figures["value_by_phase"].values()) == 50
    assert figures["positions"] == 50 and figures["params"] == count_parameters(load_network(out))
    assert 0 <= figures["policy_accuracy"] <= figures["top5_accuracy"] <= 1


def test_evaluation_is_repeatable_and_takes_one_position_per_game(tmp_path: Path) -> None:
    out = tmp_path / "net.h5"
    train(tiny_config(out, epochs=1), progress=False)
    first = evaluate(out, SAMPLE_GAMES, positions=1000)
    assert first["positions"] == 200, "200 games give at most 200 positions"
    assert evaluate(out, SAMPLE_GAMES, positions=1000) == first


def test_evaluation_positions_are_one_per_game_and_never_a_pass() -> None:
    dataset = Dataset(SAMPLE_GAMES, seed=EVALUATION_SEED, progress=False)
    dataset.use_validation(150)
    games = [game for game, _ in dataset.validation]
    assert len(set(games)) == 150
    _, targets = validation_arrays(dataset, 150)
    assert np.all(targets["policy"].sum(axis=1) == 1), "every target is one of the 361 points, never a pass"


class _Oracle:
    """A 'network' that answers with given arrays, to check the metric arithmetic."""

    def __init__(self, policy: np.ndarray, value: np.ndarray) -> None:
        self.policy, self.value, self.at = policy, value, 0

    def predict_on_batch(self, boards: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n = len(boards)
        self.at += n
        return self.policy[self.at - n:self.at], self.value[self.at - n:self.at]


def test_metric_arithmetic() -> None:
    targets = np.zeros((4, 361), np.float32)
    targets[np.arange(4), [0, 1, 2, 3]] = 1
    predicted = np.zeros((4, 361), np.float32)
    predicted[0, 0] = 1  # right
    predicted[1, [5, 6, 7, 8, 1]] = [0.9, 0.8, 0.7, 0.6, 0.5]  # fifth best
    predicted[2, [5, 6, 7, 8, 9, 2]] = [0.9, 0.8, 0.7, 0.6, 0.55, 0.5]  # sixth best
    predicted[3, 3] = 1  # right
    value = np.array([1, 0, 1, 0], np.float32)
    oracle = _Oracle(predicted, np.array([[1], [0.5], [1], [0]], np.float32))
    figures = evaluate_arrays(oracle, np.zeros((4, 19, 19, 31), np.float32), targets, value, batch=3)
    assert figures == pytest.approx({"policy_accuracy": 0.5, "top5_accuracy": 0.75, "value_mse": 0.0625,
                                     "value_accuracy": 0.875, "value_std": np.std([1, 0.5, 1, 0])})


def test_value_accuracy_counts_the_favoured_side_and_splits_by_phase() -> None:
    predicted = np.array([0.9, 0.2, 0.6, 0.4, 0.5, 0.7, 0.3])
    value = np.array([1.0, 0.0, 0.0, 0.0, 1.0, 0.5, 1.0])  # 0.5: a draw, not counted
    assert value_accuracy(predicted, value) == pytest.approx((1 + 1 + 0 + 1 + 0.5 + 0) / 6)
    assert np.isnan(value_accuracy(predicted[5:6], value[5:6]))
    moves = np.array([0, 49, 50, 120, 150, 200, 99])
    phases = value_by_phase(predicted, value, moves)
    assert [phases[name]["positions"] for name in ("0-49", "50-99", "100-149", "150+")] == [2, 2, 1, 2]
    assert phases["0-49"] == {"positions": 2, "value_mse": pytest.approx((0.01 + 0.04) / 2), "value_accuracy": 1.0}
    assert phases["50-99"]["value_accuracy"] == 0.0 and phases["150+"]["value_accuracy"] == 0.5


def test_evaluation_at_another_komi_changes_only_the_komi_planes(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[np.ndarray] = []
    real = evaluate_module.evaluate_positions

    def keep_boards(model, positions):
        seen.append(positions.boards.copy())
        return real(model, positions)

    out = tmp_path / "net.h5"
    train(tiny_config(out, epochs=1), progress=False)
    monkeypatch.setattr(evaluate_module, "evaluate_positions", keep_boards)
    at_own = evaluate(out, SAMPLE_GAMES, positions=40)
    at_75 = evaluate(out, SAMPLE_GAMES, positions=40, komi=7.5)
    assert at_own["komi"] is None and at_75["komi"] == 7.5
    own, shown = seen
    assert np.all(own[..., 27] == 1) and np.all(own[..., 21:31].sum(axis=-1) == 1), "the games' komi is 6.5"
    assert np.all(shown[..., 28] == 1) and np.all(shown[..., 21:31].sum(axis=-1) == 1)
    np.testing.assert_array_equal(own[..., :21], shown[..., :21])


@pytest.mark.skipif(not DEFAULT_NETWORK.is_file(), reason="the default network is not bundled yet")
def test_the_default_network_predicts_real_moves() -> None:
    result = CliRunner().invoke(main, ["evaluate", "--model", "default", "--games", str(SAMPLE_GAMES), "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert figures["params"] <= 100_000
    assert figures["policy_accuracy"] > 0.3, "a plane out of place would drop it far lower"


@pytest.mark.skipif(not DEFAULT_NETWORK.is_file(), reason="the default network is not bundled yet")
def test_the_default_network_judges_positions_at_any_komi() -> None:
    """Its value varies with the position, and the tournament's komi 7.5 in the planes changes
    nothing (a network that saw only komi 6.5 falls under 1% there)."""
    figures = {}
    for komi in ("6.5", "7.5", "0"):
        result = CliRunner().invoke(main, ["evaluate", "--model", "default", "--games", str(SAMPLE_GAMES),
                                           "--komi", komi, "--json"])
        assert result.exit_code == 0, result.output
        figures[komi] = json.loads(result.output)
    assert figures["7.5"]["policy_accuracy"] > 0.3 and figures["0"]["policy_accuracy"] > 0.3
    assert abs(figures["7.5"]["policy_accuracy"] - figures["6.5"]["policy_accuracy"]) < 0.03
    assert figures["7.5"]["value_std"] > 0.05, "a value head that learned nothing answers about 0.5 everywhere"
    assert figures["7.5"]["value_accuracy"] > 0.55


def test_training_on_two_devices_with_a_mirrored_strategy(tmp_path: Path) -> None:
    """Two logical CPUs stand in for two GPUs: the same tf.distribute code path."""
    script = f"""
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
from golois.training.trainer import TrainConfig, train
from golois.training.networks import network_spec
from golois.training.pipeline import validation_arrays
from golois import SAMPLE_GAMES, Dataset
from pathlib import Path
strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
config = TrainConfig(network_spec("residual", blocks=1, filters=8), SAMPLE_GAMES, Path({str(tmp_path / 'm.h5')!r}),
                     epochs=1, batch=32, samples_per_epoch=64, validation=10)
state = train(config, progress=False, strategy=strategy)
print("replicas", strategy.num_replicas_in_sync, "epoch", state["epoch"])
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert "replicas 2 epoch 1" in done.stdout, done.stderr[-3000:]


def test_bench_train_reports_both_rates() -> None:
    from golois.training.bench import bench_train

    result = bench_train(SAMPLE_GAMES, TINY, batch=16, steps=3, repeat=1)
    assert result["samples_per_second"] > 0 and result["baseline"]["samples_per_second"] > 0
    assert result["ratio"] == pytest.approx(result["samples_per_second"] / result["baseline"]["samples_per_second"],
                                            rel=0.01)


def test_the_strategy_mirrors_only_over_several_gpus() -> None:
    from golois.network.framework import tf
    from golois.training.trainer import distribution_strategy

    several_gpus = len(tf.config.list_logical_devices("GPU")) > 1
    assert isinstance(distribution_strategy(), tf.distribute.MirroredStrategy) == several_gpus


def test_a_run_with_the_ownership_head_saves_networks_without_it(tmp_path: Path) -> None:
    out = tmp_path / "net.h5"
    state = train(tiny_config(out), progress=False)
    assert state["config"]["ownership_weight"] == 1.0 and state["config"]["spec"]["value_head"] == "conv"
    files = RunFiles(out)
    for path in (out, files.last):
        saved = load_network(path)
        assert saved.output_names == ["policy", "value"]
        assert count_parameters(saved) == state["params"] == count_parameters(trainer_module.build_network(TINY))
    rows = log_rows(files)
    assert {"ownership_loss", "val_ownership_loss", "value_acc", "val_value_acc"} <= set(rows[0])
    assert 0 <= float(rows[-1]["val_value_acc"]) <= 1


def test_the_ownership_target_is_the_final_position_from_the_player_to_move() -> None:
    from golois.dataset import Batch
    from golois.training.pipeline import ownership_target, training_sample

    arrays = Batch.zeros(16)
    Dataset(SAMPLE_GAMES, seed=0, progress=False).get_batch(*arrays, 0)
    _, targets = training_sample(arrays, ownership=True)
    target = targets["ownership"]
    assert target.shape == (16, 19, 19, 3) and np.all(target.sum(axis=-1) == 1) and np.all(target >= 0)
    np.testing.assert_array_equal(target[..., :2], arrays.end)
    np.testing.assert_array_equal(ownership_target(arrays.end)[..., 2], 1 - arrays.end.sum(axis=-1))
    assert set(training_sample(arrays)[1]) == {"policy", "value"}


def stream_batch(random_komi: bool, index: int = 0, seed: int = 0) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    from golois.training.pipeline import BatchStream

    dataset = Dataset(SAMPLE_GAMES, seed=0, progress=False)
    with BatchStream(dataset, 128, start=index, random_komi=random_komi, seed=seed) as stream:
        return next(iter(stream))


def test_random_komi_planes_change_only_the_komi_planes() -> None:
    plain, plain_targets = stream_batch(random_komi=False)
    boards, targets = stream_batch(random_komi=True)
    np.testing.assert_array_equal(boards[..., :21], plain[..., :21])
    for key in plain_targets:
        np.testing.assert_array_equal(targets[key], plain_targets[key])
    assert np.all(plain[..., 27] == 1), "the sample games all have komi 6.5"
    komi = boards[..., 21:31]
    assert np.all(komi == komi[:, :1, :1, :]), "each plane is constant over the board"
    per_sample = komi[:, 0, 0, :]
    assert set(per_sample.sum(axis=1)) <= {0.0, 1.0}, "one plane set, or none (a komi outside 0..9.99)"
    kinds = {tuple(row) for row in per_sample}
    assert len(kinds) == 11, "all ten planes and 'none' occur in 128 samples"
    again, _ = stream_batch(random_komi=True)
    np.testing.assert_array_equal(again, boards)  # drawn from the seed and the index: a resumed run sees the same
    other, _ = stream_batch(random_komi=True, seed=1)
    assert not np.array_equal(other[..., 21:31], komi)


def games_with_two_komis(path: Path) -> Path:
    import golois

    games = golois.read_games(str(SAMPLE_GAMES))
    with golois.GamesWriter(str(path)) as writer:
        for i, game in enumerate(games):
            writer.add(golois.Game(komi=7.5 if i % 2 else game.komi, result=game.result, setup=game.setup,
                                   moves=game.moves))
    return path


def test_auto_komi_planes_are_random_for_a_single_komi_and_kept_for_several(tmp_path: Path) -> None:
    single = train(tiny_config(tmp_path / "one.h5", epochs=1), progress=False)
    assert single["config"]["komi_planes"] == "random"
    several = train(TrainConfig(TINY, games_with_two_komis(tmp_path / "two.data"), tmp_path / "two.h5", epochs=1,
                                batch=32, samples_per_epoch=64, validation=20), progress=False)
    assert several["config"]["komi_planes"] == "data"
    kept = train(tiny_config(tmp_path / "kept.h5", epochs=1, komi_planes="data"), progress=False)
    assert kept["config"]["komi_planes"] == "data"


def test_a_run_saved_before_the_new_settings_resumes_as_it_was_made(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs saved before value heads, loss weights and komi planes were settings (the bundled network's)
    had the dense head, no ownership head and the games' komi: their checkpoints resume into that."""
    out = tmp_path / "old.h5"
    legacy = tiny_config(out, epochs=2, spec=network_spec("residual", blocks=1, filters=8, value_head="dense"),
                         ownership_weight=0.0, komi_planes="data")
    interrupt_after_saving_epoch(monkeypatch, 0)
    with pytest.raises(KeyboardInterrupt):
        train(legacy, progress=False)
    monkeypatch.undo()
    files = RunFiles(out)
    state = json.loads(files.state.read_text())
    for key in ("value_weight", "ownership_weight", "komi_planes"):
        del state["config"][key]
    del state["config"]["spec"]["value_head"]
    files.write_state(state)
    restored = TrainConfig.from_dict(state["config"])
    assert (restored.spec.value_head, restored.ownership_weight, restored.komi_planes) == ("dense", 0.0, "data")
    state = train(tiny_config(out), resume=True, progress=False)
    assert state["epoch"] == 2 and state["config"]["spec"]["value_head"] == "dense"
    assert "value_conv" not in {layer.name for layer in load_network(out).layers}


def test_the_restarts_schedule_anneals_at_the_end_of_epochs_1_3_7() -> None:
    config = tiny_config(Path("x.h5"), schedule="restarts", lr=0.01, epochs=7)  # 4 steps an epoch
    schedule = trainer_module.learning_rate(config)
    steps = config.steps_per_epoch
    rate = [float(schedule(step)) for step in range(7 * steps + 1)]
    assert rate[0] == pytest.approx(0.01)
    for end, peak, next_peak in ((1, 0.01, 0.008), (3, 0.008, 0.0064), (7, 0.0064, 0.00512)):  # 1, 2, 4 epochs
        assert rate[end * steps - 1] < 0.2 * peak, "annealed at the end of the cycle"
        assert rate[end * steps] == pytest.approx(next_peak, rel=0.01)  # + 1% of lr, the floor of every cycle
    cosine = trainer_module.learning_rate(replace(config, schedule="cosine"))
    assert float(cosine(7 * steps)) == pytest.approx(0.0001)


def test_cli_train_takes_the_value_and_komi_settings(tmp_path: Path) -> None:
    out = tmp_path / "cli.h5"
    result = CliRunner().invoke(main, ["train", "--games", str(SAMPLE_GAMES), "--out", str(out), "--blocks", "1",
                                       "--filters", "8", "--epochs", "1", "--samples-per-epoch", "64", "--batch",
                                       "32", "--validation", "10", "--value-head", "dense", "--value-weight", "2",
                                       "--ownership-weight", "0", "--komi-planes", "data", "--schedule", "restarts",
                                       "--quiet"])
    assert result.exit_code == 0, result.output
    config = json.loads(RunFiles(out).state.read_text())["config"]
    assert (config["spec"]["value_head"], config["value_weight"], config["ownership_weight"],
            config["komi_planes"], config["schedule"]) == ("dense", 2.0, 0.0, "data", "restarts")
    result = CliRunner().invoke(main, ["train", "--out", str(out), "--resume", "--komi-planes", "random"])
    assert result.exit_code != 0 and "saved settings" in result.output
    result = CliRunner().invoke(main, ["evaluate", "--model", str(out), "--games", str(SAMPLE_GAMES),
                                       "--positions", "30", "--komi", "7.5"])
    assert result.exit_code == 0, result.output
    assert "at komi 7.5" in result.output and "moves    0-49:" in result.output


def test_resuming_says_where_and_a_finished_run_is_finished(tmp_path: Path) -> None:
    out = tmp_path / "net.h5"
    train(tiny_config(out, epochs=1), progress=False)
    result = CliRunner().invoke(main, ["train", "--out", str(out), "--resume", "--quiet"])
    assert result.exit_code == 1
    assert "the run of" in result.output and "is finished: it trained all 1 epochs" in result.output
    state = json.loads(RunFiles(out).state.read_text())
    state["config"]["epochs"] = 2
    RunFiles(out).state.write_text(json.dumps(state))
    result = CliRunner().invoke(main, ["train", "--out", str(out), "--resume", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "resuming " in result.output and "after epoch 1 of 2 (128 samples trained" in result.output


def test_an_existing_run_is_refused_before_tensorflow_loads(tmp_path: Path) -> None:
    out = tmp_path / "net.h5"
    out.write_bytes(b"an earlier network")
    message = cli_refusal_without_tensorflow("train", "--games", str(SAMPLE_GAMES), "--out", str(out))
    assert "exists; use --force to replace it" in message

"""The trainer, evaluation and the training benchmark, end to end on the bundled games."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from golois import SAMPLE_GAMES, Dataset
from golois.cli import main
from golois.network import DEFAULT_NETWORK, count_parameters, load_network
from golois.training import trainer as trainer_module
from golois.training.config import TrainConfig
from golois.training.evaluate import EVALUATION_SEED, evaluate, evaluate_arrays
from golois.training.networks import network_spec
from golois.training.pipeline import validation_arrays
from golois.training.run_files import RunFiles
from golois.training.trainer import RunExists, train

TINY = network_spec("residual", blocks=1, filters=8)


def tiny_config(out: Path, **changes: object) -> TrainConfig:
    settings = {"epochs": 2, "batch": 32, "samples_per_epoch": 128, "validation": 20, "lr": 0.01, **changes}
    return TrainConfig(TINY, SAMPLE_GAMES, out, **settings)


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
    model, optimizer = trainer_module.build_network(TINY), trainer_module.make_optimizer(tiny_config(out))
    trainer_module.compile_for_training(model, optimizer)
    checkpoint = tf.train.Checkpoint(model=model, optimizer=optimizer)
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


def test_cli_refuses_over_the_limit_before_training(tmp_path: Path) -> None:
    out = tmp_path / "big.h5"
    result = CliRunner().invoke(main, ["train", "--games", str(SAMPLE_GAMES), "--out", str(out),
                                       "--blocks", "9", "--filters", "40"])
    assert result.exit_code == 1
    assert "over the limit of 100,000" in result.output and "trainable parameters" in result.output
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


def test_validation_needs_more_games_than_positions(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="one position per game"):
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
    assert set(figures) == {"policy_accuracy", "top5_accuracy", "value_mse", "params", "positions"}
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
    assert figures == {"policy_accuracy": 0.5, "top5_accuracy": 0.75, "value_mse": 0.0625}


@pytest.mark.skipif(not DEFAULT_NETWORK.is_file(), reason="the default network is not bundled yet")
def test_the_default_network_predicts_real_moves() -> None:
    result = CliRunner().invoke(main, ["evaluate", "--model", "default", "--games", str(SAMPLE_GAMES), "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert figures["params"] <= 100_000
    assert figures["policy_accuracy"] > 0.3, "a plane out of place would drop it far lower"


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

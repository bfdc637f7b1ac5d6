"""The trainer: a network from the zoo, trained on batches made while it trains.

A run writes the best network (by validation policy accuracy) to `out`,
and keeps in the run folder beside it the last network, a checkpoint to
resume from, a CSV log and a plot of the learning curves.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from golois.dataset import Dataset
from golois.training.curves import plot_curves
from golois.training.framework import keras, tf
from golois.training.limits import check_parameter_limit
from golois.training.network_file import save_network
from golois.training.networks import NetworkSpec, build_network
from golois.training.pipeline import BatchStream, validation_arrays
from golois.training.run_files import RunFiles

OPTIMIZERS = ("sgd", "adam", "adamw")
SCHEDULES = ("cosine", "constant")
WEIGHT_DECAY = 1e-4  # AdamW's decoupled decay: light, the networks are small


class RunExists(FileExistsError):
    """A run already lives where a new one would be written."""


@dataclass(frozen=True)
class TrainConfig:
    spec: NetworkSpec
    games: Path
    out: Path
    epochs: int = 20
    batch: int = 128
    samples_per_epoch: int = 200_000
    lr: float = 1e-3
    schedule: str = "cosine"
    optimizer: str = "adam"
    validation: int = 5_000
    seed: int = 0
    threads: int = 1

    @property
    def steps_per_epoch(self) -> int:
        return max(1, self.samples_per_epoch // self.batch)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "games": str(self.games), "out": str(self.out)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        return cls(**{**data, "spec": NetworkSpec(**data["spec"]), "games": Path(data["games"]),
                      "out": Path(data["out"])})

    def check(self) -> None:
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {self.optimizer!r}; choose one of {', '.join(OPTIMIZERS)}")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"unknown schedule {self.schedule!r}; choose one of {', '.join(SCHEDULES)}")
        if min(self.epochs, self.batch, self.samples_per_epoch, self.validation) < 1 or self.lr <= 0:
            raise ValueError("epochs, batch, samples per epoch, validation and lr must be positive")


def make_optimizer(config: TrainConfig) -> Any:
    total_steps = config.epochs * config.steps_per_epoch
    lr = (keras.optimizers.schedules.CosineDecay(config.lr, total_steps, alpha=0.01)
          if config.schedule == "cosine" else config.lr)
    if config.optimizer == "sgd":
        return keras.optimizers.SGD(lr, momentum=0.9, nesterov=True)
    if config.optimizer == "adamw":
        return keras.optimizers.AdamW(lr, weight_decay=WEIGHT_DECAY)
    return keras.optimizers.Adam(lr)


def compile_for_training(model: Any, optimizer: Any) -> None:
    metrics = keras.metrics
    model.compile(
        optimizer=optimizer,
        loss={"policy": "categorical_crossentropy", "value": "binary_crossentropy"},
        metrics={"policy": [metrics.CategoricalAccuracy(name="acc"), metrics.TopKCategoricalAccuracy(5, name="top5")],
                 "value": [metrics.MeanSquaredError(name="mse")]})


def distribution_strategy() -> Any:
    """Mirrored over all GPUs when there are several; the default strategy otherwise."""
    gpus = tf.config.list_logical_devices("GPU")
    return tf.distribute.MirroredStrategy() if len(gpus) > 1 else tf.distribute.get_strategy()


@dataclass
class _Run:
    """What the epoch callbacks share."""

    config: TrainConfig
    files: RunFiles
    model: Any
    checkpoints: Any
    params: int
    epoch: int = 0
    best_accuracy: float = -1.0
    best_epoch: int = 0
    seconds_before: float = 0.0
    started: float = field(default_factory=time.monotonic)

    def seconds(self) -> float:
        return self.seconds_before + time.monotonic() - self.started

    def state(self) -> dict[str, Any]:
        return {"config": self.config.as_dict(), "epoch": self.epoch, "best_val_policy_acc": self.best_accuracy,
                "best_epoch": self.best_epoch, "seconds": round(self.seconds(), 1), "params": self.params}


class _AddRunFigures(keras.callbacks.Callback):
    """Adds samples seen, learning rate and time to the epoch's logs (before the CSV logger writes them)."""

    def __init__(self, run: _Run) -> None:
        super().__init__()
        self.run = run

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if logs is None:
            return
        logs["samples"] = (epoch + 1) * self.run.config.steps_per_epoch * self.run.config.batch
        logs["lr"] = float(keras.backend.get_value(self.model.optimizer.learning_rate))  # the rate of the last step
        logs["seconds"] = round(self.run.seconds(), 1)


class _SaveRun(keras.callbacks.Callback):
    """After each epoch: last and best networks, checkpoint, state, curves."""

    def __init__(self, run: _Run) -> None:
        super().__init__()
        self.run = run

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        run, logs = self.run, logs or {}
        run.epoch = epoch + 1
        save_network(self.model, run.files.last)
        accuracy = float(logs.get("val_policy_acc", -1.0))
        if accuracy > run.best_accuracy:
            run.best_accuracy, run.best_epoch = accuracy, run.epoch
            save_network(self.model, run.files.best)
        run.checkpoints.save(checkpoint_number=run.epoch)
        run.files.write_state(run.state())
        plot_curves(run.files.log, run.files.curves)


class _ProgressBar(keras.callbacks.Callback):
    """A tqdm bar per epoch, then one line with the validation figures."""

    def __init__(self, run: _Run) -> None:
        super().__init__()
        self.run, self.bar = run, None

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.bar = tqdm(total=self.run.config.steps_per_epoch, unit="batch", leave=False,
                        desc=f"epoch {epoch + 1}/{self.run.config.epochs}")

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self.bar.update(1)
        if logs and batch % 20 == 0:
            self.bar.set_postfix(loss=f"{logs['loss']:.3f}", acc=f"{logs['policy_acc']:.3f}", refresh=False)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.bar.close()
        logs = logs or {}
        tqdm.write(f"epoch {epoch + 1}/{self.run.config.epochs}: loss {logs.get('loss', 0):.4f}, "
                   f"policy acc {logs.get('policy_acc', 0):.4f}; validation: policy acc "
                   f"{logs.get('val_policy_acc', 0):.4f}, top-5 {logs.get('val_policy_top5', 0):.4f}, "
                   f"value MSE {logs.get('val_value_mse', 0):.4f} ({self.run.seconds():.0f} s)")


def prepare_run(config: TrainConfig, resume: bool, force: bool) -> tuple[TrainConfig, dict[str, Any]]:
    """The configuration to train with (the saved one when resuming) and the saved state."""
    files = RunFiles(config.out)
    if resume:
        state = files.read_state()
        return TrainConfig.from_dict(state["config"]), state
    if files.state.exists() and not force:
        raise RunExists(f"a training run already exists in {files.folder}; "
                        "use --resume to continue it or --force to start over")
    if force and files.folder.exists():
        for stale in (files.state, files.log, files.validation):
            stale.unlink(missing_ok=True)
        shutil.rmtree(files.checkpoint.parent, ignore_errors=True)
    config.check()
    return config, {}


def train(config: TrainConfig, *, resume: bool = False, force: bool = False, progress: bool = True,
          strategy: Any = None) -> dict[str, Any]:
    """Trains (or resumes) the run of `config`; returns its final state."""
    config, state = prepare_run(config, resume, force)
    files = RunFiles(config.out)
    keras.utils.set_random_seed(config.seed)
    strategy = strategy or distribution_strategy()
    with strategy.scope():
        model = build_network(config.spec)
        params = check_parameter_limit(model, f"{config.spec.arch} ({config.spec.describe()})")
        optimizer = make_optimizer(config)
        compile_for_training(model, optimizer)
    dataset = Dataset(config.games, seed=config.seed, progress=progress)
    if config.validation >= dataset.num_games:
        raise ValueError(f"the validation set takes one position per game: {config.validation:,} positions "
                         f"need more than the {dataset.num_games:,} games of {config.games}")
    files.folder.mkdir(parents=True, exist_ok=True)
    dataset.use_validation(config.validation, remember=files.validation)
    checkpoint = tf.train.Checkpoint(model=model, optimizer=optimizer)
    manager = tf.train.CheckpointManager(checkpoint, files.checkpoint.parent, max_to_keep=2)
    run = _Run(config, files, model, manager, params)
    if resume:
        if manager.latest_checkpoint is None:
            raise FileNotFoundError(f"nothing to resume: no checkpoint in {files.checkpoint.parent}")
        checkpoint.restore(manager.latest_checkpoint)
        run.epoch, run.best_accuracy, run.best_epoch = state["epoch"], state["best_val_policy_acc"], state["best_epoch"]
        run.seconds_before = state["seconds"]
    return _fit(run, dataset, strategy, progress)


def _fit(run: _Run, dataset: Dataset, strategy: Any, progress: bool) -> dict[str, Any]:
    config = run.config
    stream = BatchStream(dataset, config.batch, start=run.epoch * config.steps_per_epoch * config.batch,
                         threads=config.threads)
    batches = stream.as_tf_dataset()
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.OFF
    callbacks = [_AddRunFigures(run), keras.callbacks.CSVLogger(str(run.files.log), append=run.epoch > 0),
                 _SaveRun(run)]
    if progress:
        callbacks.append(_ProgressBar(run))
    try:
        with strategy.scope():
            run.model.fit(batches.with_options(options), epochs=config.epochs, initial_epoch=run.epoch,
                          steps_per_epoch=config.steps_per_epoch,
                          validation_data=validation_arrays(dataset, config.validation), validation_batch_size=256,
                          verbose=0, callbacks=callbacks)
    finally:
        stream.close()
    return run.state()

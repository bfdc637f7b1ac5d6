"""The trainer: a network from the zoo, trained on batches made while it trains.

A run writes the best network (by validation policy accuracy) to `out`,
and keeps in the run folder beside it the last network, checkpoints to
resume from, a CSV log and a plot of the learning curves.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any

from tqdm import tqdm

from golois.dataset import Dataset
from golois.network import check_parameter_limit, save_network
from golois.network.framework import keras, tf
from golois.training.config import TrainConfig, default_validation
from golois.training.curves import plot_curves
from golois.training.networks import build_network
from golois.training.networks.heads import with_ownership
from golois.training.pipeline import BatchStream, distinct_komi_planes, validation_arrays
from golois.training.run_files import RunFiles, prepare_run

WEIGHT_DECAY = 1e-4  # AdamW's decoupled decay: light, the networks are small
RESTART_PEAK_DECAY = 0.8  # `restarts`: each cycle starts at 0.8 times the previous cycle's peak


def learning_rate(config: TrainConfig) -> Any:
    """The learning rate or its schedule, by optimizer step.

    cosine: one cosine decay over the whole run, to 1% of `lr`.
    restarts: cosine cycles of 1, 2, 4, 8... epochs (SGDR), each peak 0.8 times the previous one,
    each cycle ending near 1% of `lr`: the network is annealed at the end of epochs 1, 3, 7, 15,
    31, 63..., so a long run stopped at one of those ends early with a finished network.
    constant: `lr` throughout."""
    schedules = keras.optimizers.schedules
    if config.schedule == "cosine":
        return schedules.CosineDecay(config.lr, config.epochs * config.steps_per_epoch, alpha=0.01)
    if config.schedule == "restarts":
        return schedules.CosineDecayRestarts(config.lr, config.steps_per_epoch, t_mul=2.0,
                                             m_mul=RESTART_PEAK_DECAY, alpha=0.01)
    return config.lr


def make_optimizer(config: TrainConfig) -> Any:
    """The optimizer of `config`, with its learning-rate schedule over the whole run."""
    lr = learning_rate(config)
    if config.optimizer == "sgd":
        return keras.optimizers.SGD(lr, momentum=0.9, nesterov=True)
    if config.optimizer == "adamw":
        return keras.optimizers.AdamW(lr, weight_decay=WEIGHT_DECAY)
    return keras.optimizers.Adam(lr)


def compile_for_training(model: Any, optimizer: Any, value_weight: float = 1.0, ownership_weight: float = 1.0) -> None:
    """Cross-entropy on every head (the ownership head's, if the model has one, averaged over the points),
    weighted against the policy's; policy top-1/top-5 accuracy, value MSE and value accuracy (how often
    the side it favours won) as metrics."""
    metrics = keras.metrics
    loss = {"policy": "categorical_crossentropy", "value": "binary_crossentropy"}
    weights = {"policy": 1.0, "value": value_weight}
    if "ownership" in model.output_names:
        loss["ownership"], weights["ownership"] = "categorical_crossentropy", ownership_weight
    model.compile(
        optimizer=optimizer, loss=loss, loss_weights=weights,
        metrics={"policy": [metrics.CategoricalAccuracy(name="acc"), metrics.TopKCategoricalAccuracy(5, name="top5")],
                 "value": [metrics.MeanSquaredError(name="mse"), metrics.BinaryAccuracy(name="acc")]})


def build_models(config: TrainConfig) -> tuple[Any, Any]:
    """The Golois network of `config` (what is saved) and the model that trains it: the same network
    with the ownership head when the run trains one, the network itself otherwise."""
    model = build_network(config.spec)
    return model, (with_ownership(model) if config.ownership_weight > 0 else model)


def distribution_strategy() -> Any:
    """Mirrored over all GPUs when there are several; the default strategy otherwise."""
    gpus = tf.config.list_logical_devices("GPU")
    return tf.distribute.MirroredStrategy() if len(gpus) > 1 else tf.distribute.get_strategy()


@dataclass
class _Run:
    """What the epoch callbacks share."""

    config: TrainConfig
    files: RunFiles
    model: Any  # the Golois network, saved after each epoch
    checkpoints: Any  # of the training model (with the ownership head if any) and the optimizer
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
        logs["samples"] = self.run.config.samples_before(epoch + 1)
        logs["lr"] = float(keras.backend.get_value(self.model.optimizer.learning_rate))  # the rate of the last step
        logs["seconds"] = round(self.run.seconds(), 1)


class _SaveRun(keras.callbacks.Callback):
    """After each epoch: last and best networks, checkpoint, then the state that makes them current."""

    def __init__(self, run: _Run) -> None:
        super().__init__()
        self.run = run

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        run, logs = self.run, logs or {}
        run.epoch = epoch + 1
        save_network(run.model, run.files.last)  # the Golois network: no training-only head
        accuracy = float(logs.get("val_policy_acc", -1.0))
        if accuracy > run.best_accuracy:
            run.best_accuracy, run.best_epoch = accuracy, run.epoch
            save_network(run.model, run.files.best)
        run.checkpoints.save(checkpoint_number=run.epoch)
        run.files.write_state(run.state())  # written last: a run resumes from the epoch this names
        plot_curves(run.files.log, run.files.curves)


class _StopAfter(keras.callbacks.Callback):
    """Ends training once epoch `last` is saved: the run stays resumable (runs of a study train in turns)."""

    def __init__(self, last: int) -> None:
        super().__init__()
        self.last = last

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if epoch + 1 >= self.last:
            self.model.stop_training = True


class _ProgressBar(keras.callbacks.Callback):
    """A tqdm bar per epoch, then one line with the validation figures."""

    POSTFIX_EVERY = 20  # batches; reading the logs makes TensorFlow wait for the step

    def __init__(self, run: _Run) -> None:
        super().__init__()
        self._supports_tf_logs = True  # logs stay tensors, except when the postfix reads them
        self.run, self.bar = run, None

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.bar = tqdm(total=self.run.config.steps_per_epoch, unit="batch", leave=False,
                        desc=f"epoch {epoch + 1}/{self.run.config.epochs}")

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self.bar.update(1)
        if logs and batch % self.POSTFIX_EVERY == 0:
            self.bar.set_postfix(loss=f"{float(logs['loss']):.3f}", acc=f"{float(logs['policy_acc']):.3f}",
                                 refresh=False)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.bar.close()
        logs = {key: float(value) for key, value in (logs or {}).items()}
        tqdm.write(f"epoch {epoch + 1}/{self.run.config.epochs}: loss {logs.get('loss', 0):.4f}, "
                   f"policy acc {logs.get('policy_acc', 0):.4f}; validation: policy acc "
                   f"{logs.get('val_policy_acc', 0):.4f}, top-5 {logs.get('val_policy_top5', 0):.4f}, "
                   f"value MSE {logs.get('val_value_mse', 0):.4f}, value acc {logs.get('val_value_acc', 0):.4f} "
                   f"({self.run.seconds():.0f} s)")


def train(config: TrainConfig, *, resume: bool = False, force: bool = False, progress: bool = True,
          strategy: Any = None, prepared: tuple[TrainConfig, dict[str, Any]] | None = None,
          stop_after: int | None = None) -> dict[str, Any]:
    """Trains (or resumes) the run of `config`; returns its final state.

    With `force`, an earlier run at the same place is removed, but only
    once the new one has passed every check. `prepared`: what
    `prepare_run(config, resume, force)` already returned. `stop_after`:
    stop once that epoch is saved (the run resumes from there)."""
    config, state = prepared or prepare_run(config, resume, force)
    files = RunFiles(config.out)
    keras.utils.set_random_seed(config.seed)
    strategy = strategy or distribution_strategy()
    with strategy.scope():
        model, training_model = build_models(config)
        params = check_parameter_limit(model, config.spec.label())
        optimizer = make_optimizer(config)
        compile_for_training(training_model, optimizer, config.value_weight, config.ownership_weight)
    dataset = Dataset(config.games, seed=config.seed, progress=progress)
    if config.validation is None:  # decided once; the state keeps it for --resume
        config = replace(config, validation=default_validation(dataset.num_games))
        if progress:
            tqdm.write(f"validation: {config.validation:,} positions, one from each of {config.validation:,} of the "
                       f"{dataset.num_games:,} games, held out of training (--validation to choose)")
    if config.validation >= dataset.num_games:
        raise ValueError(f"the validation set takes one position per game: {config.validation:,} positions "
                         f"need more than the {dataset.num_games:,} games of {config.games}; choose "
                         f"--validation {default_validation(dataset.num_games):,} (a tenth of the games) or fewer")
    if force:
        files.remove_run()
    files.folder.mkdir(parents=True, exist_ok=True)
    dataset.use_validation(config.validation, remember=files.validation)
    validation = validation_arrays(dataset, config.validation, ownership=training_model is not model)
    if config.komi_planes == "auto":  # decided once; the state keeps the decision for --resume
        single = distinct_komi_planes(validation[0]) == 1
        config = replace(config, komi_planes="random" if single else "data")
        if progress:
            tqdm.write("komi planes: " + ("one komi in the validation games: random komi planes in training"
                                          if single else "several komis: the games' own komi planes"))
    checkpoint = tf.train.Checkpoint(model=training_model, optimizer=optimizer)
    manager = tf.train.CheckpointManager(checkpoint, files.checkpoints, max_to_keep=2)
    run = _Run(config, files, model, manager, params)
    if resume:
        _restore(run, checkpoint, state)
    return _fit(run, training_model, dataset, validation, strategy, progress, stop_after)


def _restore(run: _Run, checkpoint: Any, state: dict[str, Any]) -> None:
    """Back to the end of the epoch the state names (a later checkpoint or log row was never made current)."""
    checkpoint.restore(str(run.files.checkpoint(state["epoch"]))).assert_existing_objects_matched()
    run.epoch, run.best_accuracy, run.best_epoch = state["epoch"], state["best_val_policy_acc"], state["best_epoch"]
    run.seconds_before = state["seconds"]
    run.files.keep_log_before(run.epoch)


def _fit(run: _Run, training_model: Any, dataset: Dataset, validation: Any, strategy: Any,
         progress: bool, stop_after: int | None) -> dict[str, Any]:
    config = run.config
    callbacks = [_AddRunFigures(run), keras.callbacks.CSVLogger(str(run.files.log), append=run.epoch > 0),
                 _SaveRun(run)]
    if progress:
        callbacks.append(_ProgressBar(run))
    if stop_after is not None:
        callbacks.append(_StopAfter(stop_after))
    stream = BatchStream(dataset, config.batch, start=config.samples_before(run.epoch), threads=config.threads,
                         ownership=training_model is not run.model, random_komi=config.komi_planes == "random",
                         seed=config.seed)
    with stream, strategy.scope():
        try:
            training_model.fit(stream.as_tf_dataset(), epochs=config.epochs, initial_epoch=run.epoch,
                               steps_per_epoch=config.steps_per_epoch, validation_data=validation,
                               validation_batch_size=256, verbose=0, callbacks=callbacks)
        except tf.errors.OpError as error:
            if stream.error is not None:  # TensorFlow wraps the generator's error: give the user the real one
                raise RuntimeError(f"making training batches failed: {stream.error}") from stream.error
            raise RuntimeError(f"training failed: {error.message}") from error
    return run.state()

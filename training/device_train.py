"""Time-boxed training on a borrowed GPU machine that has JAX but no TensorFlow.

A run of `golois train` continues there for a fixed number of seconds:
the same network from the zoo (built by Keras 3 on JAX, see
network/framework.py), the same batches in the run's order from where the
run stopped, the same losses and loss weights, the run's own validation set.
What differs is the clock: the machine is lent for minutes, so the learning
rate follows the time left rather than epochs, a short warm-up (Adam's
moments start afresh) and then one cosine decay that reaches 1% of the peak
at the deadline, so the network is annealed whenever the time runs out.
A batch of 1024 keeps the GPU busy; several producers (BatchStream with a
stride) keep it fed.

Weights come in and go out as .npz (training/weights_transfer.py):
`tools/gpu_session.py export` writes the run's weights, `... import` turns
what comes back into a Golois .h5 after checking that tf_keras computes what
Keras 3 computed. tools/train_on_gpu.sh is the whole session on the machine.
"""

from __future__ import annotations

import csv
import io
import json
import math
import time
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import numpy as np

from golois.dataset import Batch, Dataset
from golois.files import write_atomic
from golois.network.scores import evaluate_arrays
from golois.training.config import TrainConfig
from golois.training.networks import build_network
from golois.training.networks.heads import with_ownership
from golois.training.pipeline import KOMI_ONE_HOT, KOMI_PLANES, BatchStream, random_komi_rows, validation_arrays
from golois.training.run_files import RunFiles
from golois.training.weights_transfer import check_probe, load_weights, save_weights

WARM_UP = 0.03  # of the training time, rising linearly to the peak rate
FINAL_RATE = 0.01  # of the peak, at the deadline
LOG_EVERY = 500  # steps
IN_FLIGHT = 2  # steps dispatched and not yet finished: the GPU always has the next one
EPS = 1e-7  # Keras's clipping of probabilities in its cross-entropies, and Adam's epsilon


def learning_rate_at(fraction: float, peak: float) -> float:
    """The rate when `fraction` of the training time has passed: warm-up, then cosine to FINAL_RATE * peak."""
    if fraction < WARM_UP:
        return peak * max(fraction, 1e-3) / WARM_UP
    progress = min(1.0, (fraction - WARM_UP) / (1 - WARM_UP))
    return peak * (FINAL_RATE + (1 - FINAL_RATE) * 0.5 * (1 + math.cos(math.pi * progress)))


class _GpuBatches(BatchStream):
    """Batches as the GPU step takes them: the generator's arrays as made, with the komi rows to show (the step
    sets the komi planes and makes the ownership target on the GPU), in a ring of arrays filled again and again
    (fresh 50 MB arrays for each batch cost more in page faults than the filling). A batch's arrays may be
    in use until its step has run (JAX may read them in place), so the trainer keeps at most IN_FLIGHT steps
    running, and the ring is large enough that no array is refilled before then."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # in use: the queue, the array being filled, the batch just taken and the steps still running
        self._ring = [Batch.zeros(self.batch_size) for _ in range(self._queue.maxsize + IN_FLIGHT + 2)]
        self._made = 0

    def make_item(self, index: int) -> tuple[Batch, np.ndarray]:
        arrays = self._ring[self._made % len(self._ring)]
        self._made += 1
        self.dataset.get_batch(*arrays, index, threads=self.threads)
        return arrays, random_komi_rows(self.seed, index, self.batch_size)


def _batches(streams: list[_GpuBatches]) -> Iterator[tuple[Batch, np.ndarray]]:
    """The streams in turn: k streams one batch apart with stride k give the run's order."""
    iterators = [iter(stream) for stream in streams]
    while True:
        for iterator in iterators:
            yield next(iterator)


def _make_step(training_model: Any, value_weight: float, ownership_weight: float, random_komi: bool) -> Any:
    import jax
    import jax.numpy as jnp
    import optax

    adam = optax.scale_by_adam(eps=EPS)
    komi_one_hot = jnp.asarray(KOMI_ONE_HOT)

    def losses(trainable: Any, non_trainable: Any, boards: Any, komi_rows: Any, policy: Any, value: Any,
               end: Any) -> Any:
        if random_komi:  # what randomise_komi does on the CPU
            boards = boards.at[..., KOMI_PLANES].set(komi_one_hot[komi_rows][:, None, None, :])
        ownership = jnp.concatenate([end, 1.0 - end.sum(axis=-1, keepdims=True)], axis=-1)  # ownership_target
        value = value[:, None]
        (p, v, o), non_trainable = training_model.stateless_call(trainable, non_trainable, boards, training=True)
        policy_loss = -jnp.mean(jnp.sum(policy * jnp.log(jnp.clip(p, EPS, 1.0)), axis=-1))
        v = jnp.clip(v, EPS, 1 - EPS)
        value_loss = -jnp.mean(value * jnp.log(v) + (1 - value) * jnp.log(1 - v))
        ownership_loss = -jnp.mean(jnp.sum(ownership * jnp.log(jnp.clip(o, EPS, 1.0)), axis=-1))
        accuracy = jnp.mean(jnp.argmax(p, axis=-1) == jnp.argmax(policy, axis=-1))
        total = policy_loss + value_weight * value_loss + ownership_weight * ownership_loss
        return total, (non_trainable, jnp.stack([total, policy_loss, value_loss, ownership_loss, accuracy]))

    def step(trainable: Any, non_trainable: Any, moments: Any, rate: Any, batch: Any) -> Any:
        (_, (non_trainable, figures)), grads = jax.value_and_grad(losses, has_aux=True)(
            trainable, non_trainable, *batch)
        updates, moments = adam.update(grads, moments)
        trainable = [w - rate * u for w, u in zip(trainable, updates, strict=True)]
        return trainable, non_trainable, moments, figures

    return adam, jax.jit(step, donate_argnums=(0, 1, 2))


def validate(model: Any, dataset: Dataset, n: int) -> dict[str, float]:
    """Policy accuracy, top-5, value MSE and value accuracy on the run's n validation positions, named as
    in the run's log."""
    boards, targets = validation_arrays(dataset, n)
    figures = evaluate_arrays(model, boards, targets["policy"], targets["value"], batch=1000)
    return {"val_policy_acc": figures["policy_accuracy"], "val_policy_top5": figures["top5_accuracy"],
            "val_value_mse": figures["value_mse"], "val_value_acc": figures["value_accuracy"]}


def train_on_device(run: Path, games: Path, weights: Path, out: Path, seconds: float, batch: int = 1024,
                    peak: float = 0.002, producers: int = 3, threads: int = 4,
                    start: int | None = None) -> dict[str, Any]:
    """Trains the run's network from `weights` for `seconds`, from sample `start` of the run's order (None:
    where the run's last epoch ended); writes network.npz, training.npz, log.csv and summary.json to `out`,
    and returns the summary (its first_sample + samples is where a next session starts)."""
    import jax

    started = time.monotonic()
    files = RunFiles.of_folder(run)
    state = files.read_state()
    config = TrainConfig.from_dict(state["config"])
    model = build_network(config.spec)
    training_model = with_ownership(model)
    load_weights(training_model, weights)
    print(f"weights loaded; Keras 3 on {jax.devices()[0]} answers their probe within "
          f"{check_probe(training_model, weights):.1g} of an output's spread", flush=True)
    dataset = Dataset(games, seed=config.seed, progress=False)
    dataset.use_validation(config.validation, remember=files.validation)
    first = config.samples_before(state["epoch"]) if start is None else start
    adam, step = _make_step(training_model, config.value_weight, config.ownership_weight,
                            config.komi_planes == "random")
    trainable = [v.value for v in training_model.trainable_variables]
    non_trainable = [v.value for v in training_model.non_trainable_variables]
    moments = adam.init(trainable)
    out.mkdir(parents=True, exist_ok=True)
    streams = [_GpuBatches(dataset, batch, start=first + k * batch, depth=3, threads=threads, seed=config.seed,
                           stride=producers) for k in range(producers)]
    batches = _batches(streams)

    def next_batch() -> Any:
        arrays, komi_rows = next(batches)
        return jax.device_put((arrays.input_data, komi_rows, arrays.policy, arrays.value, arrays.end))

    rows, figures, steps, running = [], [], 0, deque()
    try:
        # the first step compiles: the clock starts after it
        trainable, non_trainable, moments, _ = step(trainable, non_trainable, moments, 0.0, next_batch())
        jax.block_until_ready(trainable)
        compiled = time.monotonic()
        budget = seconds - (compiled - started)
        print(f"compiled in {compiled - started:.0f} s; training for {budget:.0f} s", flush=True)
        while (elapsed := time.monotonic() - compiled) < budget:
            rate = learning_rate_at(elapsed / budget, peak)
            trainable, non_trainable, moments, numbers = step(trainable, non_trainable, moments, rate, next_batch())
            figures.append(numbers)
            running.append(numbers)
            if len(running) > IN_FLIGHT:  # the ring of _GpuBatches counts on it
                jax.block_until_ready(running.popleft())
            steps += 1
            if steps % LOG_EVERY == 0:
                mean = np.mean(np.asarray(jax.device_get(figures)), axis=0)
                figures = []
                rows.append({"step": steps, "samples": steps * batch, "seconds": round(elapsed, 1),
                             "lr": rate, "loss": mean[0], "policy_loss": mean[1], "value_loss": mean[2],
                             "ownership_loss": mean[3], "policy_acc": mean[4]})
                print(f"{elapsed:6.0f} s  step {steps:6d}  {steps * batch / elapsed:8.0f} samples/s  lr {rate:.5f}"
                      f"  loss {mean[0]:.4f}  policy acc {mean[4]:.4f}", flush=True)
    finally:
        batches.close()
        for stream in streams:
            stream.close()
    for variable, value in zip(training_model.trainable_variables, trainable, strict=True):
        variable.assign(value)
    for variable, value in zip(training_model.non_trainable_variables, non_trainable, strict=True):
        variable.assign(value)
    trained = time.monotonic() - compiled
    save_weights(model, out / "network.npz")
    save_weights(training_model, out / "training.npz")
    summary = {"run": str(run), "from_epoch": state["epoch"], "first_sample": first, "steps": steps,
               "samples": steps * batch, "batch": batch, "peak_lr": peak, "train_seconds": round(trained, 1),
               "samples_per_second": round(steps * batch / trained), "device": str(jax.devices()[0]),
               **validate(model, dataset, config.validation)}
    log = io.StringIO(newline="")
    writer = csv.DictWriter(log, fieldnames=list(rows[0]) if rows else ["step"])
    writer.writeheader()
    writer.writerows(rows)
    write_atomic(out / "log.csv", log.getvalue())
    write_atomic(out / "summary.json", json.dumps(summary, indent=2) + "\n")
    return summary


@click.command()
@click.option("--run", "run", type=click.Path(exists=True, file_okay=False, path_type=Path), required=True,
              help="the run folder (state.json, validation.data)")
@click.option("--games", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True)
@click.option("--weights", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True,
              help="the training model's weights (tools/gpu_session.py export)")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True)
@click.option("--seconds", type=click.FloatRange(min=10), required=True, help="from start to the last step")
@click.option("--batch", type=click.IntRange(min=1), default=1024, show_default=True)
@click.option("--lr", "peak", type=click.FloatRange(min=0, min_open=True), default=0.002, show_default=True)
@click.option("--producers", type=click.IntRange(min=1), default=3, show_default=True)
@click.option("--threads", type=click.IntRange(min=1), default=4, show_default=True,
              help="C++ threads of each producer")
@click.option("--start", type=click.IntRange(min=0), default=None,
              help="first sample of the run's order [default: where the run's last epoch ended; after an earlier "
                   "session, its summary's first_sample + samples]")
def main(**options: Any) -> None:
    """Continues a training run on this machine's GPU for a fixed time (Keras 3 on JAX)."""
    try:
        summary = train_on_device(**options)
    except (ValueError, FileNotFoundError) as error:  # a damaged run folder, weights of another network...
        raise click.ClickException(str(error)) from error
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()

"""Both ends of a training session on a borrowed GPU machine (training/device_train.py), on this side.

    python tools/gpu_session.py export RUN_FOLDER WEIGHTS.npz
        the training model (with its ownership head) of the run's latest
        checkpoint, as weights that Keras 3 loads;
    python tools/gpu_session.py import RUN_FOLDER NETWORK.npz OUT.h5
        what the GPU machine sent back, as a Golois .h5, once tf_keras
        answers the weights' probe as Keras 3 on the GPU did.

tools/train_on_gpu.sh is what runs on the machine in between.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from golois.network import check_parameter_limit, save_network
from golois.network.framework import tf
from golois.training.config import TrainConfig
from golois.training.networks import build_network
from golois.training.run_files import RunFiles
from golois.training.trainer import build_models
from golois.training.weights_transfer import WeightsMismatch, check_probe, load_weights, save_weights


def _open_run(run: Path) -> tuple[RunFiles, TrainConfig, int]:
    """The run's files, settings and last saved epoch; a clean error for a folder that is not a run."""
    try:
        files = RunFiles.of_folder(run)
        state = files.read_state()
    except (ValueError, FileNotFoundError) as error:
        raise click.ClickException(str(error)) from error
    return files, TrainConfig.from_dict(state["config"]), state["epoch"]


@click.group()
def cli() -> None:
    """Weights to and from a GPU training session."""


@cli.command()
@click.argument("run", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("weights", type=click.Path(dir_okay=False, path_type=Path))
def export(run: Path, weights: Path) -> None:
    """The run's latest checkpoint as WEIGHTS (.npz)."""
    files, config, epoch = _open_run(run)
    try:
        checkpoint_path = files.checkpoint(epoch)
    except FileNotFoundError as error:
        raise click.ClickException(str(error)) from error
    _, training_model = build_models(config)
    checkpoint = tf.train.Checkpoint(model=training_model)
    checkpoint.restore(str(checkpoint_path)).assert_existing_objects_matched().expect_partial()
    save_weights(training_model, weights)
    click.echo(f"{weights}: the weights of epoch {epoch} ({training_model.count_params():,} parameters)")


@cli.command("import")
@click.argument("run", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("network", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
def import_(run: Path, network: Path, out: Path) -> None:
    """NETWORK (.npz from the GPU machine) as the Golois network OUT (.h5)."""
    _, config, _ = _open_run(run)
    model = build_network(config.spec)
    check_parameter_limit(model, config.spec.label())
    try:
        load_weights(model, network)
        worst = check_probe(model, network)
    except WeightsMismatch as error:
        raise click.ClickException(str(error)) from error
    save_network(model, out)
    click.echo(f"{out}: tf_keras answers the probe as Keras 3 on the GPU did, within {worst:.1g} of an output's spread")


if __name__ == "__main__":
    sys.exit(cli())

"""`golois train`, `golois evaluate` and `golois bench train`.

TensorFlow is imported inside the commands, so that `golois --help` and
the other commands stay fast.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from golois.games_cli import GAMES_FILE
from golois.training.config import KOMI_PLANES, OPTIMIZERS, SCHEDULES, TrainConfig
from golois.training.networks import ACTIVATIONS, ARCHITECTURES, VALUE_HEADS, network_spec
from golois.training.networks import DEFAULTS as DEFAULT_SPECS
from golois.training.run_files import RunFiles

DEFAULTS = TrainConfig(DEFAULT_SPECS["residual"], Path(), Path())
RUN_SETTINGS = ("arch", "blocks", "filters", "expansion", "groups", "activation", "value_head", "games", "epochs",
                "batch", "samples_per_epoch", "lr", "schedule", "optimizer", "validation", "seed", "threads",
                "value_weight", "ownership_weight", "komi_planes")


@click.command("train")
@click.option("--arch", type=click.Choice(ARCHITECTURES), default="residual", show_default=True,
              help="Network family.")
@click.option("--blocks", type=click.IntRange(1), help="Blocks in the trunk (family default if omitted).")
@click.option("--filters", type=click.IntRange(1), help="Channels of the trunk.")
@click.option("--expansion", type=click.IntRange(1), help="Expansion factor (mobilenet, shufflenet, mixnet).")
@click.option("--groups", type=click.IntRange(1), help="Groups of the 1x1 convolutions (shufflenet).")
@click.option("--activation", type=click.Choice(ACTIVATIONS), help="Activation function.")
@click.option("--value-head", type=click.Choice(VALUE_HEADS), default="conv", show_default=True,
              help="conv: 1x1 conv + BatchNorm, mean and max pooling, small Dense; dense: the first head "
                   "(average of the trunk, Dense ReLU), whose units die.")
@click.option("--games", type=GAMES_FILE, help="Games file to train on (binary or original games.data).")
@click.option("--out", "-o", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Best network (.h5); the run's other files go in OUT's stem + '.run/'.")
@click.option("--epochs", default=DEFAULTS.epochs, show_default=True, type=click.IntRange(1))
@click.option("--batch", default=DEFAULTS.batch, show_default=True, type=click.IntRange(1))
@click.option("--samples-per-epoch", default=DEFAULTS.samples_per_epoch, show_default=True, type=click.IntRange(1))
@click.option("--lr", default=DEFAULTS.lr, show_default=True, type=click.FloatRange(0, min_open=True),
              help="Initial learning rate.")
@click.option("--schedule", type=click.Choice(SCHEDULES), default=DEFAULTS.schedule, show_default=True)
@click.option("--optimizer", type=click.Choice(OPTIMIZERS), default=DEFAULTS.optimizer, show_default=True)
@click.option("--validation", default=None, type=click.IntRange(1),
              help="Validation positions, one per held-out game [default: 5,000, or a tenth of the games of a "
                   "smaller file].")
@click.option("--seed", default=DEFAULTS.seed, show_default=True,
              help="Seed of the data order and the initial weights.")
@click.option("--threads", default=DEFAULTS.threads, show_default=True, type=click.IntRange(0),
              help="Batch generator threads (0 = all cores).")
@click.option("--value-weight", default=DEFAULTS.value_weight, show_default=True, type=click.FloatRange(0),
              help="Weight of the value loss (the policy loss weighs 1).")
@click.option("--ownership-weight", default=DEFAULTS.ownership_weight, show_default=True, type=click.FloatRange(0),
              help="Weight of the auxiliary ownership loss (final position of the game); 0: no ownership head. "
                   "The head is used in training only, never saved.")
@click.option("--komi-planes", type=click.Choice(KOMI_PLANES), default=DEFAULTS.komi_planes, show_default=True,
              help="random: a random komi one-hot per training sample, so the network ignores the komi planes; "
                   "data: the games' komi; auto: random when the games have a single komi.")
@click.option("--resume", is_flag=True, help="Continue the interrupted run of OUT with its saved settings.")
@click.option("--stop-after-epoch", "stop_after", type=click.IntRange(1), default=None,
              help="Stop once this epoch is saved; --resume continues from there (runs trained in turns).")
@click.option("--force", is_flag=True, help="Start over, replacing the run of OUT.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bars.")
@click.pass_context
def train_command(ctx: click.Context, arch: str, blocks: int | None, filters: int | None, expansion: int | None,
                  groups: int | None, activation: str | None, value_head: str, games: Path | None, out: Path,
                  epochs: int, batch: int, samples_per_epoch: int, lr: float, schedule: str, optimizer: str,
                  validation: int | None, seed: int, threads: int, value_weight: float, ownership_weight: float,
                  komi_planes: str, resume: bool, stop_after: int | None, force: bool, quiet: bool) -> None:
    """Train a network of the zoo on a games file.

    The network must stay within 100,000 trainable parameters; a larger
    configuration is refused before training starts.
    """
    if resume:
        given = [name for name in RUN_SETTINGS
                 if ctx.get_parameter_source(name) is click.core.ParameterSource.COMMANDLINE]
        if force or given:
            options = ", ".join("--" + name.replace("_", "-") for name in given)
            raise click.UsageError("--resume continues a run with its saved settings; it takes only --out, "
                                   f"--stop-after-epoch and --quiet (given: {options})"
                                   if given else "--resume and --force contradict each other")
    elif games is None:
        raise click.UsageError("--games is required (except with --resume)")
    try:
        spec = network_spec(arch, blocks=blocks, filters=filters, expansion=expansion, groups=groups,
                            activation=activation, value_head=value_head)
    except ValueError as error:
        raise click.UsageError(str(error)) from error
    config = TrainConfig(spec, games or Path(), out, epochs=epochs, batch=batch, samples_per_epoch=samples_per_epoch,
                         lr=lr, schedule=schedule, optimizer=optimizer, validation=validation, seed=seed,
                         threads=threads, value_weight=value_weight, ownership_weight=ownership_weight,
                         komi_planes=komi_planes)
    from golois.network import refuse_over_limit
    from golois.training.networks.sizes import trainable_parameters
    from golois.training.run_files import prepare_run

    try:  # what cannot run is refused here, before TensorFlow loads
        if not resume:
            refuse_over_limit(trainable_parameters(spec), spec.label())
        saved, state = prepare_run(config, resume, force)
    except (ValueError, FileNotFoundError, FileExistsError) as error:
        raise click.ClickException(str(error)) from error
    if resume and stop_after is not None and stop_after <= state["epoch"]:
        raise click.ClickException(f"the run of {out} has already trained {state['epoch']} epochs; "
                                   f"--stop-after-epoch {stop_after} would train none")
    if resume:
        click.echo(f"resuming {out} after epoch {state['epoch']} of {saved.epochs} "
                   f"({saved.samples_before(state['epoch']):,} samples trained, best validation policy accuracy "
                   f"{state['best_val_policy_acc']:.4f} at epoch {state['best_epoch']})", err=True)
    from golois.training.trainer import train

    try:
        state = train(config, resume=resume, force=force, progress=not quiet, prepared=(saved, state),
                      stop_after=stop_after)
    except KeyboardInterrupt:
        saved = RunFiles(out).state.exists()
        raise click.ClickException("interrupted; " + (f"continue with: golois train --out {out} --resume" if saved
                                                      else "no epoch was finished, so nothing was saved")) from None
    except (ValueError, FileNotFoundError, FileExistsError, RuntimeError) as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"best validation policy accuracy {state['best_val_policy_acc']:.4f} at epoch {state['best_epoch']}; "
               f"network in {out}, log and curves in {RunFiles(out).folder}")


@click.command("evaluate")
@click.option("--model", "-m", required=True, help="Network .h5 file, or 'default' for the bundled network.")
@click.option("--games", required=True, type=GAMES_FILE, help="Games file to draw positions from.")
@click.option("--positions", default=10_000, show_default=True, type=click.IntRange(1),
              help="Positions, one per game (fewer if the file has fewer games).")
@click.option("--komi", type=float, help="Show every position this komi in the komi planes (default: its game's).")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
def evaluate_command(model: str, games: Path, positions: int, komi: float | None, as_json: bool) -> None:
    """Policy accuracy, top-5 accuracy and value MSE of a network on a games file, and how often the
    side its value favours won the game, by game phase (moves played before the position)."""
    from golois.network import NetworkFileError
    from golois.training.evaluate import evaluate

    try:
        result = evaluate(model, games, positions=positions, progress=not as_json, komi=komi)
    except (NetworkFileError, ValueError, RuntimeError) as error:
        raise click.ClickException(str(error)) from error
    if as_json:
        click.echo(json.dumps(result))
        return
    shown = f" at komi {komi:g}" if komi is not None else ""
    click.echo(f"{model} on {result['positions']:,} positions of {games}{shown}: policy accuracy "
               f"{result['policy_accuracy']:.4f}, top-5 {result['top5_accuracy']:.4f}, "
               f"value MSE {result['value_mse']:.4f} ({result['params']:,} trainable parameters)")
    click.echo(f"the side the value favours won {_percent(result['value_accuracy'])} of the games "
               f"(value spread: standard deviation {result['value_std']:.3f})")
    for phase, figures in result["value_by_phase"].items():
        if figures["positions"]:
            click.echo(f"  moves {phase:>7}: {_percent(figures['value_accuracy'])} "
                       f"(value MSE {figures['value_mse']:.4f}, {figures['positions']:,} positions)")


def _percent(share: float) -> str:
    return "n/a" if share != share else f"{100 * share:.1f}%"  # NaN: no decided game


@click.command("train")
@click.option("--games", type=GAMES_FILE, help="Games file to sample from (default: the bundled 200 games).")
@click.option("--arch", type=click.Choice(ARCHITECTURES), default="residual", show_default=True)
@click.option("--batch", default=128, show_default=True, type=click.IntRange(1))
@click.option("--steps", default=40, show_default=True, type=click.IntRange(1), help="Training steps per timing.")
@click.option("--repeat", default=3, show_default=True, type=click.IntRange(1), help="Timings; the fastest counts.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def bench_train_command(games: Path | None, arch: str, batch: int, steps: int, repeat: int, as_json: bool) -> None:
    """Training samples/s of the trainer against model.fit on in-memory arrays."""
    from golois import SAMPLE_GAMES
    from golois.training.bench import bench_train

    result = bench_train(games or SAMPLE_GAMES, network_spec(arch), batch=batch, steps=steps, repeat=repeat)
    if as_json:
        click.echo(json.dumps(result, indent=2))
        return
    click.echo(f"trainer ({arch}, {result['params']:,} parameters, batch {batch}): "
               f"{result['samples_per_second']:,} samples/s")
    click.echo(f"baseline (model.fit on in-memory arrays): {result['baseline']['samples_per_second']:,} samples/s; "
               f"ratio {result['ratio']}")

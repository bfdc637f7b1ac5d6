"""The frame's contracts: facts stated once, one error base, a command line that loads only what a command needs."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import subprocess
import sys

import numpy as np

import golois
from golois.errors import GoloisError


def test_the_plane_layout_tiles_the_input_and_matches_the_format():
    groups = list(golois.PLANE_LAYOUT.items())
    first = 0
    for _, (start, count) in groups:
        assert start == first and count >= 1
        first = start + count
    assert first == golois.PLANES == 31
    # The course's contract (docs/reference/file-format.md): these indices are what real networks were trained on.
    assert golois.PLANE_LAYOUT["liberties"] == (5, 6)
    assert golois.PLANE_LAYOUT["history"] == (11, 10)
    assert golois.plane_slice("komi") == slice(21, 31)


def test_the_trainer_takes_the_komi_planes_from_the_core():
    from golois.training.pipeline import KOMI_PLANES, komi_planes

    assert golois.plane_slice("komi") == KOMI_PLANES
    assert int(np.argmax(komi_planes(7.5))) == 7 and komi_planes(12.0).sum() == 0
    # The planes the core itself sets for komi 7.5 are the ones the trainer overwrites.
    dataset = golois.Dataset(golois.SAMPLE_GAMES, progress=False)
    komi = np.stack([dataset.sample(game, 10)["input"] for game in range(4)])[..., KOMI_PLANES]
    assert (komi.sum(axis=-1) == 1).all() and (komi[..., 6] == 1).all()  # the sample games have komi 6.5


def _modules():
    names = ["golois"]
    for package in ("golois", "golois.network", "golois.engine", "golois.training", "golois.tournament"):
        module = importlib.import_module(package)
        names += [info.name for info in pkgutil.walk_packages(module.__path__, package + ".")
                  if ".migrations" not in info.name and not info.name.endswith("device_train")]
    return sorted(set(names))


def test_every_public_error_class_derives_from_golois_error():
    offenders = []
    for name in _modules():
        module = importlib.import_module(name)
        for attribute, value in vars(module).items():
            if (inspect.isclass(value) and issubclass(value, Exception) and value.__module__ == name
                    and not attribute.startswith("_") and not issubclass(value, GoloisError)):
                offenders.append(f"{name}.{attribute}")
    assert offenders == []


def test_a_core_command_loads_neither_the_server_nor_tensorflow():
    script = ("import sys\nfrom golois.cli import main\n"
              "try:\n    main(['info', sys.argv[1]])\nexcept SystemExit:\n    pass\n"
              "loaded = [m for m in ('flask', 'sqlalchemy', 'tensorflow', 'golois.tournament', 'golois.training')"
              " if m in sys.modules]\nprint('LOADED', loaded)")
    result = subprocess.run([sys.executable, "-c", script, str(golois.SAMPLE_GAMES)], capture_output=True,
                            text=True, timeout=120)
    assert "games      200" in result.stdout, result.stderr
    assert "LOADED []" in result.stdout


def test_every_command_is_listed_and_loads():
    from click.testing import CliRunner

    from golois.cli import BENCHMARKS, COMMANDS, main

    listing = CliRunner().invoke(main, ["--help"]).output
    for name in COMMANDS:
        assert f"  {name} " in listing
        assert CliRunner().invoke(main, [name, "--help"]).exit_code == 0, name
    for name in BENCHMARKS:
        assert CliRunner().invoke(main, ["bench", name, "--help"]).exit_code == 0, name
    assert CliRunner().invoke(main, ["no-such-command"]).exit_code == 2


def test_the_time_rule_is_one_constant():
    from golois.engine.clock import SECONDS_PER_MOVE, Clock
    from golois.tournament.domain import TournamentSettings
    from golois.tournament.schedule import WeeklySchedule

    assert Clock().seconds_per_move == SECONDS_PER_MOVE
    assert TournamentSettings().seconds_per_move == SECONDS_PER_MOVE
    assert WeeklySchedule(weekday=6, hour=2, minute=0).tournament_settings() == TournamentSettings()

"""A training run's settings, importable without TensorFlow (the command line reads them)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from golois.training.networks import NetworkSpec

OPTIMIZERS = ("sgd", "adam", "adamw")
VALIDATION_GAMES = 5_000  # validation positions by default (one per held-out game)


def default_validation(games: int) -> int:
    """5,000 validation games, or a tenth of a file of fewer than 50,000 games (at least 1)."""
    return max(1, min(VALIDATION_GAMES, games // 10))
SCHEDULES = ("cosine", "restarts", "constant")
# random: each training sample gets a random komi one-hot (planes 21..30, or none), so that the network
# learns to ignore them; data: the games' own komi; auto: random when the games have a single komi.
KOMI_PLANES = ("auto", "random", "data")
# What runs saved before these settings existed trained with (so that they resume as they were made).
LEGACY_SETTINGS = {"value_weight": 1.0, "ownership_weight": 0.0, "komi_planes": "data"}
LEGACY_SPEC = {"value_head": "dense"}


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
    validation: int | None = None  # None: VALIDATION_GAMES, or a tenth of the games of a smaller file
    seed: int = 0
    threads: int = 0  # batch generator threads; 0 = all cores (a GPU trains faster than one core fills)
    value_weight: float = 1.0  # loss weights, the policy's being 1
    ownership_weight: float = 1.0  # auxiliary ownership head (training only); 0: no such head
    komi_planes: str = "auto"

    @property
    def steps_per_epoch(self) -> int:
        return self.samples_per_epoch // self.batch

    def samples_before(self, epoch: int) -> int:
        """Samples trained on before `epoch` (0-based): where the data order resumes."""
        return epoch * self.steps_per_epoch * self.batch

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "spec": self.spec.as_dict(), "games": str(self.games), "out": str(self.out)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        """The configuration saved by `as_dict`; settings a run saved before they existed take their old value."""
        return cls(**{**LEGACY_SETTINGS, **data, "spec": NetworkSpec(**{**LEGACY_SPEC, **data["spec"]}),
                      "games": Path(data["games"]), "out": Path(data["out"])})

    def check(self) -> None:
        """Raises ValueError for settings that cannot train."""
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {self.optimizer!r}; choose one of {', '.join(OPTIMIZERS)}")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"unknown schedule {self.schedule!r}; choose one of {', '.join(SCHEDULES)}")
        if self.komi_planes not in KOMI_PLANES:
            raise ValueError(f"unknown komi planes {self.komi_planes!r}; choose one of {', '.join(KOMI_PLANES)}")
        if min(self.epochs, self.batch, self.validation or 1) < 1 or self.lr <= 0:
            raise ValueError("epochs, batch, validation and lr must be positive")
        if self.value_weight < 0 or self.ownership_weight < 0:
            raise ValueError("loss weights cannot be negative")
        if self.samples_per_epoch < self.batch:
            raise ValueError(f"an epoch of {self.samples_per_epoch} samples is less than one batch of {self.batch}")

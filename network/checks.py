"""The network file contract, checked stage by stage with a report a student can act on.

`ContractChecks` runs the same stages as `load_network` (HDF5, the
description against the allowlists, building, input, outputs) and then the
parameter limit, recording each stage's figures. Every stage runs whose
inputs exist: a network refused for its outputs is still measured against
the parameter limit; a stage that cannot run (nothing to build from) is
listed as not run, with why. The first failure is the reason. The
tournament's upload checker adds play checks on top.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from golois.network.allowlist import layer_configs
from golois.network.h5file import (
    BOARD_SHAPE,
    NetworkFileError,
    build_model,
    check_description,
    check_input,
    check_outputs,
    open_audited,
)
from golois.network.limits import PARAMETER_LIMIT, OverParameterLimit, count_parameters, refuse_over_limit


@dataclass
class Check:
    name: str
    ok: bool | None  # None: not run (an earlier stage it needs failed); `detail` says which
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


STAGES = ("HDF5 file", "description", "build", "input", "outputs", "parameter limit")


def not_run(name: str, why: str) -> Check:
    return Check(name, None, f"not run: {why}")


def first_failure(checks: list[Check]) -> Check | None:
    return next((check for check in checks if check.ok is False), None)


class ContractChecks:
    """Runs the stages in order; `model` is the built network once `build` passed, `params` its trainable
    parameters once counted."""

    def __init__(self, path: Path, limit: int = PARAMETER_LIMIT) -> None:
        self.path, self.limit = Path(path), limit
        self.checks: list[Check] = []
        self.model: Any = None
        self.params: int | None = None

    @property
    def passed(self) -> bool:
        return len(self.checks) == len(STAGES) and all(check.ok for check in self.checks)

    def record(self, name: str, detail: str, ok: bool = True) -> None:
        self.checks.append(Check(name, ok, detail))

    def run(self) -> bool:
        """True when the file meets the contract; every stage is in `checks`, run or not."""
        self._run()
        done = {check.name for check in self.checks}
        why = {"description": "the file is not a safe HDF5 file", "build": "the description is refused"}
        for name in STAGES:
            if name not in done:
                self.checks.append(not_run(name, why.get(_first_missing(done), "the model does not build")))
        return self.passed

    def _run(self) -> None:
        path = self.path
        try:
            h5, audit = open_audited(path)
        except NetworkFileError as error:
            self.record("HDF5 file", _reason(error, path), ok=False)
            return
        with h5:
            self.record("HDF5 file", f"{path.stat().st_size:,} bytes: {audit.describe()}; data only (no links "
                        "out of the file, no external storage, no plug-in filters)")
            try:
                config = check_description(h5, path)
            except NetworkFileError as error:
                self.record("description", _reason(error, path), ok=False)
                return
            layers = [layer for layer in layer_configs(config) if "config" in layer]
            self.record("description", f"{len(layers)} objects, all of allowed Keras classes and TensorFlow "
                        "operations (no Lambda, no custom code)")
            try:
                self.model = build_model(h5, path)
            except NetworkFileError as error:
                self.record("build", _reason(error, path), ok=False)
                return
        self.record("build", f"{len(self.model.layers)} layers built by tf_keras")
        # The model exists: the remaining stages are independent of each other, and all run.
        for name, check, detail in (("input", check_input, f"{BOARD_SHAPE} (31 planes)"),
                                    ("outputs", check_outputs, "policy (361) and value (1)")):
            try:
                check(self.model, path)
                self.record(name, detail)
            except NetworkFileError as error:
                self.record(name, _reason(error, path), ok=False)
        self.params = count_parameters(self.model)
        try:
            refuse_over_limit(self.params, "the network", self.limit)
            self.record("parameter limit", f"{self.params:,} trainable parameters (limit {self.limit:,})")
        except OverParameterLimit as error:
            self.record("parameter limit", str(error), ok=False)


def _first_missing(done: set[str]) -> str:
    return next(name for name in STAGES if name not in done)


def _reason(error: Exception, path: Path) -> str:
    """The error's message without the file path that starts it (the report names the file)."""
    message = str(error)
    prefix = f"{path}: "
    return message[len(prefix):] if message.startswith(prefix) else message.replace(f"{path} ", "the file ", 1)

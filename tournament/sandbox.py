"""The sandbox an uploaded network is checked in: Debian's bubblewrap, which sees the upload and nothing else.

The checker (`upload_check`) runs in new namespaces (no network, its own
processes, its own mounts) as an unprivileged user with no capabilities, on
a read-only view of the system's programs and libraries and of Python with
its packages; a private /tmp; the upload bound read-only; one empty folder
to write the canonical file into. The data folder, the database, the
secret key, the other teams' files and the conversion cache are not in its
world: where one of them lies inside a folder it must see (a data folder
inside the installation), it is covered by an empty folder. It dies with
its parent. Resource limits (memory, CPU, wall clock, file size) are the
parent's, on top.

`GOLOIS_SANDBOX` chooses: `auto` (bubblewrap when it works here; otherwise
uploads are refused and the site says why), `bubblewrap` (required: the
server does not start without it) or `none` (the admin's explicit opt-out:
checks run with resource limits only, and the site says so).
"""

from __future__ import annotations

import functools
import shutil
import site
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from golois.errors import GoloisError

if TYPE_CHECKING:
    from flask import Flask

INSIDE = Path("/sandbox")
UPLOAD = INSIDE / "network.h5"  # the upload, read-only
OUT = INSIDE / "out"  # the only folder the checker can write (besides its private /tmp)
NOBODY = 65534
SYSTEM_LINKS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")  # symbolic links into /usr on Debian
SYSTEM_FILES = ("/etc/ld.so.cache",)  # the dynamic linker's cache; nothing else of /etc (no passwd, no hosts)


class Isolation(StrEnum):
    BUBBLEWRAP = "bubblewrap"
    NONE = "none"  # the admin opted out: resource limits only
    UNAVAILABLE = "unavailable"  # asked for `auto` and bubblewrap does not work here: uploads are refused


SETTINGS = ("auto", "bubblewrap", "none")


class SandboxUnavailable(GoloisError):
    status = 503


@dataclass(frozen=True)
class Sandbox:
    isolation: Isolation
    reason: str  # one line for the log and the site

    @property
    def checks_allowed(self) -> bool:
        return self.isolation is not Isolation.UNAVAILABLE

    def describe(self) -> str:
        return f"upload checks: {self.reason}"

    def wrap(self, command: list[str], upload: Path, out: Path, hidden: list[Path]) -> list[str]:
        """`command` (which names the upload UPLOAD and writes to OUT) as run in this sandbox.

        Without bubblewrap the paths inside are the real ones: the caller passes them in `command`."""
        if self.isolation is Isolation.UNAVAILABLE:
            raise SandboxUnavailable(f"uploads are not checked on this server: {self.reason}")
        if self.isolation is Isolation.NONE:
            return command
        return [*bubblewrap_arguments(upload, out, hidden), *command]


def bubblewrap_arguments(upload: Path, out: Path, hidden: list[Path]) -> list[str]:
    """The bwrap command line up to the program to run."""
    args = ["bwrap", "--unshare-all", "--unshare-user", "--uid", str(NOBODY), "--gid", str(NOBODY),
            "--die-with-parent", "--new-session", "--cap-drop", "ALL", "--hostname", "sandbox",
            "--ro-bind", "/usr", "/usr", "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    for link in SYSTEM_LINKS:
        path = Path(link)
        if path.is_symlink():
            args += ["--symlink", str(path.readlink()), link]
        elif path.is_dir():
            args += ["--ro-bind", link, link]
    for name in SYSTEM_FILES:
        args += ["--ro-bind-try", name, name]
    visible = python_folders()
    for folder in visible:
        args += ["--ro-bind", str(folder), str(folder)]
    for path in hidden:  # covered where a visible folder holds them
        path = path.resolve()
        if any(path == folder or folder in path.parents for folder in visible):
            args += ["--tmpfs", str(path)] if path.is_dir() else ["--ro-bind", "/dev/null", str(path)]
    args += ["--ro-bind", str(upload), str(UPLOAD), "--bind", str(out), str(OUT), "--chdir", str(OUT)]
    return args


def python_folders() -> list[Path]:
    """What the checker's Python needs: its installation, its site-packages and golois's own folders (an
    editable install keeps them in the source tree), outermost first, none inside another."""
    import golois
    from golois import engine, network, tournament, training

    folders = {Path(sys.base_prefix), Path(sys.prefix), *map(Path, site.getsitepackages())}
    for package in (golois, engine, network, tournament, training):
        folders.update(Path(p) for p in package.__path__)
    resolved = sorted({folder.resolve() for folder in folders if folder.is_dir()}, key=lambda p: len(p.parts))
    kept: list[Path] = []
    for folder in resolved:
        if not any(parent in folder.parents for parent in kept) and not str(folder).startswith("/usr/"):
            kept.append(folder)
    return kept


@functools.cache
def _bubblewrap_works() -> str | None:
    """None when bubblewrap runs a program here; otherwise why not."""
    if shutil.which("bwrap") is None:
        return "bubblewrap is not installed (Debian: apt-get install bubblewrap)"
    try:
        with tempfile.TemporaryDirectory(prefix="golois-probe-") as out:
            probe = [*bubblewrap_arguments(Path("/dev/null"), Path(out), []), sys.executable, "-I", "-c",
                     "import golois"]
            done = subprocess.run(probe, stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"bubblewrap does not start ({error})"
    if done.returncode != 0:
        last = (done.stderr.decode("utf-8", "replace").strip().splitlines() or ["no message"])[-1]
        return f"bubblewrap cannot make a sandbox here ({last[:200]})"
    return None


def choose_sandbox(setting: str) -> Sandbox:
    """The sandbox of GOLOIS_SANDBOX's `setting`; raises for `bubblewrap` where it cannot be had."""
    if setting not in SETTINGS:
        raise GoloisError(f"GOLOIS_SANDBOX={setting!r}: choose one of {', '.join(SETTINGS)}")
    if setting == "none":
        return Sandbox(Isolation.NONE, "NOT sandboxed (GOLOIS_SANDBOX=none): resource limits only, the checker "
                                       "can read what the server can")
    problem = _bubblewrap_works()
    if problem is None:
        return Sandbox(Isolation.BUBBLEWRAP, "sandboxed by bubblewrap (no network, no data folder, the upload "
                                             "alone, read-only)")
    if setting == "bubblewrap":
        raise GoloisError(f"GOLOIS_SANDBOX=bubblewrap, but {problem}")
    return Sandbox(Isolation.UNAVAILABLE, f"{problem}; uploads are refused until it is installed, or until the "
                                          "admin sets GOLOIS_SANDBOX=none to check them without a sandbox")


def init_app(app: Flask, sandbox: Sandbox) -> None:
    """Makes `sandbox` the isolation the application's upload checks run in, read by get_sandbox()."""
    app.extensions["golois_sandbox"] = sandbox


def get_sandbox() -> Sandbox:
    """The isolation of the application handling the current request."""
    from flask import current_app

    return current_app.extensions["golois_sandbox"]

"""Talking to another GTP program: start it, send commands, read answers with a deadline."""

from __future__ import annotations

import queue
import shlex
import subprocess
import threading
import time
from collections.abc import Mapping
from pathlib import Path

from golois.errors import GoloisError


class EngineFailure(GoloisError):
    """The engine crashed, hung past its deadline, or broke the protocol."""


class EngineTimeout(EngineFailure):
    """The engine did not answer in time."""


class GtpCommandError(GoloisError):
    """The engine answered `? message`."""


class GtpClient:
    """A GTP engine in a child process; its stderr goes to `log_path`."""

    def __init__(self, command: str, log_path: Path, name: str, env: Mapping[str, str] | None = None) -> None:
        self.command, self.name, self.log_path = command, name, log_path
        self._log = open(log_path, "ab")  # noqa: SIM115 - closed in close()
        try:
            # Bytes, not text: an engine that writes bytes that are not UTF-8 must not stop the reader.
            self._process = subprocess.Popen(shlex.split(command), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                             stderr=self._log, bufsize=0, env=env)
        except OSError as error:
            self._log.close()
            raise EngineFailure(f"{name}: cannot start {command!r}: {error}") from error
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        try:
            for line in self._process.stdout:
                self._lines.put(line.decode("utf-8", "replace"))
        except (OSError, ValueError):
            pass  # the pipe broke: the engine is gone
        finally:
            self._lines.put(None)

    def send(self, command: str, timeout: float) -> str:
        """The answer of `command`; GtpCommandError for `?`, EngineFailure if it dies or is late."""
        if self._process.poll() is not None:
            raise EngineFailure(f"{self.name} has exited (code {self._process.returncode})")
        try:
            self._process.stdin.write((command + "\n").encode())
            self._process.stdin.flush()
        except OSError as error:
            raise EngineFailure(f"{self.name} closed its input: {error}") from error
        deadline = time.monotonic() + timeout
        answer: list[str] = []
        while True:
            try:
                line = self._lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise EngineTimeout(f"{self.name} did not answer {command.split()[0]!r} within {timeout:g} s") from None
            if line is None:
                raise EngineFailure(f"{self.name} exited while answering {command.split()[0]!r}")
            line = line.rstrip("\r\n")
            if not answer and not line.strip():
                continue  # stray blank lines between answers
            if not line.strip():
                break
            answer.append(line)
        head = answer[0]
        if head[:1] not in "=?":
            raise EngineFailure(f"{self.name} broke the protocol: {head[:80]!r}")
        text = "\n".join([head[1:].lstrip("0123456789").strip(), *answer[1:]]).strip()
        if head[0] == "?":
            raise GtpCommandError(text)
        return text

    def last_log_line(self) -> str:
        """The engine's last non-empty line on stderr (often why it stopped), or ''."""
        try:
            with open(self.log_path, "rb") as log:
                log.seek(max(0, log.seek(0, 2) - 4096))
                lines = log.read().decode("utf-8", "replace").splitlines()
        except OSError:
            return ""
        return next((line.strip() for line in reversed(lines) if line.strip()), "")[:300]

    def kill(self) -> None:
        """Ends the process now; a command waiting for its answer fails."""
        if self._process.poll() is None:
            self._process.kill()

    def close(self) -> None:
        try:
            if self._process.poll() is None:
                self._process.stdin.write(b"quit\n")
                self._process.stdin.flush()
                self._process.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            pass
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        self._log.close()

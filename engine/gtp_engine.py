"""The Go Text Protocol (GTP v2) itself: reading commands, ids, answers.

This module knows nothing of Go. It reads the command stream as bytes and
cleans each line as the specification says (bytes that are not UTF-8 are
replaced, control characters other than tab and newline removed, tabs made
spaces, comments cut), splits off the id, runs the handler registered for
the command and writes `=id result` or `?id message`, each followed by an
empty line. The handlers live in `gtp_commands.py`, in groups; a handler
raises GtpError for a failure and never ends the session.

A reader thread feeds the lines to a queue, so a long answer (live
analysis) can stop when the next command arrives. Whatever happens to the
reader (end of input, a broken pipe, an error), it ends the queue, so the
engine never lives on deaf.
"""

from __future__ import annotations

import queue
import re
import threading
from collections.abc import Callable
from typing import BinaryIO, TextIO

from golois.engine.coords import ascii_digits
from golois.errors import GoloisError

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # every control character but HT (\x09) and LF (\x0a)


class GtpError(GoloisError):
    """A command that fails: answered as `? message`."""


def syntax_error(detail: str = "") -> GtpError:
    return GtpError("syntax error" + (f" ({detail})" if detail else ""))


def clean_line(raw: bytes | str) -> str:
    """One command line as GTP reads it: decoded with replacement, control characters removed,
    tabs as spaces, the comment after # cut."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    text = CONTROL.sub("", text.replace("\t", " ").rstrip("\r\n"))
    return text.split("#", 1)[0].strip()


Handler = Callable[[list[str]], str | None]  # returns the answer, or None when it wrote its own (streaming)


class GtpEngine:
    """One GTP session: `handlers` by command name; answers go to `output`."""

    def __init__(self, handlers: dict[str, Handler], output: TextIO, log: Callable[[str], None] | None = None) -> None:
        self.output = output
        self.log = log or (lambda message: None)
        self.pending: queue.Queue[bytes | None] = queue.Queue()  # raw lines; execute() cleans them
        self.handlers: dict[str, Handler] = {
            "protocol_version": lambda args: "2",
            "known_command": self._known_command,
            "list_commands": lambda args: "\n".join(self.handlers),
            "quit": lambda args: "",
        }
        self.handlers.update(handlers)
        self.current_id = ""  # the id of the command being answered (for streaming answers)

    # ---------------------------------------------------------------- the session

    def run(self, commands: BinaryIO) -> None:
        """Answers commands until `quit` or the end of the input."""
        threading.Thread(target=self._read_lines, args=(commands,), daemon=True, name="gtp-reader").start()
        while (line := self.pending.get()) is not None:
            if self.execute(line) == "quit":
                return

    def _read_lines(self, commands: BinaryIO) -> None:
        try:
            for raw in commands:
                self.pending.put(raw)
        except Exception as error:  # noqa: BLE001 - a reader that fails must still end the session
            self.log(f"GTP input failed: {error!r}")
        finally:
            self.pending.put(None)

    def interrupted(self) -> bool:
        """True when a command (or the end of input) waits: a streaming answer must stop."""
        return not self.pending.empty()

    def execute(self, line: bytes | str) -> str | None:
        """Runs one command line and writes its answer; returns the command's name."""
        words = clean_line(line).split()
        if not words:
            return None
        ident = ""
        if ascii_digits(words[0]):
            ident, words = words[0], words[1:]
            if not words:
                self._answer(False, ident, "syntax error (an id without a command)")
                return None
        name, args = words[0].lower(), words[1:]
        handler = self.handlers.get(name)
        if handler is None:
            self._answer(False, ident, "unknown command")
            return name
        self.current_id = ident
        try:
            result = handler(args)
        except GtpError as error:
            self._answer(False, ident, str(error))
        except Exception as error:  # an engine bug must not end the session
            self.log(f"internal error in {name}: {error!r}")
            self._answer(False, ident, f"internal error: {error}")
        else:
            if result is not None:
                self._answer(True, ident, result)
        return name

    def _answer(self, ok: bool, ident: str, text: str) -> None:
        self.output.write(f"{'=' if ok else '?'}{ident} {text}".rstrip(" ") + "\n\n")
        self.output.flush()

    def _known_command(self, args: list[str]) -> str:
        if len(args) != 1:
            raise syntax_error("known_command COMMAND")
        return "true" if args[0].lower() in self.handlers else "false"

    # ---------------------------------------------------------------- streaming answers

    def begin_stream(self) -> None:
        """Starts a success answer written in pieces (the analysis lines); end it with end_stream()."""
        self.output.write(f"={self.current_id}\n")
        self.output.flush()

    def stream_line(self, text: str) -> None:
        self.output.write(text + "\n")
        self.output.flush()

    def end_stream(self) -> None:
        self.output.write("\n")
        self.output.flush()

"""The project's error contract: one base class, turned into a clean message by one CLI decorator.

Code raises a subclass of GoloisError with a message that says what went
wrong and what to do; commands wrapped in `cli_errors` print it as
`Error: ...` and exit with status 1, without a traceback.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any


class GoloisError(Exception):
    """An error the user can act on; `status` is the HTTP status the server answers with."""

    status = 400


def cli_errors(function: Callable[..., Any]) -> Callable[..., Any]:
    """Turns a GoloisError raised by a command into click's clean `Error: message` exit."""
    import click

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except GoloisError as error:
            raise click.ClickException(str(error)) from error

    return wrapper

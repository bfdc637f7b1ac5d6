"""The students' side of the server's HTTP API: upload a network and follow its check, read the standings,
download a network's games. Used by `golois upload`, `golois standings` and `golois games`.

A team's key is handed out once, by the answer to its first upload; the client keeps it in the user's
config folder (`team-keys.json`, mode 0600), by server and team, so later uploads need no `--key`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import requests

from golois.errors import GoloisError
from golois.files import write_atomic
from golois.tournament.domain import MAX_WAIT, CheckStatus

REQUEST_SLACK = 30   # seconds a request may take beyond the wait it asks for


class ServerError(GoloisError):
    """The server could not be reached, or answered with an error (its message is kept)."""


def key_file() -> Path:
    return Path(click.get_app_dir("golois")) / "team-keys.json"


class TeamKeys:
    """Team keys by server and team, in a file only the user can read."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or key_file()

    def _read(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as error:
            raise ServerError(f"cannot read the team keys in {self.path}: {error}") from error
        return data if isinstance(data, dict) else {}

    @staticmethod
    def _name(server: str, team: str) -> str:
        return f"{server.rstrip('/')} {team}"

    def get(self, server: str, team: str) -> str | None:
        return self._read().get(self._name(server, team))

    def put(self, server: str, team: str, key: str) -> None:
        keys = self._read() | {self._name(server, team): key}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(self.path, json.dumps(keys, indent=2, sort_keys=True) + "\n", mode=0o600)


@dataclass
class Server:
    url: str
    timeout: float = 30.0

    def __post_init__(self) -> None:
        self.url = self.url.rstrip("/")
        if not re.match(r"https?://[^/\s]+", self.url):
            raise ServerError(f"{self.url!r} is not a server address; give one like https://go.example.org")

    def _request(self, method: str, path_or_url: str, timeout: float | None = None, **kwargs: Any
                 ) -> requests.Response:
        url = path_or_url if path_or_url.startswith("http") else self.url + path_or_url
        try:
            response = requests.request(method, url, timeout=timeout or self.timeout, **kwargs)
        except requests.RequestException as error:
            raise ServerError(f"cannot reach {self.url}: {error}") from error
        if response.status_code >= 400 and response.status_code != 422:  # 422: a refused upload, a verdict
            try:
                message = response.json().get("reason") or response.json().get("error")
            except ValueError:
                message = None
            raise ServerError(f"{self.url} answered {response.status_code}: {message or response.reason}")
        return response

    def get(self, path: str) -> dict[str, Any]:
        try:
            return self._request("GET", path).json()
        except ValueError as error:
            raise ServerError(f"{self.url}{path} did not answer JSON; is it a Golois server?") from error

    def upload(self, path: Path, fields: dict[str, str], wait: float = MAX_WAIT) -> dict[str, Any]:
        """Sends the network and waits up to `wait` seconds for its verdict (the check as it then stands)."""
        with open(path, "rb") as handle:
            response = self._request("POST", f"/api/networks?wait={wait:g}", timeout=wait + REQUEST_SLACK,
                                     data=fields, files={"file": (path.name, handle, "application/x-hdf5")})
        return response.json()

    def follow(self, check: dict[str, Any], on_update: Callable[[dict[str, Any]], None],
               wait: float = MAX_WAIT) -> dict[str, Any]:
        """Polls a queued check until it has its verdict, calling `on_update` with each state."""
        while not CheckStatus(check["status"]).finished:
            on_update(check)
            check = self._request("GET", f"{check['url']}?wait={wait:g}", timeout=wait + REQUEST_SLACK).json()
        return check

    def latest_tournament(self, tournament_id: int | None) -> dict[str, Any]:
        if tournament_id is None:
            tournaments = self.get("/api/tournaments")["tournaments"]
            if not tournaments:
                raise ServerError(f"{self.url} has held no tournament yet")
            tournament_id = tournaments[0]["id"]  # the newest first
        return self.get(f"/api/tournaments/{tournament_id}")

    def network_games(self, label: str) -> list[dict[str, Any]]:
        """The finished tournament games of the network TEAM/NAME (any of its versions), oldest first."""
        found = [n for n in self.get("/api/networks")["networks"] if n["label"] == label]
        if not found:
            raise ServerError(f"no network {label!r} on {self.url}; networks are named TEAM/NAME")
        versions = {v["id"] for v in self.get(f"/api/networks/{found[0]['id']}")["versions"]}
        games = []
        for tournament in reversed(self.get("/api/tournaments")["tournaments"]):
            games += [game for game in self.get(f"/api/tournaments/{tournament['id']}")["games"]
                      if game["status"] == "finished"
                      and versions & {game["black"]["version_id"], game["white"]["version_id"]}]
        return games

    def game_sgf(self, game_id: int) -> str:
        return self.get(f"/api/games/{game_id}")["sgf"] or ""


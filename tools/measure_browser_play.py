"""How long the engine takes to answer a click in the browser game, against its thinking time.

    python tools/measure_browser_play.py [--moves 20] [--seconds 0.5 1] [--out results/tournament/play.json]

A server on a fresh data folder (SQLite, two engine processes), one game a thinking time against the
bundled network; each of our moves is a POST as the page sends it, timed until the page's poll sees
the engine's answer (every 0.1 s here; the page polls every 0.4 s). The first answer of a game includes
starting an engine process.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "tournament"))

from conftest import LiveServer  # noqa: E402

from golois.engine.coords import gtp_vertex  # noqa: E402
from golois.tournament.app import create_app  # noqa: E402
from golois.tournament.config import ServerConfig  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=20)
    parser.add_argument("--seconds", type=float, nargs="+", default=[0.5, 1.0])
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    app = create_app(ServerConfig(Path(tempfile.mkdtemp(prefix="golois-play-")), play_engines=2, scheduler=False))
    server = LiveServer(app)
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    results = []
    for seconds in args.seconds:
        page = opener.open(server.url + "/play").read().decode()
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        version = re.search(r'<option value="(\d+)">', page).group(1)
        form = f"csrf_token={csrf}&version={version}&colour=B&komi=7.5&handicap=0&seconds={seconds}".encode()
        game_url = opener.open(urllib.request.Request(server.url + "/play", data=form)).geturl()
        token = game_url.rsplit("/", 1)[1]
        api = f"{server.url}/api/play/{token}"
        times = []
        for _ in range(args.moves):
            state = json.loads(opener.open(api).read())
            if state["status"] != "human":
                break
            point = next(p for p, c in enumerate(state["board"]) if c == 0 and p % 19 not in (0, 18) and
                         p // 19 not in (0, 18) and all(state["board"][q] == 0 for q in (p - 1, p + 1, p - 19, p + 19)))
            vertex = gtp_vertex(point)
            request = urllib.request.Request(api + "/move", data=json.dumps({"vertex": vertex}).encode(),
                                             headers={"Content-Type": "application/json", "X-CSRFToken": csrf})
            start = time.perf_counter()
            opener.open(request).read()
            while json.loads(opener.open(api).read())["status"] == "engine":
                time.sleep(0.1)
            times.append(time.perf_counter() - start)
        results.append({"thinking_seconds": seconds, "answers": len(times), "first_s": round(times[0], 2),
                        "median_s": round(statistics.median(times[1:]), 2),
                        "max_s": round(max(times[1:]), 2),
                        "median_overhead_s": round(statistics.median(times[1:]) - seconds, 2)})
    server.stop()
    app.extensions["golois_thinking"].stop()
    text = json.dumps({"runs": results}, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()

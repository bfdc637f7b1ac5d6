"""Openings that make each game of a pair different.

The engines are deterministic enough (a fixed seed, the same network) that
two games from the empty board between the same pair could be identical.
Tournament games always start from one; `golois match --openings` too.
So every game starts from a short opening taken from real 9-dan games (the
bundled sample), and each opening is played twice, once with each colour,
so that whatever advantage an opening gives cancels out within the pair.
"""

from __future__ import annotations

from functools import cache

from golois import PASS, SAMPLE_GAMES, GamesFile
from golois.engine.coords import gtp_vertex

OPENING_MOVES = 4  # two moves each: corners taken, nothing decided


@cache
def balanced_openings() -> tuple[tuple[str, ...], ...]:
    """Distinct openings (GTP vertices, Black first) from the sample games, in file order."""
    games = GamesFile(str(SAMPLE_GAMES))
    seen: dict[tuple[str, ...], None] = {}
    for index in range(len(games)):
        game = games[index]
        if game.setup or len(game.moves) < OPENING_MOVES:
            continue
        moves = game.moves[:OPENING_MOVES]
        if any(point == PASS for point, *_ in moves) or [colour for _, colour, *_ in moves] != [1, 2, 1, 2]:
            continue
        seen.setdefault(tuple(gtp_vertex(point) for point, *_ in moves), None)
    return tuple(seen)


def opening_for(pair_index: int, game_in_pair: int, games_per_pair: int) -> list[str]:
    """The opening of a pair's game: games 2k and 2k+1 share one (colours swap between them).

    Pairs take the openings in turn, so a tournament uses them all before any repeats.
    """
    openings = balanced_openings()
    per_pair = (games_per_pair + 1) // 2
    return list(openings[(pair_index * per_pair + game_in_pair // 2) % len(openings)])

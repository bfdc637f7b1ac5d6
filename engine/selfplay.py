"""Self-play: the engine against itself, written as training data.

Each move is stored with the search's estimate as its value target (the
probability that White wins), so the batch generator and the trainer can
learn from these games like from any games file: train, play, retrain.
"""

from __future__ import annotations

from pathlib import Path

from tqdm import tqdm

from golois import BLACK, PLAY_MOVE_LIMIT, WHITE, Game, GamesWriter
from golois.engine.coords import opponent
from golois.engine.game_end import EndReason
from golois.engine.player import RESIGN, Player
from golois.engine.sgf_writer import game_sgf, result_text


def play_one_game(player: Player) -> tuple[Game, str, int]:
    """Plays a game from the empty board; returns the record, SGF result and its length."""
    player.new_game()
    moves: list[tuple[int, int, float]] = []
    colour = BLACK
    winner: int | None = None
    reason = EndReason.SCORE
    while not player.game_over() and len(moves) < PLAY_MOVE_LIMIT:
        report = player.genmove(colour)
        if report.move == RESIGN:
            winner, reason = opponent(colour), EndReason.RESIGNATION
            break
        white_wins = report.winrate if colour == WHITE else 1.0 - report.winrate
        moves.append((report.move, colour, white_wins))
        colour = opponent(colour)
    score = player.score()
    if reason == EndReason.SCORE:
        winner = BLACK if score > 0 else WHITE if score < 0 else None
    result = {BLACK: "B", WHITE: "W", None: "draw"}[winner]
    game = Game(komi=player.komi, result=result, moves=moves)
    return game, result_text(winner, score, reason), len(moves)


def play_selfplay(player: Player, games: int, out: Path, sgf_folder: Path | None = None,
                  progress: bool = False) -> str:
    """Plays `games` games and writes them to the games file `out` (replaced only at the end)."""
    if sgf_folder:
        sgf_folder.mkdir(parents=True, exist_ok=True)
    wins = {"B": 0, "W": 0, "draw": 0}
    total_moves = 0
    with GamesWriter(str(out)) as writer, tqdm(total=games, desc="self-play", unit="game",
                                                disable=not progress) as bar:
        for index in range(games):
            game, result, length = play_one_game(player)
            writer.add(game)
            wins[game.result] += 1
            total_moves += length
            if sgf_folder:
                points = [(point, colour) for point, colour, *_ in game.moves]
                name = player.evaluator.path
                (sgf_folder / f"selfplay-{index + 1:04d}.sgf").write_text(
                    game_sgf(points, player.komi, name, name, result))
            bar.update(1)
    return (f"{games} games, {total_moves} moves written to {out}: Black won {wins['B']}, "
            f"White {wins['W']}, draws {wins['draw']}")

#include "game.h"

namespace golois {

float GameRecord::value_target(size_t i) const {
  if (moves[i].value >= 0.0f) return moves[i].value;
  switch (result) {
    case Result::kWhiteWins: return 1.0f;
    case Result::kBlackWins: return 0.0f;
    case Result::kDraw: return 0.5f;
    case Result::kUnknown: break;
  }
  return -1.0f;
}

bool GameRecord::is_sampleable(size_t i) const {
  return moves[i].point != kPass && value_target(i) >= 0.0f;
}

std::string replay_error(const GameRecord& game) {
  Board board;
  for (const Stone& s : game.setup) {
    if (s.point < 0 || s.point >= kPoints) return "setup stone off the board";
    if (board.at_point(s.point) != kEmpty) return "setup stone on an occupied point";
    board.place(cell(s.point), s.color);
  }
  for (size_t i = 0; i < game.moves.size(); ++i) {
    const GameMove& m = game.moves[i];
    if (m.point == kPass) {
      board.pass();
      continue;
    }
    if (m.point < 0 || m.point > kPass) return "illegal move " + std::to_string(i + 1) + " (off the board)";
    const MoveError e = board.check(cell(m.point), m.color);
    if (e != MoveError::kNone)
      return "illegal move " + std::to_string(i + 1) + " (" + move_error_text(e) + ")";
    board.play(cell(m.point), m.color);
  }
  return "";
}

}  // namespace golois

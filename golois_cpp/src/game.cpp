#include "game.h"

namespace golois {

float GameRecord::value_target(size_t i) const {
  if (moves[i].value >= 0.0f) return moves[i].value;
  if (!outcome_is_value) return -1.0f;
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

size_t GameRecord::num_positions() const {
  size_t n = 0;
  for (size_t i = 0; i < moves.size(); ++i) n += is_sampleable(i);
  return n;
}

namespace {

// Setup stones must leave every string with a liberty: such a position
// cannot arise in a game and has no meaningful liberty planes.
bool every_string_breathes(const Board& board) {
  for (int p = 0; p < kPoints; ++p)
    if (board.at_point(p) != kEmpty && board.liberties(cell(p)) == 0) return false;
  return true;
}

}  // namespace

std::string replay(const GameRecord& game, Board& board,
                   const std::function<void(size_t, const Board&)>& before_move) {
  for (const Stone& s : game.setup) {
    if (s.point < 0 || s.point >= kPoints) return "setup stone off the board";
    if (board.at_point(s.point) != kEmpty) return "setup stone on an occupied point";
    board.place(cell(s.point), s.color);
  }
  if (!every_string_breathes(board)) return "setup string without liberties";
  for (size_t i = 0; i < game.moves.size(); ++i) {
    const GameMove& m = game.moves[i];
    if (before_move) before_move(i, board);
    if (m.color != kBlack && m.color != kWhite) return "bad move colour";
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

std::string replay_error(const GameRecord& game) {
  Board board;
  return replay(game, board);
}

}  // namespace golois

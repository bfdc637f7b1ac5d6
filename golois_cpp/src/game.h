// A game record as read from SGF or a games file: komi, result, handicap
// setup stones, and the moves with their optional per-move value targets.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "board.h"

namespace golois {

enum class Result : uint8_t { kUnknown = 0, kBlackWins = 1, kWhiteWins = 2, kDraw = 3 };

// The longest game we store: move numbers must fit the 16-bit fields of the
// feature builder. Real games are a few hundred moves long.
constexpr size_t kMaxGameMoves = 30000;

// A stone or move in two bytes, as stored in games files and datasets.
inline uint16_t encode_move(int point, Color c) { return static_cast<uint16_t>(point | (c << 9)); }
inline int move_point(uint16_t code) { return code & 511; }
inline Color move_color(uint16_t code) { return static_cast<Color>(code >> 9); }

struct Stone {
  int point;  // 0..360, or 361 for a pass when it is a move
  Color color;
};

struct GameMove {
  int point;
  Color color;
  float value = -1.0f;  // probability that White wins, from search data; -1 if unknown
  float score = 0.0f;   // score estimate (kept for the original text format)
};

struct GameRecord {
  float komi = static_cast<float>(kDefaultKomi);
  Result result = Result::kUnknown;
  // Moves without a value of their own take the outcome as value target.
  // Off for the original text format, whose unknown values (-1) mean "do
  // not sample this move".
  bool outcome_is_value = true;
  std::vector<Stone> setup;
  std::vector<GameMove> moves;

  // The value target of move i: its own value when known, else the game's
  // outcome (1 = White won, 0 = Black won, 0.5 = draw), else -1.
  float value_target(size_t i) const;
  // Positions that may be sampled: the next move is not a pass and has a
  // known value target.
  bool is_sampleable(size_t i) const;
  size_t num_positions() const;  // how many moves are sampleable
};

// Plays the record on `board` (empty), calling before_move(i, board) before
// each move when given. Returns "" if the setup and every move are legal
// (simple ko, no suicide, point empty), else a reason such as
// "illegal move 37 (suicide)".
std::string replay(const GameRecord& game, Board& board,
                   const std::function<void(size_t, const Board&)>& before_move = {});
std::string replay_error(const GameRecord& game);

}  // namespace golois

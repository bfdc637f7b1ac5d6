// A game record as read from SGF or a games file: komi, result, handicap
// setup stones, and the moves with their optional per-move value targets.
#pragma once

#include <string>
#include <vector>

#include "board.h"

namespace golois {

enum class Result : uint8_t { kUnknown = 0, kBlackWins = 1, kWhiteWins = 2, kDraw = 3 };

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
  float komi = 7.5f;
  Result result = Result::kUnknown;
  std::vector<Stone> setup;
  std::vector<GameMove> moves;

  // The value target of move i: its own value when known, else the game's
  // outcome (1 = White won, 0 = Black won, 0.5 = draw), else -1.
  float value_target(size_t i) const;
  // Positions that may be sampled: the next move is not a pass and has a
  // known value target.
  bool is_sampleable(size_t i) const;
};

// Plays the record on a board. Returns "" if every move is legal (simple ko,
// no suicide, point empty), else a reason such as "illegal move 37 (suicide)".
std::string replay_error(const GameRecord& game);

}  // namespace golois

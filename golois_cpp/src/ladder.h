// Ladder reading for input planes 1-4.
//
// The attacker is always the opponent of the string's owner, whoever is to
// move in the sampled position. Reading is bounded (plies, and nodes for
// each first move); a reading that hits a bound counts as not lost.
#pragma once

#include <vector>

#include "board.h"

namespace golois {

class LadderReader {
 public:
  static constexpr int kMaxDepth = 100;
  static constexpr int kMaxNodes = 1000;

  LadderReader() : pool_(kMaxDepth + 2) {}

  // A string in atari that stays lost whatever its owner does (extend at the
  // liberty or capture an adjacent string in atari): plane 1.
  bool lost_in_atari(const Board& board, int string_cell);
  // A string with two liberties that the attacker captures by playing one of
  // them and then reading a ladder: plane 3.
  bool capturable(const Board& board, int string_cell);

 private:
  bool defender_fails(const Board& b, int target, int depth);
  bool attacker_wins(const Board& b, int target, int depth);
  bool out_of_budget(int depth);
  void start_root_move();

  std::vector<Board> pool_;  // one scratch board per ply, reused
  int nodes_ = 0;
  bool aborted_ = false;
};

}  // namespace golois

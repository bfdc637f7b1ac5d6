#include "ladder.h"

#include <algorithm>

namespace golois {

namespace {

// A lower bound on the liberties of the string `defender` makes by playing
// at `c`, after the attacker has filled `filled` (or kNoCell): lets most
// readings stop without copying a board.
int liberties_after_extension(const Board& b, int c, Color defender, int filled) {
  int empty = 0, best = 0;
  for (int d : kDirections) {
    const int n = c + d;
    if (b.at(n) == kEmpty && n != filled) ++empty;
    if (b.at(n) == defender) best = std::max(best, b.liberties(n) - (filled == kNoCell ? 1 : 2));
  }
  return std::max(empty, best);
}

}  // namespace

bool LadderReader::out_of_budget(int depth) {
  if (++nodes_ > kMaxNodes || depth >= kMaxDepth) aborted_ = true;
  return aborted_;
}

bool LadderReader::lost_in_atari(const Board& board, int string_cell) {
  nodes_ = 0;
  aborted_ = false;
  return defender_fails(board, string_cell, 0);
}

bool LadderReader::capturable(const Board& board, int string_cell) {
  nodes_ = 0;
  aborted_ = false;
  return attacker_wins(board, string_cell, 0);
}

// Each first move gets its own node budget: the answer must not depend on
// which move is tried first, and the order of the liberties changes with
// the board's orientation.
void LadderReader::start_root_move() {
  nodes_ = 1;
  aborted_ = false;
}

// The target has one liberty and its owner is to move. True when every
// defence (extending, or capturing an adjacent attacker string in atari)
// still leaves the target capturable.
bool LadderReader::defender_fails(const Board& b, int target, int depth) {
  if (out_of_budget(depth)) return false;
  const Color defender = b.at(target);
  const Color attacker = opponent(defender);

  int candidates[64];
  int n = b.list_liberties(target, candidates, 1);
  // Extending to three liberties or more breaks the ladder: no need to read.
  if (n == 1 && liberties_after_extension(b, candidates[0], defender, kNoCell) >= 3) return false;
  // Capturing an adjacent attacker string in atari is the other defence.
  int s = target;
  do {
    for (int d : kDirections) {
      const int nb = s + d;
      if (b.at(nb) != attacker || b.liberties(nb) != 1) continue;
      int lib;
      b.list_liberties(nb, &lib, 1);
      if (n < 64 && std::find(candidates, candidates + n, lib) == candidates + n) candidates[n++] = lib;
    }
    s = b.next_stone(s);
  } while (s != target);

  for (int i = 0; i < n; ++i) {
    if (!b.is_legal(candidates[i], defender)) continue;
    if (depth == 0) start_root_move();
    Board& next = pool_[depth];
    next = b;
    next.play(candidates[i], defender);
    const int libs = next.liberties(target);
    if (libs >= 3) return false;
    if (libs == 2 && !attacker_wins(next, target, depth + 1)) return false;
    if (aborted_) return false;
  }
  return true;
}

// The target has two liberties and the attacker is to move. True when
// playing one of them leads to a target lost in atari.
bool LadderReader::attacker_wins(const Board& b, int target, int depth) {
  if (out_of_budget(depth)) return false;
  const Color defender = b.at(target);
  const Color attacker = opponent(defender);
  int libs[2];
  if (b.list_liberties(target, libs, 2) != 2) return false;
  for (int i = 0; i < 2; ++i) {
    const int atari_point = libs[i], escape = libs[1 - i];
    // The defender would answer by extending to `escape`.
    if (liberties_after_extension(b, escape, defender, atari_point) >= 3) continue;
    if (!b.is_legal(atari_point, attacker)) continue;
    if (depth == 0) start_root_move();
    Board& next = pool_[depth];
    next = b;
    next.play(atari_point, attacker);
    // A reading that ran out of budget answers false all the way up: the
    // string counts as not lost through this move.
    if (next.liberties(target) == 1 && defender_fails(next, target, depth + 1)) return true;
    if (aborted_ && depth > 0) return false;
  }
  return false;
}

}  // namespace golois

// A live game as the engine sees it: the rules state, plus what the feature
// builder needs to encode any position reached from it (the start position
// with its setup stones, every move with its colour, and a snapshot every
// kSnapshotEvery moves so encoding a leaf never replays the whole game).
#pragma once

#include <cstdint>
#include <vector>

#include "board.h"
#include "feature_planes.h"
#include "packed_board.h"

namespace golois {

class GameHistory {
 public:
  // `network_komi` is the komi the input planes show: a network trained on
  // games of one komi only plays well when its komi plane is that one.
  GameHistory(double komi, double network_komi);

  const GameState& state() const { return state_; }
  double komi() const { return state_.komi(); }
  const std::vector<uint16_t>& moves() const { return moves_; }  // encode_move()

  // Setup stone (handicap); only before the first move.
  void place(int point, Color c);
  // Plays `point` for `c` (any colour: GTP may play out of turn).
  MoveError play(int point, Color c);
  void set_to_play(Color c) { state_.set_to_play(c); }

  // Writes the 31 input planes (NHWC, 19*19*31 floats) of the position after
  // this game and then `line` (points, alternating from the side to move),
  // as seen through `symmetry`.
  void encode(const std::vector<int>& line, int symmetry, FeatureBuilder& builder, float* out) const;

 private:
  GameState state_;
  std::vector<uint16_t> moves_;
  std::vector<PackedBoard> snapshots_;  // after 0, S, 2S, ... moves
  float network_komi_;
};

}  // namespace golois

#include "game_history.h"

#include <algorithm>
#include <stdexcept>

namespace golois {

GameHistory::GameHistory(double komi, double network_komi)
    : state_(komi), snapshots_{PackedBoard::from(state_.board())}, network_komi_(static_cast<float>(network_komi)) {}

void GameHistory::place(int point, Color c) {
  if (!moves_.empty()) throw std::logic_error("setup stones must come before the first move");
  state_.place(point, c);
  snapshots_[0] = PackedBoard::from(state_.board());
}

MoveError GameHistory::play(int point, Color c) {
  const MoveError e = state_.play(point, c);
  if (e != MoveError::kNone) return e;
  moves_.push_back(encode_move(point, c));
  if (moves_.size() % kSnapshotEvery == 0) snapshots_.push_back(PackedBoard::from(state_.board()));
  return e;
}

void GameHistory::encode(const std::vector<int>& line, int symmetry, FeatureBuilder& builder, float* out) const {
  // The builder encodes "the position before move k" of a record, so the
  // record is this game, the line, and a placeholder move by the side to play.
  std::vector<uint16_t> record(moves_);
  Color c = state_.to_play();
  for (int p : line) {
    record.push_back(encode_move(p, c));
    c = opponent(c);
  }
  record.push_back(encode_move(kPass, c));
  const int k = static_cast<int>(record.size()) - 1;
  // Start from the newest snapshot that still shows the 4 earlier positions
  // the history planes need (the builder would pick the same one if it had
  // snapshots past the root).
  const int wanted = std::max(0, k - 4) / kSnapshotEvery;
  const int first = std::min(wanted, static_cast<int>(snapshots_.size()) - 1);
  const int offset = first * kSnapshotEvery;
  const GameView view{network_komi_, k + 1 - offset, record.data() + offset, nullptr,
                      snapshots_.data() + first, nullptr};
  builder.fill(view, k - offset, symmetry, SampleBuffers{out, nullptr, nullptr, nullptr, nullptr}, true);
}

}  // namespace golois

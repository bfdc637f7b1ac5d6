// In-memory training data: games stored compactly (2 bytes a move, a packed
// snapshot every kSnapshotEvery moves), a fixed validation set and a fixed
// shuffled order of training positions. Filling a batch only reads, so
// several threads (and several datasets) can work at once; a lock keeps
// changes (adding games, choosing the validation set) away from fills.
#pragma once

#include <cstdint>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

#include "feature_planes.h"
#include "game.h"

namespace golois {

// Caller-owned arrays for n samples; any target pointer may be null.
struct BatchBuffers {
  float* input;
  float* policy;
  float* value;
  float* end;
  float* groups;
  SampleBuffers sample(size_t i) const;
};

struct Position {
  int game;
  int move;
  bool operator==(const Position& o) const { return game == o.game && move == o.move; }
};

class Dataset {
 public:
  explicit Dataset(uint64_t seed = 0) : seed_(seed) {}

  // Adds a game. Returns "" or why it is refused (an illegal move, or no
  // position that can be sampled). Call shuffle() once all games are in.
  std::string add_game(const GameRecord& game);
  // Builds the shuffled order of training positions (all sampleable
  // positions of the games not in the validation set).
  void shuffle();

  // Picks n validation positions, one per game, from n distinct games drawn
  // with the seed; their games leave the training set.
  std::vector<Position> choose_validation(size_t n);
  // Uses a remembered validation set instead.
  void set_validation(const std::vector<Position>& positions);
  std::vector<Position> validation() const;

  size_t num_games() const { return games_.size(); }
  size_t num_moves() const { return moves_.size(); }
  size_t num_training_positions() const { return training_.size(); }
  uint64_t seed() const { return seed_; }

  // Training positions index .. index + n - 1 of the shuffled order (wrapping
  // around), each with a symmetry drawn from the seed and its absolute index.
  // from_start replays each game from its first move instead of the nearest
  // snapshot: the naive design, kept as the benchmark's baseline.
  void fill_training(const BatchBuffers& out, size_t n, uint64_t index, int threads,
                     bool from_start = false) const;
  // The first n validation positions, position i with symmetry i % 8.
  void fill_validation(const BatchBuffers& out, size_t n, int threads) const;
  // One position, for tests and tools.
  void fill_position(Position pos, int symmetry, const SampleBuffers& out) const;
  bool is_sampleable(Position pos) const;

 private:
  struct GameEntry {
    uint64_t first_move;
    uint64_t first_snapshot;
    uint32_t num_moves;
    float komi;
  };
  GameView view(int game) const;
  Position position_of(uint64_t global_move) const;
  bool sampleable(Position pos) const;  // is_sampleable() without the lock
  void use_validation(const std::vector<Position>& positions);  // the lock is held
  void prefetch(Position pos) const;
  void fill_chunk(FeatureBuilder& builder, const BatchBuffers& out, size_t begin, size_t end,
                  const Position* positions, const int* symmetries, bool from_start) const;
  void rebuild_training();

  uint64_t seed_;
  mutable std::shared_mutex mutex_;
  std::vector<GameEntry> games_;
  std::vector<uint64_t> first_moves_;  // games_[i].first_move, densely
  std::vector<uint16_t> moves_;
  std::vector<uint16_t> values_;
  std::vector<PackedBoard> snapshots_;
  std::vector<PackedBoard> finals_;
  std::vector<Position> validation_;
  std::vector<uint32_t> training_;  // global move indices, shuffled
};

int default_threads();

}  // namespace golois

// PUCT search tree (AlphaZero style) over a GameHistory.
//
// The network runs outside, on batches: gather() walks down the tree to up
// to N leaves, using virtual loss so that the walks spread out, and writes
// each leaf's input planes; apply() takes the network's policy and value for
// the oldest gathered batch, expands its leaves and backs the values up.
// Two batches may be pending, so that the next batch can be gathered (in
// another thread) while the network evaluates the current one; gather() and
// apply() themselves must not run at the same time. Terminal positions
// (two passes) are scored by Tromp-Taylor area and never reach the network.
//
// Values are win probabilities in [0, 1]. A node's `value_sum` is seen by
// the player who made the move leading to it, so a parent simply picks the
// child with the best value_sum / visits (plus the exploration bonus).
#pragma once

#include <cstdint>
#include <deque>
#include <random>
#include <vector>

#include "feature_planes.h"
#include "game_history.h"

namespace golois {

struct SearchSettings {
  float c_puct = 1.25f;
  float fpu_reduction = 0.25f;  // unvisited child: parent value minus this * sqrt(visited prior)
  int virtual_loss = 3;
  float pass_prior = 0.001f;    // the network has no pass output...
  float pass_prior_after_pass = 0.1f;  // ...but answering a pass with a pass ends the game: worth a look
  bool random_symmetry = true;  // each leaf is seen through one of the 8 symmetries
  int max_game_moves = kPlayMoveLimit;
};

struct ChildStats {
  int move;
  int visits;
  float winrate;  // for the side to move at the root
  float prior;
  std::vector<int> pv;  // the move, then the most visited line after it
};

class SearchTree {
 public:
  SearchTree(double komi, double network_komi, const SearchSettings& settings, uint64_t seed);

  const GameHistory& game() const { return game_; }
  const SearchSettings& settings() const { return settings_; }

  // Game changes. play() keeps the subtree of the move played (tree reuse).
  void place(int point, Color c);
  MoveError play(int point, Color c);
  void set_to_play(Color c);

  // Up to `max_leaves` leaves; writes their planes to `inputs` (one
  // 19*19*31 block each) and returns how many need the network. May return
  // 0 when every walk ended in a terminal position (already backed up); no
  // batch is pending then.
  int gather(int max_leaves, float* inputs);
  // Network output for the oldest pending batch: policy[n][361] and
  // value[n], value = probability that White wins; `count` must be the
  // number gather() returned for that batch.
  void apply(const float* policy, const float* value, int count);
  // Forgets every pending batch (their walks are taken back).
  void discard_pending();
  int pending_batches() const { return static_cast<int>(pending_.size()); }

  // Dirichlet noise on the root priors (self-play); expands the root first
  // if needed, so call it between apply() and the next gather().
  void add_root_noise(float alpha, float fraction);

  bool root_expanded() const { return nodes_[0].expanded; }
  int root_visits() const { return nodes_[0].visits; }
  float root_winrate() const;  // for the side to move
  int best_move() const;       // most visits (then prior); pass if no child
  // Visits of the most visited root move minus those of the runner-up.
  int root_visit_lead() const;
  // Children of the root, most visited first, with their principal variations.
  std::vector<ChildStats> root_children(int max_pv) const;

 private:
  struct Node {
    int32_t first_child = -1;
    int16_t num_children = 0;
    int16_t move = kPass;
    float prior = 0.0f;
    int32_t visits = 0;
    int32_t in_flight = 0;  // walks through this node awaiting the network
    float value_sum = 0.0f;
    bool expanded = false;
    bool terminal = false;
    float terminal_value = 0.0f;  // for the player who moved into it
  };
  struct PendingLeaf {
    std::vector<int32_t> path;  // node indices from the root to the leaf
    std::vector<int16_t> candidates;
    int symmetry;
    Color to_play;
    bool after_pass;
  };

  int32_t select_child(int32_t parent) const;
  void expand(int32_t node, const PendingLeaf& leaf, const float* policy);
  void backup(const std::vector<int32_t>& path, float value, int undo_in_flight);
  std::vector<int16_t> candidate_moves(const GameState& s) const;
  float terminal_value(const GameState& s) const;  // for the player who just moved
  void reroot(int32_t child);
  void copy_subtree(const std::vector<Node>& from, int32_t src, int32_t dst);

  GameHistory game_;
  SearchSettings settings_;
  std::mt19937_64 rng_;
  FeatureBuilder builder_;
  std::vector<Node> nodes_;  // nodes_[0] is the root; children are contiguous
  using Batch = std::vector<PendingLeaf>;  // collisions (symmetry -1) only hold virtual loss
  static constexpr size_t kMaxPendingBatches = 2;
  void undo_walk(const PendingLeaf& leaf);
  void undo_walks(const Batch& batch);
  void require_no_pending() const;  // the game may change only with no walk in flight
  std::deque<Batch> pending_;
};

// True if `point` is an eye of `c`: all neighbours are c (or the edge) and
// the diagonals do not let the opponent cut it. Filling it can only hurt.
bool is_own_eye(const Board& b, int point, Color c);

}  // namespace golois

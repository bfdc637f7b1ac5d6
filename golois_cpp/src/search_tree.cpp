#include "search_tree.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <tuple>

#include "symmetry.h"

namespace golois {

namespace {
constexpr size_t kPlaneFloats = static_cast<size_t>(kPoints) * kPlanes;
}

bool is_own_eye(const Board& b, int point, Color c) {
  const int m = cell(point);
  if (b.at(m) != kEmpty) return false;
  for (int d : kDirections) {
    const Color n = b.at(m + d);
    if (n != c && n != kBorder) return false;
  }
  int enemy_diagonals = 0, edge_diagonals = 0;
  for (int d : {-kFrame - 1, -kFrame + 1, kFrame - 1, kFrame + 1}) {
    const Color n = b.at(m + d);
    enemy_diagonals += n == opponent(c);
    edge_diagonals += n == kBorder;
  }
  // In the middle one enemy diagonal is a false-eye risk only with a second;
  // on the edge a single one already makes it false.
  return enemy_diagonals < (edge_diagonals ? 1 : 2);
}

SearchTree::SearchTree(double komi, double network_komi, const SearchSettings& settings, uint64_t seed)
    : game_(komi, network_komi), settings_(settings), rng_(seed), nodes_(1) {}

void SearchTree::place(int point, Color c) {
  require_no_pending();
  game_.place(point, c);
  nodes_.assign(1, Node{});
}

MoveError SearchTree::play(int point, Color c) {
  require_no_pending();
  const bool in_turn = c == game_.state().to_play();
  const MoveError e = game_.play(point, c);
  if (e != MoveError::kNone) return e;
  const Node& root = nodes_[0];
  int32_t kept = -1;
  for (int i = 0; in_turn && i < root.num_children; ++i)
    if (nodes_[root.first_child + i].move == point) kept = root.first_child + i;
  if (kept >= 0 && nodes_[kept].visits > 0)
    reroot(kept);
  else
    nodes_.assign(1, Node{});
  return e;
}

void SearchTree::require_no_pending() const {
  if (!pending_.empty()) throw std::logic_error("apply() the pending leaves before changing the game");
}

void SearchTree::set_to_play(Color c) {
  require_no_pending();
  if (c == game_.state().to_play()) return;
  game_.set_to_play(c);
  nodes_.assign(1, Node{});
}

void SearchTree::reroot(int32_t child) {
  std::vector<Node> old;
  old.swap(nodes_);
  nodes_.reserve(old.size());
  nodes_.resize(1);
  copy_subtree(old, child, 0);
}

void SearchTree::copy_subtree(const std::vector<Node>& from, int32_t src, int32_t dst) {
  nodes_[dst] = from[src];
  const int n = from[src].num_children;
  if (n == 0) return;
  const int32_t base = static_cast<int32_t>(nodes_.size());
  nodes_.resize(nodes_.size() + n);
  nodes_[dst].first_child = base;
  for (int i = 0; i < n; ++i) copy_subtree(from, from[src].first_child + i, base + i);
}

std::vector<int16_t> SearchTree::candidate_moves(const GameState& s) const {
  std::vector<int16_t> out;
  const Color c = s.to_play();
  for (int p : s.legal_points())
    if (!is_own_eye(s.board(), p, c)) out.push_back(static_cast<int16_t>(p));
  out.push_back(kPass);
  return out;
}

float SearchTree::terminal_value(const GameState& s) const {
  const double score = s.board().score(s.komi());  // Black area - White area - komi
  const float black_value = score > 0 ? 1.0f : score < 0 ? 0.0f : 0.5f;
  return opponent(s.to_play()) == kBlack ? black_value : 1.0f - black_value;
}

int32_t SearchTree::select_child(int32_t parent) const {
  const Node& p = nodes_[parent];
  const float vl = static_cast<float>(settings_.virtual_loss);
  const float sqrt_total = std::sqrt(static_cast<float>(std::max(1, p.visits + p.in_flight)));
  // The parent's value for the player choosing here (it is stored for the other one).
  const float parent_value = p.visits > 0 ? 1.0f - p.value_sum / p.visits : 0.5f;
  float visited_prior = 0.0f;
  for (int i = 0; i < p.num_children; ++i) {
    const Node& c = nodes_[p.first_child + i];
    if (c.visits + c.in_flight > 0) visited_prior += c.prior;
  }
  const float first_play_value = parent_value - settings_.fpu_reduction * std::sqrt(visited_prior);
  int32_t best = p.first_child;
  float best_score = -1e30f;
  for (int i = 0; i < p.num_children; ++i) {
    const int32_t index = p.first_child + i;
    const Node& c = nodes_[index];
    const float n = c.visits + vl * c.in_flight;  // walks in flight count as losses
    const float q = n > 0 ? c.value_sum / n : first_play_value;
    const float score = q + settings_.c_puct * c.prior * sqrt_total / (1.0f + n);
    if (score > best_score) {
      best_score = score;
      best = index;
    }
  }
  return best;
}

int SearchTree::gather(int max_leaves, float* inputs) {
  if (pending_.size() >= kMaxPendingBatches) throw std::logic_error("apply() a pending batch before gathering again");
  if (game_.state().passes() >= 2) return 0;  // the game is over
  std::uniform_int_distribution<int> symmetry(0, kSymmetries - 1);
  Batch batch;
  int leaves = 0, collisions = 0;
  std::vector<int32_t> path;
  std::vector<int> line;
  for (int walk = 0; walk < 4 * max_leaves && leaves < max_leaves && collisions <= max_leaves; ++walk) {
    GameState s = game_.state();
    path.assign(1, 0);
    line.clear();
    int32_t node = 0;
    while (nodes_[node].expanded && !nodes_[node].terminal) {
      node = select_child(node);
      s.play(nodes_[node].move);
      path.push_back(node);
      line.push_back(nodes_[node].move);
    }
    Node& leaf = nodes_[node];
    if (!leaf.terminal && node != 0 && (s.passes() >= 2 || s.move_count() >= settings_.max_game_moves)) {
      leaf.terminal = true;
      leaf.terminal_value = terminal_value(s);
    }
    if (leaf.terminal) {
      backup(path, leaf.terminal_value, 0);
      continue;
    }
    const bool collision = leaf.in_flight > 0;
    for (int32_t i : path) nodes_[i].in_flight += 1;
    PendingLeaf pending{path, {}, -1, s.to_play(), s.passes() > 0};
    if (collision) {
      ++collisions;  // kept only to take its virtual loss back; it steers later walks away
    } else {
      pending.candidates = candidate_moves(s);
      pending.symmetry = settings_.random_symmetry ? symmetry(rng_) : 0;
      game_.encode(line, pending.symmetry, builder_, inputs + static_cast<size_t>(leaves) * kPlaneFloats);
      ++leaves;
    }
    batch.push_back(std::move(pending));
  }
  if (leaves == 0) {
    undo_walks(batch);
    return 0;
  }
  pending_.push_back(std::move(batch));
  return leaves;
}

void SearchTree::undo_walk(const PendingLeaf& leaf) {
  for (int32_t i : leaf.path) nodes_[i].in_flight -= 1;
}

void SearchTree::undo_walks(const Batch& batch) {
  for (const PendingLeaf& leaf : batch) undo_walk(leaf);
}

void SearchTree::discard_pending() {
  for (const Batch& batch : pending_) undo_walks(batch);
  pending_.clear();
}

void SearchTree::apply(const float* policy, const float* value, int count) {
  if (pending_.empty()) throw std::logic_error("no pending batch to apply");
  const auto leaves = std::count_if(pending_.front().begin(), pending_.front().end(),
                                    [](const PendingLeaf& leaf) { return leaf.symmetry >= 0; });
  if (leaves != count)
    throw std::invalid_argument("the pending batch has " + std::to_string(leaves) + " leaves, not " +
                                std::to_string(count));
  int slot = 0;
  for (const PendingLeaf& leaf : pending_.front()) {
    if (leaf.symmetry < 0) {
      undo_walk(leaf);
      continue;
    }
    const float white_wins = std::clamp(value[slot], 0.0f, 1.0f);
    const float to_play_wins = leaf.to_play == kWhite ? white_wins : 1.0f - white_wins;
    expand(leaf.path.back(), leaf, policy + static_cast<size_t>(slot) * kPoints);
    backup(leaf.path, 1.0f - to_play_wins, 1);
    ++slot;
  }
  pending_.pop_front();
}

void SearchTree::expand(int32_t node, const PendingLeaf& leaf, const float* policy) {
  const auto& map = kSymmetry.map[leaf.symmetry];
  const std::vector<int16_t>& candidates = leaf.candidates;
  const float pass_prior = leaf.after_pass ? settings_.pass_prior_after_pass : settings_.pass_prior;
  const int32_t base = static_cast<int32_t>(nodes_.size());
  nodes_.resize(nodes_.size() + candidates.size());
  float total = 0.0f;
  for (size_t i = 0; i < candidates.size(); ++i) {
    const int p = candidates[i];
    Node& c = nodes_[base + i];
    c.move = static_cast<int16_t>(p);
    c.prior = p == kPass ? 0.0f : std::max(0.0f, policy[map[p]]);
    total += c.prior;
  }
  // The network's moves share what the pass leaves; the pass is last.
  const size_t moves = candidates.size() - 1;
  for (size_t i = 0; i < moves; ++i)
    nodes_[base + i].prior = (1.0f - pass_prior) * (total > 0 ? nodes_[base + i].prior / total : 1.0f / moves);
  nodes_[base + moves].prior = moves ? pass_prior : 1.0f;
  Node& n = nodes_[node];
  n.first_child = base;
  n.num_children = static_cast<int16_t>(candidates.size());
  n.expanded = true;
}

void SearchTree::backup(const std::vector<int32_t>& path, float value, int undo_in_flight) {
  for (auto it = path.rbegin(); it != path.rend(); ++it) {
    Node& n = nodes_[*it];
    n.visits += 1;
    n.value_sum += value;
    n.in_flight -= undo_in_flight;
    value = 1.0f - value;
  }
}

void SearchTree::add_root_noise(float alpha, float fraction) {
  Node& root = nodes_[0];
  if (!root.expanded) throw std::logic_error("the root is not expanded yet");
  std::gamma_distribution<float> gamma(alpha, 1.0f);
  std::vector<float> noise(root.num_children);
  float total = 0.0f;
  for (float& x : noise) total += (x = gamma(rng_));
  for (int i = 0; i < root.num_children; ++i) {
    Node& c = nodes_[root.first_child + i];
    c.prior = (1.0f - fraction) * c.prior + fraction * (total > 0 ? noise[i] / total : 0.0f);
  }
}

float SearchTree::root_winrate() const {
  const Node& root = nodes_[0];
  return root.visits > 0 ? 1.0f - root.value_sum / root.visits : 0.5f;
}

int SearchTree::best_move() const {
  // Most visits, then highest prior; but never a move that ends the game
  // lost (a pass after a pass, counted a loss) while another move exists:
  // at low playout counts such a pass can collect visits before its value shows.
  const Node& root = nodes_[0];
  auto rank = [this](int32_t index) {
    const Node& c = nodes_[index];
    return std::make_tuple(!(c.terminal && c.terminal_value == 0.0f), c.visits, c.prior);
  };
  int32_t best = -1;
  for (int i = 0; i < root.num_children; ++i) {
    const int32_t index = root.first_child + i;
    if (best < 0 || rank(index) > rank(best)) best = index;
  }
  return best < 0 ? kPass : nodes_[best].move;
}

int SearchTree::root_visit_lead() const {
  const Node& root = nodes_[0];
  int first = 0, second = 0;
  for (int i = 0; i < root.num_children; ++i) {
    const int v = nodes_[root.first_child + i].visits;
    if (v > first) {
      second = first;
      first = v;
    } else if (v > second) {
      second = v;
    }
  }
  return first - second;
}

std::vector<ChildStats> SearchTree::root_children(int max_pv) const {
  std::vector<ChildStats> out;
  const Node& root = nodes_[0];
  std::vector<int32_t> order;
  for (int i = 0; i < root.num_children; ++i) order.push_back(root.first_child + i);
  std::sort(order.begin(), order.end(), [this](int32_t a, int32_t b) {
    return nodes_[a].visits != nodes_[b].visits ? nodes_[a].visits > nodes_[b].visits
                                                : nodes_[a].prior > nodes_[b].prior;
  });
  for (int32_t index : order) {
    const Node& c = nodes_[index];
    ChildStats stats{c.move, c.visits, c.visits > 0 ? c.value_sum / c.visits : 0.0f, c.prior, {c.move}};
    for (int32_t n = index; static_cast<int>(stats.pv.size()) < max_pv && nodes_[n].num_children > 0;) {
      int32_t next = -1;
      for (int i = 0; i < nodes_[n].num_children; ++i) {
        const int32_t k = nodes_[n].first_child + i;
        if (nodes_[k].visits > 0 && (next < 0 || nodes_[k].visits > nodes_[next].visits)) next = k;
      }
      if (next < 0) break;
      stats.pv.push_back(nodes_[next].move);
      n = next;
    }
    out.push_back(std::move(stats));
  }
  return out;
}

}  // namespace golois

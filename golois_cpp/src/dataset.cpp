#include "dataset.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <system_error>
#include <thread>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "zobrist.h"

namespace golois {

namespace {

// Deterministic Fisher-Yates with splitmix64, identical on every platform.
template <class T>
void seeded_shuffle(std::vector<T>& v, uint64_t seed) {
  uint64_t state = seed;
  for (size_t i = v.size(); i > 1; --i) {
    const size_t j = splitmix64(state) % i;
    std::swap(v[i - 1], v[j]);
  }
}

uint16_t quantise_value(float v) {
  if (v < 0.0f) return kNoValue;
  return static_cast<uint16_t>(std::lround(std::min(v, 1.0f) * kValueScale));
}

constexpr size_t kChunk = 32;  // samples a thread takes at a time

// Runs fn(builder, begin, end) over chunks of [0, n) on up to `threads`
// threads (0 = all cores), each thread with its own FeatureBuilder. The
// builders are made here, so that running out of memory is an exception in
// the caller's thread; a thread that cannot be started leaves its share to
// the others.
template <class Fn>
void parallel_chunks(size_t n, int threads, Fn fn) {
  if (threads <= 0) threads = default_threads();
  const size_t useful = (n + kChunk - 1) / kChunk;
  threads = static_cast<int>(std::min<size_t>(threads, std::max<size_t>(useful, 1)));
  std::vector<std::unique_ptr<FeatureBuilder>> builders;
  for (int t = 0; t < threads; ++t) builders.push_back(std::make_unique<FeatureBuilder>());
  std::atomic<size_t> next{0};
  auto worker = [&](FeatureBuilder* builder) {
    for (size_t start; (start = next.fetch_add(kChunk)) < n;) fn(*builder, start, std::min(n, start + kChunk));
#if defined(__SSE2__)
    _mm_sfence();  // the samples' non-temporal stores are complete before join()
#endif
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) {
    try {
      pool.emplace_back(worker, builders[t].get());
    } catch (const std::system_error&) {
      break;
    }
  }
  worker(builders[0].get());
  for (auto& t : pool) t.join();
}

}  // namespace

int default_threads() { return std::max(1u, std::thread::hardware_concurrency()); }

SampleBuffers BatchBuffers::sample(size_t i) const {
  auto at = [i](float* base, size_t size) { return base ? base + i * size : nullptr; };
  return {input + i * kPoints * kPlanes, at(policy, kPoints), at(value, 1), at(end, kPoints * 2),
          at(groups, kPoints)};
}

std::string Dataset::add_game(const GameRecord& game) {
  if (game.moves.size() > kMaxGameMoves) return "game too long";
  Board board;
  std::vector<PackedBoard> snapshots;
  const std::string error = replay(game, board, [&](size_t i, const Board& b) {
    if (i % kSnapshotEvery == 0) snapshots.push_back(PackedBoard::from(b));
  });
  if (!error.empty()) return error;
  if (game.num_positions() == 0) return "no position to sample";

  std::unique_lock lock(mutex_);
  games_.push_back({moves_.size(), snapshots_.size(), static_cast<uint32_t>(game.moves.size()), game.komi});
  first_moves_.push_back(moves_.size());
  for (size_t i = 0; i < game.moves.size(); ++i) {
    moves_.push_back(encode_move(game.moves[i].point, game.moves[i].color));
    values_.push_back(game.is_sampleable(i) ? quantise_value(game.value_target(i)) : kNoValue);
  }
  snapshots_.insert(snapshots_.end(), snapshots.begin(), snapshots.end());
  finals_.push_back(PackedBoard::from(board));
  return "";
}

GameView Dataset::view(int game) const {
  const GameEntry& g = games_[game];
  return {g.komi, static_cast<int>(g.num_moves), moves_.data() + g.first_move, values_.data() + g.first_move,
          snapshots_.data() + g.first_snapshot, &finals_[game]};
}

Position Dataset::position_of(uint64_t global_move) const {
  // A dense array of first moves keeps this binary search in cache.
  auto it = std::upper_bound(first_moves_.begin(), first_moves_.end(), global_move);
  const int game = static_cast<int>(it - first_moves_.begin()) - 1;
  return {game, static_cast<int>(global_move - first_moves_[game])};
}

bool Dataset::is_sampleable(Position pos) const {
  std::shared_lock lock(mutex_);
  return sampleable(pos);
}

std::vector<Position> Dataset::validation() const {
  std::shared_lock lock(mutex_);
  return validation_;
}

bool Dataset::sampleable(Position pos) const {
  if (pos.game < 0 || static_cast<size_t>(pos.game) >= games_.size()) return false;
  const GameEntry& g = games_[pos.game];
  if (pos.move < 0 || static_cast<uint32_t>(pos.move) >= g.num_moves) return false;
  return values_[g.first_move + pos.move] != kNoValue;
}

void Dataset::shuffle() {
  std::unique_lock lock(mutex_);
  rebuild_training();
}

void Dataset::rebuild_training() {
  if (moves_.size() >= (1ULL << 32)) throw std::length_error("more than 4 billion moves in one dataset");
  std::vector<bool> held_out(games_.size(), false);
  for (const Position& p : validation_) held_out[p.game] = true;
  training_.clear();
  for (size_t g = 0; g < games_.size(); ++g) {
    if (held_out[g]) continue;
    const GameEntry& e = games_[g];
    for (uint64_t m = e.first_move; m < e.first_move + e.num_moves; ++m)
      if (values_[m] != kNoValue) training_.push_back(static_cast<uint32_t>(m));
  }
  seeded_shuffle(training_, seed_);
}

std::vector<Position> Dataset::choose_validation(size_t n) {
  std::unique_lock lock(mutex_);
  if (n > games_.size())
    throw std::invalid_argument("asked for " + std::to_string(n) + " validation positions, one per game, but only " +
                                std::to_string(games_.size()) + " games are loaded");
  std::vector<int> order(games_.size());
  for (size_t g = 0; g < order.size(); ++g) order[g] = static_cast<int>(g);
  seeded_shuffle(order, seed_ ^ 0x76616C6964ULL);
  uint64_t state = seed_ + 1;
  std::vector<Position> chosen;
  for (size_t i = 0; i < n; ++i) {
    const int g = order[i];
    std::vector<int> candidates;
    for (uint32_t m = 0; m < games_[g].num_moves; ++m)
      if (values_[games_[g].first_move + m] != kNoValue) candidates.push_back(static_cast<int>(m));
    chosen.push_back({g, candidates[splitmix64(state) % candidates.size()]});
  }
  use_validation(chosen);
  return chosen;
}

void Dataset::set_validation(const std::vector<Position>& positions) {
  std::unique_lock lock(mutex_);
  use_validation(positions);
}

void Dataset::use_validation(const std::vector<Position>& positions) {
  for (const Position& p : positions)
    if (!sampleable(p))
      throw std::invalid_argument("validation position (game " + std::to_string(p.game) + ", move " +
                                  std::to_string(p.move) + ") is not a sampleable position of this games file");
  validation_ = positions;
  rebuild_training();
}

void Dataset::fill_position(Position pos, int symmetry, const SampleBuffers& out) const {
  std::shared_lock lock(mutex_);
  FeatureBuilder builder;
  builder.fill(view(pos.game), pos.move, symmetry, out);
}

void Dataset::prefetch(Position pos) const {
  const GameEntry& g = games_[pos.game];
  const int snapshot = std::max(0, pos.move - 4) / kSnapshotEvery;
  const char* snap = reinterpret_cast<const char*>(&snapshots_[g.first_snapshot + snapshot]);
  const char* fin = reinterpret_cast<const char*>(&finals_[pos.game]);
  for (int line = 0; line < 2; ++line) {
    __builtin_prefetch(snap + 64 * line);
    __builtin_prefetch(fin + 64 * line);
  }
  __builtin_prefetch(&moves_[g.first_move + snapshot * kSnapshotEvery]);
  __builtin_prefetch(&moves_[g.first_move + pos.move]);
  __builtin_prefetch(&values_[g.first_move + pos.move]);
}

// Fills samples [begin, end) from their positions, fetching the next
// sample's game data from memory while this one is being built.
void Dataset::fill_chunk(FeatureBuilder& builder, const BatchBuffers& out, size_t begin, size_t end,
                         const Position* positions, const int* symmetries, bool from_start) const {
  for (size_t i = begin; i < end; ++i) {
    if (i + 1 < end) prefetch(positions[i + 1 - begin]);
    const Position pos = positions[i - begin];
    builder.fill(view(pos.game), pos.move, symmetries[i - begin], out.sample(i), from_start);
  }
}

void Dataset::fill_training(const BatchBuffers& out, size_t n, uint64_t index, int threads,
                            bool from_start) const {
  std::shared_lock lock(mutex_);
  if (training_.empty()) throw std::runtime_error("no training positions: the games file is empty or all held out");
  parallel_chunks(n, threads, [&](FeatureBuilder& builder, size_t begin, size_t end) {
    Position positions[kChunk];
    int symmetries[kChunk];
    for (size_t i = begin; i < end; ++i) {
      uint64_t state = seed_ ^ (index + i) * 0xD1B54A32D192ED03ULL;
      symmetries[i - begin] = static_cast<int>(splitmix64(state) & 7);
      positions[i - begin] = position_of(training_[(index + i) % training_.size()]);
    }
    fill_chunk(builder, out, begin, end, positions, symmetries, from_start);
  });
}

void Dataset::fill_validation(const BatchBuffers& out, size_t n, int threads) const {
  std::shared_lock lock(mutex_);
  if (n > validation_.size())
    throw std::invalid_argument("the arrays hold " + std::to_string(n) + " samples but the validation set has " +
                                std::to_string(validation_.size()));
  parallel_chunks(n, threads, [&](FeatureBuilder& builder, size_t begin, size_t end) {
    int symmetries[kChunk];
    for (size_t i = begin; i < end; ++i) symmetries[i - begin] = static_cast<int>(i % 8);
    fill_chunk(builder, out, begin, end, &validation_[begin], symmetries, false);
  });
}

}  // namespace golois

#include "feature_planes.h"

#include <algorithm>
#include <cstring>

#include "symmetry.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace golois {

namespace {

constexpr int kToPlayPlane = plane_of("to_play");
constexpr int kLostInAtariPlane = plane_of("lost_in_atari");
constexpr int kNextToLostPlane = plane_of("next_to_lost");
constexpr int kLadderCapturablePlane = plane_of("ladder_capturable");
constexpr int kNextToCapturablePlane = plane_of("next_to_capturable");
constexpr int kFirstLibertyPlane = plane_of("liberties");  // one liberty ... six or more
constexpr int kFirstHistoryPlane = plane_of("history");    // + 2k to play, + 2k + 1 opponent
constexpr int kFirstKomiPlane = plane_of("komi");
constexpr int kHistory = 5;
static_assert(kFirstKomiPlane - kFirstHistoryPlane == 2 * kHistory, "two history planes a position");

// The komi plane for `komi`, or -1 when no plane is set (outside 0..9.99).
int komi_plane(float komi) {
  if (!(komi >= 0.0f && komi < 10.0f)) return -1;
  return kFirstKomiPlane + static_cast<int>(komi);
}

// Separate function so that the restrict qualifiers let the compiler
// vectorise the byte-to-float conversion (uint8_t may alias anything).
inline void widen_row(const uint8_t* __restrict src, float* __restrict dst) {
  for (int i = 0; i < kPlanes; ++i) dst[i] = src[i];
}

// Copies floats to memory that will not be read again soon (a batch is far
// larger than the caches) with non-temporal stores: it skips reading every
// destination line first, which halves the memory traffic of a batch.
void stream_copy(const float* src, float* dst, size_t count) {
#if defined(__SSE2__)
  size_t i = 0;
  for (; i < count && reinterpret_cast<uintptr_t>(dst + i) % 16 != 0; ++i) dst[i] = src[i];
  for (; i + 4 <= count; i += 4) _mm_stream_ps(dst + i, _mm_loadu_ps(src + i));
  for (; i < count; ++i) dst[i] = src[i];
#else
  std::memcpy(dst, src, count * sizeof(float));
#endif
}

}  // namespace

void FeatureBuilder::fill(const GameView& game, int k, int symmetry, const SampleBuffers& out, bool from_start) {
  const Color to_play = move_color(game.moves[k]);
  std::memset(planes_, 0, sizeof planes_);
  replay(game, k, from_start);
  scan_position(k, to_play);
  for (const CapturedStone& s : captured_) add_history(point(s.cell), s.color, s.placed, s.taken, k, to_play);
  write_outputs(game, k, symmetry, to_play, out);
}

// Rebuilds the position before move k from the nearest snapshot that still
// lets us see the four positions before it. Instead of copying the board
// after each move, it notes when every stone was placed and which stones
// were captured when, which is all the history planes need.
void FeatureBuilder::replay(const GameView& game, int k, bool from_start) {
  const int oldest = std::max(0, k - (kHistory - 1));
  const int first = from_start ? 0 : oldest / kSnapshotEvery * kSnapshotEvery;
  game.snapshots[first / kSnapshotEvery].unpack(colors_);
  board_.set_position(colors_);
  std::fill(std::begin(placed_at_), std::end(placed_at_), int16_t{-1});
  captured_.clear();
  for (int j = first; j < k; ++j) {
    const int p = move_point(game.moves[j]);
    if (p == kPass) {
      board_.pass();
      continue;
    }
    const int c = cell(p);
    const Color colour = move_color(game.moves[j]);
    if (j >= oldest) note_captures(c, colour, j);
    board_.play(c, colour);
    placed_at_[c] = static_cast<int16_t>(j);
  }
}

void FeatureBuilder::note_captures(int move_cell, Color c, int move_index) {
  const Color opp = opponent(c);
  int heads[4], n = 0;
  for (int d : kDirections) {
    const int nb = move_cell + d;
    if (board_.at(nb) != opp || board_.liberties(nb) != 1) continue;
    const int h = board_.head(nb);
    if (std::find(heads, heads + n, h) != heads + n) continue;
    heads[n++] = h;
    int s = h;
    do {
      captured_.push_back({static_cast<int16_t>(s), opp, placed_at_[s], static_cast<int16_t>(move_index)});
      s = board_.next_stone(s);
    } while (s != h);
  }
}

// Sets the history planes of a stone that stands from after move `placed`
// up to position `taken` (position i = after i moves; now is position k).
void FeatureBuilder::add_history(int p, Color c, int placed, int taken, int k, Color to_play) {
  const int side = c == to_play ? 0 : 1;
  for (int age = 0; age < kHistory; ++age) {
    const int i = k - age;
    if (i >= 0 && i > placed && i <= taken) planes_[p][kFirstHistoryPlane + 2 * age + side] = 1;
  }
}

void FeatureBuilder::mark_string(int string_cell, int plane) {
  int s = string_cell;
  do {
    planes_[point(s)][plane] = 1;
    s = board_.next_stone(s);
  } while (s != string_cell);
}

void FeatureBuilder::mark_neighbour_strings(int string_cell, int plane) {
  int heads[kPoints];
  const int n = board_.adjacent_strings(string_cell, opponent(board_.at(string_cell)), heads, kPoints);
  for (int i = 0; i < n; ++i) mark_string(heads[i], plane);
}

void FeatureBuilder::add_ladder_planes(int string_cell, int libs) {
  if (libs == 1 && ladder_.lost_in_atari(board_, string_cell)) {
    mark_string(string_cell, kLostInAtariPlane);
    mark_neighbour_strings(string_cell, kNextToLostPlane);
  } else if (libs == 2 && ladder_.capturable(board_, string_cell)) {
    mark_string(string_cell, kLadderCapturablePlane);
    mark_neighbour_strings(string_cell, kNextToCapturablePlane);
  }
}

// One pass over the current position: history of the stones on the board,
// liberties, ladders (once per string, at its head) and group ids.
void FeatureBuilder::scan_position(int k, Color to_play) {
  int16_t id_of_head[kCells];
  std::memset(id_of_head, 0, sizeof id_of_head);
  int16_t next_id = 1;
  for (int p = 0; p < kPoints; ++p) {
    const int c = cell(p);
    const Color colour = board_.at(c);
    if (colour == kEmpty) {
      group_id_[p] = 0;
      continue;
    }
    add_history(p, colour, placed_at_[c], k, k, to_play);
    const int h = board_.head(c);
    if (id_of_head[h] == 0) id_of_head[h] = next_id++;
    group_id_[p] = id_of_head[h];
    const int libs = board_.liberties(c);
    planes_[p][kFirstLibertyPlane + std::min(libs, 6) - 1] = 1;
    if (h == c && libs <= 2) add_ladder_planes(c, libs);
  }
}

void FeatureBuilder::write_outputs(const GameView& game, int k, int symmetry, Color to_play,
                                   const SampleBuffers& out) {
  const auto& map = kSymmetry.map[symmetry];
  const float black_to_play = to_play == kBlack;
  const int komi = komi_plane(game.komi);
  for (int p = 0; p < kPoints; ++p) {
    float* dst = staged_ + map[p] * kPlanes;
    widen_row(planes_[p], dst);
    // The constant planes go straight to the floats: storing bytes just
    // before the wide load of the row would stall store forwarding.
    dst[kToPlayPlane] = black_to_play;
    if (komi >= 0) dst[komi] = 1.0f;
  }
  stream_copy(staged_, out.input, kPoints * kPlanes);
  // The targets are staged too: scattered stores into a cold batch would
  // each wait for their cache line.
  if (out.policy) {
    std::fill(staged_, staged_ + kPoints, 0.0f);
    staged_[map[move_point(game.moves[k])]] = 1.0f;
    stream_copy(staged_, out.policy, kPoints);
  }
  if (out.value) *out.value = game.values[k] / kValueScale;
  if (out.end) {
    game.final_position->unpack(colors_);
    const Color opp = opponent(to_play);
    for (int p = 0; p < kPoints; ++p) {
      staged_[map[p] * 2] = colors_[p] == to_play;
      staged_[map[p] * 2 + 1] = colors_[p] == opp;
    }
    stream_copy(staged_, out.end, kPoints * 2);
  }
  if (out.groups) {
    for (int p = 0; p < kPoints; ++p) staged_[map[p]] = group_id_[p];
    stream_copy(staged_, out.groups, kPoints);
  }
}

}  // namespace golois

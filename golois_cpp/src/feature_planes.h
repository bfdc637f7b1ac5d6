// Builds one training sample (the 31 input planes and the policy, value,
// end and groups targets) exactly as docs/reference/file-format.md describes them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "board.h"
#include "game.h"
#include "ladder.h"
#include "packed_board.h"

namespace golois {

// The input planes, in order: the one definition of their layout (docs/reference/file-format.md
// describes each). The builder's plane indices and kPlanes are derived from it, and Python reads it as
// golois.PLANE_LAYOUT, so the trainer and the docs never restate an index.
struct PlaneGroup {
  const char* name;
  int first;
  int count;
};
constexpr PlaneGroup kPlaneLayout[] = {
    {"to_play", 0, 1},             // all ones when Black is to play
    {"lost_in_atari", 1, 1},       // strings that cannot escape atari
    {"next_to_lost", 2, 1},        // strings adjacent to those
    {"ladder_capturable", 3, 1},   // two-liberty strings lost in a ladder
    {"next_to_capturable", 4, 1},  // strings adjacent to those
    {"liberties", 5, 6},           // one-hot liberties: 1, 2, ..., 6 or more
    {"history", 11, 10},           // now and 4 moves back: to play, opponent
    {"komi", 21, 10},              // one-hot int(komi), 0..9
};
constexpr int kPlaneGroups = sizeof kPlaneLayout / sizeof kPlaneLayout[0];
constexpr int kPlanes = kPlaneLayout[kPlaneGroups - 1].first + kPlaneLayout[kPlaneGroups - 1].count;

// The first plane of the group `name` (compile-time: an unknown name does not compile).
constexpr int plane_of(const char* name, int group = 0) {
  return group == kPlaneGroups ? throw "unknown plane group"
       : std::char_traits<char>::compare(kPlaneLayout[group].name, name,
                                         std::char_traits<char>::length(name) + 1) == 0
           ? kPlaneLayout[group].first
           : plane_of(name, group + 1);
}

constexpr bool planes_are_contiguous(int group = 1) {
  return group == kPlaneGroups ||
         (kPlaneLayout[group].first == kPlaneLayout[group - 1].first + kPlaneLayout[group - 1].count &&
          planes_are_contiguous(group + 1));
}
static_assert(kPlaneLayout[0].first == 0 && planes_are_contiguous(), "plane groups must tile 0..kPlanes");
static_assert(kPlanes == 31, "the course's networks take 31 planes");
constexpr int kSnapshotEvery = 16;        // moves between stored snapshots
constexpr uint16_t kNoValue = 0xFFFF;     // quantised value: unknown
constexpr float kValueScale = 65534.0f;   // quantised value = round(v * scale)


// Read-only view of one stored game.
struct GameView {
  float komi;
  int num_moves;
  const uint16_t* moves;           // encode_move()
  const uint16_t* values;          // quantised value target of each move
  const PackedBoard* snapshots;    // position after 0, S, 2S, ... moves
  const PackedBoard* final_position;
};

// Where one sample goes; any target pointer may be null.
struct SampleBuffers {
  float* input;   // 19 * 19 * 31, NHWC
  float* policy;  // 361
  float* value;   // 1
  float* end;     // 19 * 19 * 2
  float* groups;  // 19 * 19
};

// Per-thread scratch space; cheap to fill many samples in a row.
class FeatureBuilder {
 public:
  // Fills the sample for the position before move `k` of `game`, seen
  // through symmetry `symmetry` (0..7). from_start ignores the snapshots.
  void fill(const GameView& game, int k, int symmetry, const SampleBuffers& out, bool from_start = false);

 private:
  // A stone captured during the replay: it still shows in older history.
  struct CapturedStone {
    int16_t cell;
    Color color;
    int16_t placed;  // move that placed it, -1 if before the replay
    int16_t taken;   // move that captured it
  };

  void replay(const GameView& game, int k, bool from_start);
  void note_captures(int move_cell, Color c, int move_index);
  void scan_position(int k, Color to_play);
  void add_history(int p, Color c, int placed, int taken, int k, Color to_play);
  void add_ladder_planes(int string_cell, int libs);
  void mark_string(int string_cell, int plane);
  void mark_neighbour_strings(int string_cell, int plane);
  void write_outputs(const GameView& game, int k, int symmetry, Color to_play, const SampleBuffers& out);

  Board board_;
  LadderReader ladder_;
  uint8_t colors_[kPoints];
  int16_t placed_at_[kCells];  // move that placed each stone, -1 if before the replay
  std::vector<CapturedStone> captured_;
  alignas(32) uint8_t planes_[kPoints][32];  // identity orientation
  int16_t group_id_[kPoints];
  alignas(64) float staged_[kPoints * kPlanes];  // input planes, output order
};

}  // namespace golois

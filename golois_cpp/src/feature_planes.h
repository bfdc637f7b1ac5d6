// Builds one training sample (the 31 input planes and the policy, value,
// end and groups targets) exactly as described in docs/golois-format.md.
#pragma once

#include <cstdint>
#include <vector>

#include "board.h"
#include "game.h"
#include "ladder.h"
#include "packed_board.h"

namespace golois {

constexpr int kPlanes = 31;
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

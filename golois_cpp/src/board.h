// Go board for 19x19 with incremental string (chain) and liberty tracking.
//
// Layout: the 19x19 board is stored inside a 21x21 frame whose outer ring is
// BORDER, so the four neighbours of any on-board cell can be read without
// bounds checks. Public coordinates are the Golois point index 19 * row + col
// (361 = pass); `cell()` / `point()` convert between the two.
//
// Strings are circular linked lists (`next_`) with a representative `head_`;
// the head keeps the exact liberty count and stone count, so capture and atari
// tests are O(1) and merging only walks the smaller string.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

namespace golois {

constexpr int kSize = 19;
constexpr int kPoints = kSize * kSize;  // 361
constexpr int kPass = kPoints;          // point index of a pass
constexpr int kFrame = kSize + 2;       // 21
constexpr int kCells = kFrame * kFrame; // 441
constexpr int kNoCell = 0;              // a border cell, never a valid move
constexpr double kDefaultKomi = 7.5;    // the course tournament's komi (Chinese area scoring)
constexpr int kPlayMoveLimit = 2 * kPoints;  // a game played this long is scored as it stands (stored games may be longer)

enum Color : uint8_t { kEmpty = 0, kBlack = 1, kWhite = 2, kBorder = 3 };

constexpr Color opponent(Color c) { return c == kBlack ? kWhite : kBlack; }
constexpr int cell(int point) { return (point / kSize + 1) * kFrame + point % kSize + 1; }
constexpr int point(int cell) { return (cell / kFrame - 1) * kSize + cell % kFrame - 1; }
constexpr std::array<int, 4> kDirections = {-kFrame, -1, 1, kFrame};

// Why a move is refused.
enum class MoveError { kNone, kOccupied, kSuicide, kKo, kSuperko, kOffBoard };
const char* move_error_text(MoveError e);

class Board {
 public:
  Board();

  Color at(int cell) const { return color_[cell]; }
  Color at_point(int p) const { return color_[cell(p)]; }
  int head(int cell) const { return head_[cell]; }
  int next_stone(int cell) const { return next_[cell]; }
  int liberties(int cell) const { return libs_[head_[cell]]; }
  int string_size(int cell) const { return stones_[head_[cell]]; }
  int ko_cell() const { return ko_; }
  uint64_t hash() const { return hash_; }

  // Legality under the simple-ko rule (superko is the caller's business, see
  // GameState). `move` is a cell; passes are always legal and not handled here.
  MoveError check(int move, Color c) const;
  bool is_legal(int move, Color c) const { return check(move, c) == MoveError::kNone; }

  // Plays a legal move (the caller has checked it). Returns stones captured.
  int play(int move, Color c);
  // A pass lifts the ko ban.
  void pass() { ko_ = kNoCell; }

  // Places a stone without capture or ko logic (setup stones AB/AW). The
  // point must be empty. Strings and liberties stay exact.
  void place(int cell, Color c);

  // The Zobrist hash the board would have after `move` (legal) by `c`.
  uint64_t hash_after(int move, Color c) const;

  // Up to `max` distinct liberties of the string at `cell`, written to `out`.
  int list_liberties(int cell, int* out, int max) const;

  // Heads of the distinct strings of colour `c` adjacent to the string at `cell`.
  int adjacent_strings(int cell, Color c, int* heads, int max) const;

  // Tromp-Taylor area: stones plus empty regions that reach only one colour.
  void area(int& black, int& white) const;
  double score(double komi) const;  // black area - white area - komi

  // Rebuilds every string from a plain colour array (one entry per point).
  void set_position(const uint8_t* colors_by_point);
  void clear();

 private:
  void remove_string(int head);
  void merge_into(int base, int other);
  bool is_liberty_of(int lib, int head) const;
  int count_empty_neighbours(int cell) const;

  std::array<Color, kCells> color_;
  std::array<int16_t, kCells> head_;
  // Valid on stones only; head_ is 0 on empty and border cells.
  std::array<int16_t, kCells> next_;
  std::array<int16_t, kCells> libs_;    // valid at heads
  std::array<int16_t, kCells> stones_;  // valid at heads
  int ko_ = kNoCell;          // cell that ko_player_ may not take back now
  Color ko_player_ = kEmpty;
  uint64_t hash_ = 0;
};

// A game in progress: board, side to move, history of positions for
// positional superko, consecutive passes.
class GameState {
 public:
  explicit GameState(double komi = kDefaultKomi);

  const Board& board() const { return board_; }
  Color to_play() const { return to_play_; }
  double komi() const { return komi_; }
  int passes() const { return passes_; }
  int move_count() const { return static_cast<int>(moves_.size()); }
  const std::vector<int>& moves() const { return moves_; }  // points, 361 = pass

  void set_to_play(Color c) { to_play_ = c; }
  // Setup stone (handicap); the position is recorded for superko.
  void place(int point, Color c);
  MoveError check(int point) const;  // includes positional superko
  MoveError check(int point, Color c) const;
  MoveError play(int point);         // by the side to move; returns why if refused
  MoveError play(int point, Color c);
  std::vector<int> legal_points() const;  // excluding pass

 private:
  Board board_;
  Color to_play_ = kBlack;
  double komi_;
  int passes_ = 0;
  std::vector<int> moves_;
  std::vector<uint64_t> seen_;  // hashes of every position so far
};

}  // namespace golois

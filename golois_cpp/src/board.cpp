#include "board.h"

#include <algorithm>

#include "zobrist.h"

namespace golois {

const char* move_error_text(MoveError e) {
  switch (e) {
    case MoveError::kNone: return "legal";
    case MoveError::kOccupied: return "point occupied";
    case MoveError::kSuicide: return "suicide";
    case MoveError::kKo: return "ko";
    case MoveError::kSuperko: return "positional superko";
    case MoveError::kOffBoard: return "off the board";
  }
  return "unknown";
}

namespace {

// Keeps `head` in `heads` once; returns the new count.
inline int add_unique(int* heads, int n, int head) {
  for (int i = 0; i < n; ++i)
    if (heads[i] == head) return n;
  heads[n] = head;
  return n + 1;
}

}  // namespace

Board::Board() { clear(); }

void Board::clear() {
  color_.fill(kBorder);
  head_.fill(0);
  for (int p = 0; p < kPoints; ++p) color_[cell(p)] = kEmpty;
  ko_ = kNoCell;
  ko_player_ = kEmpty;
  hash_ = 0;
}

int Board::count_empty_neighbours(int c) const {
  int n = 0;
  for (int d : kDirections) n += color_[c + d] == kEmpty;
  return n;
}

bool Board::is_liberty_of(int lib, int head) const {
  for (int d : kDirections)
    if (head_[lib + d] == head) return true;
  return false;
}

MoveError Board::check(int move, Color c) const {
  if (color_[move] == kBorder) return MoveError::kOffBoard;
  if (color_[move] != kEmpty) return MoveError::kOccupied;
  if (move == ko_ && c == ko_player_) return MoveError::kKo;
  const Color opp = opponent(c);
  for (int d : kDirections) {
    const int n = move + d;
    if (color_[n] == kEmpty) return MoveError::kNone;
    if (color_[n] == c && libs_[head_[n]] > 1) return MoveError::kNone;
    if (color_[n] == opp && libs_[head_[n]] == 1) return MoveError::kNone;
  }
  return MoveError::kSuicide;
}

void Board::merge_into(int base, int other) {
  int s = other;
  do {
    for (int d : kDirections) {
      const int e = s + d;
      if (color_[e] == kEmpty && !is_liberty_of(e, base)) ++libs_[base];
    }
    head_[s] = static_cast<int16_t>(base);
    s = next_[s];
  } while (s != other);
  std::swap(next_[base], next_[other]);
  stones_[base] = static_cast<int16_t>(stones_[base] + stones_[other]);
}

void Board::remove_string(int head) {
  int s = head;
  do {
    const Color owner = color_[s];
    color_[s] = kEmpty;
    hash_ ^= kZobrist.key[owner][s];
    head_[s] = 0;
    int touched[4];
    int n = 0;
    for (int d : kDirections) {
      const int nb = s + d;
      if (color_[nb] == opponent(owner)) n = add_unique(touched, n, head_[nb]);
    }
    for (int i = 0; i < n; ++i) ++libs_[touched[i]];
    s = next_[s];
  } while (s != head);
}

void Board::place(int move, Color c) {
  color_[move] = c;
  hash_ ^= kZobrist.key[c][move];
  head_[move] = static_cast<int16_t>(move);
  next_[move] = static_cast<int16_t>(move);
  stones_[move] = 1;
  libs_[move] = static_cast<int16_t>(count_empty_neighbours(move));
  for (int d : kDirections) {
    const int n = move + d;
    if (color_[n] != c) continue;
    const int h = head_[n];
    const int mine = head_[move];
    if (h == mine) continue;
    --libs_[h];  // `move` was one of its liberties
    if (stones_[h] >= stones_[mine])
      merge_into(h, mine);
    else
      merge_into(mine, h);
  }
  const Color opp = opponent(c);
  int heads[4];
  int n = 0;
  for (int d : kDirections)
    if (color_[move + d] == opp) n = add_unique(heads, n, head_[move + d]);
  for (int i = 0; i < n; ++i) --libs_[heads[i]];
  ko_ = kNoCell;
}

int Board::play(int move, Color c) {
  place(move, c);
  const Color opp = opponent(c);
  int captured = 0;
  int last_captured = kNoCell;
  for (int d : kDirections) {
    const int n = move + d;
    if (color_[n] == opp && libs_[head_[n]] == 0) {
      captured += stones_[head_[n]];
      last_captured = n;
      remove_string(head_[n]);
    }
  }
  const int h = head_[move];
  if (captured == 1 && stones_[h] == 1 && libs_[h] == 1) {
    ko_ = last_captured;
    ko_player_ = opp;
  }
  return captured;
}

uint64_t Board::hash_after(int move, Color c) const {
  uint64_t h = hash_ ^ kZobrist.key[c][move];
  const Color opp = opponent(c);
  int heads[4];
  int n = 0;
  for (int d : kDirections) {
    const int nb = move + d;
    if (color_[nb] == opp && libs_[head_[nb]] == 1) n = add_unique(heads, n, head_[nb]);
  }
  for (int i = 0; i < n; ++i) {
    int s = heads[i];
    do {
      h ^= kZobrist.key[opp][s];
      s = next_[s];
    } while (s != heads[i]);
  }
  return h;
}

int Board::list_liberties(int c, int* out, int max) const {
  int n = 0;
  const int h = head_[c];
  int s = h;
  do {
    for (int d : kDirections) {
      const int e = s + d;
      if (color_[e] != kEmpty) continue;
      if (std::find(out, out + n, e) != out + n) continue;
      out[n++] = e;
      if (n == max) return n;
    }
    s = next_[s];
  } while (s != h);
  return n;
}

int Board::adjacent_strings(int c, Color colour, int* heads, int max) const {
  int n = 0;
  const int h = head_[c];
  int s = h;
  do {
    for (int d : kDirections) {
      const int nb = s + d;
      if (color_[nb] != colour) continue;
      n = add_unique(heads, n, head_[nb]);
      if (n == max) return n;
    }
    s = next_[s];
  } while (s != h);
  return n;
}

void Board::area(int& black, int& white) const {
  black = white = 0;
  std::array<bool, kCells> seen{};
  int stack[kCells];
  for (int p = 0; p < kPoints; ++p) {
    const int c = cell(p);
    if (color_[c] == kBlack) ++black;
    if (color_[c] == kWhite) ++white;
    if (color_[c] != kEmpty || seen[c]) continue;
    // Flood the empty region, noting which colours it touches.
    int size = 0, top = 0;
    bool touches_black = false, touches_white = false;
    stack[top++] = c;
    seen[c] = true;
    while (top > 0) {
      const int e = stack[--top];
      ++size;
      for (int d : kDirections) {
        const int nb = e + d;
        if (color_[nb] == kBlack) touches_black = true;
        if (color_[nb] == kWhite) touches_white = true;
        if (color_[nb] == kEmpty && !seen[nb]) {
          seen[nb] = true;
          stack[top++] = nb;
        }
      }
    }
    if (touches_black && !touches_white) black += size;
    if (touches_white && !touches_black) white += size;
  }
}

double Board::score(double komi) const {
  int black, white;
  area(black, white);
  return black - white - komi;
}

void Board::set_position(const uint8_t* colors_by_point) {
  clear();
  for (int p = 0; p < kPoints; ++p) {
    const int c = cell(p);
    color_[c] = static_cast<Color>(colors_by_point[p]);
    if (color_[c] != kEmpty) hash_ ^= kZobrist.key[color_[c]][c];
  }
  // Flood fill each string once, linking its stones and counting liberties
  // with a per-string stamp so a shared liberty counts once.
  std::array<int16_t, kCells> stamp{};
  int stack[kCells];
  for (int p = 0; p < kPoints; ++p) {
    const int start = cell(p);
    const Color c = color_[start];
    if (c == kEmpty || head_[start] != 0) continue;
    int top = 0, count = 0, libs = 0, prev = start;
    stack[top++] = start;
    head_[start] = static_cast<int16_t>(start);
    while (top > 0) {
      const int s = stack[--top];
      ++count;
      if (s != start) {
        next_[prev] = static_cast<int16_t>(s);
        prev = s;
      }
      for (int d : kDirections) {
        const int nb = s + d;
        if (color_[nb] == c && head_[nb] == 0) {
          head_[nb] = static_cast<int16_t>(start);
          stack[top++] = nb;
        } else if (color_[nb] == kEmpty && stamp[nb] != start) {
          stamp[nb] = static_cast<int16_t>(start);
          ++libs;
        }
      }
    }
    next_[prev] = static_cast<int16_t>(start);
    stones_[start] = static_cast<int16_t>(count);
    libs_[start] = static_cast<int16_t>(libs);
  }
}

// ---------------------------------------------------------------- GameState

GameState::GameState(double komi) : komi_(komi) { seen_.push_back(board_.hash()); }

void GameState::place(int p, Color c) {
  board_.place(cell(p), c);
  seen_.push_back(board_.hash());
}

MoveError GameState::check(int p) const { return check(p, to_play_); }

MoveError GameState::check(int p, Color c) const {
  if (p == kPass) return MoveError::kNone;
  if (p < 0 || p > kPass) return MoveError::kOffBoard;
  const int m = cell(p);
  const MoveError e = board_.check(m, c);
  if (e != MoveError::kNone) return e;
  const uint64_t h = board_.hash_after(m, c);
  if (std::find(seen_.begin(), seen_.end(), h) != seen_.end()) return MoveError::kSuperko;
  return MoveError::kNone;
}

MoveError GameState::play(int p) { return play(p, to_play_); }

MoveError GameState::play(int p, Color c) {
  const MoveError e = check(p, c);
  if (e != MoveError::kNone) return e;
  if (p == kPass) {
    board_.pass();
    ++passes_;
  } else {
    board_.play(cell(p), c);
    passes_ = 0;
    seen_.push_back(board_.hash());
  }
  moves_.push_back(p);
  to_play_ = opponent(c);
  return MoveError::kNone;
}

std::vector<int> GameState::legal_points() const {
  std::vector<int> out;
  for (int p = 0; p < kPoints; ++p)
    if (check(p) == MoveError::kNone) out.push_back(p);
  return out;
}

}  // namespace golois

// The eight symmetries of the square board (the dihedral group D4).
// Symmetry s maps (row, col) by: transpose if s & 4, then flip rows if s & 1,
// then flip columns if s & 2. s = 0 is the identity; pass maps to pass.
#pragma once

#include <array>
#include <cstdint>

#include "board.h"

namespace golois {

constexpr int kSymmetries = 8;

constexpr int transform_point(int p, int s) {
  if (p == kPass) return kPass;
  int r = p / kSize, c = p % kSize;
  if (s & 4) {
    const int t = r;
    r = c;
    c = t;
  }
  if (s & 1) r = kSize - 1 - r;
  if (s & 2) c = kSize - 1 - c;
  return r * kSize + c;
}

struct SymmetryTable {
  // map[s][p] = image of point p under symmetry s (p = 361 is a pass).
  std::array<std::array<int16_t, kPoints + 1>, kSymmetries> map{};
  constexpr SymmetryTable() {
    for (int s = 0; s < kSymmetries; ++s)
      for (int p = 0; p <= kPoints; ++p) map[s][p] = static_cast<int16_t>(transform_point(p, s));
  }
};

inline constexpr SymmetryTable kSymmetry{};

}  // namespace golois

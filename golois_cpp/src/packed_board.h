// A board position in 96 bytes (2 bits a point): the snapshots and final
// positions kept per game by the dataset.
#pragma once

#include <array>
#include <cstdint>

#include "board.h"

namespace golois {

class PackedBoard {
 public:
  static PackedBoard from(const Board& b) {
    PackedBoard packed;
    uint64_t word = 0;
    for (int p = 0; p < kPoints; ++p) {
      word |= static_cast<uint64_t>(b.at(cell(p))) << ((p & 31) * 2);
      if ((p & 31) == 31 || p == kPoints - 1) {
        packed.bits_[p >> 5] = word;
        word = 0;
      }
    }
    return packed;
  }
  void set(int p, Color c) { bits_[p >> 5] |= static_cast<uint64_t>(c) << ((p & 31) * 2); }
  Color get(int p) const { return static_cast<Color>((bits_[p >> 5] >> ((p & 31) * 2)) & 3); }
  void unpack(uint8_t* colors_by_point) const {
    for (int w = 0; w < 12; ++w) {
      uint64_t bits = bits_[w];
      const int first = w * 32, count = w < 11 ? 32 : kPoints - first;
      for (int i = 0; i < count; ++i, bits >>= 2) colors_by_point[first + i] = bits & 3;
    }
  }

 private:
  std::array<uint64_t, 12> bits_{};
};

}  // namespace golois

// Zobrist keys for positional hashing, generated at compile time so the
// library holds no mutable global state.
#pragma once

#include <array>
#include <cstdint>

namespace golois {

constexpr uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// kZobrist[colour][cell], colour 1 = black, 2 = white; other rows stay zero.
struct ZobristTable {
  std::array<std::array<uint64_t, 441>, 3> key{};
  constexpr ZobristTable() {
    uint64_t state = 0x601015ULL;
    for (int c = 1; c <= 2; ++c)
      for (int i = 0; i < 441; ++i) key[c][i] = splitmix64(state);
  }
};

inline constexpr ZobristTable kZobrist{};

}  // namespace golois

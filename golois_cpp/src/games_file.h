// Games files: the compact binary format written by `golois import-games`,
// and the original text games.data of the course (read and written).
//
// Binary layout (little-endian):
//   header  "GOLOISG1" | u32 version | u32 reserved | u64 games | u64 index offset
//   games   f32 komi | u8 result | u8 flags | u16 setup | u32 moves
//           | u16 setup codes | u16 move codes | f32 values (flags & 1) | f32 scores (flags & 2)
//   index   u64 offset of each game, for random access
// A stone or move code is point | colour << 9 (point 361 = pass).
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "game.h"
#include "temp_file.h"

namespace golois {

constexpr char kGamesMagic[8] = {'G', 'O', 'L', 'O', 'I', 'S', 'G', '1'};

bool is_binary_games_file(const std::string& path);

// Calls `sink` for every game of a games file of either format, and
// `progress(done, total)` now and then when given. Throws
// std::runtime_error with the file name and the reason when the file cannot
// be read or is malformed.
using GameSink = std::function<void(GameRecord&&)>;
using Progress = std::function<void(size_t done, size_t total)>;
void read_games(const std::string& path, const GameSink& sink, const Progress& progress = {});

// Random access to a binary games file.
class GamesFile {
 public:
  explicit GamesFile(const std::string& path);
  ~GamesFile();
  GamesFile(const GamesFile&) = delete;
  GamesFile& operator=(const GamesFile&) = delete;
  size_t size() const { return offsets_.size(); }
  GameRecord read(size_t i) const;

 private:
  std::string path_;
  std::FILE* file_;
  std::vector<uint64_t> offsets_;
};

// Writes a binary games file. Games go to a temporary file beside `path`,
// renamed to `path` by close(), so an interrupted import never leaves a
// half-written file; discard() (or destruction before close()) removes it.
class GamesWriter {
 public:
  explicit GamesWriter(const std::string& path);
  GamesWriter(const GamesWriter&) = delete;
  GamesWriter& operator=(const GamesWriter&) = delete;
  void add(const GameRecord& game);
  void close();
  void discard() { out_.discard(); }
  size_t count() const { return offsets_.size(); }

 private:
  void write(const void* data, size_t size);
  TempFile out_;
  uint64_t position_ = 0;
  std::vector<uint64_t> offsets_;
};

// The original text format. Each move carries its value target (its own
// value, else the outcome: the format has no other place for it). Setup
// stones, which it cannot hold, are written as leading moves without one.
void write_text_games(const std::string& path, const std::vector<GameRecord>& games);

}  // namespace golois

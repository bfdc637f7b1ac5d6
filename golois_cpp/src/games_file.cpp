#include "games_file.h"

#include <charconv>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string_view>

#include "printable.h"

namespace golois {

namespace {

struct BinaryHeader {
  char magic[8];
  uint32_t version;
  uint32_t reserved;
  uint64_t games;
  uint64_t index_offset;
};
static_assert(sizeof(BinaryHeader) == 32);

struct BinaryGameHeader {
  float komi;
  uint8_t result;
  uint8_t flags;
  uint16_t setup;
  uint32_t moves;
};
static_assert(sizeof(BinaryGameHeader) == 12);

constexpr uint8_t kHasValues = 1;
constexpr uint8_t kHasScores = 2;
constexpr uint8_t kNoOutcomeValues = 4;  // GameRecord::outcome_is_value is false

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

File open_or_fail(const std::string& path, const char* mode) {
  File f(std::fopen(path.c_str(), mode));
  if (!f) file_error(path, std::string("cannot open: ") + std::strerror(errno));
  return f;
}

void read_exact(std::FILE* f, void* out, size_t size, const std::string& path) {
  if (size && std::fread(out, 1, size, f) != size) file_error(path, "truncated file");
}

void check_code(uint16_t code, bool is_move, const std::string& path) {
  const int point = move_point(code), colour = move_color(code);
  if (colour != kBlack && colour != kWhite) file_error(path, "corrupt game record (bad colour)");
  if (point > kPass || (!is_move && point == kPass)) file_error(path, "corrupt game record (bad point)");
}

GameRecord read_binary_game(std::FILE* f, const std::string& path) {
  BinaryGameHeader h;
  read_exact(f, &h, sizeof h, path);
  if (h.result > static_cast<uint8_t>(Result::kDraw) || h.moves > kMaxGameMoves || h.setup > kPoints)
    file_error(path, "corrupt game record");
  GameRecord g;
  g.komi = h.komi;
  g.result = static_cast<Result>(h.result);
  g.outcome_is_value = !(h.flags & kNoOutcomeValues);
  std::vector<uint16_t> setup(h.setup), moves(h.moves);
  read_exact(f, setup.data(), setup.size() * 2, path);
  read_exact(f, moves.data(), moves.size() * 2, path);
  for (uint16_t code : setup) {
    check_code(code, false, path);
    g.setup.push_back({move_point(code), move_color(code)});
  }
  for (uint16_t code : moves) {
    check_code(code, true, path);
    g.moves.push_back({move_point(code), move_color(code)});
  }
  std::vector<float> extra(h.moves);
  if (h.flags & kHasValues) {
    read_exact(f, extra.data(), extra.size() * 4, path);
    for (size_t i = 0; i < extra.size(); ++i) g.moves[i].value = extra[i];
  }
  if (h.flags & kHasScores) {
    read_exact(f, extra.data(), extra.size() * 4, path);
    for (size_t i = 0; i < extra.size(); ++i) g.moves[i].score = extra[i];
  }
  return g;
}

BinaryHeader read_binary_header(std::FILE* f, const std::string& path) {
  BinaryHeader h;
  read_exact(f, &h, sizeof h, path);
  if (std::memcmp(h.magic, kGamesMagic, 8) != 0) file_error(path, "not a Golois games file");
  if (h.version != 1) file_error(path, "unsupported games file version " + std::to_string(h.version));
  return h;
}

std::vector<uint64_t> read_index(std::FILE* f, const BinaryHeader& h, const std::string& path) {
  if (std::fseek(f, 0, SEEK_END) != 0) file_error(path, "cannot seek");
  const uint64_t size = static_cast<uint64_t>(std::ftell(f));
  if (h.index_offset < sizeof h || h.index_offset > size || h.games > (size - h.index_offset) / 8)
    file_error(path, "corrupt or truncated file (the index does not fit)");
  if (std::fseek(f, static_cast<long>(h.index_offset), SEEK_SET) != 0) file_error(path, "truncated file");
  std::vector<uint64_t> offsets(h.games);
  read_exact(f, offsets.data(), offsets.size() * 8, path);
  return offsets;
}

// Whitespace-separated tokens of a large text file, read in chunks.
class TokenReader {
 public:
  TokenReader(std::FILE* f, const std::string& path) : f_(f), path_(path), buffer_(1 << 20) {}

  // The next token, or an empty view at the end of the file.
  std::string_view next() {
    token_.clear();
    for (;;) {
      if (pos_ == size_ && !refill()) return token_;
      const char c = buffer_[pos_];
      if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
        if (c == '\n') ++line_;
        ++pos_;
        if (!token_.empty()) return token_;
        continue;
      }
      token_.push_back(c);
      ++pos_;
    }
  }

  // The next token; fails at the end of the file, naming what was expected.
  std::string_view token(const char* what) {
    const std::string_view t = next();
    if (t.empty()) file_error(path_, "line " + std::to_string(line_) + ": expected " + what + ", found the end of the file");
    return t;
  }

  template <class T>
  T number(const char* what) {
    const std::string_view t = next();
    T value{};
    const auto [end, err] = std::from_chars(t.data(), t.data() + t.size(), value);
    if (t.empty() || err != std::errc() || end != t.data() + t.size())
      file_error(path_, "line " + std::to_string(line_) + ": expected " + what + ", found '" + printable(t, 20) +
                      "'");
    return value;
  }

 private:
  bool refill() {
    size_ = std::fread(buffer_.data(), 1, buffer_.size(), f_);
    pos_ = 0;
    return size_ > 0;
  }
  std::FILE* f_;
  const std::string& path_;
  std::vector<char> buffer_;
  std::string token_;
  size_t pos_ = 0, size_ = 0;
  size_t line_ = 1;
};

// The text format's winner: 1 Black, 0 White (the colour codes of its
// moves); we add 2 for a draw and -1 for unknown.
int winner_code(Result r) {
  switch (r) {
    case Result::kBlackWins: return 1;
    case Result::kWhiteWins: return 0;
    case Result::kDraw: return 2;
    case Result::kUnknown: break;
  }
  return -1;
}

Result result_from_winner(int winner) {
  switch (winner) {
    case 1: return Result::kBlackWins;
    case 0: return Result::kWhiteWins;
    case 2: return Result::kDraw;
    default: return Result::kUnknown;
  }
}

// The winner as the original library reads it: a string of which only the
// first letter counts, W meaning White won (course files write B or W; we
// take either case). Our own files write the numeric codes above.
Result read_winner(TokenReader& in) {
  const std::string_view t = in.token("winner");
  int code = 0;
  const auto [end, err] = std::from_chars(t.data(), t.data() + t.size(), code);
  if (err == std::errc() && end == t.data() + t.size()) return result_from_winner(code);
  return (t[0] == 'W' || t[0] == 'w') ? Result::kWhiteWins : Result::kBlackWins;
}

constexpr size_t kProgressEvery = 4096;  // games between progress reports

void report(const Progress& progress, size_t done, size_t total) {
  if (progress && (done % kProgressEvery == 0 || done == total)) progress(done, total);
}

void read_text_games(std::FILE* f, const std::string& path, const GameSink& sink, const Progress& progress) {
  TokenReader in(f, path);
  const auto games = in.number<int64_t>("the number of games");
  if (games < 0) file_error(path, "negative number of games");
  for (int64_t i = 0; i < games; ++i) {
    report(progress, static_cast<size_t>(i), static_cast<size_t>(games));
    GameRecord g;
    g.outcome_is_value = false;  // a value of -1 means: do not sample this move
    g.komi = in.number<float>("komi");
    g.result = read_winner(in);
    const int moves = in.number<int>("number of moves");
    if (moves < 0 || static_cast<size_t>(moves) > kMaxGameMoves)
      file_error(path, "game " + std::to_string(i + 1) + ": bad number of moves (" + std::to_string(moves) + ")");
    g.moves.reserve(moves);
    for (int m = 0; m < moves; ++m) {
      GameMove move;
      move.point = in.number<int>("move point");
      const int colour = in.number<int>("move colour");
      move.value = in.number<float>("move value");
      move.score = in.number<float>("move score");
      if (move.point < 0 || move.point > kPass || (colour != 0 && colour != 1))
        file_error(path, "game " + std::to_string(i + 1) + ": bad move " + std::to_string(m + 1));
      move.color = colour == 1 ? kBlack : kWhite;
      if (move.value < 0.0f) move.value = -1.0f;
      g.moves.push_back(move);
    }
    sink(std::move(g));
  }
  report(progress, static_cast<size_t>(games), static_cast<size_t>(games));
}

std::string float_text(float v) {
  char buf[32];
  const auto [end, err] = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, end);
}

// What the readers accept; writing anything else would make the file unreadable.
void check_writable(const GameRecord& game) {
  if (game.moves.size() > kMaxGameMoves)
    throw std::invalid_argument("game of " + std::to_string(game.moves.size()) + " moves: at most " +
                                std::to_string(kMaxGameMoves) + " can be stored");
  if (game.setup.size() > kPoints) throw std::invalid_argument("more setup stones than points");
}

}  // namespace

bool is_binary_games_file(const std::string& path) {
  File f = open_or_fail(path, "rb");
  char magic[8] = {};
  return std::fread(magic, 1, 8, f.get()) == 8 && std::memcmp(magic, kGamesMagic, 8) == 0;
}

void read_games(const std::string& path, const GameSink& sink, const Progress& progress) {
  if (!is_binary_games_file(path)) {
    File f = open_or_fail(path, "rb");
    read_text_games(f.get(), path, sink, progress);
    return;
  }
  GamesFile file(path);
  for (size_t i = 0; i < file.size(); ++i) {
    report(progress, i, file.size());
    sink(file.read(i));
  }
  report(progress, file.size(), file.size());
}

GamesFile::GamesFile(const std::string& path) : path_(path), file_(open_or_fail(path, "rb").release()) {
  try {
    offsets_ = read_index(file_, read_binary_header(file_, path), path);
  } catch (...) {
    std::fclose(file_);
    throw;
  }
}

GamesFile::~GamesFile() { std::fclose(file_); }

GameRecord GamesFile::read(size_t i) const {
  if (i >= offsets_.size()) throw std::out_of_range("game index out of range");
  if (std::fseek(file_, static_cast<long>(offsets_[i]), SEEK_SET) != 0) file_error(path_, "truncated file");
  return read_binary_game(file_, path_);
}

GamesWriter::GamesWriter(const std::string& path) : out_(path, "wb") {
  const BinaryHeader placeholder{};
  write(&placeholder, sizeof placeholder);
}

void GamesWriter::write(const void* data, size_t size) {
  if (size && std::fwrite(data, 1, size, out_.get()) != size) {
    file_error(out_.name(), std::string("write failed: ") + std::strerror(errno));
  }
  position_ += size;
}

void GamesWriter::add(const GameRecord& game) {
  if (!out_.get()) throw std::logic_error("games file already closed");
  check_writable(game);
  BinaryGameHeader h{game.komi, static_cast<uint8_t>(game.result),
                     static_cast<uint8_t>(game.outcome_is_value ? 0 : kNoOutcomeValues),
                     static_cast<uint16_t>(game.setup.size()), static_cast<uint32_t>(game.moves.size())};
  std::vector<uint16_t> setup, moves;
  std::vector<float> values, scores;
  for (const Stone& s : game.setup) setup.push_back(encode_move(s.point, s.color));
  for (const GameMove& m : game.moves) {
    moves.push_back(encode_move(m.point, m.color));
    values.push_back(m.value);
    scores.push_back(m.score);
    if (m.value >= 0.0f) h.flags |= kHasValues;
    if (m.score != 0.0f) h.flags |= kHasScores;
  }
  offsets_.push_back(position_);
  write(&h, sizeof h);
  write(setup.data(), setup.size() * 2);
  write(moves.data(), moves.size() * 2);
  if (h.flags & kHasValues) write(values.data(), values.size() * 4);
  if (h.flags & kHasScores) write(scores.data(), scores.size() * 4);
}

void GamesWriter::close() {
  if (!out_.get()) return;
  BinaryHeader h{};
  std::memcpy(h.magic, kGamesMagic, 8);
  h.version = 1;
  h.games = offsets_.size();
  h.index_offset = position_;
  try {
    write(offsets_.data(), offsets_.size() * 8);
    if (std::fseek(out_.get(), 0, SEEK_SET) != 0 || std::fwrite(&h, sizeof h, 1, out_.get()) != 1) {
      file_error(out_.name(), std::string("write failed: ") + std::strerror(errno));
    }
  } catch (...) {
    out_.discard();  // a failed close leaves nothing behind (a disk full while writing the index)
    throw;
  }
  out_.commit();
}

void write_text_games(const std::string& path, const std::vector<GameRecord>& games) {
  for (const GameRecord& g : games) check_writable(g);
  TempFile out(path, "w");
  std::string line = std::to_string(games.size()) + "\n";
  for (const GameRecord& g : games) {
    line += float_text(g.komi) + " " + std::to_string(winner_code(g.result)) + " " +
            std::to_string(g.setup.size() + g.moves.size());
    for (const Stone& s : g.setup) line += " " + std::to_string(s.point) + (s.color == kBlack ? " 1" : " 0") + " -1 0";
    for (size_t i = 0; i < g.moves.size(); ++i) {
      const GameMove& m = g.moves[i];
      line += " " + std::to_string(m.point) + (m.color == kBlack ? " 1 " : " 0 ") + float_text(g.value_target(i)) +
              " " + float_text(m.score);
    }
    line += "\n";
    if (std::fputs(line.c_str(), out.get()) < 0) {
      file_error(out.name(), std::string("write failed: ") + std::strerror(errno));
    }
    line.clear();
  }
  out.commit();
}

}  // namespace golois

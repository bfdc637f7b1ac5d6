#include "sgf.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <stdexcept>

#include "printable.h"

namespace golois {

namespace {

struct Property {
  std::string ident;                    // uppercase letters only
  std::vector<std::string_view> values;  // raw, escapes not resolved
};
using Node = std::vector<Property>;

// Thrown inside the parser; becomes the game's skip reason.
struct SgfError {
  std::string reason, detail;
};

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == '\v'; }

class Parser {
 public:
  explicit Parser(std::string_view text) : s_(text) {}

  // Moves to the next '(' that starts a game tree; false at the end.
  bool seek_tree() {
    while (i_ < s_.size() && s_[i_] != '(') ++i_;
    return i_ < s_.size();
  }

  // Parses one game tree, keeping the nodes of its main line. On error the
  // cursor is left past the broken tree's text so parsing can go on.
  std::vector<Node> main_line() {
    std::vector<Node> nodes;
    expect('(');
    tree(nodes);
    return nodes;
  }

  // After a syntax error the tree's end is unknown: resume at the next line
  // that starts a game tree, so one broken line of a .sgfs file loses one game.
  void skip_to_next_line_tree(size_t start) {
    i_ = start + 1;
    while (i_ < s_.size() && !(s_[i_] == '(' && s_[i_ - 1] == '\n' && s_.substr(i_ + 1, 1) == ";")) ++i_;
  }
  size_t cursor() const { return i_; }

 private:
  void skip_space() {
    while (i_ < s_.size() && is_space(s_[i_])) ++i_;
  }
  [[noreturn]] void truncated() { throw SgfError{"truncated SGF", "the text ends inside a game tree"}; }
  void expect(char c) {
    skip_space();
    if (i_ >= s_.size()) truncated();
    if (s_[i_] != c) throw SgfError{"SGF syntax error", std::string("expected '") + c + "' at byte " + std::to_string(i_)};
    ++i_;
  }

  // After the opening '(': nodes, then child trees (the first one continues
  // the main line), then ')'. Iterative, with an explicit stack of open
  // trees, so that deeply nested variations cannot overflow the C++ stack.
  void tree(std::vector<Node>& nodes) {
    struct OpenTree {
      bool keep;       // on the main line
      bool children;   // a child tree was seen: no more nodes allowed
    };
    std::vector<OpenTree> open{{true, false}};
    expect_node_start();
    while (!open.empty()) {
      skip_space();
      if (i_ >= s_.size()) truncated();
      const char c = s_[i_++];
      OpenTree& top = open.back();
      if (c == ';' && !top.children) {
        Node node = properties();
        if (top.keep) nodes.push_back(std::move(node));
      } else if (c == '(') {
        const bool keep = top.keep && !top.children;
        top.children = true;
        open.push_back({keep, false});
        expect_node_start();
      } else if (c == ')') {
        open.pop_back();
      } else {
        throw SgfError{"SGF syntax error", "unexpected character at byte " + std::to_string(i_ - 1)};
      }
    }
  }

  void expect_node_start() {
    skip_space();
    if (i_ >= s_.size()) truncated();
    if (s_[i_] != ';') throw SgfError{"SGF syntax error", "a game tree must start with a node"};
  }

  Node properties() {
    Node node;
    while (true) {
      skip_space();
      if (i_ >= s_.size()) truncated();
      const char c = s_[i_];
      if (c == ';' || c == '(' || c == ')') return node;
      if (!std::isalpha(static_cast<unsigned char>(c)))
        throw SgfError{"SGF syntax error", "bad property name at byte " + std::to_string(i_)};
      Property p;
      while (i_ < s_.size() && std::isalpha(static_cast<unsigned char>(s_[i_]))) {
        if (std::isupper(static_cast<unsigned char>(s_[i_]))) p.ident.push_back(s_[i_]);
        ++i_;
      }
      skip_space();
      while (i_ < s_.size() && s_[i_] == '[') {
        p.values.push_back(value());
        skip_space();
      }
      if (p.values.empty()) {
        if (i_ >= s_.size()) truncated();
        throw SgfError{"SGF syntax error", "property " + p.ident + " has no value"};
      }
      node.push_back(std::move(p));
    }
  }

  std::string_view value() {
    const size_t start = ++i_;
    while (i_ < s_.size() && s_[i_] != ']') {
      // A new game tree at the start of a line: this value was cut off (a
      // broken line of a .sgfs file), not a comment that spans lines.
      if (s_[i_] == '\n' && s_.substr(i_ + 1, 2) == "(;")
        throw SgfError{"SGF syntax error", "unterminated property value at byte " + std::to_string(start)};
      i_ += s_[i_] == '\\' ? 2 : 1;
    }
    if (i_ >= s_.size()) truncated();
    return s_.substr(start, i_++ - start);
  }

  std::string_view s_;
  size_t i_ = 0;
};

std::string unescape(std::string_view raw) {
  std::string out;
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\\' && i + 1 < raw.size()) {
      ++i;
      if (raw[i] == '\n' || raw[i] == '\r') continue;  // soft line break
    }
    out.push_back(raw[i]);
  }
  return out;
}

std::string_view trim(std::string_view t) {
  while (!t.empty() && is_space(t.front())) t.remove_prefix(1);
  while (!t.empty() && is_space(t.back())) t.remove_suffix(1);
  return t;
}

// "pd" -> point; "" and "tt" -> pass (when allowed).
int parse_point(std::string_view v, bool pass_allowed) {
  v = trim(v);
  if (v.empty() || v == "tt") {
    if (pass_allowed) return kPass;
    throw SgfError{"bad coordinates", "a pass where a point is needed"};
  }
  if (v.size() != 2 || v[0] < 'a' || v[0] > 's' || v[1] < 'a' || v[1] > 's')
    throw SgfError{"bad coordinates", "'" + printable(v, 8) + "' is not a 19x19 point"};
  return (v[1] - 'a') * kSize + (v[0] - 'a');
}

void add_setup_stones(std::string_view v, Color c, std::vector<Stone>& out) {
  const size_t colon = v.find(':');
  if (colon == std::string_view::npos) {
    out.push_back({parse_point(v, false), c});
    return;
  }
  // Compressed rectangle "aa:cc".
  const int a = parse_point(v.substr(0, colon), false), b = parse_point(v.substr(colon + 1), false);
  for (int r = std::min(a / kSize, b / kSize); r <= std::max(a / kSize, b / kSize); ++r)
    for (int col = std::min(a % kSize, b % kSize); col <= std::max(a % kSize, b % kSize); ++col)
      out.push_back({r * kSize + col, c});
}

bool parse_float(std::string_view t, float& out) {
  t = trim(t);
  if (!t.empty() && t.front() == '+') t.remove_prefix(1);
  const auto [end, err] = std::from_chars(t.data(), t.data() + t.size(), out);
  return err == std::errc() && end == t.data() + t.size() && std::isfinite(out);
}

void read_root_property(const Property& p, GameRecord& g) {
  const std::string_view v = trim(p.values[0]);
  if (p.ident == "GM" && v != "1") throw SgfError{"not a Go game", "GM[" + printable(v, 16) + "]"};
  if (p.ident == "SZ" && v != "19" && v != "19:19") throw SgfError{"not 19x19", "SZ[" + printable(v, 16) + "]"};
  if (p.ident == "KM") {
    float komi;
    if (!parse_float(v, komi)) throw SgfError{"bad komi", "KM[" + printable(v, 16) + "]"};
    g.komi = normalise_komi(komi);
  }
  if (p.ident == "RE") g.result = parse_result(v);
}

GameRecord build_game(const std::vector<Node>& nodes) {
  GameRecord g;
  g.komi = 0.0f;  // the SGF default when KM is absent
  for (size_t n = 0; n < nodes.size(); ++n) {
    int moves_here = 0;
    float comment_value = -1.0f;
    for (const Property& p : nodes[n]) {
      if (n == 0) read_root_property(p, g);
      if (p.ident == "B" || p.ident == "W") {
        g.moves.push_back({parse_point(p.values[0], true), p.ident == "B" ? kBlack : kWhite});
        ++moves_here;
      } else if (p.ident == "AB" || p.ident == "AW" || p.ident == "AE") {
        if (!g.moves.empty()) throw SgfError{"setup stones mid-game", "AB/AW/AE after the first move"};
        if (p.ident == "AE") continue;
        for (std::string_view v : p.values) add_setup_stones(v, p.ident == "AB" ? kBlack : kWhite, g.setup);
      } else if (p.ident == "C") {
        comment_value = parse_comment_value(unescape(p.values[0]));
      }
    }
    if (moves_here > 1) throw SgfError{"SGF syntax error", "a node with two moves"};
    if (moves_here == 1) g.moves.back().value = comment_value;
  }
  return g;
}

// Why a parsed game cannot be used, or "".
SgfError usability(const GameRecord& g) {
  if (g.moves.empty()) return {"no moves", ""};
  if (g.moves.size() > kMaxGameMoves) return {"game too long", std::to_string(g.moves.size()) + " moves"};
  bool any_value = g.result != Result::kUnknown;
  for (const GameMove& m : g.moves) any_value |= m.value >= 0.0f;
  if (!any_value) return {"no result", "RE[] missing or unknown and no move values"};
  const std::string illegal = replay_error(g);
  if (!illegal.empty()) return {"illegal move", illegal};
  return {"", ""};
}

}  // namespace

float normalise_komi(float komi) {
  if (std::fabs(komi) >= 100.0f) komi /= 100.0f;
  for (float zi : {2.75f, 3.25f, 3.75f})
    if (std::fabs(komi) == zi) komi *= 2.0f;
  return komi;
}

Result parse_result(std::string_view text) {
  const std::string_view t = trim(text);
  if (t.size() >= 2 && (t[0] == 'B' || t[0] == 'b') && t[1] == '+') return Result::kBlackWins;
  if (t.size() >= 2 && (t[0] == 'W' || t[0] == 'w') && t[1] == '+') return Result::kWhiteWins;
  if (t == "0" || t == "Draw" || t == "draw" || t == "DRAW" || t == "Jigo" || t == "jigo") return Result::kDraw;
  const bool wins = t.find("胜") != std::string_view::npos;
  if (wins && t.rfind("黑", 0) == 0) return Result::kBlackWins;
  if (wins && t.rfind("白", 0) == 0) return Result::kWhiteWins;
  return Result::kUnknown;
}

float parse_comment_value(std::string_view comment) {
  std::string_view t = trim(comment);
  size_t end = 0;
  while (end < t.size() && !is_space(t[end])) ++end;
  const std::string_view token = t.substr(0, end);
  float v;
  if (token.find('.') == std::string_view::npos || !parse_float(token, v) || v < 0.0f || v > 1.0f) return -1.0f;
  return v;
}

std::vector<SgfGame> parse_sgf_collection(std::string_view text) {
  std::vector<SgfGame> games;
  Parser parser(text);
  while (parser.seek_tree()) {
    const size_t start = parser.cursor();
    SgfGame out;
    std::vector<Node> nodes;
    try {
      nodes = parser.main_line();
    } catch (const SgfError& e) {
      games.push_back({{}, e.reason, e.detail});
      parser.skip_to_next_line_tree(start);
      continue;
    }
    try {
      out.game = build_game(nodes);
      const SgfError why = usability(out.game);
      out.skip_reason = why.reason;
      out.detail = why.detail;
    } catch (const SgfError& e) {
      out.skip_reason = e.reason;
      out.detail = e.detail;
    }
    games.push_back(std::move(out));
  }
  return games;
}

}  // namespace golois

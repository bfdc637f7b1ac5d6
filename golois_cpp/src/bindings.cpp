// Python bindings: the module golois._core.
#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <map>
#include <sstream>

#include "binding_checks.h"
#include "dataset.h"
#include "games_file.h"
#include "sgf.h"
#include "symmetry.h"

namespace py = pybind11;
using namespace golois;
using namespace golois::bindings;

namespace {

BatchBuffers checked_batch(const py::handle& input, const py::handle& policy, const py::handle& value,
                           const py::handle& end, const py::handle* groups, py::ssize_t& n) {
  BatchBuffers b{};
  b.input = checked_array(input, "input_data", {kSize, kSize, kPlanes}, n);
  b.policy = checked_array(policy, "policy", {kPoints}, n);
  b.value = checked_array(value, "value", {}, n, "(N, 1)");
  b.end = checked_array(end, "end", {kSize, kSize, 2}, n);
  if (groups) b.groups = checked_array(*groups, "groups", {kSize, kSize, 1}, n);
  return b;
}

std::string result_name(Result r) {
  switch (r) {
    case Result::kBlackWins: return "B";
    case Result::kWhiteWins: return "W";
    case Result::kDraw: return "draw";
    case Result::kUnknown: break;
  }
  return "?";
}

Result result_from_name(const std::string& s) {
  if (s == "B") return Result::kBlackWins;
  if (s == "W") return Result::kWhiteWins;
  if (s == "draw") return Result::kDraw;
  if (s == "?") return Result::kUnknown;
  throw py::value_error("result must be 'B', 'W', 'draw' or '?', got '" + s + "'");
}

GameRecord make_game(float komi, const std::string& result, const std::vector<std::pair<int, int>>& setup,
                     const std::vector<py::tuple>& moves) {
  GameRecord g;
  g.komi = komi;
  g.result = result_from_name(result);
  for (auto [p, c] : setup) g.setup.push_back({checked_point(p, false), color_from_int(c)});
  for (const py::tuple& t : moves) {
    if (t.size() < 2 || t.size() > 4) throw py::value_error("a move is (point, colour[, value[, score]])");
    GameMove m{checked_point(t[0].cast<int>(), true), color_from_int(t[1].cast<int>())};
    if (t.size() > 2) m.value = t[2].cast<float>();
    if (t.size() > 3) m.score = t[3].cast<float>();
    g.moves.push_back(m);
  }
  return g;
}

py::dict sample_arrays(const Dataset& d, int game, int move, int symmetry) {
  if (!d.is_sampleable({game, move}))
    throw py::value_error("(game " + std::to_string(game) + ", move " + std::to_string(move) +
                          ") is not a sampleable position");
  if (symmetry < 0 || symmetry >= kSymmetries) throw py::value_error("symmetry must be in 0..7");
  py::array_t<float> input({kSize, kSize, kPlanes}), policy(kPoints), value(1), end({kSize, kSize, 2}),
      groups({kSize, kSize, 1});
  d.fill_position({game, move}, symmetry,
                  {input.mutable_data(), policy.mutable_data(), value.mutable_data(), end.mutable_data(),
                   groups.mutable_data()});
  py::dict out;
  out["input"] = input;
  out["policy"] = policy;
  out["value"] = value;
  out["end"] = end;
  out["groups"] = groups;
  return out;
}

// Loads every game of a games file into a dataset, counting refused games;
// progress(done, total), when given, is called with the GIL held.
std::map<std::string, size_t> load_games(Dataset& d, const std::string& path, const py::object& progress) {
  std::map<std::string, size_t> skipped;
  Progress report;
  if (!progress.is_none())
    report = [&progress](size_t done, size_t total) {
      py::gil_scoped_acquire acquire;
      progress(done, total);
    };
  {
    py::gil_scoped_release release;
    read_games(
        path,
        [&](GameRecord&& g) {
          std::string why = d.add_game(g);
          if (why.empty()) return;
          if (why.rfind("illegal move", 0) == 0) why = "illegal move";
          ++skipped[why];
        },
        report);
    d.shuffle();
  }
  return skipped;
}

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "Golois core: Go rules, SGF reader, games files and the batch generator (C++).";
  m.attr("PASS") = kPass;
  m.attr("EMPTY") = static_cast<int>(kEmpty);
  m.attr("BLACK") = static_cast<int>(kBlack);
  m.attr("WHITE") = static_cast<int>(kWhite);
  m.attr("SIZE") = kSize;
  m.attr("PLANES") = kPlanes;
  py::dict layout;  // name -> (first plane, count), in plane order
  for (const PlaneGroup& group : kPlaneLayout) layout[group.name] = py::make_tuple(group.first, group.count);
  m.attr("PLANE_LAYOUT") = layout;
  m.attr("DEFAULT_KOMI") = kDefaultKomi;
  m.attr("PLAY_MOVE_LIMIT") = kPlayMoveLimit;
  bind_search(m);
  m.def("transform_point", [](int p, int s) { return transform_point(checked_point(p, true), s & 7); },
        py::arg("point"), py::arg("symmetry"), "Image of a point under one of the 8 board symmetries.");
  m.def("default_threads", &default_threads);
  m.def(
      "check_batch_arrays",
      [](py::object input, py::object policy, py::object value, py::object end, py::object groups) {
        py::ssize_t n = -1;
        checked_batch(input, policy, value, end, groups.is_none() ? nullptr : &groups, n);
        return n;
      },
      py::arg("input_data"), py::arg("policy"), py::arg("value"), py::arg("end"), py::arg("groups") = py::none(),
      "Checks batch arrays like getBatch does (ValueError/TypeError) and returns N.");

  py::class_<GameRecord>(m, "Game", "A game record: komi, result, setup stones, moves with value targets.")
      .def(py::init(&make_game), py::arg("komi") = 7.5f, py::arg("result") = "?",
           py::arg("setup") = std::vector<std::pair<int, int>>{}, py::arg("moves") = std::vector<py::tuple>{},
           "moves: (point, colour[, value[, score]]) tuples; result 'B', 'W', 'draw' or '?'.")
      .def_readwrite("komi", &GameRecord::komi)
      .def_readonly("outcome_is_value", &GameRecord::outcome_is_value,
                    "False for games from the original text format: moves without a value are not sampled.")
      .def_property_readonly("result", [](const GameRecord& g) { return result_name(g.result); })
      .def_property_readonly("setup",
                             [](const GameRecord& g) {
                               std::vector<std::pair<int, int>> out;
                               for (const Stone& s : g.setup) out.emplace_back(s.point, s.color);
                               return out;
                             })
      .def_property_readonly("moves",
                             [](const GameRecord& g) {
                               std::vector<std::tuple<int, int, float, float>> out;
                               for (const GameMove& mv : g.moves) out.emplace_back(mv.point, mv.color, mv.value, mv.score);
                               return out;
                             })
      .def("value_target", [](const GameRecord& g, size_t i) {
        if (i >= g.moves.size()) throw py::index_error("move index out of range");
        return g.value_target(i);
      })
      .def("replay_error", &replay_error, "'' if every move is legal, else why not.")
      .def_property_readonly("num_positions", &GameRecord::num_positions,
                             "Positions that can be sampled (next move not a pass, known value).")
      .def("__len__", [](const GameRecord& g) { return g.moves.size(); })
      .def("__repr__", [](const GameRecord& g) {
        return "<Game komi=" + std::to_string(g.komi) + " result=" + result_name(g.result) +
               " moves=" + std::to_string(g.moves.size()) + ">";
      });

  py::class_<SgfGame>(m, "SgfGame", "One game tree of an SGF text: the game, or why it is skipped.")
      .def_readonly("game", &SgfGame::game)
      .def_readonly("skip_reason", &SgfGame::skip_reason)
      .def_readonly("detail", &SgfGame::detail)
      .def_property_readonly("ok", [](const SgfGame& s) { return s.skip_reason.empty(); });
  m.def(
      "parse_sgf",
      [](const std::string& text) {
        py::gil_scoped_release release;
        return parse_sgf_collection(text);
      },
      py::arg("text"), "Parses every game tree of an SGF collection (main lines only).");
  m.def("normalise_komi", &normalise_komi);
  m.def("parse_comment_value", &parse_comment_value);

  py::class_<Board>(m, "Board", "19x19 board with captures and simple ko; coordinates are points 0..360.")
      .def(py::init<>())
      .def("color", [](const Board& b, int p) { return static_cast<int>(b.at_point(checked_point(p, false))); })
      .def("liberties",
           [](const Board& b, int p) {
             const int c = cell(checked_point(p, false));
             return b.at(c) == kEmpty ? 0 : b.liberties(c);
           })
      .def("string_size",
           [](const Board& b, int p) {
             const int c = cell(checked_point(p, false));
             return b.at(c) == kEmpty ? 0 : b.string_size(c);
           })
      .def("check",
           [](const Board& b, int p, int c) {
             return std::string(move_error_text(b.check(cell(checked_point(p, false)), color_from_int(c))));
           })
      .def("is_legal", [](const Board& b, int p, int c) { return b.is_legal(cell(checked_point(p, false)), color_from_int(c)); })
      .def("play",
           [](Board& b, int p, int c) {
             const Color colour = color_from_int(c);
             if (checked_point(p, true) == kPass) {
               b.pass();
               return 0;
             }
             const MoveError e = b.check(cell(p), colour);
             if (e != MoveError::kNone) throw py::value_error(std::string("illegal move: ") + move_error_text(e));
             return b.play(cell(p), colour);
           },
           "Plays a move and returns the number of captured stones; ValueError if illegal.")
      .def("place", [](Board& b, int p, int c) {
        if (b.at_point(checked_point(p, false)) != kEmpty) throw py::value_error("point occupied");
        b.place(cell(p), color_from_int(c));
      })
      .def_property_readonly("ko", [](const Board& b) { return b.ko_cell() == kNoCell ? -1 : point(b.ko_cell()); })
      .def_property_readonly("hash", &Board::hash)
      .def("area",
           [](const Board& b) {
             int black, white;
             b.area(black, white);
             return std::make_pair(black, white);
           })
      .def("score", &Board::score, py::arg("komi"), "Tromp-Taylor area of Black minus White minus komi.");

  py::class_<GameState>(m, "GameState", "A game in progress, with positional superko.")
      .def(py::init<double>(), py::arg("komi") = kDefaultKomi)
      .def_property_readonly("board", &GameState::board, py::return_value_policy::reference_internal)
      .def_property_readonly("to_play", [](const GameState& s) { return static_cast<int>(s.to_play()); })
      .def_property_readonly("passes", &GameState::passes)
      .def_property_readonly("moves", &GameState::moves)
      .def("place",
           [](GameState& s, int p, int c) {
             if (s.board().at_point(checked_point(p, false)) != kEmpty) throw py::value_error("point occupied");
             s.place(p, color_from_int(c));
           })
      .def("set_to_play", [](GameState& s, int c) { s.set_to_play(color_from_int(c)); },
           "Who moves next (after handicap stones White does; a GUI may let one colour play twice).")
      .def("check", [](const GameState& s, int p) { return std::string(move_error_text(s.check(p))); })
      .def("play",
           [](GameState& s, int p) {
             const MoveError e = s.play(p);
             if (e != MoveError::kNone) throw py::value_error(std::string("illegal move: ") + move_error_text(e));
           })
      .def("legal_points", &GameState::legal_points)
      .def("score", [](const GameState& s) { return s.board().score(s.komi()); });

  py::class_<Dataset>(m, "Dataset", "Games in memory and the batch generator bound to them.")
      .def(py::init<uint64_t>(), py::arg("seed") = 0)
      .def("add_game", &Dataset::add_game, "Adds a game; returns '' or why it is refused. Call shuffle() after.")
      .def("shuffle", &Dataset::shuffle, py::call_guard<py::gil_scoped_release>())
      .def("load", &load_games, py::arg("path"), py::arg("progress") = py::none(),
           "Adds every game of a games file (binary or text); returns the refused games by reason.\n"
           "progress(done, total) is called every few thousand games.")
      .def_property_readonly("num_games", &Dataset::num_games)
      .def_property_readonly("num_moves", &Dataset::num_moves)
      .def_property_readonly("num_training_positions", &Dataset::num_training_positions)
      .def_property_readonly("seed", &Dataset::seed)
      .def_property_readonly("validation",
                             [](const Dataset& d) {
                               std::vector<std::pair<int, int>> out;
                               for (const Position& p : d.validation()) out.emplace_back(p.game, p.move);
                               return out;
                             })
      .def("choose_validation",
           [](Dataset& d, size_t n) {
             std::vector<std::pair<int, int>> out;
             for (const Position& p : d.choose_validation(n)) out.emplace_back(p.game, p.move);
             return out;
           },
           py::arg("n"))
      .def("set_validation",
           [](Dataset& d, const std::vector<std::pair<int, int>>& positions) {
             std::vector<Position> v;
             for (auto [g, mv] : positions) v.push_back({g, mv});
             d.set_validation(v);
           },
           py::arg("positions"))
      .def("get_batch",
           [](const Dataset& d, py::object input, py::object policy, py::object value, py::object end,
              py::object groups, int64_t index, int threads, bool from_start) {
             py::ssize_t n = -1;
             const BatchBuffers b = checked_batch(input, policy, value, end, &groups, n);
             if (index < 0) throw py::value_error("index must be >= 0");
             py::gil_scoped_release release;
             d.fill_training(b, n, static_cast<uint64_t>(index), threads, from_start);
           },
           py::arg("input_data"), py::arg("policy"), py::arg("value"), py::arg("end"), py::arg("groups"),
           py::arg("index"), py::arg("threads") = 0, py::arg("from_start") = false,
           "from_start=True replays every game from its first move (the benchmark's baseline).")
      .def("get_validation",
           [](const Dataset& d, py::object input, py::object policy, py::object value, py::object end, int threads) {
             py::ssize_t n = -1;
             const BatchBuffers b = checked_batch(input, policy, value, end, nullptr, n);
             py::gil_scoped_release release;
             d.fill_validation(b, n, threads);
           },
           py::arg("input_data"), py::arg("policy"), py::arg("value"), py::arg("end"), py::arg("threads") = 0)
      .def("sample", &sample_arrays, py::arg("game"), py::arg("move"), py::arg("symmetry") = 0,
           "One position as a dict of arrays: input, policy, value, end, groups.");

  m.def(
      "read_games",
      [](const std::string& path) {
        std::vector<GameRecord> games;
        py::gil_scoped_release release;
        read_games(path, [&](GameRecord&& g) { games.push_back(std::move(g)); });
        return games;
      },
      py::arg("path"), "Every game of a games file, binary or original text format.");
  m.def(
      "summarise_games",
      [](const std::string& path) {
        // Streams the file: a summary of a million games needs no memory per game.
        uint64_t games = 0, moves = 0, positions = 0;
        std::map<std::string, uint64_t> results;
        std::map<float, uint64_t> komi;
        {
          py::gil_scoped_release release;
          read_games(path, [&](GameRecord&& g) {
            ++games;
            moves += g.moves.size();
            positions += g.num_positions();
            ++results[result_name(g.result)];
            ++komi[g.komi];
          });
        }
        py::dict summary;
        summary["games"] = games;
        summary["moves"] = moves;
        summary["positions"] = positions;
        summary["results"] = results;
        summary["komi"] = komi;
        return summary;
      },
      py::arg("path"), "Counts of a games file (games, moves, positions, results, komi), read as a stream.");
  m.def("is_binary_games_file", &is_binary_games_file);
  m.def("write_text_games", &write_text_games, py::arg("path"), py::arg("games"),
        "Writes games in the original text games.data format.");

  py::class_<GamesFile>(m, "GamesFile", "Random access to a binary games file.")
      .def(py::init<const std::string&>())
      .def("__len__", &GamesFile::size)
      .def("__getitem__", [](const GamesFile& f, int64_t i) {
        if (i < 0) i += static_cast<int64_t>(f.size());
        if (i < 0 || static_cast<size_t>(i) >= f.size()) throw py::index_error("game index out of range");
        return f.read(static_cast<size_t>(i));
      });

  py::class_<GamesWriter>(m, "GamesWriter", "Writes a binary games file; the file appears on close().")
      .def(py::init<const std::string&>())
      .def("add", &GamesWriter::add)
      .def("close", &GamesWriter::close)
      .def("discard", &GamesWriter::discard, "Removes the temporary file; nothing appears at the path.")
      .def_property_readonly("count", &GamesWriter::count)
      .def("__enter__", [](GamesWriter& w) -> GamesWriter& { return w; }, py::return_value_policy::reference)
      .def("__exit__", [](GamesWriter& w, py::object type, py::object, py::object) {
        if (type.is_none()) {
          w.close();
        } else {
          w.discard();
        }
      });
}

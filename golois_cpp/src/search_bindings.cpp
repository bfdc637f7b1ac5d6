// Python bindings of the search: golois._core.Search.
#include <pybind11/stl.h>

#include "binding_checks.h"
#include "search_tree.h"
#include "symmetry.h"

namespace golois::bindings {

namespace {

void raise_if_illegal(MoveError e) {
  if (e != MoveError::kNone) throw py::value_error(std::string("illegal move: ") + move_error_text(e));
}

SearchTree make_search(double komi, const py::object& network_komi, float c_puct, float fpu_reduction, int virtual_loss, float pass_prior,
                       bool random_symmetry, int max_game_moves, uint64_t seed) {
  if (!(c_puct > 0)) throw py::value_error("c_puct must be positive");
  if (virtual_loss < 0) throw py::value_error("virtual_loss must be >= 0");
  if (!(pass_prior > 0 && pass_prior < 1)) throw py::value_error("pass_prior must be in (0, 1)");
  if (max_game_moves < 1) throw py::value_error("max_game_moves must be >= 1");
  SearchSettings settings;
  settings.c_puct = c_puct;
  settings.fpu_reduction = fpu_reduction;
  settings.virtual_loss = virtual_loss;
  settings.pass_prior = pass_prior;
  settings.random_symmetry = random_symmetry;
  settings.max_game_moves = max_game_moves;
  return SearchTree(komi, network_komi.is_none() ? komi : network_komi.cast<double>(), settings, seed);
}

int gather(SearchTree& s, const py::handle& inputs) {
  py::ssize_t n = -1;
  float* data = checked_array(inputs, "inputs", {kSize, kSize, kPlanes}, n);
  if (n < 1) throw py::value_error("inputs must hold at least one position");
  py::gil_scoped_release release;
  return s.gather(static_cast<int>(n), data);
}

void apply(SearchTree& s, const py::handle& policy, const py::handle& value, int count) {
  const auto p = py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(policy);
  const auto v = py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(value);
  if (!p || p.ndim() != 2 || p.shape(1) != kPoints || p.shape(0) < count)
    throw py::value_error("policy must be an array of shape (N, 361) with N >= " + std::to_string(count));
  if (!v || v.size() < count) throw py::value_error("value must hold at least " + std::to_string(count) + " values");
  s.apply(p.data(), v.data(), count);
}

py::array_t<uint8_t> board_colours(const SearchTree& s) {
  py::array_t<uint8_t> out(kPoints);
  for (int p = 0; p < kPoints; ++p) out.mutable_data()[p] = s.game().state().board().at_point(p);
  return out;
}

py::array_t<float> encode_root(const SearchTree& s, int symmetry) {
  if (symmetry < 0 || symmetry >= kSymmetries) throw py::value_error("symmetry must be in 0..7");
  py::array_t<float> out({kSize, kSize, kPlanes});
  FeatureBuilder builder;
  s.game().encode({}, symmetry, builder, out.mutable_data());
  return out;
}

py::list children(const SearchTree& s, int max_pv) {
  py::list out;
  for (const ChildStats& c : s.root_children(max_pv)) {
    py::dict d;
    d["move"] = c.move;
    d["visits"] = c.visits;
    d["winrate"] = c.winrate;
    d["prior"] = c.prior;
    d["pv"] = c.pv;
    out.append(d);
  }
  return out;
}

py::list move_list(const SearchTree& s) {
  py::list out;
  for (uint16_t m : s.game().moves()) out.append(py::make_tuple(move_point(m), static_cast<int>(move_color(m))));
  return out;
}

}  // namespace

void bind_search(py::module_& m) {
  // The search defaults live in SearchSettings only; the engine's settings (engine/player.py) read
  // the ones it exposes from here.
  const SearchSettings defaults;
  m.attr("SEARCH_DEFAULTS") = py::dict(py::arg("c_puct") = defaults.c_puct, py::arg("fpu_reduction") = defaults.fpu_reduction,
                                       py::arg("virtual_loss") = defaults.virtual_loss);
  py::class_<SearchTree>(m, "Search",
                         "PUCT search tree over a live game. gather() writes leaves for the network, apply() "
                         "takes its policy and value (probability that White wins) for them.")
      .def(py::init(&make_search), py::arg("komi") = kDefaultKomi, py::arg("network_komi") = py::none(),
           py::arg("c_puct") = defaults.c_puct, py::arg("fpu_reduction") = defaults.fpu_reduction,
           py::arg("virtual_loss") = defaults.virtual_loss, py::arg("pass_prior") = defaults.pass_prior,
           py::arg("random_symmetry") = defaults.random_symmetry, py::arg("max_game_moves") = defaults.max_game_moves,
           py::arg("seed") = 0)
      .def_property_readonly("komi", [](const SearchTree& s) { return s.game().komi(); })
      .def_property_readonly("to_play", [](const SearchTree& s) { return static_cast<int>(s.game().state().to_play()); })
      .def_property_readonly("passes", [](const SearchTree& s) { return s.game().state().passes(); })
      .def_property_readonly("move_count", [](const SearchTree& s) { return s.game().state().move_count(); })
      .def_property_readonly("moves", &move_list, "The moves played: (point, colour) pairs.")
      .def("place",
           [](SearchTree& s, int p, int c) {
             checked_point(p, false);
             if (s.game().state().board().at_point(p) != kEmpty) throw py::value_error("point occupied");
             if (s.game().state().move_count() > 0) throw py::value_error("setup stones must come before the first move");
             s.place(p, color_from_int(c));
           },
           py::arg("point"), py::arg("colour"))
      .def("check",
           [](const SearchTree& s, int p, int c) {
             const MoveError e = s.game().state().check(checked_point(p, true), color_from_int(c));
             return e == MoveError::kNone ? std::string() : std::string(move_error_text(e));
           },
           py::arg("point"), py::arg("colour"), "'' if the move is legal (positional superko included), else why not.")
      .def("play", [](SearchTree& s, int p, int c) { raise_if_illegal(s.play(checked_point(p, true), color_from_int(c))); },
           py::arg("point"), py::arg("colour"))
      .def("set_to_play", [](SearchTree& s, int c) { s.set_to_play(color_from_int(c)); }, py::arg("colour"))
      .def("legal_points", [](const SearchTree& s) { return s.game().state().legal_points(); })
      .def("is_own_eye",
           [](const SearchTree& s, int p, int c) {
             return is_own_eye(s.game().state().board(), checked_point(p, false), color_from_int(c));
           })
      .def("board", &board_colours, "Colour of each point (0 empty, 1 black, 2 white).")
      .def("score", [](const SearchTree& s) { return s.game().state().board().score(s.game().komi()); },
           "Tromp-Taylor area of Black minus White minus komi, as the board stands.")
      .def("encode", &encode_root, py::arg("symmetry") = 0, "The 31 input planes of the current position.")
      .def("gather", &gather, py::arg("inputs"),
           "Walks to up to len(inputs) leaves and writes their planes; returns how many need the network. "
           "Releases the GIL: the next batch can be gathered while the network evaluates the last one.")
      .def("apply", &apply, py::arg("policy"), py::arg("value"), py::arg("count"),
           "Network output for the `count` leaves of the oldest pending gather().")
      .def("discard_pending", &SearchTree::discard_pending, "Takes back the walks of every pending batch.")
      .def_property_readonly("pending_batches", &SearchTree::pending_batches)
      .def("add_root_noise", &SearchTree::add_root_noise, py::arg("alpha"), py::arg("fraction"))
      .def_property_readonly("root_expanded", &SearchTree::root_expanded)
      .def_property_readonly("root_visits", &SearchTree::root_visits)
      .def_property_readonly("root_winrate", &SearchTree::root_winrate, "Win rate of the side to move.")
      .def("best_move", &SearchTree::best_move)
      .def_property_readonly("root_visit_lead", &SearchTree::root_visit_lead,
                             "Visits of the most visited root move minus the runner-up's.")
      .def("root_children", &children, py::arg("max_pv") = 10,
           "Root moves, most visited first: dicts of move, visits, winrate, prior, pv.");
}

}  // namespace golois::bindings

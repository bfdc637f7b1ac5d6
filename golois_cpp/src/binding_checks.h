// Argument checks shared by the Python bindings: bad arguments become
// Python exceptions with a clear message, never a crash.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <sstream>
#include <string>
#include <vector>

#include "board.h"

namespace golois::bindings {

namespace py = pybind11;

inline std::string shape_text(const py::array& a) {
  std::ostringstream out;
  out << "(";
  for (py::ssize_t i = 0; i < a.ndim(); ++i) out << (i ? ", " : "") << a.shape(i);
  out << (a.ndim() == 1 ? ",)" : ")");
  return out.str();
}

// Checks that `a` is a writable C-contiguous float32 array of shape
// (n, *dims) and returns its data. Anything else is a ValueError, never a
// crash, and never a silent copy (the arrays are filled in place).
inline float* checked_array(const py::handle& obj, const char* name, const std::vector<py::ssize_t>& dims,
                     py::ssize_t& n, const char* alt_shape = nullptr) {
  std::string wanted = "(N";
  for (auto d : dims) wanted += ", " + std::to_string(d);
  wanted += dims.empty() ? ",)" : ")";
  if (alt_shape) wanted += std::string(" or ") + alt_shape;
  if (!py::isinstance<py::array>(obj))
    throw py::type_error(std::string(name) + " must be a numpy float32 array of shape " + wanted + ", got " +
                         std::string(py::str(py::type::of(obj).attr("__name__"))));
  py::array a = py::reinterpret_borrow<py::array>(obj);
  const bool alt_ok = alt_shape && dims.empty() && a.ndim() == 2 && a.shape(1) == 1;
  bool shape_ok = a.ndim() == static_cast<py::ssize_t>(dims.size() + 1) || alt_ok;
  for (size_t i = 0; shape_ok && !alt_ok && i < dims.size(); ++i) shape_ok = a.shape(i + 1) == dims[i];
  if (!a.dtype().is(py::dtype::of<float>()) || !shape_ok)
    throw py::value_error(std::string(name) + " must be a float32 array of shape " + wanted + ", got " +
                          std::string(py::str(a.dtype())) + " array of shape " + shape_text(a));
  if (!(a.flags() & py::array::c_style))
    throw py::value_error(std::string(name) + " must be C-contiguous (use numpy.ascontiguousarray)");
  if (!a.writeable()) throw py::value_error(std::string(name) + " is read-only; it is filled in place");
  if (n < 0) n = a.shape(0);
  if (a.shape(0) != n)
    throw py::value_error(std::string(name) + " holds " + std::to_string(a.shape(0)) +
                          " samples but the other arrays hold " + std::to_string(n));
  return static_cast<float*>(a.mutable_data());
}

inline Color color_from_int(int c) {
  if (c != kBlack && c != kWhite) throw py::value_error("colour must be BLACK (1) or WHITE (2)");
  return static_cast<Color>(c);
}

inline int checked_point(int p, bool pass_allowed) {
  if (p < 0 || p > kPass || (!pass_allowed && p == kPass))
    throw py::value_error("point must be in 0..360" + std::string(pass_allowed ? " or 361 (pass)" : "") + ", got " +
                          std::to_string(p));
  return p;
}

// Registers golois._core.Search (search_bindings.cpp).
void bind_search(py::module_& m);

}  // namespace golois::bindings

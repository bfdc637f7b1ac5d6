"""Builds the golois package: the C++ core (golois._core) and the Python parts."""

from pathlib import Path

from pybind11.setup_helpers import Pybind11Extension, build_ext
from setuptools import setup

CORE_SOURCES = sorted(str(p) for p in Path("golois_cpp/src").glob("*.cpp"))

core = Pybind11Extension(
    "golois._core",
    CORE_SOURCES,
    cxx_std=17,
    extra_compile_args=["-O3", "-march=x86-64-v2", "-fno-math-errno"],
    extra_link_args=["-pthread"],
)

setup(
    ext_modules=[core],
    cmdclass={"build_ext": build_ext},
)

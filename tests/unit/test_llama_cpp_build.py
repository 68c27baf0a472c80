"""How llama-cpp-python is compiled: portable, and only the libraries the binding loads for
text models, the same way for the images (ops/swarm/wheelhouse.py) and ./scripts/setup."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

from ops.swarm.wheelhouse import LLAMA_CPP_TEXT_ONLY, source_build_env

ROOT = Path(__file__).resolve().parents[2]
INCLUDE_BEFORE = "-DCMAKE_PROJECT_llama.cpp_INCLUDE_BEFORE="


def cmake_defines(cmake_args: str) -> dict[str, str]:
    """`-DNAME=VALUE` arguments as scikit-build-core reads CMAKE_ARGS (shlex)."""
    defines = {}
    for argument in shlex.split(cmake_args):
        assert argument.startswith("-D"), argument
        name, _, value = argument[2:].partition("=")
        defines[name] = value
    return defines


def test_the_text_only_file_turns_off_llama_cpps_common_library() -> None:
    text = (ROOT / LLAMA_CPP_TEXT_ONLY).read_text()
    assert re.search(r"^set\(LLAMA_BUILD_COMMON OFF CACHE BOOL .* FORCE\)$", text, re.M)


def test_the_images_build_portable_and_text_only() -> None:
    defines = cmake_defines(source_build_env(ROOT)["CMAKE_ARGS"])
    assert defines["GGML_NATIVE"] == "OFF"
    assert defines["LLAVA_BUILD"] == "OFF"
    assert Path(defines["CMAKE_PROJECT_llama.cpp_INCLUDE_BEFORE"]) == ROOT / LLAMA_CPP_TEXT_ONLY


def test_a_project_path_with_spaces_reaches_cmake_whole(tmp_path: Path) -> None:
    project = tmp_path / "my projects" / "unmute"
    (project / LLAMA_CPP_TEXT_ONLY).parent.mkdir(parents=True)
    shutil.copy(ROOT / LLAMA_CPP_TEXT_ONLY, project / LLAMA_CPP_TEXT_ONLY)
    defines = cmake_defines(source_build_env(project)["CMAKE_ARGS"])
    assert Path(defines["CMAKE_PROJECT_llama.cpp_INCLUDE_BEFORE"]).is_file()


def test_setup_builds_what_the_images_build() -> None:
    setup = (ROOT / "scripts" / "setup").read_text()
    assert "-DGGML_NATIVE=OFF" in setup
    assert "-DLLAVA_BUILD=OFF" in setup
    assert f"{INCLUDE_BEFORE}'$PWD/{LLAMA_CPP_TEXT_ONLY.as_posix()}'" in setup

# Read by llama.cpp's project() when llama-cpp-python is compiled (CMAKE_ARGS in
# ./scripts/setup and ops/swarm/wheelhouse.py): the binding forces llama.cpp's `common`
# library on, which only llama.cpp's own tools use. Without it, and without the multimodal
# library (-DLLAVA_BUILD=OFF), the compile takes under half the CPU time.
set(LLAMA_BUILD_COMMON OFF CACHE BOOL "llama.cpp's common library: not loaded by the binding" FORCE)

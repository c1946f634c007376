# Compile with clang directly, link with emcc. emcc itself compiles through
# the same clang after a Python start-up of several seconds per file on this
# machine (3-4 s for an empty file against 0.7 s); `emcc --cflags` gives the
# exact flags it would pass, so the objects are the ones emcc would make.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR wasm32)
find_program(EMCC emcc REQUIRED)
get_filename_component(_emdir "${EMCC}" REALPATH)
get_filename_component(_emdir "${_emdir}" DIRECTORY)
find_program(EMAR emar HINTS "${_emdir}" REQUIRED)
set(ENV{EMCC_SKIP_SANITY_CHECK} 1)
execute_process(COMMAND "${EMCC}" --cflags OUTPUT_VARIABLE _emflags OUTPUT_STRIP_TRAILING_WHITESPACE
                RESULT_VARIABLE _rc)
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "emcc --cflags failed")
endif()
# The clang emcc runs (Debian: clang-14, from its config's LLVM_ROOT).
file(WRITE "${CMAKE_BINARY_DIR}/emcc-probe.c" "int probe;\n")
execute_process(COMMAND "${EMCC}" -v -c "${CMAKE_BINARY_DIR}/emcc-probe.c" -o "${CMAKE_BINARY_DIR}/emcc-probe.o"
                OUTPUT_QUIET ERROR_VARIABLE _emv)
string(REGEX MATCH "\"([^\"]*/clang(-[0-9]+)?)\" -target wasm32" _m "${_emv}")
if(CMAKE_MATCH_1)
  set(CMAKE_C_COMPILER "${CMAKE_MATCH_1}")
else()
  set(CMAKE_C_COMPILER "${EMCC}")
endif()
set(CMAKE_C_FLAGS_INIT "${_emflags}")
set(CMAKE_AR "${EMAR}")
set(CMAKE_C_COMPILER_AR "${EMAR}")
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
set(CMAKE_C_LINK_EXECUTABLE
    "\"${EMCC}\" <CMAKE_C_LINK_FLAGS> <LINK_FLAGS> <OBJECTS> -o <TARGET> <LINK_LIBRARIES>")

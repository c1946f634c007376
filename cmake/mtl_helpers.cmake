# Helpers the module CMakeLists use to declare tests, fuzzers and benchmarks.

set(MTL_TEST_ENV "MTL_SHARED_DIR=${MTL_SHARED_DIR};MTL_SOURCE_DIR=${CMAKE_SOURCE_DIR};MTL_BUILD_DIR=${CMAKE_BINARY_DIR}")

# What every CTest test of the tree has: exit 77 = skipped, a timeout (600 s
# by default), the MTL_* environment and its labels.
function(_mtl_test_properties name timeout labels)
  if(NOT timeout)
    set(timeout 600)
  endif()
  set_tests_properties(${name} PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT ${timeout}
                       ENVIRONMENT "${MTL_TEST_ENV}" LABELS "${labels}")
endfunction()

# mtl_add_test(NAME name SOURCES a.c b.c [LIBS x y] [LABELS l] [TIMEOUT s])
# A C test binary linked with mtlutil (which brings libmithril with its
# internals: mithril_internal), run by CTest.
# Exit code 77 means skipped (e.g. ../shared absent).
function(mtl_add_test)
  cmake_parse_arguments(T "" "NAME;TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${T_NAME} ${T_SOURCES})
  target_include_directories(${T_NAME} PRIVATE ${CMAKE_SOURCE_DIR}/tests ${CMAKE_SOURCE_DIR}/src)
  target_link_libraries(${T_NAME} PRIVATE mtlutil ${T_LIBS})
  add_test(NAME ${T_NAME} COMMAND ${T_NAME})
  _mtl_test_properties(${T_NAME} "${T_TIMEOUT}" "${T_LABELS}")
endfunction()

# mtl_add_script_test(NAME name COMMAND cmd args... [LABELS l] [TIMEOUT s])
# A shell (or python) test; it sees MTL_SOURCE_DIR, MTL_BUILD_DIR, MTL_SHARED_DIR.
function(mtl_add_script_test)
  cmake_parse_arguments(T "" "NAME;TIMEOUT" "COMMAND;LABELS" ${ARGN})
  add_test(NAME ${T_NAME} COMMAND ${T_COMMAND} WORKING_DIRECTORY ${CMAKE_BINARY_DIR})
  _mtl_test_properties(${T_NAME} "${T_TIMEOUT}" "${T_LABELS}")
endfunction()

# mtl_add_fuzz(NAME name SOURCES fuzz_x.c [CORPUS dir])
# With MTL_FUZZ: a libFuzzer binary fuzz_<name> (run by tests/fuzz/run.sh).
# Otherwise: fuzz_<name>_replay, which feeds every file of the corpus to the
# target once (zstd's regression driver) and is a CTest test.
function(mtl_add_fuzz)
  cmake_parse_arguments(F "" "NAME;CORPUS" "SOURCES" ${ARGN})
  if(NOT F_CORPUS)
    set(F_CORPUS ${CMAKE_SOURCE_DIR}/tests/fuzz/corpus/${F_NAME})
  endif()
  if(MTL_FUZZ)
    add_executable(fuzz_${F_NAME} ${F_SOURCES})
    target_compile_options(fuzz_${F_NAME} PRIVATE -fsanitize=fuzzer)
    target_link_options(fuzz_${F_NAME} PRIVATE -fsanitize=fuzzer)
    target_include_directories(fuzz_${F_NAME} PRIVATE ${CMAKE_SOURCE_DIR}/src)
    target_link_libraries(fuzz_${F_NAME} PRIVATE mtlutil)
    set_property(GLOBAL APPEND PROPERTY MTL_FUZZERS "fuzz_${F_NAME}:${F_CORPUS}")
  else()
    add_executable(fuzz_${F_NAME}_replay ${F_SOURCES} ${CMAKE_SOURCE_DIR}/tests/fuzz/replay_driver.c)
    target_include_directories(fuzz_${F_NAME}_replay PRIVATE ${CMAKE_SOURCE_DIR}/src)
    target_link_libraries(fuzz_${F_NAME}_replay PRIVATE mtlutil)
    add_test(NAME fuzz_${F_NAME}_replay COMMAND fuzz_${F_NAME}_replay ${F_CORPUS})
    set_tests_properties(fuzz_${F_NAME}_replay PROPERTIES ENVIRONMENT "${MTL_TEST_ENV}")
  endif()
endfunction()

# mtl_add_bench(NAME name SOURCES a.c [LIBS x] [ARGS ...])
# A benchmark program; `make bench` runs every one with ARGS.
function(mtl_add_bench)
  cmake_parse_arguments(B "" "NAME" "SOURCES;LIBS;ARGS" ${ARGN})
  add_executable(${B_NAME} ${B_SOURCES})
  target_include_directories(${B_NAME} PRIVATE ${CMAKE_SOURCE_DIR}/src ${CMAKE_SOURCE_DIR}/bench)
  target_link_libraries(${B_NAME} PRIVATE mtlutil ${B_LIBS})
  set_target_properties(${B_NAME} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bench)
  string(REPLACE ";" " " args "${B_ARGS}")
  set_property(GLOBAL APPEND PROPERTY MTL_BENCHES "${B_NAME} ${args}")
endfunction()

# mtl_add_subdirs(): add every direct subdirectory that has a CMakeLists.txt.
function(mtl_add_subdirs)
  file(GLOB children LIST_DIRECTORIES true ${CMAKE_CURRENT_SOURCE_DIR}/*)
  foreach(dir IN LISTS children)
    if(IS_DIRECTORY ${dir} AND EXISTS ${dir}/CMakeLists.txt)
      add_subdirectory(${dir})
    endif()
  endforeach()
endfunction()

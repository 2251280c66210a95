# The documentation's command blocks as tests (scripts/doc_blocks.py):
#  - docs_blocks_parser: the block parser on a built-in sample;
#  - docs_blocks_marked: every shell block of README.md and docs/ says whether and how it runs;
#  - docs_runnable: the quick blocks, run as written from the repository root. They use the dev
#    build (build/dev), so the test exists only in that build;
#  - docs_runnable_long (label `long`, with -DPOLARKIT_LONG_TESTS=ON): the long blocks — builds,
#    benchmarks, sweeps; about an hour on 2 cores.
# A block run by these tests that runs ctest again does not start them a second time (the
# nested run reports them as skipped).
option(POLARKIT_LONG_TESTS "Also register the long documentation test (ctest -L long)" OFF)
find_package(Python3 COMPONENTS Interpreter)
find_program(POLARKIT_GIT git)
if(NOT Python3_Interpreter_FOUND OR NOT POLARKIT_GIT OR NOT EXISTS ${PROJECT_SOURCE_DIR}/.git)
  message(STATUS "polarkit: no Python 3, git or git checkout: the documentation tests are off")
  return()
endif()
set(_doc_blocks ${Python3_EXECUTABLE} ${PROJECT_SOURCE_DIR}/scripts/doc_blocks.py)
add_test(NAME docs_blocks_parser COMMAND ${_doc_blocks} --self-test)
add_test(NAME docs_blocks_marked COMMAND ${_doc_blocks} --check)
if(CMAKE_BINARY_DIR STREQUAL "${PROJECT_SOURCE_DIR}/build/dev")
  add_test(NAME docs_runnable COMMAND ${_doc_blocks})
  set_tests_properties(docs_runnable PROPERTIES SKIP_RETURN_CODE 77 RUN_SERIAL TRUE TIMEOUT 900)
endif()
if(POLARKIT_LONG_TESTS)
  add_test(NAME docs_runnable_long COMMAND ${_doc_blocks} --long)
  set_tests_properties(docs_runnable_long PROPERTIES SKIP_RETURN_CODE 77 RUN_SERIAL TRUE
                                                     TIMEOUT 10800 LABELS long)
endif()

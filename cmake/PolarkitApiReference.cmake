# The rendered API reference (docs/Doxyfile.in): target `api_reference` where Doxygen is found
# (Debian's doxygen, installed by scripts/install-deps), and the ctest `api_reference`, which
# builds it with warnings as errors so that a public entity without a /// comment fails.
find_package(Doxygen QUIET)
if(NOT DOXYGEN_FOUND)
  message(STATUS "polarkit: no Doxygen: the API reference (target api_reference) is not built")
  return()
endif()
set(POLARKIT_DOXYGEN_WARN_AS_ERROR NO)
configure_file(${PROJECT_SOURCE_DIR}/docs/Doxyfile.in ${CMAKE_BINARY_DIR}/Doxyfile @ONLY)
set(POLARKIT_DOXYGEN_WARN_AS_ERROR FAIL_ON_WARNINGS)
configure_file(${PROJECT_SOURCE_DIR}/docs/Doxyfile.in ${CMAKE_BINARY_DIR}/Doxyfile.check @ONLY)
add_custom_target(api_reference
  COMMAND ${DOXYGEN_EXECUTABLE} ${CMAKE_BINARY_DIR}/Doxyfile
  WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
  COMMENT "API reference (Doxygen) into ${CMAKE_BINARY_DIR}/api/html"
  VERBATIM)
if(POLARKIT_BUILD_TESTS)
  add_test(NAME api_reference COMMAND ${DOXYGEN_EXECUTABLE} ${CMAKE_BINARY_DIR}/Doxyfile.check
           WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
endif()

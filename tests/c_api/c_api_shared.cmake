# ctest driver for the shared-library C ABI check (tests/CMakeLists.txt, test c_api_shared):
#   1. configure and build polarkit alone with BUILD_SHARED_LIBS=ON into WORK_DIR/build (kept
#      between runs: later runs rebuild only what changed);
#   2. nm -D --defined-only libpolarkit.so must list every function polarkit.h declares (and at
#      least the functions the C ABI promises) as exported text symbols with C names;
#   3. compile tests/c_api/test_c_api.c as C99 (warnings are errors) against the .so and run it.
# Variables: SOURCE_DIR, WORK_DIR, GENERATOR, C_COMPILER, CXX_COMPILER, C_FLAGS,
# CXX_FLAGS, EXE_LINKER_FLAGS, SHARED_LINKER_FLAGS, NM, PTHREADS (true: also test threads),
# CUDA and CUDA_ARCHITECTURES (the parent's CUDA backend: the shared library ships with it too).
cmake_minimum_required(VERSION 3.25)

function(run_step)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "step failed (${status}): ${ARGN}\n${out}\n${err}")
  endif()
  set(step_output "${out}" PARENT_SCOPE)
endfunction()

set(build ${WORK_DIR}/build)
# No build type (no -O2 -g): the exported symbols do not depend on it and this compiles fastest;
# the parent's C/C++ flags (e.g. the sanitizer preset's) are passed on.
run_step(${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${build} -G ${GENERATOR}
         -DCMAKE_BUILD_TYPE= -DBUILD_SHARED_LIBS=ON
         -DPOLARKIT_BUILD_TESTS=OFF -DPOLARKIT_BUILD_TOOLS=OFF -DPOLARKIT_BUILD_BENCH=OFF
         -DPOLARKIT_WERROR=ON -DPOLARKIT_CUDA=${CUDA} "-DCMAKE_CUDA_ARCHITECTURES=${CUDA_ARCHITECTURES}"
         "-DCMAKE_C_COMPILER=${C_COMPILER}" "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}"
         "-DCMAKE_C_FLAGS=${C_FLAGS}" "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}"
         "-DCMAKE_SHARED_LINKER_FLAGS=${SHARED_LINKER_FLAGS}")
run_step(${CMAKE_COMMAND} --build ${build} --target polarkit)

set(library ${build}/libpolarkit.so)
if(NOT EXISTS ${library})
  message(FATAL_ERROR "no ${library} after the shared build")
endif()

# 2. Exported symbols.
if(NOT NM)
  find_program(NM nm REQUIRED)
endif()
run_step(${NM} -D --defined-only ${library})
set(exported "${step_output}")

file(READ ${SOURCE_DIR}/include/polarkit/polarkit.h header)
string(REGEX MATCHALL "POLARKIT_API[^;]*[ *](polarkit_[a-z_]+)\\(" declarations "${header}")
set(declared)
foreach(declaration IN LISTS declarations)
  string(REGEX REPLACE ".*[ *](polarkit_[a-z_]+)\\($" "\\1" name "${declaration}")
  list(APPEND declared ${name})
endforeach()
set(design_abi
    polarkit_options_new polarkit_options_free polarkit_options_set
    polarkit_polar_d polarkit_polar_s polarkit_last_error
    polarkit_optimizer_new polarkit_optimizer_free polarkit_optimizer_set
    polarkit_optimizer_step_d polarkit_optimizer_step_s)
foreach(name IN LISTS design_abi)
  if(NOT name IN_LIST declared)
    message(FATAL_ERROR "polarkit.h does not declare ${name} (a function of the C ABI)")
  endif()
endforeach()
set(missing)
foreach(name IN LISTS declared)
  if(NOT exported MATCHES "[0-9a-fA-F]+ T ${name}\n")
    list(APPEND missing ${name})
  endif()
endforeach()
if(missing)
  message(FATAL_ERROR "not exported from ${library} as text symbols: ${missing}\n"
                      "nm -D --defined-only:\n${exported}")
endif()
list(LENGTH declared count)
message(STATUS "libpolarkit.so exports all ${count} C ABI functions: ${declared}")

# 3. The C test program against the shared library.
separate_arguments(c_flags UNIX_COMMAND "${C_FLAGS}")
separate_arguments(exe_linker_flags UNIX_COMMAND "${EXE_LINKER_FLAGS}")
set(program ${WORK_DIR}/test_c_api_shared)
set(threads)
if(PTHREADS)
  set(threads -DPOLARKIT_TEST_PTHREADS -pthread)
endif()
run_step(${C_COMPILER} ${c_flags} -std=c99 -Wall -Wextra -Wpedantic -Werror -O1 ${threads}
         -I${SOURCE_DIR}/include ${SOURCE_DIR}/tests/c_api/test_c_api.c -o ${program}
         ${exe_linker_flags} -L${build} -Wl,-rpath,${build} -lpolarkit -lm)
run_step(${program})
message(STATUS "${step_output}")

# POLARKIT_CUDA = AUTO | ON | OFF: whether the CUDA backend (cuda/) is built. AUTO builds it when
# a CUDA compiler is found and the CUDA toolkit provides cuBLAS and cuSOLVER; ON requires them;
# OFF leaves the backend out (device views then throw Error(not_compiled)). Sets
# POLARKIT_WITH_CUDA to ON or OFF for the rest of the build.
set(POLARKIT_CUDA AUTO CACHE STRING "Build the CUDA backend: AUTO, ON or OFF")
set_property(CACHE POLARKIT_CUDA PROPERTY STRINGS AUTO ON OFF)

string(TOUPPER "${POLARKIT_CUDA}" _polarkit_cuda)
if(_polarkit_cuda MATCHES "^(ON|TRUE|YES|Y|1)$")
  set(_polarkit_cuda ON)
elseif(_polarkit_cuda MATCHES "^(OFF|FALSE|NO|N|0)$")
  set(_polarkit_cuda OFF)
elseif(NOT _polarkit_cuda STREQUAL "AUTO")
  message(FATAL_ERROR "POLARKIT_CUDA must be AUTO, ON or OFF, got '${POLARKIT_CUDA}'")
endif()

set(POLARKIT_WITH_CUDA OFF)
if(NOT _polarkit_cuda STREQUAL "OFF")
  # nvcc compiles host code with the project's C++ compiler, so both sides share one ABI.
  if(NOT DEFINED CMAKE_CUDA_HOST_COMPILER)
    set(CMAKE_CUDA_HOST_COMPILER "${CMAKE_CXX_COMPILER}" CACHE FILEPATH "nvcc's host compiler")
  endif()
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    # sm_90 (H100, H200) with its PTX, which newer GPUs compile at load time. One architecture
    # keeps the build short on machines without a GPU (CI); add others with
    # -DCMAKE_CUDA_ARCHITECTURES="80;90".
    set(CMAKE_CUDA_ARCHITECTURES 90 CACHE STRING "CUDA architectures to compile for")
    # The .cu files see only cuda/'s plain headers, which need C++17; CMake 3.25 knows no C++20
    # flag for nvcc.
    set(CMAKE_CUDA_STANDARD 17)
    set(CMAKE_CUDA_STANDARD_REQUIRED ON)
    set(CMAKE_CUDA_EXTENSIONS OFF)
    # The shared runtime, as CUDA::cudart below: one copy of it in every program.
    set(CMAKE_CUDA_RUNTIME_LIBRARY Shared)
    enable_language(CUDA)
    include(${CMAKE_CURRENT_LIST_DIR}/PolarkitCudaToolkit.cmake)
    find_package(CUDAToolkit QUIET)
  endif()
  if(CMAKE_CUDA_COMPILER AND CUDAToolkit_FOUND AND TARGET CUDA::cublas AND TARGET CUDA::cusolver)
    set(POLARKIT_WITH_CUDA ON)
  elseif(_polarkit_cuda STREQUAL "ON")
    message(FATAL_ERROR "POLARKIT_CUDA=ON, but no CUDA compiler (nvcc) with a CUDA toolkit "
                        "providing cuBLAS and cuSOLVER was found (CMAKE_CUDA_COMPILER="
                        "'${CMAKE_CUDA_COMPILER}', CUDAToolkit_FOUND=${CUDAToolkit_FOUND})")
  endif()
endif()
message(STATUS "polarkit: CUDA backend ${POLARKIT_WITH_CUDA} (POLARKIT_CUDA=${POLARKIT_CUDA})")
unset(_polarkit_cuda)

# cuBLAS and cuSOLVER are loaded on first use (cuda/libraries.cpp), not linked: their sonames, and
# the toolkit directory to try when the loader's search path does not reach it.
function(polarkit_cuda_soname target out)
  get_target_property(location ${target} IMPORTED_LOCATION)
  if(NOT location)
    get_target_property(location ${target} IMPORTED_LOCATION_RELEASE)
  endif()
  file(REAL_PATH "${location}" real)
  get_filename_component(name "${real}" NAME)
  if(name MATCHES "^(lib[A-Za-z]+\\.so\\.[0-9]+)")
    set(${out} "${CMAKE_MATCH_1}" PARENT_SCOPE)
  else()  # an unversioned file: load it by that name (the development symlink's)
    get_filename_component(name "${location}" NAME)
    message(WARNING "polarkit: no versioned name for ${location} (${real}); loading ${name}")
    set(${out} "${name}" PARENT_SCOPE)
  endif()
endfunction()

if(POLARKIT_WITH_CUDA)
  polarkit_cuda_soname(CUDA::cublas POLARKIT_CUBLAS_SONAME)
  polarkit_cuda_soname(CUDA::cusolver POLARKIT_CUSOLVER_SONAME)
  message(STATUS "polarkit: loads ${POLARKIT_CUBLAS_SONAME} and ${POLARKIT_CUSOLVER_SONAME} on first use")
endif()

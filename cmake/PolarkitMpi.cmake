# The distributed part (polarkit_mpi): MPI for many matrices over ranks, ScaLAPACK for one matrix
# distributed block-cyclically. Both optional, found as Debian installs them (openmpi-bin,
# libopenmpi-dev, libscalapack-openmpi-dev).
#   POLARKIT_MPI       AUTO (default: built where MPI's C bindings are found), ON (required), OFF
#   POLARKIT_SCALAPACK AUTO (default: with polarkit_mpi where ScaLAPACK is found), ON, OFF
# Sets POLARKIT_WITH_MPI, POLARKIT_WITH_SCALAPACK and, for the tests (tests/mpi, python/),
# POLARKIT_MPI_TEST_ENV.
set(POLARKIT_MPI AUTO CACHE STRING
    "Build polarkit_mpi (many matrices over MPI ranks): ON, OFF, or AUTO = where MPI is found")
set_property(CACHE POLARKIT_MPI PROPERTY STRINGS AUTO ON OFF)
set(POLARKIT_SCALAPACK AUTO CACHE STRING
    "Build polarkit::scalapack::polar into polarkit_mpi: ON, OFF, or AUTO = where ScaLAPACK is found")
set_property(CACHE POLARKIT_SCALAPACK PROPERTY STRINGS AUTO ON OFF)

set(POLARKIT_WITH_MPI OFF)
set(POLARKIT_WITH_SCALAPACK OFF)
if(NOT POLARKIT_MPI STREQUAL "OFF")
  if(POLARKIT_MPI STREQUAL "ON")
    find_package(MPI REQUIRED COMPONENTS C)
  else()
    find_package(MPI QUIET COMPONENTS C)
  endif()
  if(MPI_C_FOUND)
    set(POLARKIT_WITH_MPI ON)
  else()
    message(STATUS "MPI not found: polarkit_mpi is not built (Debian: libopenmpi-dev openmpi-bin)")
  endif()
endif()
if(POLARKIT_WITH_MPI AND NOT POLARKIT_SCALAPACK STREQUAL "OFF")
  # By library name: Debian's scalapack-config.cmake (2.2.1) names /usr/lib/libscalapack-openmpi.so
  # while the library lies in the multiarch directory, so find_package(scalapack) fails there.
  # ScaLAPACK 2.x carries BLACS inside; the MPI flavour matching Open MPI is tried first.
  find_library(POLARKIT_SCALAPACK_LIBRARY NAMES scalapack-openmpi scalapack
               DOC "ScaLAPACK (with BLACS) built for the MPI found")
  if(POLARKIT_SCALAPACK_LIBRARY)
    set(POLARKIT_WITH_SCALAPACK ON)
  elseif(POLARKIT_SCALAPACK STREQUAL "ON")
    message(FATAL_ERROR "POLARKIT_SCALAPACK=ON: ScaLAPACK not found (Debian: libscalapack-openmpi-dev)")
  else()
    message(STATUS "ScaLAPACK not found: polarkit::scalapack is not built (Debian: libscalapack-openmpi-dev)")
  endif()
elseif(POLARKIT_SCALAPACK STREQUAL "ON")
  message(FATAL_ERROR "POLARKIT_SCALAPACK=ON needs MPI (POLARKIT_MPI not OFF, MPI found)")
endif()
message(STATUS "polarkit_mpi: ${POLARKIT_WITH_MPI}, ScaLAPACK: ${POLARKIT_WITH_SCALAPACK}")

# The environment of every test run under mpiexec. Open MPI refuses to run as root and to start
# more ranks than cores unless told: it allows both (CI runs as root on 2 cores; 3 and 4 ranks
# oversubscribe them). One BLAS thread per rank, as a distributed run would place them.
set(POLARKIT_MPI_TEST_ENV
    OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1)
# A sanitizer build runs them without LeakSanitizer: Open MPI keeps allocations of its plugins
# until exit and unloads the plugins first, so their leaks cannot even be attributed (a
# suppression list cannot name them). ASan's and UBSan's other checks stay on.
if(CMAKE_CXX_FLAGS MATCHES "sanitize=address")
  list(APPEND POLARKIT_MPI_TEST_ENV ASAN_OPTIONS=detect_leaks=0)
endif()

# The distributed part (polarkit_mpi): MPI for many matrices over ranks, ScaLAPACK for one matrix
# distributed block-cyclically. Both optional, found as Debian installs them (openmpi-bin,
# libopenmpi-dev, libscalapack-openmpi-dev).
#   POLARKIT_MPI       AUTO (default: built where MPI's C bindings are found), ON (required), OFF
#   POLARKIT_SCALAPACK AUTO (default: with polarkit_mpi where ScaLAPACK is found), ON, OFF
# Sets POLARKIT_WITH_MPI, POLARKIT_WITH_SCALAPACK and, for the tests, POLARKIT_MPIEXEC.
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

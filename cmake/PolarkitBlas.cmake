# Finds BLAS and LAPACK, preferring OpenBLAS (on Debian it provides both) unless the caller
# chose a vendor with -DBLA_VENDOR=...
if(NOT DEFINED BLA_VENDOR)
  set(BLA_VENDOR OpenBLAS)
  find_package(BLAS QUIET)
  if(NOT BLAS_FOUND)
    unset(BLA_VENDOR)
  endif()
endif()
find_package(BLAS REQUIRED)
find_package(LAPACK REQUIRED)

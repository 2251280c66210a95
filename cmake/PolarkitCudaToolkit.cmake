# Included before find_package(CUDAToolkit), by polarkit's build and by the installed polarkitConfig.cmake.
# CMake 3.25.1's FindCUDAToolkit sets a deprecation property on CUDA::nvToolsExt without checking
# that the target exists, and CUDA 13 ships no nvToolsExt library, so configuring fails there.
# An empty stand-in gives it a target to set the property on (polarkit does not link it).
if(CMAKE_VERSION VERSION_LESS 3.26 AND NOT TARGET CUDA::nvToolsExt)
  add_library(CUDA::nvToolsExt INTERFACE IMPORTED)
endif()

# polarkit_warnings(target): the project's warning set; errors when POLARKIT_WERROR is on.
# nvcc takes the host compiler's flags through -Xcompiler (GCC's would be rejected raw) and makes
# its own warnings errors with -Werror=all-warnings. The host stubs nvcc generates use C casts and
# GNU extensions, so -Wpedantic and -Wold-style-cast are for C++ sources only.
function(polarkit_warnings target)
  set(common -Wall -Wextra -Wshadow -Wconversion -Wsign-conversion -Wnon-virtual-dtor
             -Woverloaded-virtual)
  list(JOIN common "," cuda_host)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CXX>:${common} -Wpedantic -Wold-style-cast>
    $<$<COMPILE_LANGUAGE:C>:-Wall -Wextra -Wpedantic>
    $<$<COMPILE_LANGUAGE:CUDA>:-Xcompiler=${cuda_host}>)
  if(POLARKIT_WERROR)
    target_compile_options(${target} PRIVATE
      $<$<COMPILE_LANGUAGE:C,CXX>:-Werror>
      $<$<COMPILE_LANGUAGE:CUDA>:-Werror=all-warnings -Xcompiler=-Werror>)
  endif()
endfunction()

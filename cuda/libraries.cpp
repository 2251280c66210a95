#include "libraries.hpp"

#include <dlfcn.h>

#include <string>

#include "polarkit/error.hpp"

namespace polarkit::cuda {
namespace {

#define POLARKIT_STRINGIFY(x) #x
#define POLARKIT_NAME_OF(x) POLARKIT_STRINGIFY(x)  // after macro expansion: cublasSgemm_v2

[[noreturn]] void cannot_load(const std::string& what) {
  throw Error(ErrorCode::backend_failure, "cannot load " + what);
}

// By soname first (the loader's search path, as a link would find it), then from the toolkit
// this build was configured with.
void* open_library(const char* soname) {
  if (void* handle = dlopen(soname, RTLD_NOW | RTLD_LOCAL)) return handle;
  const std::string first = dlerror();
  const std::string path = std::string(POLARKIT_CUDA_LIBRARY_DIR) + "/" + soname;
  if (void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL)) return handle;
  cannot_load(std::string(soname) + ": " + first + "; " + dlerror());
}

template <class F>
void resolve(void* library, const char* soname, const char* name, F& entry) {
  void* symbol = dlsym(library, name);
  if (symbol == nullptr) cannot_load(std::string(soname) + ": no entry point " + name);
  entry = reinterpret_cast<F>(symbol);  // NOLINT: dlsym's documented use
}

#define POLARKIT_RESOLVE(f) resolve(library, soname, POLARKIT_NAME_OF(f), api.f);

CublasApi load_cublas() {
  const char* soname = POLARKIT_CUBLAS_SONAME;
  void* library = open_library(soname);
  CublasApi api;
  POLARKIT_CUBLAS_ENTRY_POINTS(POLARKIT_RESOLVE)
  POLARKIT_RESOLVE(cublasGemmEx)
  POLARKIT_RESOLVE(cublasGemmBatchedEx)
  return api;
}

CusolverApi load_cusolver() {
  const char* soname = POLARKIT_CUSOLVER_SONAME;
  void* library = open_library(soname);
  CusolverApi api;
  POLARKIT_CUSOLVER_ENTRY_POINTS(POLARKIT_RESOLVE)
  return api;
}

}  // namespace

// Never unloaded: handles made from them may outlive every polarkit call (the contexts are
// never destroyed either).
const CublasApi& cublas() {
  static const CublasApi api = load_cublas();
  return api;
}

const CusolverApi& cusolver() {
  static const CusolverApi api = load_cusolver();
  return api;
}

}  // namespace polarkit::cuda

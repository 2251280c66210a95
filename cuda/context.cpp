#include "context.hpp"

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "check.hpp"
#include "libraries.hpp"
#include "polarkit/error.hpp"

namespace polarkit::cuda {
namespace {

// The contexts by device. Never destroyed, like the contexts themselves: a matrix freed during
// static destruction must still find its context.
struct Registry {
  std::mutex mutex;
  std::vector<Context*> contexts;
};

Registry& registry() {
  static auto* const instance = new Registry;
  return *instance;
}

// Makes `device` current for a scope and restores the caller's device after it.
class DeviceScope {
 public:
  explicit DeviceScope(int device) {
    check(cudaGetDevice(&previous_), "cudaGetDevice");
    check(cudaSetDevice(device), "cudaSetDevice");
  }
  DeviceScope(const DeviceScope&) = delete;
  DeviceScope& operator=(const DeviceScope&) = delete;
  ~DeviceScope() { (void)cudaSetDevice(previous_); }

 private:
  int previous_ = 0;
};

}  // namespace

int device_count() noexcept {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    (void)cudaGetLastError();  // the failed query is not an error of the caller's next CUDA call
    return 0;
  }
  return count;
}

Context& Context::current() {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess || count == 0) {
    (void)cudaGetLastError();
    throw Error(ErrorCode::backend_failure,
                std::string("no CUDA device: ") +
                    (status != cudaSuccess ? cudaGetErrorString(status)
                                           : "the CUDA runtime lists none"));
  }
  int device = 0;
  check(cudaGetDevice(&device), "cudaGetDevice");
  Registry& r = registry();
  const std::lock_guard lock(r.mutex);
  if (r.contexts.size() < static_cast<std::size_t>(count)) {
    r.contexts.resize(static_cast<std::size_t>(count), nullptr);
  }
  Context*& context = r.contexts[static_cast<std::size_t>(device)];
  if (context == nullptr) context = new Context(device);
  return *context;
}

Context::Context(int device) : device_(device) {
  check(cudaStreamCreate(&stream_), "cudaStreamCreate");
  cudaMemPoolProps props{};
  props.allocType = cudaMemAllocationTypePinned;
  props.handleTypes = cudaMemHandleTypeNone;
  props.location.type = cudaMemLocationTypeDevice;
  props.location.id = device;
  check(cudaMemPoolCreate(&pool_, &props), "cudaMemPoolCreate");
  // Keep freed memory in the pool: the solvers free and reallocate the same sizes every call,
  // and the default threshold (0) would hand it back to the driver at every synchronisation.
  std::uint64_t keep = std::numeric_limits<std::uint64_t>::max();
  check(cudaMemPoolSetAttribute(pool_, cudaMemPoolAttrReleaseThreshold, &keep),
        "cudaMemPoolSetAttribute(cudaMemPoolAttrReleaseThreshold)");
}

void* Context::allocate_zeroed(std::size_t bytes) {
  void* memory = nullptr;
  check(cudaMallocFromPoolAsync(&memory, bytes, pool_, stream_), "cudaMallocFromPoolAsync");
  const cudaError_t status = cudaMemsetAsync(memory, 0, bytes, stream_);
  if (status != cudaSuccess) {
    (void)cudaFreeAsync(memory, stream_);
    check(status, "cudaMemsetAsync");
  }
  return memory;
}

void Context::release(int device, void* memory) noexcept {
  Registry& r = registry();
  Context* owner = nullptr;
  {
    const std::lock_guard lock(r.mutex);
    const auto index = static_cast<std::size_t>(device);
    if (index < r.contexts.size()) owner = r.contexts[index];
  }
  // At process exit the runtime may be gone: the error is then the only thing left to do.
  if (owner != nullptr && cudaFreeAsync(memory, owner->stream_) != cudaSuccess) {
    (void)cudaGetLastError();
  }
}

void Context::release_cached() {
  std::vector<Context*> contexts;
  {
    Registry& r = registry();
    const std::lock_guard lock(r.mutex);
    contexts = r.contexts;
  }
  for (Context* context : contexts) {
    if (context == nullptr) continue;
    const DeviceScope scope(context->device_);
    Session session = context->session();
    if (context->workspace_ != nullptr) {
      check(cudaFreeAsync(context->workspace_, context->stream_), "cudaFreeAsync");
      context->workspace_ = nullptr;
      context->workspace_bytes_ = 0;
    }
    session.wait();  // the pool's freed blocks are reusable once their frees have run
    check(cudaMemPoolTrimTo(context->pool_, 0), "cudaMemPoolTrimTo");
  }
}

cublasHandle_t Context::Session::blas() {
  Context& c = context_;
  if (c.blas_ == nullptr) {
    cublasHandle_t handle = nullptr;
    check(cublas().cublasCreate(&handle), "cublasCreate");
    // The default math mode keeps float products in FP32 (no TF32 tensor-core rounding), which
    // the solvers' accuracy bars in units of float's u assume.
    const cublasStatus_t status = cublas().cublasSetStream(handle, c.stream_);
    if (status != CUBLAS_STATUS_SUCCESS) (void)cublas().cublasDestroy(handle);
    check(status, "cublasSetStream");
    c.blas_ = handle;
  }
  return c.blas_;
}

cusolverDnHandle_t Context::Session::solver() {
  Context& c = context_;
  if (c.solver_ == nullptr) {
    cusolverDnHandle_t handle = nullptr;
    check(cusolver().cusolverDnCreate(&handle), "cusolverDnCreate");
    const cusolverStatus_t status = cusolver().cusolverDnSetStream(handle, c.stream_);
    if (status != CUSOLVER_STATUS_SUCCESS) (void)cusolver().cusolverDnDestroy(handle);
    check(status, "cusolverDnSetStream");
    c.solver_ = handle;
  }
  return c.solver_;
}

void* Context::Session::workspace(std::size_t bytes) {
  Context& c = context_;
  if (bytes > c.workspace_bytes_) {
    void* grown = nullptr;
    check(cudaMallocFromPoolAsync(&grown, bytes, c.pool_, c.stream_), "cudaMallocFromPoolAsync");
    void* const previous = c.workspace_;
    c.workspace_ = grown;
    c.workspace_bytes_ = bytes;
    if (previous != nullptr) check(cudaFreeAsync(previous, c.stream_), "cudaFreeAsync");
  }
  return c.workspace_;
}

void Context::Session::read(const void* device, void* host, std::size_t bytes) {
  check(cudaMemcpyAsync(host, device, bytes, cudaMemcpyDeviceToHost, stream()),
        "cudaMemcpyAsync (device to host)");
  wait();
}

void Context::Session::upload(const void* host, void* device, std::size_t bytes) {
  const auto* first = static_cast<const std::byte*>(host);
  const std::vector<std::byte>& kept = context_.uploads_.emplace_back(first, first + bytes);
  check(cudaMemcpyAsync(device, kept.data(), bytes, cudaMemcpyHostToDevice, stream()),
        "cudaMemcpyAsync (host to device)");
}

void Context::Session::wait() {
  check(cudaStreamSynchronize(stream()), "cudaStreamSynchronize");
  context_.uploads_.clear();  // every upload queued so far is done
}

}  // namespace polarkit::cuda

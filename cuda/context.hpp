// What every CUDA backend call runs on, one per device (one stream per device): the stream that
// orders all of polarkit's work on the device, the cuBLAS and cuSOLVER handles bound to it
// (created on first use), a memory pool for matrices and a grow-only workspace for reductions and
// cuSOLVER's work arrays.
//
// The stream is a blocking one (cudaStreamCreate's default): it waits for the legacy default
// stream and the legacy default stream waits for it. A caller that prepares A with cudaMemcpy or
// a kernel on the default stream, and reads U back the same way, needs no synchronisation of its
// own; work on a caller's non-blocking stream must be finished before polarkit is called.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <cusolverDn.h>

#include <cstddef>
#include <mutex>
#include <vector>

namespace polarkit::cuda {

/// CUDA devices the runtime sees: 0 when there is none or no usable driver. Never throws.
int device_count() noexcept;

class Context {
 public:
  /// The context of the calling thread's current device, made on first use and never destroyed:
  /// matrices released while the process exits still find their stream. Throws
  /// Error(backend_failure) "no CUDA device: <reason>" when the runtime finds no device.
  static Context& current();

  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;
  Context(Context&&) = delete;
  Context& operator=(Context&&) = delete;

  [[nodiscard]] int device() const noexcept { return device_; }

  /// Zero-filled device memory from this context's pool, ordered on its stream (no
  /// synchronisation; freed memory stays in the pool for the next request).
  void* allocate_zeroed(std::size_t bytes);

  /// Returns memory from allocate_zeroed() of the context of `device`, ordered after all work
  /// queued so far. Never throws: it also runs at process exit, when the CUDA runtime may already
  /// be gone (then it does nothing).
  static void release(int device, void* memory) noexcept;

  /// For every context made so far: waits for its stream, frees its workspace and hands the
  /// pool's unused memory back to the driver (polarkit::release_cached_device_memory).
  static void release_cached();

  /// Exclusive use of the context for one backend call. Calls from several host threads are
  /// serialised, so one call's kernels and the scalar it reads back are never interleaved with
  /// another's; a call may open a nested session (the lock is recursive).
  class Session {
   public:
    explicit Session(Context& context) : context_(context), lock_(context.mutex_) {}

    [[nodiscard]] cudaStream_t stream() const noexcept { return context_.stream_; }
    cublasHandle_t blas();
    cusolverDnHandle_t solver();

    /// At least `bytes` of device scratch. Growing frees the previous buffer (ordered on the
    /// stream), so a call takes its workspace once, after any nested call that may take it.
    void* workspace(std::size_t bytes);

    /// Copies device memory to the host and waits for it.
    void read(const void* device, void* host, std::size_t bytes);

    /// Queues a copy of a few host bytes (pointer arrays, scale factors) to device memory. They
    /// are copied into the context and kept there until the next wait(), so the caller's buffer
    /// may go at once: CUDA does not promise that an asynchronous copy from pageable memory has
    /// read its source when it returns.
    void upload(const void* host, void* device, std::size_t bytes);

    /// Waits for everything queued so far (and reports a fault of any of it).
    void wait();

   private:
    Context& context_;
    std::unique_lock<std::recursive_mutex> lock_;
  };

  Session session() { return Session(*this); }

 private:
  explicit Context(int device);
  ~Context() = default;

  int device_;
  cudaStream_t stream_ = nullptr;
  cudaMemPool_t pool_ = nullptr;
  cublasHandle_t blas_ = nullptr;
  cusolverDnHandle_t solver_ = nullptr;
  void* workspace_ = nullptr;
  std::size_t workspace_bytes_ = 0;
  std::vector<std::vector<std::byte>> uploads_;  // the sources of uploads not yet waited for
  std::recursive_mutex mutex_;
};

}  // namespace polarkit::cuda

// Reports and matrices as bytes, and the one all-gather of a call (exchange.hpp).
#include "mpi/exchange.hpp"

#include <algorithm>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <type_traits>
#include <utility>

#include "mpi/comm.hpp"
#include "polarkit/error.hpp"

namespace polarkit::mpi::detail {

// --- reports as bytes ---------------------------------------------------------------------------
namespace {

// Every field of a report, in one list that writing and reading share (so they cannot drift
// apart); Info is PolarInfo or const PolarInfo.
template <class Archive, class Info>
void fields(Archive& ar, Info& i) {
  ar(i.method, i.iterations, i.converged, i.zero_input, i.method_used, i.steps,
     i.ortho_error_history, i.ortho_error_2_history, i.ortho_error, i.ortho_error_fro, i.scale,
     i.lower_bound, i.cond_estimate, i.rank, i.backward_error, i.nuclear_norm, i.flops,
     i.products, i.phases);
}

template <class Archive, class Report>
void fields_of_step(Archive& ar, Report& r) {
  ar(r.nu, r.scale, r.update_norm);
  fields(ar, r.oracle);
}

struct Writer {
  std::vector<std::byte>& out;

  template <class... V>
  void operator()(const V&... values) {
    (put(values), ...);
  }

  void bytes(const void* data, std::size_t size) {
    const auto* p = static_cast<const std::byte*>(data);
    out.insert(out.end(), p, p + size);
  }
  template <class V>
    requires std::is_trivially_copyable_v<V>
  void put(const V& value) {
    bytes(&value, sizeof value);
  }
  void put(const std::string& s) {
    put(s.size());
    bytes(s.data(), s.size());
  }
  template <class V>
    requires std::is_trivially_copyable_v<V>
  void put(const std::vector<V>& v) {
    put(v.size());
    bytes(v.data(), v.size() * sizeof(V));
  }
  void put(const std::vector<PhaseTime>& phases) {
    put(phases.size());
    for (const PhaseTime& p : phases) (*this)(p.name, p.seconds, p.flops, p.calls);
  }
};

struct Reader {
  std::span<const std::byte>& in;

  template <class... V>
  void operator()(V&... values) {
    (get(values), ...);
  }

  [[noreturn]] static void ends_early() {
    throw Error(ErrorCode::backend_failure, "mpi: a gathered report ends early");
  }
  const std::byte* take(std::size_t size) {
    if (size > in.size()) ends_early();
    const std::byte* p = in.data();
    in = in.subspan(size);
    return p;
  }
  template <class V>
    requires std::is_trivially_copyable_v<V>
  void get(V& value) {
    std::memcpy(&value, take(sizeof value), sizeof value);
  }
  // A vector's length, no more elements than bytes are left (a corrupt length would allocate).
  std::size_t length(std::size_t element_size) {
    std::size_t n = 0;
    get(n);
    if (n > in.size() / element_size) ends_early();
    return n;
  }
  void get(std::string& s) {
    const std::size_t n = length(1);
    s.assign(reinterpret_cast<const char*>(take(n)), n);
  }
  template <class V>
    requires std::is_trivially_copyable_v<V>
  void get(std::vector<V>& v) {
    v.resize(length(sizeof(V)));
    if (!v.empty()) std::memcpy(v.data(), take(v.size() * sizeof(V)), v.size() * sizeof(V));
  }
  void get(std::vector<PhaseTime>& phases) {
    phases.resize(length(1));
    for (PhaseTime& p : phases) (*this)(p.name, p.seconds, p.flops, p.calls);
  }
};

struct Counter {
  int count = 0;
  template <class... V>
  void operator()(const V&...) {
    count += static_cast<int>(sizeof...(V));
  }
};

}  // namespace

void write(std::vector<std::byte>& out, const PolarInfo& info) {
  Writer w{out};
  fields(w, info);
}

void write(std::vector<std::byte>& out, const polarkit::optim::StepReport& report) {
  Writer w{out};
  fields_of_step(w, report);
}

void read(std::span<const std::byte>& in, PolarInfo& info) {
  Reader r{in};
  fields(r, info);
}

void read(std::span<const std::byte>& in, polarkit::optim::StepReport& report) {
  Reader r{in};
  fields_of_step(r, report);
}

int serialised_fields() {
  Counter c;
  const PolarInfo info;
  fields(c, info);
  return c.count;
}

// --- matrices as bytes --------------------------------------------------------------------------
namespace {

// Calls copy(element of A, position in the column-major buffer) over A in an order that reads
// or writes A's memory contiguously: columns for column-major, and for row-major blocks of
// columns row by row (each of the block's columns of the buffer then fills sequentially).
template <class T, class Copy>
void walk(MatrixView<T> A, Copy copy) {
  const index_t m = A.rows();
  const index_t n = A.cols();
  if (A.is_col_major()) {
    for (index_t j = 0; j < n; ++j) copy(&A(0, j), static_cast<std::size_t>(j * m), m);
    return;
  }
  constexpr index_t block = 64;
  for (index_t j0 = 0; j0 < n; j0 += block) {
    const index_t j1 = std::min(n, j0 + block);
    for (index_t i = 0; i < m; ++i) {
      for (index_t j = j0; j < j1; ++j) copy(&A(i, j), static_cast<std::size_t>(i + j * m), 1);
    }
  }
}

}  // namespace

// Bytes are copied as bytes: a NaN's payload and a negative zero arrive as they left.
template <class T>
void pack(MatrixView<const T> A, std::byte* out) {
  if (A.empty()) return;
  walk(A, [&](const T* element, std::size_t at, index_t count) {
    std::memcpy(out + at * sizeof(T), element, static_cast<std::size_t>(count) * sizeof(T));
  });
}

template <class T>
void unpack(const std::byte* in, MatrixView<T> A) {
  if (A.empty()) return;
  walk(A, [&](T* element, std::size_t at, index_t count) {
    std::memcpy(element, in + at * sizeof(T), static_cast<std::size_t>(count) * sizeof(T));
  });
}

// --- the all-gather -----------------------------------------------------------------------------

GatherLayout gather_layout(std::span<const std::int64_t> sizes, std::int64_t limit) {
  const auto units = [&](std::size_t unit) {
    std::size_t total = 0;
    for (const std::int64_t s : sizes) total += (static_cast<std::size_t>(s) + unit - 1) / unit;
    return total;
  };
  GatherLayout layout;
  while (units(layout.unit) > static_cast<std::size_t>(limit)) {
    layout.unit *= 2;
    if (layout.unit > static_cast<std::size_t>(INT_MAX)) {
      throw Error(ErrorCode::invalid_argument,
                  "mpi: the results to gather are too large for one MPI_Allgatherv");
    }
  }
  std::size_t at = 0;
  for (const std::int64_t s : sizes) {
    const std::size_t count = (static_cast<std::size_t>(s) + layout.unit - 1) / layout.unit;
    layout.counts.push_back(static_cast<int>(count));
    layout.displacements.push_back(static_cast<int>(at));
    layout.offset.push_back(at * layout.unit);
    at += count;
  }
  layout.bytes = at * layout.unit;
  return layout;
}

void allgather_in_place(MPI_Comm comm, std::byte* buffer, const GatherLayout& layout) {
  MPI_Datatype unit = MPI_BYTE;
  if (layout.unit > 1) {
    check(MPI_Type_contiguous(static_cast<int>(layout.unit), MPI_BYTE, &unit),
          "MPI_Type_contiguous");
    check(MPI_Type_commit(&unit), "MPI_Type_commit");
  }
  const int rc = MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, buffer, layout.counts.data(),
                                layout.displacements.data(), unit, comm);
  if (layout.unit > 1) MPI_Type_free(&unit);
  check(rc, "MPI_Allgatherv");
}

// --- the exchange of a call ----------------------------------------------------------------------
namespace {

// The gathered buffer, kept from call to call (per thread) and grown when a call needs more:
// a fresh one of the GPT-like list's 680 MB took 0.7–2.2 s to page in (bench_mpi_step, 2 ranks)
// against 0.07 s for the MPI_Allgatherv itself; a training loop gathers the same sizes every
// step. Not zero-filled: every byte MPI reads is written first.
struct Kept {
  std::unique_ptr<std::byte[]> data;
  std::size_t size = 0;
};
thread_local Kept kept;

std::byte* gather_buffer(std::size_t bytes) {
  if (bytes > kept.size) {
    kept = Kept();  // the old one first: never both at once
    kept.data.reset(new std::byte[bytes]);
    kept.size = bytes;
  }
  return kept.data.get();
}

}  // namespace

template <class T, class Report>
Moved exchange(MPI_Comm comm, const Assignment& assignment,
               const std::function<Outputs<T>(std::size_t)>& outputs, std::vector<Report>& reports,
               const LocalError& solved, std::int64_t limit) {
  const Ranks r = ranks_of(comm);
  if (r.size == 1) {  // nothing to send: the outputs are in place
    if (solved.failed) throw Error(solved.code, solved.message);
    return {};
  }
  const auto me = static_cast<std::size_t>(r.rank);
  std::vector<std::vector<std::size_t>> owned(static_cast<std::size_t>(r.size));
  for (std::size_t i = 0; i < assignment.owner.size(); ++i) {
    owned[static_cast<std::size_t>(assignment.owner[i])].push_back(i);
  }
  const auto matrix_bytes = [&](std::size_t i) {
    std::size_t bytes = 0;
    for (const MatrixView<T>& X : outputs(i)) {
      bytes += static_cast<std::size_t>(X.rows() * X.cols()) * sizeof(T);
    }
    return bytes;
  };

  // This rank's reports follow its matrices in its segment.
  std::vector<std::byte> tail;
  LocalError failed = solved;
  if (!failed.failed) {
    failed = capture([&] {
      for (const std::size_t i : owned[me]) write(tail, reports[i]);
    });
  }
  std::size_t own_matrices = 0;
  for (const std::size_t i : owned[me]) own_matrices += matrix_bytes(i);

  // The segments' sizes, and with them whether every rank's solve succeeded.
  const std::array<std::int64_t, 2> mine = {failed.failed ? 1 : 0,
                                            static_cast<std::int64_t>(own_matrices + tail.size())};
  std::vector<std::int64_t> all(2 * static_cast<std::size_t>(r.size));
  check(MPI_Allgather(mine.data(), 2, MPI_INT64_T, all.data(), 2, MPI_INT64_T, comm),
        "MPI_Allgather");
  std::vector<std::int64_t> sizes;
  for (int q = 0; q < r.size; ++q) {
    if (all[2 * static_cast<std::size_t>(q)] != 0) throw_from(comm, q, failed);
    sizes.push_back(all[2 * static_cast<std::size_t>(q) + 1]);
  }

  const GatherLayout layout = gather_layout(sizes, limit);  // the same on every rank
  std::byte* buffer = nullptr;
  agree(comm, capture([&] {
    try {
      buffer = gather_buffer(layout.bytes);
    } catch (const std::bad_alloc&) {
      throw Error(ErrorCode::out_of_memory, "mpi: out of memory for the gathered results (" +
                                                std::to_string(layout.bytes) + " bytes)");
    }
  }));
  std::byte* segment = buffer + layout.offset[me];
  for (const std::size_t i : owned[me]) {
    for (const MatrixView<T>& X : outputs(i)) {
      pack(MatrixView<const T>(X), segment);
      segment += static_cast<std::size_t>(X.rows() * X.cols()) * sizeof(T);
    }
  }
  if (!tail.empty()) std::memcpy(segment, tail.data(), tail.size());

  allgather_in_place(comm, buffer, layout);

  Moved moved;
  moved.sent = static_cast<std::size_t>(sizes[me]);
  for (std::size_t q = 0; q < owned.size(); ++q) {
    if (q == me) continue;
    moved.received += static_cast<std::size_t>(sizes[q]);
    const std::byte* at = buffer + layout.offset[q];
    for (const std::size_t i : owned[q]) {
      for (const MatrixView<T>& X : outputs(i)) {
        unpack(at, X);
        at += static_cast<std::size_t>(X.rows() * X.cols()) * sizeof(T);
      }
    }
    const std::byte* end = buffer + layout.offset[q] + static_cast<std::size_t>(sizes[q]);
    std::span<const std::byte> rest(at, end);
    for (const std::size_t i : owned[q]) read(rest, reports[i]);
  }
  return moved;
}

#define POLARKIT_INSTANTIATE(T)                                                                  \
  template void pack<T>(MatrixView<const T>, std::byte*);                                       \
  template void unpack<T>(const std::byte*, MatrixView<T>);                                     \
  template Moved exchange<T, PolarInfo>(MPI_Comm, const Assignment&,                            \
                                        const std::function<Outputs<T>(std::size_t)>&,          \
                                        std::vector<PolarInfo>&, const LocalError&,             \
                                        std::int64_t);                                          \
  template Moved exchange<T, polarkit::optim::StepReport>(                                      \
      MPI_Comm, const Assignment&, const std::function<Outputs<T>(std::size_t)>&,               \
      std::vector<polarkit::optim::StepReport>&, const LocalError&, std::int64_t);
POLARKIT_INSTANTIATE(float)
POLARKIT_INSTANTIATE(double)
#undef POLARKIT_INSTANTIATE

}  // namespace polarkit::mpi::detail

namespace polarkit::mpi {

void release_buffers() noexcept { detail::kept = detail::Kept(); }

}  // namespace polarkit::mpi

// The fingerprint of a list, and the agreement on failures (agreement.hpp).
#include "mpi/agreement.hpp"

#include <array>
#include <cstdio>
#include <limits>
#include <new>
#include <string>
#include <vector>

#include "mpi/comm.hpp"

namespace polarkit::mpi::detail {

Fingerprint& Fingerprint::add(const PolarOptions& o) {
  add(o.method).add(o.tol).add(o.max_iter).add(o.steps).add(o.scaling).add(o.compute_h);
  add(o.backward_error).add(o.lower_bound).add(o.precision).add(o.refine).add(o.batch_group);
  add(o.two_norm_each_iterate).add(o.measure_result).add(o.scale_floor);
  add(o.coefficients.size());
  for (const Quintic& q : o.coefficients) add(q.a).add(q.b).add(q.c);
  return *this;
}

Fingerprint& Fingerprint::add(const polarkit::optim::Config& c) {
  add(c.kind).add(c.lr).add(c.momentum).add(c.nesterov).add(c.weight_decay).add(c.scale);
  add(c.eps).add(c.nu).add(c.order);
  return add(c.oracle);
}

LocalError capture(const std::function<void()>& f) {
  try {
    f();
    return {};
  } catch (const Error& e) {
    return {true, e.code(), e.what()};
  } catch (const std::bad_alloc&) {
    return {true, ErrorCode::out_of_memory, "out of memory"};
  } catch (const std::exception& e) {
    return {true, ErrorCode::backend_failure, e.what()};
  } catch (...) {
    return {true, ErrorCode::backend_failure, "an unknown exception"};
  }
}

namespace {

constexpr auto none = std::numeric_limits<std::uint64_t>::max();

std::string hex(std::uint64_t x) {
  char text[24];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(x));
  return text;
}

}  // namespace

void agree_before_work(MPI_Comm comm, std::string_view who, std::uint64_t fingerprint,
                       std::uint64_t count, const LocalError& local) {
  const Ranks r = ranks_of(comm);
  // One MPI_MIN over {x, ~x} gives the minimum and the maximum of x at once.
  const std::array<std::uint64_t, 5> mine = {
      fingerprint, ~fingerprint, count, ~count,
      local.failed ? static_cast<std::uint64_t>(r.rank) : none};
  std::array<std::uint64_t, 5> least{};
  check(MPI_Allreduce(mine.data(), least.data(), static_cast<int>(mine.size()), MPI_UINT64_T,
                      MPI_MIN, comm),
        "MPI_Allreduce");
  if (least[0] != ~least[1]) {
    throw Error(ErrorCode::invalid_argument,
                std::string(who) + ": the matrix lists differ across ranks (counts " +
                    std::to_string(least[2]) + " to " + std::to_string(~least[3]) +
                    ", fingerprints " + hex(least[0]) + " to " + hex(~least[1]) +
                    "): every rank must pass the same matrices (count, shapes, layouts, type, "
                    "which outputs) and the same options");
  }
  if (least[4] != none) throw_from(comm, static_cast<int>(least[4]), local);
}

void agree(MPI_Comm comm, const LocalError& local) {
  const Ranks r = ranks_of(comm);
  const int mine = local.failed ? r.rank : r.size;
  int lowest = r.size;
  check(MPI_Allreduce(&mine, &lowest, 1, MPI_INT, MPI_MIN, comm), "MPI_Allreduce");
  if (lowest < r.size) throw_from(comm, lowest, local);
}

void throw_from(MPI_Comm comm, int root, const LocalError& local) {
  const Ranks r = ranks_of(comm);
  std::string message = r.rank == root ? local.message : std::string();
  std::array<int, 2> head = {static_cast<int>(local.code), static_cast<int>(message.size())};
  check(MPI_Bcast(head.data(), 2, MPI_INT, root, comm), "MPI_Bcast");
  message.resize(static_cast<std::size_t>(head[1]));
  check(MPI_Bcast(message.data(), head[1], MPI_CHAR, root, comm), "MPI_Bcast");
  throw Error(static_cast<ErrorCode>(head[0]), message);
}

}  // namespace polarkit::mpi::detail

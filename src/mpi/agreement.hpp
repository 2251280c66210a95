// How the ranks of a distributed call agree before they go on: that they hold the same list
// (a fingerprint of it, compared across ranks) and whether any of them failed (then every rank
// throws the same Error). A rank that threw on its own would leave the others waiting in the
// next collective; so every failure is caught, agreed on, and thrown everywhere.
#pragma once

#include <mpi.h>

#include <bit>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <type_traits>

#include "polarkit/error.hpp"
#include "polarkit/optim.hpp"
#include "polarkit/options.hpp"

namespace polarkit::mpi::detail {

/// A 64-bit hash (FNV-1a over 64-bit words) of what must be equal on every rank: the type, the
/// count, every shape and every option that shapes the result. Not cryptographic: it tells lists
/// that differ by mistake apart.
class Fingerprint {
 public:
  template <class V>
    requires std::is_arithmetic_v<V> || std::is_enum_v<V>
  Fingerprint& add(V value) {
    if constexpr (std::is_floating_point_v<V>) {
      word(std::bit_cast<std::uint64_t>(static_cast<double>(value)));
    } else if constexpr (std::is_enum_v<V>) {
      word(static_cast<std::uint64_t>(static_cast<std::underlying_type_t<V>>(value)));
    } else {
      word(static_cast<std::uint64_t>(value));
    }
    return *this;
  }
  /// Every field of the options (batch_group too: it shapes the reports' phases).
  Fingerprint& add(const PolarOptions& options);
  /// Every field of the configuration, its oracle included.
  Fingerprint& add(const polarkit::optim::Config& config);

  [[nodiscard]] std::uint64_t value() const noexcept { return hash_; }

 private:
  void word(std::uint64_t w) noexcept {
    for (int byte = 0; byte < 8; ++byte) {
      hash_ ^= (w >> (8 * byte)) & 0xffU;
      hash_ *= 0x100000001b3ULL;
    }
  }
  std::uint64_t hash_ = 0xcbf29ce484222325ULL;
};

/// What went wrong on this rank, if anything: the Error it would have thrown.
struct LocalError {
  bool failed = false;
  ErrorCode code = ErrorCode::invalid_argument;
  std::string message;
};

/// Runs f and returns what it threw as a LocalError: a polarkit::Error as it is, bad_alloc as
/// out_of_memory, any other exception as backend_failure with its what().
LocalError capture(const std::function<void()>& f);

/// Before any work: every rank's fingerprint and count, and whether any rank failed its checks
/// (one MPI_Allreduce). Throws on every rank: Error(invalid_argument) "<who>: the matrix lists
/// differ across ranks (...)" when the fingerprints differ (first: a failed check on one rank
/// may be the mismatch's consequence), else the lowest failing rank's error.
void agree_before_work(MPI_Comm comm, std::string_view who, std::uint64_t fingerprint,
                       std::uint64_t count, const LocalError& local);

/// Whether any rank failed (one MPI_Allreduce); throws the lowest failing rank's error on every
/// rank if so.
void agree(MPI_Comm comm, const LocalError& local);

/// Throws, on every rank, the error of rank `root` (whose `local` is its failure): root sends its
/// code and message to the others (MPI_Bcast). Collective.
[[noreturn]] void throw_from(MPI_Comm comm, int root, const LocalError& local);

}  // namespace polarkit::mpi::detail

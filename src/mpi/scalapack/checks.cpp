#include "mpi/scalapack/checks.hpp"

#include <algorithm>
#include <array>
#include <climits>
#include <cmath>
#include <cstring>
#include <span>
#include <vector>

#include "core/api/checks.hpp"
#include "core/solvers/solvers.hpp"

namespace polarkit::scalapack::detail {
namespace {

const std::string who = "scalapack::polar";

std::string process(const Grid& g) {
  return "process (" + std::to_string(g.myrow) + ", " + std::to_string(g.mycol) + ")";
}

// The first thing wrong with one operand's (non-null) descriptor on this process ("" if none),
// against the operand's expected shape m × n and this process's place in A's grid.
std::string descriptor_error(const Grid& g, const char* name, const int* desc, index_t m,
                             index_t n) {
  const std::string of = std::string(name) + "'s descriptor on " + process(g) + ": ";
  const auto field = [&](Field f) { return std::to_string(desc[f]); };
  if (desc[dtype_] != 1) return of + "DTYPE is " + field(dtype_) + ", expected 1 (a dense matrix)";
  if (desc[ctxt_] != g.context) {
    return of + "the BLACS context " + field(ctxt_) + " is not A's (" +
           std::to_string(g.context) + ")";
  }
  if (desc[m_] < 0 || desc[n_] < 0) return of + "M and N must be non-negative";
  if (desc[m_] != m || desc[n_] != n) {
    return of + "it describes a " + polarkit::detail::shape(desc[m_], desc[n_]) + " matrix, expected " +
           polarkit::detail::shape(m, n);
  }
  if (desc[mb_] <= 0 || desc[nb_] <= 0) {
    return of + "the block sizes MB = " + field(mb_) + " and NB = " + field(nb_) +
           " must be positive";
  }
  if (desc[rsrc_] < 0 || desc[rsrc_] >= g.nprow || desc[csrc_] < 0 || desc[csrc_] >= g.npcol) {
    return of + "the source process (" + field(rsrc_) + ", " + field(csrc_) +
           ") is outside the " + std::to_string(g.nprow) + " x " + std::to_string(g.npcol) +
           " grid";
  }
  const LocalExtent local = local_extent(g, desc);
  const index_t least = std::max<index_t>(1, local.rows);
  if (desc[lld_] < least) {
    return of + "LLD " + field(lld_) + " is below max(1, local rows) = " + std::to_string(least);
  }
  return {};
}

// What must be the same on every process: the descriptors' fields but LLD (which differs) and
// CTXT (a handle local to each process), and the options the processes act on.
constexpr std::array shared_fields{dtype_, m_, n_, mb_, nb_, rsrc_, csrc_};
constexpr std::array<const char*, 7> shared_names{"DTYPE", "M", "N", "MB", "NB", "RSRC", "CSRC"};
constexpr std::array<const char*, 3> operand_names{"A", "U", "H"};
constexpr std::array<const char*, 7> option_names{"method", "max_iter", "steps", "compute_h",
                                                  "backward_error", "precision",
                                                  "whether H is given"};

void append_shared(std::vector<int>& v, const int* desc) {
  for (const Field f : shared_fields) v.push_back(desc == nullptr ? -1 : desc[f]);
}

// "" where every process passed the same; else what differs (the same words on every process:
// they come from the grid-wide maxima and minima).
std::string disagreement(const Grid& g, const std::vector<int>& mine,
                         const std::array<double, 2>& reals) {
  std::vector<int> high = mine;
  std::vector<int> low = mine;
  pblas::max(g.context, std::span<int>(high));
  pblas::min(g.context, std::span<int>(low));
  std::array<double, 2> real_high = reals;
  std::array<double, 2> real_low = reals;
  pblas::max(g.context, std::span<double>(real_high));
  pblas::min(g.context, std::span<double>(real_low));
  const std::string differ = " differs between the processes of the grid (from " ;
  const std::size_t per = shared_fields.size();
  for (std::size_t k = 0; k < high.size(); ++k) {
    if (high[k] == low[k]) continue;
    const std::string range = std::to_string(low[k]) + " to " + std::to_string(high[k]) + ")";
    if (k < operand_names.size() * per) {
      return who + ": " + operand_names[k / per] + "'s descriptor field " + shared_names[k % per] +
             differ + range + "; every process must pass the same descriptors but for LLD";
    }
    return who + ": option " + option_names[k - operand_names.size() * per] + differ + range;
  }
  if (!(real_high == real_low)) {
    return who + ": option tol or lower_bound differs between the processes of the grid";
  }
  return {};
}

}  // namespace

Grid grid_of(const int* desc) {
  if (desc == nullptr) {
    polarkit::detail::invalid(who, "A's descriptor is null");
  }
  const Grid g = Grid::of(desc[ctxt_]);
  if (!g.holds_me()) {
    polarkit::detail::invalid(who, "this process is not in the grid of A's BLACS context " +
                                       std::to_string(desc[ctxt_]));
  }
  return g;
}

void agree_on_error(const Grid& g, ErrorCode code, const std::string& message) {
  // The first process with a message, row-major; it sends its code and message to all.
  std::array<int, 1> first{message.empty() ? INT_MAX : g.myrow * g.npcol + g.mycol};
  pblas::min(g.context, std::span<int>(first));
  if (first[0] == INT_MAX) return;
  constexpr std::size_t capacity = 512;  // bytes of the message sent (longer ones are cut)
  std::vector<int> packet(2 + capacity / sizeof(int), 0);
  const std::size_t length = std::min(message.size(), capacity);
  packet[0] = static_cast<int>(code);
  packet[1] = static_cast<int>(length);
  std::memcpy(packet.data() + 2, message.data(), length);
  pblas::broadcast(g.context, std::span<int>(packet), first[0] / g.npcol, first[0] % g.npcol);
  std::string agreed(static_cast<std::size_t>(packet[1]), '\0');
  std::memcpy(agreed.data(), packet.data() + 2, agreed.size());
  throw Error(static_cast<ErrorCode>(packet[0]), agreed);
}

template <class T>
void validate(const Grid& g, DistributedMatrix<const T> A, DistributedMatrix<T> U,
              DistributedMatrix<T> H, const PolarOptions& options) {
  std::string error;
  const auto note = [&](const std::string& e) {
    if (error.empty() && !e.empty()) error = e;
  };
  const index_t m = A.desc[m_];
  const index_t n = A.desc[n_];
  note(descriptor_error(g, "A", A.desc, m, n));
  if (U.desc == nullptr) {
    note(who + ": U's descriptor is null on " + process(g));
  } else {
    note(descriptor_error(g, "U", U.desc, m, n));
  }
  const bool with_h = H.desc != nullptr;
  if (with_h) note(descriptor_error(g, "H", H.desc, n, n));
  if (error.empty()) {
    // Local arrays: present where they hold elements, and the written ones apart from the rest.
    std::vector<polarkit::detail::Operand> operands;
    const auto local = [&](const char* name, const void* data, const int* desc, bool written) {
      const LocalExtent e = local_extent(g, desc);
      if (data == nullptr && e.rows > 0 && e.cols > 0) {
        note(who + ": " + name + "'s local array is null on " + process(g) + ", which holds " +
             polarkit::detail::shape(e.rows, e.cols) + " of it");
      }
      operands.push_back({polarkit::detail::extent(data, e.rows, e.cols, desc[lld_], true,
                                                    sizeof(T)),
                          written, name});
    };
    local("A", A.local, A.desc, false);
    local("U", U.local, U.desc, true);
    if (with_h) local("H", H.local, H.desc, true);
    if (error.empty()) {
      try {
        polarkit::detail::require_disjoint(who + " (local arrays on " + process(g) + ")",
                                           std::move(operands));
      } catch (const Error& e) {
        note(e.what());
      }
    }
  }
  try {
    polarkit::detail::validate_polar_options<T>(options);
  } catch (const Error& e) {
    const std::string what = e.what();
    note(who + what.substr(what.find(':')));  // "polar: ..." as this entry point's
  }
  const Method method = options.method;
  if (method != Method::qdwh && method != Method::automatic && method != Method::svd) {
    note(who + ": method '" + std::string(method_name(method)) +
         "' is not supported; the supported methods are qdwh, auto (qdwh here) and svd");
  }
  if (options.steps != 0) {
    note(who + ": steps (a fixed budget) is not supported; max_iter bounds the iterations");
  }
  std::vector<int> shared;
  append_shared(shared, A.desc);
  append_shared(shared, U.desc);
  append_shared(shared, H.desc);
  for (const int choice : {static_cast<int>(method), options.max_iter, options.steps,
                           options.compute_h ? 1 : 0, options.backward_error ? 1 : 0,
                           static_cast<int>(options.precision), with_h ? 1 : 0}) {
    shared.push_back(choice);
  }
  note(disagreement(g, shared, {options.tol, options.lower_bound}));
  agree_on_error(g, ErrorCode::invalid_argument, error);
}

template <class T>
void require_finite(const Grid& g, DistributedMatrix<const T> A) {
  const LocalExtent e = local_extent(g, A.desc);
  const index_t ld = A.desc[lld_];
  std::array<int, 1> bad{0};
  for (index_t j = 0; j < e.cols && bad[0] == 0; ++j) {
    for (index_t i = 0; i < e.rows; ++i) {
      if (!std::isfinite(static_cast<double>(A.local[i + j * ld]))) {
        bad[0] = 1;
        break;
      }
    }
  }
  pblas::max(g.context, std::span<int>(bad));
  if (bad[0] != 0) {
    throw Error(ErrorCode::non_finite_input, who + ": the input matrix contains NaN or Inf");
  }
}

#define POLARKIT_INSTANTIATE(T)                                                                \
  template void validate<T>(const Grid&, DistributedMatrix<const T>, DistributedMatrix<T>,    \
                            DistributedMatrix<T>, const PolarOptions&);                        \
  template void require_finite<T>(const Grid&, DistributedMatrix<const T>);
POLARKIT_INSTANTIATE(float)
POLARKIT_INSTANTIATE(double)
#undef POLARKIT_INSTANTIATE

}  // namespace polarkit::scalapack::detail

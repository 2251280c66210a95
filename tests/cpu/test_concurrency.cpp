// Concurrent calls: polar(), msign(), polar_batched(), the optimizer steps, the spectral power
// map and the C ABI from several threads at once, every result compared bit for bit (U, H, W, M
// and the whole report but its timings) with the same call made serially on the main thread
// beforehand. State shared between calls that should not be (a scratch buffer or workspace kept
// between calls, a schedule, the host memory cache handing one block to two owners, the BLAS
// thread count left at 1 after a side-by-side batch) shows here as a difference, and under
// ThreadSanitizer (the `tsan` preset runs the whole suite) as a report. Meanwhile another job
// empties the host memory cache, and every thread checks that the C ABI's last error is its own.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <exception>
#include <functional>
#include <latch>
#include <span>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "blas/blas.hpp"
#include "polarkit/device.hpp"
#include "polarkit/optim.hpp"
#include "polarkit/polar.hpp"
#include "polarkit/polarkit.h"
#include "testkit/accuracy.hpp"
#include "testkit/matrices.hpp"
#include "testkit/random.hpp"

namespace polarkit {
namespace {

using testkit::clone;

// ---- a call's outcome as bytes ------------------------------------------------------------------

// Every field of a call's results in order, each under its name as its exact bytes (so NaN equals
// NaN and -0 differs from +0). Wall-clock times (PhaseTime::seconds) are left out.
class Record {
 public:
  template <class T>
  void add(const std::string& name, MatrixView<const T> X) {
    std::string bytes = raw(X.rows()) + raw(X.cols());
    for (index_t j = 0; j < X.cols(); ++j) {
      for (index_t i = 0; i < X.rows(); ++i) bytes += raw(X(i, j));
    }
    fields_.emplace_back(name, std::move(bytes));
  }
  template <class T>
  void add(const std::string& name, const Matrix<T>& X) {
    add(name, X.view());
  }

  template <class T>
    requires std::is_arithmetic_v<T>
  void add(const std::string& name, T value) {
    fields_.emplace_back(name, raw(value));
  }

  void add(const std::string& name, const std::string& text) { fields_.emplace_back(name, text); }

  template <class T>
  void add(const std::string& name, const std::vector<T>& values) {
    std::string bytes = raw(values.size());
    for (const T& v : values) bytes += raw(v);
    fields_.emplace_back(name, std::move(bytes));
  }

  void add(const std::string& name, const PolarInfo& info) {
    add(name + ".method", static_cast<int>(info.method));
    add(name + ".iterations", info.iterations);
    add(name + ".converged", info.converged);
    add(name + ".zero_input", info.zero_input);
    add(name + ".method_used", static_cast<int>(info.method_used));
    add(name + ".steps", info.steps);
    add(name + ".ortho_error_history", info.ortho_error_history);
    add(name + ".ortho_error_2_history", info.ortho_error_2_history);
    add(name + ".ortho_error", info.ortho_error);
    add(name + ".ortho_error_fro", info.ortho_error_fro);
    add(name + ".scale", info.scale);
    add(name + ".lower_bound", info.lower_bound);
    add(name + ".cond_estimate", info.cond_estimate);
    add(name + ".rank", info.rank);
    add(name + ".backward_error", info.backward_error);
    add(name + ".nuclear_norm", info.nuclear_norm);
    add(name + ".flops", info.flops);
    add(name + ".products", info.products);
    std::string phases;
    for (const PhaseTime& p : info.phases) phases += p.name + "|" + raw(p.flops) + raw(p.calls);
    add(name + ".phases", phases);
  }

  void add(const std::string& name, const optim::StepReport& report) {
    add(name + ".nu", report.nu);
    add(name + ".scale", report.scale);
    add(name + ".update_norm", report.update_norm);
    add(name + ".oracle", report.oracle);
  }

  void add(const std::string& name, const polarkit_info& info) {
    add(name + ".iterations", info.iterations);
    add(name + ".converged", info.converged);
    add(name + ".ortho_error", info.ortho_error);
    add(name + ".backward_error", info.backward_error);
    add(name + ".nuclear_norm", info.nuclear_norm);
    add(name + ".scale", info.scale);
    add(name + ".lower_bound", info.lower_bound);
  }

  [[nodiscard]] bool empty() const { return fields_.empty(); }

  /// The message of the exception the call threw ("" if it returned).
  [[nodiscard]] std::string exception() const {
    return !fields_.empty() && fields_.front().first == "exception" ? fields_.front().second : "";
  }

  /// The name of the first field where the records differ ("" if none).
  [[nodiscard]] std::string first_difference(const Record& other) const {
    const std::size_t common = std::min(fields_.size(), other.fields_.size());
    for (std::size_t k = 0; k < common; ++k) {
      if (fields_[k].first != other.fields_[k].first) {
        return fields_[k].first + " (field order: " + other.fields_[k].first + ")";
      }
      if (fields_[k].second != other.fields_[k].second) return fields_[k].first;
    }
    if (fields_.size() != other.fields_.size()) {
      const Record& longer = fields_.size() > other.fields_.size() ? *this : other;
      return longer.fields_[common].first + " (present in one record only)";
    }
    return "";
  }

 private:
  template <class T>
  static std::string raw(const T& value) {
    static_assert(std::is_trivially_copyable_v<T>);
    std::string bytes(sizeof(T), '\0');
    std::memcpy(bytes.data(), &value, sizeof(T));
    return bytes;
  }

  std::vector<std::pair<std::string, std::string>> fields_;
};

// A call to make, serially and concurrently. Its inputs are shared, read-only; its outputs are
// its own. An exception becomes a field of the record (and so a difference).
struct Job {
  std::string name;
  std::function<Record()> run;
};

Record run_job(const Job& job) {
  try {
    return job.run();
  } catch (const std::exception& e) {
    Record r;
    r.add("exception", std::string(e.what()));
    return r;
  }
}

// ---- the jobs ---------------------------------------------------------------------------------

template <class T>
Job polar_job(const std::string& name, const Matrix<T>& A, const PolarOptions& o) {
  return {name, [&A, o] {
            Record r;
            const PolarResult<T> p = polar(A, o);
            r.add("U", p.U);
            r.add("H", p.H);
            r.add("info", p.info);
            return r;
          }};
}

// polar() into the caller's views, U row-major.
template <class T>
Job polar_into_job(const std::string& name, const Matrix<T>& A, const PolarOptions& o) {
  return {name, [&A, o] {
            Record r;
            std::vector<T> u(static_cast<std::size_t>(A.rows() * A.cols()));
            const MatrixView<T> U(u.data(), A.rows(), A.cols(), A.cols(), Layout::row_major);
            Matrix<T> H(A.cols(), A.cols());
            const PolarInfo info = polar(A.view(), U, H.view(), o);
            r.add("U", MatrixView<const T>(U));
            r.add("H", H);
            r.add("info", info);
            return r;
          }};
}

template <class T>
Job msign_job(const std::string& name, const Matrix<T>& A, const PolarOptions& o) {
  return {name, [&A, o] {
            Record r;
            const PolarResult<T> p = msign(A, o);
            r.add("U", p.U);
            r.add("info", p.info);
            return r;
          }};
}

template <class T>
Job batched_job(const std::string& name, const std::vector<Matrix<T>>& A, const PolarOptions& o) {
  return {name, [&A, o] {
            Record r;
            std::vector<MatrixView<const T>> views;
            for (const Matrix<T>& a : A) views.push_back(a.view());
            const std::vector<PolarResult<T>> results = polar_batched<T>(views, o);
            for (std::size_t i = 0; i < results.size(); ++i) {
              const std::string item = "[" + std::to_string(i) + "]";
              r.add("U" + item, results[i].U);
              r.add("H" + item, results[i].H);
              r.add("info" + item, results[i].info);
            }
            return r;
          }};
}

// `steps` optimizer steps from W0 with a fresh (zero) momentum state, the gradient shared.
template <class T>
Job step_job(const std::string& name, const optim::Config& c, const Matrix<T>& W0,
             const Matrix<T>& G, int steps) {
  return {name, [&W0, &G, c, steps] {
            Record r;
            Matrix<T> W = clone(W0);
            Matrix<T> M(W0.rows(), W0.cols());
            for (int s = 0; s < steps; ++s) {
              r.add("step" + std::to_string(s), optim::step(c, W.view(), G.view(), M.view()));
            }
            r.add("W", W);
            r.add("M", M);
            return r;
          }};
}

template <class T>
Job step_batched_job(const std::string& name, const optim::Config& c,
                     const std::vector<Matrix<T>>& W0, const std::vector<Matrix<T>>& G) {
  return {name, [&W0, &G, c] {
            Record r;
            std::vector<Matrix<T>> W;
            std::vector<Matrix<T>> M;
            std::vector<MatrixView<T>> w;
            std::vector<MatrixView<const T>> g;
            std::vector<MatrixView<T>> m;
            for (std::size_t i = 0; i < W0.size(); ++i) {
              W.push_back(clone(W0[i]));
              M.emplace_back(W0[i].rows(), W0[i].cols());
            }
            for (std::size_t i = 0; i < W0.size(); ++i) {
              w.push_back(W[i].view());
              g.push_back(G[i].view());
              m.push_back(M[i].view());
            }
            const std::vector<optim::StepReport> reports =
                optim::step_batched<T>(c, std::span<const MatrixView<T>>(w),
                                       std::span<const MatrixView<const T>>(g),
                                       std::span<const MatrixView<T>>(m));
            for (std::size_t i = 0; i < reports.size(); ++i) {
              const std::string item = "[" + std::to_string(i) + "]";
              r.add("report" + item, reports[i]);
              r.add("W" + item, W[i]);
              r.add("M" + item, M[i]);
            }
            return r;
          }};
}

Job spectral_power_job(const std::string& name, const Matrix<double>& A, double p) {
  return {name, [&A, p] {
            Record r;
            Matrix<double> out(A.rows(), A.cols());
            r.add("info", optim::spectral_power<double>(A.view(), p, out.view()));
            r.add("out", out);
            return r;
          }};
}

Job lmo_job(const std::string& name, optim::Kind kind, const Matrix<float>& D) {
  return {name, [&D, kind] {
            Record r;
            Matrix<float> out(D.rows(), D.cols());
            r.add("info", optim::lmo<float>(kind, D.view(), out.view()));
            r.add("out", out);
            return r;
          }};
}

// The C ABI with handles shared between the threads (read-only: the calls take them as const).
Job c_polar_job(const std::string& name, const Matrix<double>& A, const polarkit_options* o) {
  return {name, [&A, o] {
            Record r;
            const std::int64_t m = A.rows();
            const std::int64_t n = A.cols();
            std::vector<double> u(static_cast<std::size_t>(m * n));
            std::vector<double> h(static_cast<std::size_t>(n * n));
            polarkit_info info{};
            r.add("status", polarkit_polar_d(m, n, A.data(), m, u.data(), m, h.data(), n, o, &info));
            r.add("U", u);
            r.add("H", h);
            r.add("info", info);
            // The rest of the report: this thread's last call's, whatever the others called.
            for (const char* key : {"rank", "method_used", "cond_estimate", "ortho_error_fro", "steps"}) {
              std::array<char, POLARKIT_VALUE_MAX> value{};
              r.add(std::string("report.") + key + ".status",
                    polarkit_last_report_get(0, key, value.data(), value.size()));
              r.add(std::string("report.") + key, std::string(value.data()));
            }
            return r;
          }};
}

Job c_step_job(const std::string& name, const Matrix<float>& W0, const Matrix<float>& G,
               const polarkit_optimizer* opt) {
  return {name, [&W0, &G, opt] {
            Record r;
            const std::int64_t m = W0.rows();
            const std::int64_t n = W0.cols();
            Matrix<float> W = clone(W0);
            std::vector<float> M(static_cast<std::size_t>(m * n));
            for (int s = 0; s < 2; ++s) {
              double nu = 0.0;
              r.add("status" + std::to_string(s),
                    polarkit_optimizer_step_s(opt, m, n, W.data(), m, G.data(), m, M.data(), m, &nu));
              r.add("nu" + std::to_string(s), nu);
            }
            r.add("W", W);
            r.add("M", M);
            return r;
          }};
}

// Empties the host memory cache while the other threads take blocks from it and give them back.
Job release_job() {
  return {"release_cached_memory", [] {
            release_cached_memory();
            return Record{};
          }};
}

// ---- running them -----------------------------------------------------------------------------

// A failing C call whose message names this thread's own number.
std::string fail_with_own_message(int thread) {
  polarkit_polar_d(-1 - thread, 1, nullptr, 1, nullptr, 1, nullptr, 1, nullptr, nullptr);
  return polarkit_last_error();
}

struct ConcurrentRun {
  std::vector<std::vector<Record>> records;  ///< [thread][round · jobs + job]
  std::vector<std::string> last_error_problems;  ///< one per thread, "" when the check passed
};

// `threads` threads released together, each running every job `rounds` times, thread t starting
// at job 3t (so that different calls overlap), each checking that polarkit_last_error() still
// names its own failure after all its calls (successes do not clear it; other threads' failures
// must not reach it).
ConcurrentRun run_concurrently(const std::vector<Job>& jobs, int threads, int rounds) {
  const auto count = jobs.size();
  ConcurrentRun run;
  run.records.assign(static_cast<std::size_t>(threads),
                     std::vector<Record>(static_cast<std::size_t>(rounds) * count));
  run.last_error_problems.assign(static_cast<std::size_t>(threads), "");
  std::latch start(threads);
  {
    std::vector<std::jthread> pool;
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&, t] {
        const auto ut = static_cast<std::size_t>(t);
        start.arrive_and_wait();
        const std::string own = fail_with_own_message(t);
        const std::string expected = "m = " + std::to_string(-1 - t) + ",";
        if (own.find(expected) == std::string::npos) {
          run.last_error_problems[ut] = "first failure's message: " + own;
          return;
        }
        for (int round = 0; round < rounds; ++round) {
          for (std::size_t k = 0; k < count; ++k) {
            const std::size_t job = (k + 3 * ut + static_cast<std::size_t>(round)) % count;
            run.records[ut][static_cast<std::size_t>(round) * count + job] = run_job(jobs[job]);
          }
        }
        const std::string after = polarkit_last_error();
        if (after != own) run.last_error_problems[ut] = "was '" + own + "', now '" + after + "'";
      });
    }
  }  // joined
  return run;
}

// Every concurrent record against the serial one.
void expect_same_as_serial(const std::vector<Job>& jobs, const std::vector<Record>& serial,
                           const ConcurrentRun& run) {
  const std::size_t count = jobs.size();
  int differences = 0;
  for (std::size_t t = 0; t < run.records.size(); ++t) {
    EXPECT_EQ(run.last_error_problems[t], "") << "polarkit_last_error() of thread " << t;
    for (std::size_t slot = 0; slot < run.records[t].size(); ++slot) {
      const std::size_t job = slot % count;
      const std::string field = run.records[t][slot].first_difference(serial[job]);
      if (!field.empty() && ++differences <= 20) {
        ADD_FAILURE() << jobs[job].name << ", thread " << t << ", round " << slot / count
                      << ": differs from the serial call in " << field;
      }
    }
  }
  EXPECT_EQ(differences, 0);
}

// The serial reference: each job once on the calling thread, none of them failing.
std::vector<Record> run_serially(const std::vector<Job>& jobs) {
  std::vector<Record> records;
  for (const Job& job : jobs) {
    records.push_back(run_job(job));
    EXPECT_EQ(records.back().exception(), "") << job.name;
  }
  return records;
}

template <class T>
Matrix<T> conditioned(index_t m, index_t n, double kappa, std::uint64_t seed) {
  return testkit::with_singular_values<T>(m, n, testkit::geometric_spectrum(std::min(m, n), kappa),
                                          seed);
}

PolarOptions with_method(Method method) {
  PolarOptions o;
  o.method = method;
  return o;
}

// Sets BLAS's (process-wide) thread count for a scope and restores it.
class BlasThreads {
 public:
  explicit BlasThreads(int threads) : previous_(blas::threads()) {
    blas::set_threads(threads);
  }
  BlasThreads(const BlasThreads&) = delete;
  BlasThreads& operator=(const BlasThreads&) = delete;
  ~BlasThreads() { blas::set_threads(previous_); }

 private:
  int previous_;
};

// ---- the tests --------------------------------------------------------------------------------

// Eight threads, each making every call below once, each thread starting at another call, against
// one serial run of each. The matrices are small (n ≤ 64) so that the test takes seconds under
// ThreadSanitizer.
TEST(Concurrency, EightThreadsGetTheSerialResultsBitForBit) {
  const Matrix<double> d_tall = conditioned<double>(64, 48, 1e6, 1);
  const Matrix<double> d_square = conditioned<double>(40, 40, 1e10, 2);
  const Matrix<double> d_wide = conditioned<double>(30, 50, 1e3, 3);
  const Matrix<double> d_zolo = conditioned<double>(48, 48, 1e8, 4);
  const Matrix<float> f_square = testkit::gaussian<float>(48, 48, 5);
  const Matrix<float> f_tall = conditioned<float>(64, 32, 1e4, 6);
  const Matrix<float> f_wide = conditioned<float>(32, 48, 1e2, 7);
  const Matrix<float> f_muon = testkit::gaussian<float>(64, 64, 8);

  std::vector<Matrix<float>> f_batch;
  for (std::uint64_t i = 0; i < 4; ++i) {
    f_batch.push_back(conditioned<float>(32, 24, 10.0 * static_cast<double>(i + 1), 20 + i));
  }
  f_batch.emplace_back(32, 24);  // A = 0
  std::vector<Matrix<double>> d_batch;
  for (std::uint64_t i = 0; i < 3; ++i) d_batch.push_back(conditioned<double>(24, 24, 1e5, 30 + i));

  const Matrix<float> f_W = testkit::gaussian<float>(64, 32, 40);
  const Matrix<float> f_G = testkit::gaussian<float>(64, 32, 41);
  const Matrix<double> d_W = testkit::gaussian<double>(32, 48, 42);
  const Matrix<double> d_G = conditioned<double>(32, 48, 1e3, 43);
  std::vector<Matrix<float>> W_group;
  std::vector<Matrix<float>> G_group;
  for (std::uint64_t i = 0; i < 4; ++i) {
    W_group.push_back(testkit::gaussian<float>(32, 32, 50 + i));
    G_group.push_back(testkit::gaussian<float>(32, 32, 60 + i));
  }

  PolarOptions full;  // polar-express-adaptive with H and the backward error
  full.backward_error = true;
  PolarOptions muon = with_method(Method::muon);
  muon.steps = 5;
  PolarOptions spectral = with_method(Method::polar_express);
  spectral.scaling = Scaling::spectral;
  PolarOptions bf16;
  bf16.precision = Precision::bf16;
  bf16.refine = true;
  PolarOptions qdwh = with_method(Method::qdwh);
  qdwh.backward_error = true;

  optim::Config polargrad = optim::Config::polargrad();
  polargrad.nu = optim::Nu::nuclear;
  optim::Config spectral_lmo;
  spectral_lmo.kind = optim::Kind::spectral;

  polarkit_options* c_options = polarkit_options_new();
  ASSERT_NE(c_options, nullptr);
  ASSERT_EQ(polarkit_options_set(c_options, "method", "zolo"), 0);
  ASSERT_EQ(polarkit_options_set(c_options, "backward_error", "true"), 0);
  polarkit_optimizer* c_muon = polarkit_optimizer_new("muon");
  ASSERT_NE(c_muon, nullptr);
  ASSERT_EQ(polarkit_optimizer_set(c_muon, "lr", "0.02"), 0);

  const std::vector<Job> jobs = {
      polar_job("f64 polar-express-adaptive 64x48", d_tall, full),
      polar_job("f64 qdwh 40x40 kappa 1e10", d_square, qdwh),
      polar_job("f64 svd 30x50", d_wide, with_method(Method::svd)),
      polar_job("f64 auto 40x40", d_square, with_method(Method::automatic)),
      polar_job("f64 zolo 48x48", d_zolo, with_method(Method::zolo)),
      polar_job("f64 newton 64x48", d_tall, with_method(Method::newton)),
      polar_job("f32 polar-express-adaptive 48x48", f_square, PolarOptions{}),
      polar_job("f32 qdwh 64x32", f_tall, with_method(Method::qdwh)),
      polar_job("f32 svd 32x48", f_wide, with_method(Method::svd)),
      polar_job("f32 auto 64x32", f_tall, with_method(Method::automatic)),
      polar_job("f32 muon 5 steps 64x64", f_muon, muon),
      polar_job("f32 polar-express spectral scaling 32x48", f_wide, spectral),
      polar_job("f32 bf16 refined 64x32", f_tall, bf16),
      polar_into_job("f64 qdwh into row-major U 30x50", d_wide, qdwh),
      msign_job("f32 msign 48x48", f_square, PolarOptions{}),
      batched_job("f32 batch of 5 polar-express-adaptive 32x24", f_batch, PolarOptions{}),
      batched_job("f64 batch of 3 qdwh 24x24", d_batch, qdwh),
      step_job("f32 muon step x2 64x32", optim::Config{}, f_W, f_G, 2),
      step_job("f64 polargrad step x2 32x48", polargrad, d_W, d_G, 2),
      step_job("f64 spectral lmo step 32x48", spectral_lmo, d_W, d_G, 1),
      step_batched_job("f32 muon step of a group of 4 32x32", optim::Config{}, W_group, G_group),
      spectral_power_job("f64 spectral_power 0.3 40x40", d_square, 0.3),
      lmo_job("f32 colnorm lmo 64x32", optim::Kind::colnorm, f_G),
      c_polar_job("C polarkit_polar_d zolo 64x48", d_tall, c_options),
      c_step_job("C polarkit_optimizer_step_s muon x2 64x32", f_W, f_G, c_muon),
      release_job(),
  };

  const std::vector<Record> serial = run_serially(jobs);
  for (std::size_t k = 0; k + 1 < jobs.size(); ++k) {
    ASSERT_FALSE(serial[k].empty()) << jobs[k].name << " recorded nothing";
  }
  const ConcurrentRun run = run_concurrently(jobs, 8, 1);
  expect_same_as_serial(jobs, serial, run);

  polarkit_optimizer_free(c_muon);
  polarkit_options_free(c_options);
}

// With BLAS's thread count at least 2 (raised here where it is settable: the tsan preset starts
// OpenBLAS single-threaded), where OpenBLAS's results depend on the count (potrf from n = 64,
// gesdd from 48, some dgemm and gemv shapes; cpu_backend.cpp, for_each_item): nothing may change
// it under a solve. A batch must return what single calls return (its items once ran side by
// side with BLAS set to 1 thread, process-wide: U of these QDWH and SVD batches differed from
// single calls, and the spectral power map of the test above, run on other threads meanwhile,
// came out different from its serial run). The 576 × 512 solve spreads its O(n²) passes over
// threads of its own, from four callers at once.
TEST(Concurrency, MultiThreadedBlasBatchesAndSpreadPassesGetTheSerialResults) {
  if (blas::threads() == 0) GTEST_SKIP() << "BLAS without a settable thread count";
  const BlasThreads raised(std::max(blas::threads(), 2));
  ASSERT_GE(blas::threads(), 2);

  std::vector<Matrix<double>> qdwh_batch;
  for (std::uint64_t i = 0; i < 3; ++i) qdwh_batch.push_back(testkit::gaussian<double>(64, 64, 70 + i));
  std::vector<Matrix<double>> svd_batch;
  for (std::uint64_t i = 0; i < 3; ++i) svd_batch.push_back(testkit::gaussian<double>(48, 48, 80 + i));
  std::vector<Matrix<float>> f_batch;
  for (std::uint64_t i = 0; i < 4; ++i) {
    f_batch.push_back(conditioned<float>(48, 48, 10.0 * static_cast<double>(i + 1), 90 + i));
  }
  const Matrix<float> large = testkit::gaussian<float>(576, 512, 100);
  std::vector<Matrix<float>> W_group;
  std::vector<Matrix<float>> G_group;
  for (std::uint64_t i = 0; i < 4; ++i) {
    W_group.push_back(testkit::gaussian<float>(64, 32, 110 + i));
    G_group.push_back(testkit::gaussian<float>(64, 32, 120 + i));
  }
  PolarOptions muon = with_method(Method::muon);
  muon.steps = 5;

  const std::vector<Job> jobs = {
      batched_job("f64 batch of 3 qdwh 64x64", qdwh_batch, with_method(Method::qdwh)),
      batched_job("f64 batch of 3 svd 48x48", svd_batch, with_method(Method::svd)),
      batched_job("f32 batch of 4 polar-express-adaptive 48x48", f_batch, PolarOptions{}),
      polar_job("f32 muon 5 steps 576x512", large, muon),
      step_batched_job("f32 muon step of a group of 4 64x32", optim::Config{}, W_group, G_group),
  };
  const std::vector<Record> serial = run_serially(jobs);

  // The batches against single calls, item by item, in the batch's record format.
  const auto loop_of = [](const auto& A, const PolarOptions& o) {
    Record r;
    for (std::size_t i = 0; i < A.size(); ++i) {
      const auto single = polar(A[i], o);
      const std::string item = "[" + std::to_string(i) + "]";
      r.add("U" + item, single.U);
      r.add("H" + item, single.H);
      r.add("info" + item, single.info);
    }
    return r;
  };
  EXPECT_EQ(serial[0].first_difference(loop_of(qdwh_batch, with_method(Method::qdwh))), "")
      << jobs[0].name << " against single calls";
  EXPECT_EQ(serial[1].first_difference(loop_of(svd_batch, with_method(Method::svd))), "")
      << jobs[1].name << " against single calls";
  EXPECT_EQ(serial[2].first_difference(loop_of(f_batch, PolarOptions{})), "")
      << jobs[2].name << " against single calls";

  const ConcurrentRun run = run_concurrently(jobs, 4, 1);
  expect_same_as_serial(jobs, serial, run);
}

}  // namespace
}  // namespace polarkit

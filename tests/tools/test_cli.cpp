// test_cli.cpp — the `polarkit` command-line program, run as a child process: bad input gives
// one line on stderr, exit status 2 and no output file; good input gives U and H that satisfy
// the polar identities, a complete JSON report, and a sweep table, CSV and plot.
//
// The program is found beside this test's build directory (build/<preset>/tools/polarkit for
// build/<preset>/tests/test_cli), or at $POLARKIT_CLI. A missing program fails every test.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "polarkit/device.hpp"
#include "polarkit/io.hpp"
#include "polarkit/matrix.hpp"
#include "polarkit/options.hpp"
#include "testkit/accuracy.hpp"
#include "testkit/matrices.hpp"
#include "testkit/npy_bytes.hpp"
#include "testkit/random.hpp"

namespace fs = std::filesystem;
namespace io = polarkit::io;
using polarkit::index_t;
using polarkit::Matrix;
using polarkit::MatrixView;

namespace {

fs::path program_path() {
  if (const char* env = std::getenv("POLARKIT_CLI"); env != nullptr && *env != '\0') return env;
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  return self.parent_path().parent_path() / "tools" / "polarkit";
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_file(const fs::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << p;
}

using polarkit::testkit::npy_bytes;
using polarkit::testkit::raw;

struct Outcome {
  int status = -1;
  std::string out;
  std::string err;
};

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> result;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) result.push_back(line);
  return result;
}

class cli : public ::testing::Test {
 protected:
  void SetUp() override {
    program_ = program_path();
    ASSERT_TRUE(fs::exists(program_))
        << "the polarkit program was not found at " << program_
        << " (build the polarkit_cli target, or set POLARKIT_CLI)";
    std::random_device seed;
    for (int attempt = 0; attempt < 100 && dir_.empty(); ++attempt) {
      const fs::path candidate =
          fs::temp_directory_path() / ("polarkit_test_cli_" + std::to_string(seed()));
      if (fs::create_directory(candidate)) dir_ = candidate;
    }
    ASSERT_FALSE(dir_.empty()) << "cannot create a temporary directory";
  }
  void TearDown() override {
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }

  [[nodiscard]] std::string path(const std::string& name) const { return (dir_ / name).string(); }

  /// Runs the program with args (stdout and stderr captured through files in the directory).
  Outcome run(const std::vector<std::string>& args) const {
    const std::string out_path = (dir_ / ".stdout").string();
    const std::string err_path = (dir_ / ".stderr").string();
    std::vector<std::string> argv_strings{program_.string()};
    argv_strings.insert(argv_strings.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& s : argv_strings) argv.push_back(s.data());
    argv.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t pid = 0;
    const int spawned = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    Outcome outcome;
    if (spawned != 0) {
      outcome.err = std::string("posix_spawn failed: ") + std::strerror(spawned);
      return outcome;
    }
    int wstatus = 0;
    while (waitpid(pid, &wstatus, 0) < 0) {
      if (errno != EINTR) return outcome;
    }
    outcome.status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
    outcome.out = read_file(out_path);
    outcome.err = read_file(err_path);
    std::error_code ec;
    fs::remove(out_path, ec);
    fs::remove(err_path, ec);
    return outcome;
  }

  /// The names in the temporary directory.
  [[nodiscard]] std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir_)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }

  /// Runs `polarkit polar INPUT --u U.npy --h H.npy extra...` and expects failure: status 2,
  /// one line "polarkit: ...phrase..." on stderr, nothing on stdout, no file created.
  void expect_polar_fails(const std::string& input, const std::vector<std::string>& extra,
                          const std::string& phrase) {
    const std::vector<std::string> before = entries();
    std::vector<std::string> args{"polar", input, "--u", path("U.npy"), "--h", path("H.npy")};
    args.insert(args.end(), extra.begin(), extra.end());
    expect_fails(args, phrase);
    EXPECT_EQ(entries(), before) << "a file was created or removed";
  }

  void expect_fails(const std::vector<std::string>& args, const std::string& phrase) {
    const Outcome r = run(args);
    EXPECT_EQ(r.status, 2) << "stderr: " << r.err;
    const std::vector<std::string> err_lines = lines(r.err);
    ASSERT_EQ(err_lines.size(), 1U) << "stderr: " << r.err;
    EXPECT_EQ(err_lines[0].rfind("polarkit: ", 0), 0U) << err_lines[0];
    EXPECT_NE(err_lines[0].find(phrase), std::string::npos)
        << "message: " << err_lines[0] << "\nexpected to contain: " << phrase;
    EXPECT_EQ(r.out, "") << "stdout: " << r.out;
  }

  /// A well-conditioned m × n test matrix (σ linear from 1 to 1/10), written as .npy.
  template <class T>
  Matrix<T> write_matrix(const std::string& name, index_t m, index_t n) {
    const std::vector<double> sigma = polarkit::testkit::linear_spectrum(std::min(m, n), 10.0);
    Matrix<T> A = polarkit::testkit::with_singular_values<T>(m, n, sigma, 42);
    io::write_npy(path(name), A);
    return A;
  }

  fs::path program_;
  fs::path dir_;
};

template <class T>
Matrix<double> as_double(const Matrix<T>& A) {
  Matrix<double> D(A.rows(), A.cols());
  for (index_t j = 0; j < A.cols(); ++j) {
    for (index_t i = 0; i < A.rows(); ++i) D(i, j) = static_cast<double>(A(i, j));
  }
  return D;
}

/// U and H read back from the files satisfy UᵀU = I (UUᵀ = I when wide) and A = U·H to
/// 100·n·ε of the computation's precision.
void expect_polar_factors(const Matrix<double>& A, const io::DenseFile& U, const io::DenseFile& H,
                          io::DType dtype) {
  const index_t m = A.rows();
  const index_t n = A.cols();
  EXPECT_EQ(U.dtype, dtype);
  EXPECT_EQ(H.dtype, dtype);
  ASSERT_EQ(U.values.rows(), m);
  ASSERT_EQ(U.values.cols(), n);
  ASSERT_EQ(H.values.rows(), n);
  ASSERT_EQ(H.values.cols(), n);
  const double eps = dtype == io::DType::f32 ? std::numeric_limits<float>::epsilon()
                                             : std::numeric_limits<double>::epsilon();
  const double tol = 100.0 * static_cast<double>(std::max(m, n)) * eps;
  EXPECT_LT(polarkit::testkit::orthogonality_fro<double>(U.values.view()), tol);
  EXPECT_LT(polarkit::testkit::backward_error<double>(A.view(), U.values.view(), H.values.view()), tol);
}

// --- bad input -----------------------------------------------------------------------------------

TEST_F(cli, MissingFile) {
  expect_polar_fails(path("absent.npy"), {}, "cannot open file");
}

TEST_F(cli, ThreeDimensionalArray) {
  const std::vector<double> data(2 * 3 * 4, 1.0);
  write_file(path("cube.npy"),
             npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3, 4), }", raw(data)));
  expect_polar_fails(path("cube.npy"), {}, "2-D");
}

TEST_F(cli, IntegerDtype) {
  const std::vector<std::int32_t> data(3 * 3, 1);
  write_file(path("int.npy"),
             npy_bytes("{'descr': '<i4', 'fortran_order': False, 'shape': (3, 3), }", raw(data)));
  expect_polar_fails(path("int.npy"), {}, "unsupported dtype");
}

TEST_F(cli, TruncatedFile) {
  const std::vector<double> data(3 * 3 - 1, 1.0);  // one value short
  write_file(path("short.npy"),
             npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (3, 3), }", raw(data)));
  expect_polar_fails(path("short.npy"), {}, "truncated");
}

TEST_F(cli, NaNEntry) {
  std::vector<double> data(4 * 3, 0.5);
  data[7] = std::numeric_limits<double>::quiet_NaN();  // C order: row 2, column 1
  write_file(path("nan.npy"),
             npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (4, 3), }", raw(data)));
  expect_polar_fails(path("nan.npy"), {}, "NaN at row 2, column 1");
}

TEST_F(cli, InfEntry) {
  std::vector<float> data(3 * 3, 0.5F);
  data[0] = -std::numeric_limits<float>::infinity();
  write_file(path("inf.npy"),
             npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 3), }", raw(data)));
  expect_polar_fails(path("inf.npy"), {}, "Inf");
}

TEST_F(cli, ValueOverflowsFloat) {
  std::vector<double> data(3 * 2, 0.5);
  data[1] = 1e300;
  write_file(path("big.npy"),
             npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }", raw(data)));
  expect_polar_fails(path("big.npy"), {"--dtype", "f32"}, "overflows --dtype f32");
}

TEST_F(cli, UnknownMethod) {
  write_matrix<double>("A.npy", 5, 3);
  expect_polar_fails(path("A.npy"), {"--method", "bogus"}, "unknown method 'bogus'");
}

// Without a usable GPU both commands stop with the reason ("no CUDA device: …", or that the CUDA
// backend is not compiled in) before writing anything; with one, the program's U and H from the
// device are polar factors to the same bars as the CPU's.
TEST_F(cli, CudaDeviceRunsOnTheGpuOrSaysWhyNot) {
  const Matrix<double> A = write_matrix<double>("A.npy", 30, 20);
  if (polarkit::cuda_device_count() == 0) {
    expect_polar_fails(path("A.npy"), {"--device", "cuda"}, "CUDA");
    expect_fails({"sweep", "--n", "8", "--device", "cuda"}, "CUDA");
    return;
  }
  const Outcome r = run({"polar", path("A.npy"), "--device", "cuda", "--u", path("U.npy"), "--h",
                         path("H.npy")});
  ASSERT_EQ(r.status, 0) << r.err;
  expect_polar_factors(A, io::read_matrix(path("U.npy")), io::read_matrix(path("H.npy")),
                       io::DType::f64);
  const Outcome sweep = run({"sweep", "--n", "16", "--kappa", "1,1e4", "--device", "cuda"});
  EXPECT_EQ(sweep.status, 0) << sweep.err;
}

TEST_F(cli, CommandLineErrors) {
  write_matrix<double>("A.npy", 5, 3);
  expect_polar_fails(path("A.npy"), {"--max-iter", "many"}, "--max-iter");
  expect_polar_fails(path("A.npy"), {"--dtype", "f16"}, "--dtype");
  expect_polar_fails(path("A.npy"), {"--no-such-option"}, "--no-such-option");
  expect_polar_fails(path("A.npy"), {"--tol", "2"}, "tol");  // rejected by the library
  expect_fails({}, "subcommand");
  expect_fails({"factorise"}, "unknown subcommand 'factorise'");
  expect_fails({"polar"}, "INPUT");
}

TEST_F(cli, SameFileForUAndH) {
  write_matrix<double>("A.npy", 5, 3);
  const std::vector<std::string> before = entries();
  expect_fails({"polar", path("A.npy"), "--u", path("X.npy"), "--h", path("X.npy")}, "same file");
  EXPECT_EQ(entries(), before);
}

TEST_F(cli, OutputDirectoryMissing) {
  write_matrix<double>("A.npy", 5, 3);
  const std::vector<std::string> before = entries();
  expect_fails({"polar", path("A.npy"), "--u", path("U.npy"), "--h", path("no/such/dir/H.npy")},
               "does not exist");
  EXPECT_EQ(entries(), before) << "U.npy must not be written when H.npy cannot be";
}

TEST_F(cli, HelpExitsZero) {
  const Outcome r = run({"polar", "--help"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("--method"), std::string::npos) << r.out;
}

// --- polar -------------------------------------------------------------------------------------

TEST_F(cli, PolarDoubleWritesUAndH) {
  const Matrix<double> A = write_matrix<double>("A.npy", 9, 6);
  const Outcome r = run({"polar", path("A.npy"), "--u", path("U.npy"), "--h", path("H.npy")});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_NE(r.out.find("converged"), std::string::npos) << r.out;
  expect_polar_factors(A, io::read_npy(path("U.npy")), io::read_npy(path("H.npy")), io::DType::f64);
}

TEST_F(cli, PolarFloatWritesUAndH) {
  const Matrix<float> A = write_matrix<float>("A.npy", 8, 5);
  const Outcome r = run({"polar", path("A.npy"), "--u", path("U.npy"), "--h", path("H.npy")});
  ASSERT_EQ(r.status, 0) << r.err;
  expect_polar_factors(as_double(A), io::read_npy(path("U.npy")), io::read_npy(path("H.npy")),
                       io::DType::f32);
}

TEST_F(cli, PolarEveryMethodAndWideInput) {
  const Matrix<double> A = write_matrix<double>("A.npy", 4, 7);  // wide: UUᵀ = I
  for (const char* method : {"svd", "newton-schulz", "quintic", "polar-express", "polar-express-adaptive",
                             "newton", "qdwh", "zolo", "auto"}) {
    SCOPED_TRACE(method);
    const Outcome r = run({"polar", path("A.npy"), "--method", method, "--u", path("U.npy"), "--h",
                           path("H.npy")});
    ASSERT_EQ(r.status, 0) << r.err;
    expect_polar_factors(A, io::read_npy(path("U.npy")), io::read_npy(path("H.npy")), io::DType::f64);
  }
}

TEST_F(cli, DtypeOptionConverts) {
  const Matrix<double> A = write_matrix<double>("A64.npy", 6, 4);
  ASSERT_EQ(run({"polar", path("A64.npy"), "--dtype", "f32", "--u", path("U.npy"), "--h", path("H.npy")}).status, 0);
  expect_polar_factors(A, io::read_npy(path("U.npy")), io::read_npy(path("H.npy")), io::DType::f32);

  const Matrix<float> B = write_matrix<float>("A32.npy", 6, 4);
  ASSERT_EQ(run({"polar", path("A32.npy"), "--dtype", "f64", "--u", path("V.npy"), "--h", path("G.npy")}).status, 0);
  expect_polar_factors(as_double(B), io::read_npy(path("V.npy")), io::read_npy(path("G.npy")),
                       io::DType::f64);
}

TEST_F(cli, OnlyRequestedOutputsAreWritten) {
  write_matrix<double>("A.npy", 6, 4);
  const Outcome r = run({"polar", path("A.npy"), "--u", path("U.npy")});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(fs::exists(path("U.npy")));
  EXPECT_FALSE(fs::exists(path("H.npy")));
  EXPECT_EQ(entries(), (std::vector<std::string>{"A.npy", "U.npy"})) << "stray temporary files";
}

TEST_F(cli, ReducedPrecisionStepsAreMarkedAndRefined) {
  const Matrix<float> A = polarkit::testkit::gaussian<float>(40, 30, 8);
  io::write_npy(path("A.npy"), A);
  const Outcome r = run({"polar", path("A.npy"), "--precision", "bf16", "--refine", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  const std::string steps = j["steps"];
  EXPECT_EQ(steps.front(), 'L') << steps;
  EXPECT_EQ(steps.back(), 'P') << steps;
  EXPECT_EQ(j["converged"], true);
  EXPECT_LT(j["ortho_error"].get<double>(), 100.0 * 30 * std::numeric_limits<float>::epsilon());
  const Outcome bad = run({"polar", path("A.npy"), "--precision", "bf16", "--method", "qdwh"});
  EXPECT_NE(bad.status, 0);
  EXPECT_NE(bad.err.find("precision 'bf16'"), std::string::npos) << bad.err;
}

TEST_F(cli, JsonReportHasEveryField) {
  const index_t m = 10;
  const index_t n = 6;
  const std::vector<double> sigma = polarkit::testkit::linear_spectrum(n, 100.0);
  const Matrix<double> A = polarkit::testkit::with_singular_values<double>(m, n, sigma, 7);
  io::write_npy(path("A.npy"), A);
  const Outcome r = run({"polar", path("A.npy"), "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  nlohmann::json j;
  ASSERT_NO_THROW(j = nlohmann::json::parse(r.out)) << r.out;
  for (const char* key :
       {"method", "iterations", "converged", "ortho_error", "ortho_error_history",
        "ortho_error_2_history", "backward_error", "scale", "lower_bound", "cond_estimate",
        "nuclear_norm", "seconds", "m", "n", "dtype", "flops", "products", "zero_input",
        "method_used", "steps", "rank"}) {
    EXPECT_TRUE(j.contains(key)) << "missing " << key << " in " << r.out;
  }
  EXPECT_EQ(j["method"], "polar-express-adaptive");
  EXPECT_EQ(j["method_used"], "polar-express-adaptive");
  EXPECT_EQ(j["dtype"], "f64");
  EXPECT_EQ(j["m"], m);
  EXPECT_EQ(j["n"], n);
  EXPECT_EQ(j["converged"], true);
  EXPECT_EQ(j["zero_input"], false);
  EXPECT_EQ(j["rank"], n);
  const int iterations = j["iterations"].get<int>();
  EXPECT_GT(iterations, 0);
  EXPECT_EQ(j["steps"], std::string(static_cast<std::size_t>(iterations), 'P'));
  ASSERT_TRUE(j["ortho_error_history"].is_array());
  EXPECT_EQ(j["ortho_error_history"].size(), static_cast<std::size_t>(iterations) + 1);
  EXPECT_EQ(j["ortho_error_2_history"].size(), static_cast<std::size_t>(iterations) + 1);
  const double eps = std::numeric_limits<double>::epsilon();
  ASSERT_TRUE(j["backward_error"].is_number()) << r.out;
  EXPECT_LT(j["backward_error"].get<double>(), 100.0 * m * eps);
  EXPECT_LT(j["ortho_error"].get<double>(), 100.0 * m * eps);
  double nuclear = 0.0;
  for (const double s : sigma) nuclear += s;
  EXPECT_NEAR(j["nuclear_norm"].get<double>(), nuclear, 1e-12 * nuclear);
  EXPECT_GT(j["scale"].get<double>(), 0.0);
  EXPECT_GT(j["lower_bound"].get<double>(), 0.0);
  EXPECT_GT(j["cond_estimate"].get<double>(), 1.0);
  EXPECT_GE(j["seconds"].get<double>(), 0.0);
  EXPECT_GT(j["flops"].get<double>(), 0.0);
  EXPECT_GT(j["products"].get<int>(), 0);
}

// Outputs are compared by file identity, with each other and with the input: "X.npy" and
// "./X.npy" are one file (U was lost), --u naming the input replaced it, and an empty name
// was silently ignored. Each is refused with exit 2, nothing written, the input intact.
TEST_F(cli, OutputsNeverOverwriteEachOtherOrTheInput) {
  io::write_npy(path("A.npy"), polarkit::testkit::gaussian<double>(6, 4, 5));
  const std::string input = read_file(path("A.npy"));
  expect_fails({"polar", path("A.npy"), "--u", path("X.npy"), "--h", path("./X.npy")},
               "--u and --h name the same file");
  expect_fails({"polar", path("A.npy"), "--u", path("./A.npy")}, "the input and --u name the same file");
  expect_fails({"polar", path("A.npy"), "--h", path("sub/../A.npy")}, "does not exist");
  fs::create_directory(path("sub"));
  expect_fails({"polar", path("A.npy"), "--h", path("sub/../A.npy")},
               "the input and --h name the same file");
  expect_fails({"polar", path("A.npy"), "--u", ""}, "empty file name");
  expect_fails({"sweep", "--n", "8", "--csv", ""}, "empty file name");
  EXPECT_EQ(read_file(path("A.npy")), input);
  EXPECT_FALSE(fs::exists(path("X.npy")));
}

// A budget of 1e9 steps is refused before any work (it ran for hours), exit 2, one line.
TEST_F(cli, HugeIterationBudgetsAreRefused) {
  io::write_npy(path("A.npy"), polarkit::testkit::gaussian<double>(8, 6, 4));
  for (const char* flag : {"--steps", "--max-iter"}) {
    const Outcome r = run({"polar", path("A.npy"), flag, "1000000000"});
    EXPECT_EQ(r.status, 2) << flag;
    EXPECT_NE(r.err.find("must be in ["), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("1000]"), std::string::npos) << r.err;
  }
}

// An optimizer's fixed budget from the command line: no 2-norm estimate between X₀ and U
// (--no-two-norm), and U not measured (--no-measure-result: its orthogonality is null). U is
// the same bit for bit as the fully measured run.
TEST_F(cli, FixedBudgetFlagsSkipTheMeasurementsOnly) {
  const Matrix<float> A = polarkit::testkit::gaussian<float>(40, 30, 9);
  io::write_npy(path("A.npy"), A);
  const auto solve = [&](std::vector<std::string> extra, const std::string& u) {
    std::vector<std::string> args{"polar", path("A.npy"), "--method", "polar-express",
                                  "--steps", "5", "--json", "--u", path(u)};
    args.insert(args.end(), extra.begin(), extra.end());
    const Outcome r = run(args);
    EXPECT_EQ(r.status, 0) << r.err;
    return nlohmann::json::parse(r.out);
  };
  const nlohmann::json full = solve({}, "U_full.npy");
  const nlohmann::json ends = solve({"--no-two-norm"}, "U_ends.npy");
  const nlohmann::json lean = solve({"--no-two-norm", "--no-measure-result"}, "U_lean.npy");
  for (const auto& two : full["ortho_error_2_history"]) EXPECT_TRUE(two.is_number());
  const auto& middle = ends["ortho_error_2_history"];
  ASSERT_EQ(middle.size(), 6U);
  EXPECT_TRUE(middle.front().is_number());
  EXPECT_TRUE(middle.back().is_number());
  for (std::size_t i = 1; i + 1 < middle.size(); ++i) EXPECT_TRUE(middle[i].is_null()) << i;
  EXPECT_TRUE(full["ortho_error"].is_number());
  EXPECT_TRUE(lean["ortho_error"].is_null());
  EXPECT_EQ(read_file(path("U_full.npy")), read_file(path("U_ends.npy")));
  EXPECT_EQ(read_file(path("U_full.npy")), read_file(path("U_lean.npy")));
}

// auto reports what it ran; the rational methods report their kinds of step.
TEST_F(cli, JsonReportsMethodUsedAndSteps) {
  const index_t n = 12;
  const auto solve = [&](const std::string& file, double kappa, const std::string& method) {
    const std::vector<double> sigma = polarkit::testkit::linear_spectrum(n, kappa);
    io::write_npy(path(file), polarkit::testkit::with_singular_values<double>(n + 3, n, sigma, 5));
    const Outcome r = run({"polar", path(file), "--method", method, "--json"});
    EXPECT_EQ(r.status, 0) << r.err;
    return nlohmann::json::parse(r.out);
  };
  const nlohmann::json hard = solve("hard.npy", 1e4, "auto");
  EXPECT_EQ(hard["method"], "auto");
  EXPECT_EQ(hard["method_used"], "qdwh");
  const std::string steps = hard["steps"].get<std::string>();
  EXPECT_EQ(steps.size(), hard["iterations"].get<std::size_t>());
  EXPECT_EQ(steps.find_first_not_of("QKC"), std::string::npos) << steps;
  EXPECT_EQ(steps.front(), 'K') << steps;  // κ = 1e4: c ≈ 5e5, a Cholesky QR step at n = 12
  EXPECT_EQ(steps.back(), 'C') << steps;

  // κ = 1e12 would need Householder QR steps: the SVD, then one Newton–Schulz step.
  const nlohmann::json harder = solve("harder.npy", 1e12, "auto");
  EXPECT_EQ(harder["method_used"], "svd");
  EXPECT_EQ(harder["steps"], "P");

  const nlohmann::json easy = solve("easy.npy", 1.0, "auto");
  EXPECT_EQ(easy["method_used"], "polar-express-adaptive");
  const std::string easy_steps = easy["steps"].get<std::string>();
  EXPECT_EQ(easy_steps.find_first_not_of('P'), std::string::npos) << easy_steps;

  const nlohmann::json zolo = solve("zolo.npy", 1e8, "zolo");
  EXPECT_EQ(zolo["method_used"], "zolo");
  EXPECT_EQ(zolo["steps"], std::string(zolo["iterations"].get<std::size_t>(), 'Z'));
  const nlohmann::json svd = solve("svd.npy", 1e8, "svd");
  EXPECT_EQ(svd["method_used"], "svd");
  EXPECT_EQ(svd["steps"], "");
}

TEST_F(cli, JsonPrintsNonFiniteAsNull) {
  // A = 0: U = 0, H = 0, and κ is infinite, which JSON cannot hold.
  io::write_npy(path("zero.npy"), Matrix<double>(4, 3));
  const Outcome r = run({"polar", path("zero.npy"), "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["zero_input"], true);
  EXPECT_TRUE(j["cond_estimate"].is_null()) << r.out;
}

TEST_F(cli, FixedStepBudget) {
  write_matrix<double>("A.npy", 8, 8);
  const Outcome r = run({"polar", path("A.npy"), "--method", "muon", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["iterations"], 5);  // Muon's default budget
  const Outcome s = run({"polar", path("A.npy"), "--method", "newton-schulz", "--steps", "3", "--json"});
  ASSERT_EQ(s.status, 0) << s.err;
  const nlohmann::json j = nlohmann::json::parse(s.out);
  EXPECT_EQ(j["iterations"], 3);
  EXPECT_EQ(j["method"], "newton-schulz");
}

TEST_F(cli, MatrixMarketInput) {
  // 4 × 3, coordinate format, 1-based; the missing entries are zero.
  write_file(path("A.mtx"),
             "%%MatrixMarket matrix coordinate real general\n"
             "% a comment\n"
             "4 3 6\n"
             "1 1 2.0\n"
             "2 2 3.0\n"
             "3 3 -1.5\n"
             "4 1 0.5\n"
             "1 3 0.25\n"
             "4 2 1.0\n");
  const Outcome r = run({"polar", path("A.mtx"), "--json", "--u", path("U.npy"), "--h", path("H.npy")});
  ASSERT_EQ(r.status, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["m"], 4);
  EXPECT_EQ(j["n"], 3);
  EXPECT_EQ(j["dtype"], "f64");
  Matrix<double> A(4, 3);
  A(0, 0) = 2.0;
  A(1, 1) = 3.0;
  A(2, 2) = -1.5;
  A(3, 0) = 0.5;
  A(0, 2) = 0.25;
  A(3, 1) = 1.0;
  expect_polar_factors(A, io::read_npy(path("U.npy")), io::read_npy(path("H.npy")), io::DType::f64);
}

// --- sweep -------------------------------------------------------------------------------------

std::vector<std::string> split(const std::string& line, char sep) {
  std::vector<std::string> fields;
  std::string field;
  std::istringstream in(line);
  while (std::getline(in, field, sep)) fields.push_back(field);
  return fields;
}

const std::vector<std::string>& default_sweep_methods() {
  static const std::vector<std::string> methods{
      "svd",    "newton-schulz", "quintic", "polar-express", "polar-express-adaptive",
      "newton", "qdwh",          "zolo",    "auto"};
  return methods;
}

bool is_newton_schulz_family(const std::string& method) {
  return polarkit::is_newton_schulz(polarkit::parse_method(method));
}

/// A sweep CSV file: the header and one map column → field per row.
struct SweepCsv {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;

  [[nodiscard]] std::size_t column(const std::string& name) const {
    const auto it = std::find(header.begin(), header.end(), name);
    EXPECT_NE(it, header.end()) << "no column " << name;
    return static_cast<std::size_t>(it - header.begin());
  }
  [[nodiscard]] const std::string& text(std::size_t row, const std::string& name) const {
    return rows[row][column(name)];
  }
  [[nodiscard]] double number(std::size_t row, const std::string& name) const {
    return std::stod(text(row, name));
  }
};

SweepCsv read_sweep_csv(const std::string& path) {
  SweepCsv csv;
  const std::vector<std::string> all = lines(read_file(path));
  if (all.empty()) return csv;
  csv.header = split(all[0], ',');
  for (std::size_t i = 1; i < all.size(); ++i) {
    std::vector<std::string> f = split(all[i], ',');
    if (!all[i].empty() && all[i].back() == ',') f.emplace_back();  // an empty last field
    csv.rows.push_back(f);
  }
  return csv;
}

constexpr const char* sweep_csv_header =
    "spectrum,kappa,dtype,m,n,method,iterations,products,flops,converged,ortho_eps,"
    "backward_eps,forward_error,cond_estimate,seconds,method_used,steps,precision,seed,tol,"
    "max_iter,refine,device";

/// Every row: as many fields as the header, steps one StepKind letter per iteration (and the
/// letters the method can take), method_used the method itself except for auto.
void expect_consistent_rows(const SweepCsv& csv) {
  for (std::size_t i = 0; i < csv.rows.size(); ++i) {
    ASSERT_EQ(csv.rows[i].size(), csv.header.size()) << "row " << i;
    const std::string method = csv.text(i, "method");
    const std::string used = csv.text(i, "method_used");
    const std::string steps = csv.text(i, "steps");
    SCOPED_TRACE(method + " at kappa " + csv.text(i, "kappa") + ", " + csv.text(i, "spectrum"));
    EXPECT_EQ(steps.size(), static_cast<std::size_t>(std::stoi(csv.text(i, "iterations"))))
        << "steps '" << steps << "'";
    if (method != "auto") {
      EXPECT_EQ(used, method);
    }
    std::string allowed;  // the kinds of step each method may take
    if (used == "qdwh") allowed = "QKC";
    if (used == "zolo") allowed = "Z";
    if (used == "newton") allowed = "NP";  // scaled Newton, then a Newton–Schulz tail
    if (used == "svd") allowed = method == "auto" ? "P" : "";  // auto refines the SVD's U
    if (is_newton_schulz_family(used)) allowed = csv.text(i, "precision") == "working" ? "P" : "LP";
    EXPECT_EQ(steps.find_first_not_of(allowed), std::string::npos)
        << "steps '" << steps << "' of " << used;
    if (used == "qdwh") {  // QR steps first (Householder, then Cholesky QR), then Cholesky steps
      EXPECT_EQ(steps.find_first_of("QK", steps.find('C') == std::string::npos ? steps.size() : steps.find('C')),
                std::string::npos)
          << steps;
      EXPECT_EQ(steps.find('Q', steps.find('K') == std::string::npos ? steps.size() : steps.find('K')),
                std::string::npos)
          << steps;
    }
  }
}

TEST_F(cli, SweepInReducedPrecisionMarksAndRefinesTheNewtonSchulzRows) {
  const Outcome r = run({"sweep", "--n", "24", "--dtype", "f32", "--kappa", "1,1e2", "--spectrum",
                         "geometric", "--methods", "polar-express-adaptive,qdwh", "--precision",
                         "bf16", "--refine", "--csv", path("bf16.csv")});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("iterate in bf16"), std::string::npos) << r.out;
  const SweepCsv csv = read_sweep_csv(path("bf16.csv"));
  ASSERT_EQ(csv.rows.size(), 4U);
  expect_consistent_rows(csv);
  for (std::size_t i = 0; i < csv.rows.size(); ++i) {
    const bool ns = csv.text(i, "method") == "polar-express-adaptive";
    EXPECT_EQ(csv.text(i, "precision"), ns ? "bf16" : "working");
    EXPECT_EQ(csv.text(i, "converged"), "true");
    if (ns) {
      EXPECT_EQ(csv.text(i, "steps").front(), 'L');
      EXPECT_EQ(csv.text(i, "steps").back(), 'P');
      EXPECT_LE(csv.number(i, "ortho_eps"), 5.0);  // the refinement's bar, 10·u_f32 = 5ε
    }
  }
  EXPECT_NE(run({"sweep", "--n", "8", "--precision", "tf32"}).status, 0) << "tf32 needs f32";
}

TEST_F(cli, SweepWritesTableAndCsv) {
  const index_t n = 16;
  const Outcome r = run({"sweep", "--n", std::to_string(n), "--kappa", "1,1e4", "--spectrum",
                         "geometric", "--csv", path("sweep.csv"), "--plot", path("sweep.svg")});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_NE(r.out.find("geometric spectrum, kappa = 1\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("geometric spectrum, kappa = 10000\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" steps "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" used\n"), std::string::npos) << r.out;
  for (const std::string& method : default_sweep_methods()) {
    EXPECT_NE(r.out.find("  " + method + " "), std::string::npos) << method << "\n" << r.out;
  }
  EXPECT_EQ(r.out.find("  muon "), std::string::npos) << "muon runs only when asked\n" << r.out;

  const SweepCsv csv = read_sweep_csv(path("sweep.csv"));
  EXPECT_EQ(lines(read_file(path("sweep.csv"))).at(0), sweep_csv_header);
  ASSERT_EQ(csv.rows.size(), 2U * default_sweep_methods().size()) << "one row per (kappa, method)";
  expect_consistent_rows(csv);
  const double sqrt_n = std::sqrt(static_cast<double>(n));
  for (std::size_t i = 0; i < csv.rows.size(); ++i) {
    SCOPED_TRACE(lines(read_file(path("sweep.csv"))).at(i + 1));
    EXPECT_EQ(csv.text(i, "spectrum"), "geometric");
    EXPECT_EQ(csv.text(i, "dtype"), "f64");
    EXPECT_EQ(csv.text(i, "m"), std::to_string(n));
    EXPECT_EQ(csv.text(i, "n"), std::to_string(n));
    // What reproduces the run from the CSV alone.
    EXPECT_EQ(csv.text(i, "seed"), "1");
    EXPECT_EQ(csv.text(i, "tol"), "0");
    EXPECT_EQ(csv.text(i, "max_iter"), "300");
    EXPECT_EQ(csv.text(i, "refine"), "false");
    EXPECT_EQ(csv.text(i, "device"), "cpu");
    const double kappa = csv.number(i, "kappa");
    EXPECT_TRUE(kappa == 1.0 || kappa == 1e4);
    const std::string method = csv.text(i, "method");
    EXPECT_EQ(csv.text(i, "converged"), "true");
    const double forward = csv.number(i, "forward_error");
    const int iterations = std::stoi(csv.text(i, "iterations"));
    EXPECT_LT(csv.number(i, "ortho_eps"), 3.0 * sqrt_n);
    EXPECT_LT(csv.number(i, "backward_eps"), 10.0 * static_cast<double>(n));
    EXPECT_GE(csv.number(i, "seconds"), 0.0);
    if (method == "svd") {
      EXPECT_EQ(iterations, 0);
      EXPECT_EQ(forward, 0.0);
    } else {
      EXPECT_GT(iterations, 0);
      EXPECT_LT(iterations, 100);
      EXPECT_GT(csv.number(i, "flops"), 0.0);
      EXPECT_LT(forward, 1e-9);  // the polar factor is well conditioned at κ ≤ 1e4
    }
  }

  const std::string svg = read_file(path("sweep.svg"));
  EXPECT_EQ(svg.rfind("<?xml", 0), 0U);
  EXPECT_NE(svg.find("<svg"), std::string::npos);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  EXPECT_NE(svg.find("polar-express-adaptive"), std::string::npos);
  EXPECT_NE(svg.find("backward error"), std::string::npos);
}

/// The accuracy bars of docs/accuracy.md, re-checked on the numbers of a sweep's CSV; ortho_eps and
/// backward_eps are in units of the dtype's ε, n is the CSV's own.
///  - qdwh: orthogonality and backward error ≤ 13ε; iterations ≤ 6, ≤ 4 when κ ≤ 10
///    (float: ≤ 5);
///  - zolo: the same accuracy bars in ≤ 2 iterations;
///  - newton: orthogonality and backward error ≤ 3√n·ε in ≤ 9 iterations;
///  - svd (the reference): ≤ 3√n·ε;
///  - auto: the bars of the method it ran when that is qdwh; a Newton–Schulz method is at most
///    3√n·ε off, with orthogonality ≤ 13ε;
///  - every method iterating to tolerance converges.
void expect_accuracy_bars(const SweepCsv& csv, bool single) {
  for (std::size_t i = 0; i < csv.rows.size(); ++i) {
    const std::string method = csv.text(i, "method");
    const std::string used = csv.text(i, "method_used");
    const double kappa = csv.number(i, "kappa");
    const double n = std::min(csv.number(i, "m"), csv.number(i, "n"));
    const double ortho = csv.number(i, "ortho_eps");
    const double backward = csv.number(i, "backward_eps");
    const int iterations = std::stoi(csv.text(i, "iterations"));
    const double scaled = 3.0 * std::sqrt(n);
    SCOPED_TRACE("row: " + csv.text(i, "spectrum") + ", kappa " + csv.text(i, "kappa") + ", " +
                 method + " (ran " + used + ", steps " + csv.text(i, "steps") + "), n " +
                 csv.text(i, "n") + ", " + csv.text(i, "dtype"));
    EXPECT_EQ(csv.text(i, "converged"), "true");
    if (used == "qdwh" || method == "zolo") {
      EXPECT_LE(ortho, 13.0);
      EXPECT_LE(backward, 13.0);
      if (method == "zolo") {
        // A third step only where A is numerically singular (κ·n·u ≥ 1): the QR's ℓ₀ may not
        // bound σ_min there (src/core/solvers/zolo_pd.cpp).
        const double u = (csv.text(i, "dtype") == "f32" ? 0x1p-24 : 0x1p-53);
        EXPECT_LE(iterations, kappa * n * u >= 1.0 ? 3 : 2);
      } else {
        EXPECT_LE(iterations, single ? 5 : 6);
        if (kappa <= 10.0) {
          EXPECT_LE(iterations, 4);
        }
      }
    }
    if (method == "newton") {
      EXPECT_LE(ortho, scaled);
      EXPECT_LE(backward, scaled);
      EXPECT_LE(iterations, 9);
    }
    if (method == "svd") {
      EXPECT_LE(ortho, scaled);
      EXPECT_LE(backward, scaled);
    }
    if (method == "auto" && is_newton_schulz_family(used)) {
      EXPECT_LE(ortho, 13.0);
      EXPECT_LE(backward, scaled);
    }
  }
}

// The acceptance run: `polarkit sweep` exactly as the README's first command runs it (default
// flags, plus the output files), re-checked against the accuracy bars of docs/accuracy.md.
TEST_F(cli, SweepDefaultFlagsMeetTheBars) {
  const Outcome r = run({"sweep", "--csv", path("sweep.csv"), "--plot", path("sweep.svg")});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err, "");
  const std::vector<double> kappas{1, 1e2, 1e4, 1e6, 1e8, 1e12, 1e16};
  const std::vector<std::string> kappa_text{"1", "100", "10000", "1e+06", "1e+08", "1e+12", "1e+16"};
  const std::vector<std::string> spectra{"geometric", "linear", "one-small"};
  for (const std::string& spectrum : spectra) {
    for (const std::string& k : kappa_text) {
      EXPECT_NE(r.out.find(spectrum + " spectrum, kappa = " + k + "\n"), std::string::npos)
          << spectrum << ", " << k << "\n" << r.out;
    }
  }
  for (const std::string& method : default_sweep_methods()) {
    EXPECT_NE(r.out.find("  " + method + " "), std::string::npos) << method;
  }
  EXPECT_NE(r.out.find("  auto "), std::string::npos);

  const SweepCsv csv = read_sweep_csv(path("sweep.csv"));
  EXPECT_EQ(lines(read_file(path("sweep.csv"))).at(0), sweep_csv_header);
  ASSERT_EQ(csv.rows.size(), spectra.size() * kappas.size() * default_sweep_methods().size());
  expect_consistent_rows(csv);
  for (std::size_t i = 0; i < csv.rows.size(); ++i) {
    EXPECT_EQ(csv.text(i, "dtype"), "f64");
    EXPECT_EQ(csv.text(i, "m"), csv.text(0, "n"));
    EXPECT_EQ(csv.text(i, "n"), csv.text(0, "n"));
  }
  EXPECT_GE(csv.number(0, "n"), 100.0) << "the default size is meant to show √n growth";
  expect_accuracy_bars(csv, false);

  // auto: a Newton–Schulz method where κ is small (κ = 1: its bound 1/ℓ₀ is ≈ 1), for κ ≥ 1e8
  // in double (QDWH would need Householder QR steps) the SVD refined by Newton–Schulz steps.
  for (std::size_t i = 0; i < csv.rows.size(); ++i) {
    if (csv.text(i, "method") != "auto") continue;
    const double kappa = csv.number(i, "kappa");
    const std::string used = csv.text(i, "method_used");
    SCOPED_TRACE(csv.text(i, "spectrum") + ", kappa " + csv.text(i, "kappa"));
    if (kappa == 1.0) {
      EXPECT_TRUE(is_newton_schulz_family(used)) << used;
    }
    if (kappa >= 1e8) {
      EXPECT_EQ(used, "svd");
      EXPECT_GE(csv.number(i, "iterations"), 1.0);
    }
  }

  const std::string svg = read_file(path("sweep.svg"));
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  for (const std::string& spectrum : spectra) {
    EXPECT_NE(svg.find(spectrum + ": backward error"), std::string::npos) << spectrum;
  }
}

TEST_F(cli, SweepFloatMeetsTheBars) {
  const Outcome r = run({"sweep", "--dtype", "f32", "--kappa", "1,1e3,1e6", "--csv",
                         path("sweep.csv"), "--plot", path("sweep.svg")});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("eps = 1.192e-07"), std::string::npos) << r.out;
  const SweepCsv csv = read_sweep_csv(path("sweep.csv"));
  ASSERT_EQ(csv.rows.size(), 3U * 3U * default_sweep_methods().size());
  expect_consistent_rows(csv);
  expect_accuracy_bars(csv, true);
  for (std::size_t i = 0; i < csv.rows.size(); ++i) {
    EXPECT_EQ(csv.text(i, "dtype"), "f32");
    if (csv.text(i, "method") != "auto") continue;
    SCOPED_TRACE(csv.text(i, "spectrum") + ", kappa " + csv.text(i, "kappa"));
    // In float, auto picks a Newton–Schulz method where a float Gram matrix can certify κ
    // (up to ≈ 130 at this n), QDWH above; both meet the bars checked above.
    if (csv.number(i, "kappa") <= 1e2) {
      EXPECT_TRUE(is_newton_schulz_family(csv.text(i, "method_used"))) << csv.text(i, "method_used");
    }
  }
}

TEST_F(cli, SweepFloatWithOtherSpectra) {
  const Outcome r = run({"sweep", "--n", "12", "--m", "20", "--dtype", "f32", "--kappa", "10",
                         "--spectrum", "linear,one-small", "--methods", "svd,muon,quintic", "--csv",
                         path("s.csv")});
  ASSERT_EQ(r.status, 0) << r.err;
  const std::vector<std::string> csv = lines(read_file(path("s.csv")));
  ASSERT_EQ(csv.size(), 1U + 2U * 3U);
  EXPECT_EQ(csv[1].rfind("linear,10,f32,20,12,svd,", 0), 0U) << csv[1];
  EXPECT_EQ(csv[6].rfind("one-small,10,f32,20,12,quintic,", 0), 0U) << csv[6];
}

TEST_F(cli, SweepRejectsBadArguments) {
  expect_fails({"sweep", "--methods", "svd,nope", "--csv", path("s.csv")}, "unknown method 'nope'");
  expect_fails({"sweep", "--kappa", "0.5", "--csv", path("s.csv")}, "--kappa");
  expect_fails({"sweep", "--spectrum", "flat"}, "--spectrum");
  expect_fails({"sweep", "--n", "0"}, "--n");
  // n² wrapped to 0 and the sweep wrote through a null pointer (a segfault): now an error.
  expect_fails({"sweep", "--n", "4294967296"}, "overflows the address space");
  expect_fails({"sweep", "--n", "8", "--csv", path("missing/s.csv")}, "does not exist");
  EXPECT_FALSE(fs::exists(path("s.csv")));
}

// --- the sweep's figure --------------------------------------------------------------------------

/// One element of an SVG document: its name, its attributes and its parent's index (npos: none).
struct SvgElement {
  std::string name;
  std::map<std::string, std::string> attributes;
  std::size_t parent = std::string::npos;

  [[nodiscard]] std::string attribute(const std::string& key) const {
    const auto it = attributes.find(key);
    return it == attributes.end() ? std::string() : it->second;
  }
  [[nodiscard]] double number(const std::string& key) const { return std::stod(attribute(key)); }
};

/// The elements of the SVG the plotter writes, in document order: enough of XML for it (no
/// entities in names, attributes in double quotes). A closing tag must close the open element.
std::vector<SvgElement> parse_svg(const std::string& text) {
  std::vector<SvgElement> elements;
  std::vector<std::size_t> open;
  const auto name_end = [&](std::size_t from) {
    return text.find_first_of(" \t\n/>", from);
  };
  for (std::size_t at = text.find('<'); at != std::string::npos; at = text.find('<', at)) {
    ++at;
    if (text[at] == '?' || text[at] == '!') continue;  // the declaration
    if (text[at] == '/') {
      const std::string name = text.substr(at + 1, name_end(at + 1) - at - 1);
      EXPECT_FALSE(open.empty()) << "</" << name << "> closes nothing";
      if (open.empty()) return elements;
      EXPECT_EQ(elements[open.back()].name, name) << "at byte " << at;
      open.pop_back();
      continue;
    }
    SvgElement element;
    element.parent = open.empty() ? std::string::npos : open.back();
    std::size_t end = name_end(at);
    element.name = text.substr(at, end - at);
    for (at = end;;) {
      at = text.find_first_not_of(" \t\n", at);
      if (at == std::string::npos || text[at] == '>' || text[at] == '/') break;
      const std::size_t equals = text.find('=', at);
      const std::size_t close = text.find('"', equals + 2);
      element.attributes[text.substr(at, equals - at)] =
          text.substr(equals + 2, close - equals - 2);
      at = close + 1;
    }
    const bool self_closing = at != std::string::npos && text[at] == '/';
    elements.push_back(std::move(element));
    if (!self_closing) open.push_back(elements.size() - 1);
  }
  EXPECT_TRUE(open.empty()) << open.size() << " elements left open";
  return elements;
}

bool is_inside(const std::vector<SvgElement>& svg, std::size_t i, std::size_t ancestor) {
  for (std::size_t p = svg[i].parent; p != std::string::npos; p = svg[p].parent) {
    if (p == ancestor) return true;
  }
  return false;
}

/// The elements of class `name` (inside `within` unless npos), in document order.
std::vector<std::size_t> of_class(const std::vector<SvgElement>& svg, const std::string& name,
                                  std::size_t within = std::string::npos) {
  std::vector<std::size_t> found;
  for (std::size_t i = 0; i < svg.size(); ++i) {
    if (svg[i].attribute("class") == name &&
        (within == std::string::npos || is_inside(svg, i, within))) {
      found.push_back(i);
    }
  }
  return found;
}

/// The first element named `name` inside `within`; npos: none.
std::size_t first_named(const std::vector<SvgElement>& svg, const std::string& name,
                        std::size_t within) {
  for (std::size_t i = within + 1; i < svg.size(); ++i) {
    if (svg[i].name == name && is_inside(svg, i, within)) return i;
  }
  return std::string::npos;
}

/// The panel titled `title`; fails when there is not exactly one.
std::size_t panel_titled(const std::vector<SvgElement>& svg, const std::string& title) {
  std::vector<std::size_t> found;
  for (const std::size_t p : of_class(svg, "panel")) {
    if (svg[p].attribute("data-title") == title) found.push_back(p);
  }
  EXPECT_EQ(found.size(), 1U) << "panels titled '" << title << "'";
  return found.empty() ? std::string::npos : found.front();
}

/// The series labelled `label` in a panel; npos: none.
std::size_t series_labelled(const std::vector<SvgElement>& svg, std::size_t panel,
                            const std::string& label) {
  for (const std::size_t s : of_class(svg, "series", panel)) {
    if (svg[s].attribute("data-label") == label) return s;
  }
  return std::string::npos;
}

struct PlottedPoint {
  double x = 0.0;  // the values
  double y = 0.0;
  double px = 0.0;  // where its marker is drawn
  double py = 0.0;
  bool hollow = false;
};

PlottedPoint plotted_point(const SvgElement& point) {
  PlottedPoint p;
  p.x = point.number("data-x");
  p.y = point.number("data-y");
  p.hollow = point.attribute("data-hollow") == "true";
  const std::string transform = point.attribute("transform");
  EXPECT_EQ(std::sscanf(transform.c_str(), "translate(%lf,%lf)", &p.px, &p.py), 2) << transform;
  return p;
}

/// On a log axis, log10 of the value is an affine function of the pixel: checked through the
/// points of smallest and largest value. A point moved off its place (clipped to an edge) fails.
void expect_log_affine(std::vector<std::pair<double, double>> value_and_pixel, const char* axis) {
  if (value_and_pixel.size() < 3) return;
  std::sort(value_and_pixel.begin(), value_and_pixel.end());
  const auto [v0, p0] = value_and_pixel.front();
  const auto [v1, p1] = value_and_pixel.back();
  if (v1 <= v0 * (1 + 1e-9)) return;
  const double slope = (p1 - p0) / (std::log10(v1) - std::log10(v0));
  for (const auto& [v, p] : value_and_pixel) {
    EXPECT_NEAR(p, p0 + slope * (std::log10(v) - std::log10(v0)), 0.05)
        << axis << " value " << v << " is not where the axis puts it";
  }
}

/// Every point of a panel is on its axes: the value within the panel's declared range, the marker
/// inside the frame, and at the place the (log) axes give its value.
void expect_points_on_axes(const std::vector<SvgElement>& svg, std::size_t panel) {
  const SvgElement& p = svg[panel];
  SCOPED_TRACE(p.attribute("data-title"));
  const std::vector<std::size_t> frames = of_class(svg, "frame", panel);
  ASSERT_EQ(frames.size(), 1U);
  const SvgElement& frame = svg[frames[0]];
  const double left = frame.number("x");
  const double top = frame.number("y");
  const double right = left + frame.number("width");
  const double bottom = top + frame.number("height");
  std::vector<std::pair<double, double>> xs;
  std::vector<std::pair<double, double>> ys;
  const std::vector<std::size_t> points = of_class(svg, "point", panel);
  EXPECT_FALSE(points.empty());
  for (const std::size_t i : points) {
    const PlottedPoint q = plotted_point(svg[i]);
    EXPECT_TRUE(std::isfinite(q.y));
    EXPECT_GE(q.y, p.number("data-y-min") * (1 - 1e-12)) << "y " << q.y;
    EXPECT_LE(q.y, p.number("data-y-max") * (1 + 1e-12)) << "y " << q.y;
    EXPECT_GE(q.x, p.number("data-x-min") * (1 - 1e-12)) << "x " << q.x;
    EXPECT_LE(q.x, p.number("data-x-max") * (1 + 1e-12)) << "x " << q.x;
    EXPECT_TRUE(q.px > left && q.px < right) << "x " << q.x << " at pixel " << q.px;
    EXPECT_TRUE(q.py > top && q.py < bottom) << "y " << q.y << " at pixel " << q.py;
    xs.emplace_back(q.x, q.px);
    ys.emplace_back(q.y, q.py);
  }
  expect_log_affine(xs, "x");
  expect_log_affine(ys, "y");
}

/// How a legend entry is drawn: the stroke and dash pattern of its line sample (dash "none" when
/// it has no line) and its marker.
struct DrawnStyle {
  std::string colour;
  std::string marker;
  std::string dash;
};

DrawnStyle legend_style(const std::vector<SvgElement>& svg, std::size_t entry) {
  DrawnStyle style;
  const std::size_t line = first_named(svg, "line", entry);
  const std::vector<std::size_t> markers = of_class(svg, "marker", entry);
  EXPECT_EQ(markers.size(), 1U);
  if (!markers.empty()) {
    style.marker = svg[markers[0]].attribute("data-marker");
    style.colour = svg[first_named(svg, "g", markers[0])].attribute("stroke");
  }
  style.dash = "none";
  if (line != std::string::npos) {
    EXPECT_EQ(svg[line].attribute("stroke"), style.colour);
    style.dash = svg[line].attribute("stroke-dasharray");  // empty: solid
  }
  return style;
}

const std::vector<std::string>& sweep_panel_kinds() {
  static const std::vector<std::string> kinds{"orthogonality", "backward error", "forward error",
                                              "iterations", "time"};
  return kinds;
}

// Every method (muon too) is told apart by colour, marker and dash pattern each, in the legend
// and in every panel alike; auto, named first, is a marker-only overlay drawn over the others;
// every panel (the forward-error and time panels too) holds one point per (κ, method); every
// point lies on its panel's axes; 1/u is marked.
TEST_F(cli, SweepPlotTellsEveryMethodApart) {
  const std::vector<double> kappas{1, 1e8, 1e16};
  std::vector<std::string> methods{"auto"};
  for (const std::string& method : default_sweep_methods()) {
    if (method != "auto") methods.push_back(method);
  }
  methods.emplace_back("muon");
  std::string method_list;
  for (const std::string& method : methods) {
    method_list += (method_list.empty() ? "" : ",") + method;
  }
  const Outcome r = run({"sweep", "--n", "12", "--kappa", "1,1e8,1e16", "--spectrum", "geometric",
                         "--methods", method_list, "--plot", path("p.svg")});
  ASSERT_EQ(r.status, 0) << r.err;
  const std::vector<SvgElement> svg = parse_svg(read_file(path("p.svg")));

  const std::vector<std::size_t> legend = of_class(svg, "legend-entry");
  ASSERT_EQ(legend.size(), methods.size());
  std::vector<DrawnStyle> styles;
  for (std::size_t i = 0; i < legend.size(); ++i) {
    EXPECT_EQ(svg[legend[i]].attribute("data-label"), methods[i]);
    styles.push_back(legend_style(svg, legend[i]));
    SCOPED_TRACE(methods[i]);
    EXPECT_FALSE(styles[i].colour.empty());
    EXPECT_FALSE(styles[i].marker.empty());
    EXPECT_EQ(styles[i].dash == "none", methods[i] == "auto") << "only auto has no line";
  }
  for (std::size_t i = 0; i < styles.size(); ++i) {
    for (std::size_t j = i + 1; j < styles.size(); ++j) {
      SCOPED_TRACE(methods[i] + " and " + methods[j]);
      EXPECT_NE(styles[i].colour, styles[j].colour);
      EXPECT_NE(styles[i].marker, styles[j].marker);
      EXPECT_NE(styles[i].dash, styles[j].dash);
    }
  }

  const double inverse_u = 2.0 / std::numeric_limits<double>::epsilon();
  ASSERT_EQ(of_class(svg, "panel").size(), sweep_panel_kinds().size());
  for (const std::string& kind : sweep_panel_kinds()) {
    const std::size_t panel = panel_titled(svg, "geometric: " + kind);
    ASSERT_NE(panel, std::string::npos);
    SCOPED_TRACE(kind);
    expect_points_on_axes(svg, panel);
    const std::vector<std::size_t> verticals = of_class(svg, "vertical", panel);
    ASSERT_EQ(verticals.size(), 1U) << "1/u";
    EXPECT_NEAR(svg[verticals[0]].number("data-x"), inverse_u, 1e-6 * inverse_u);

    const std::vector<std::size_t> series = of_class(svg, "series", panel);
    ASSERT_FALSE(series.empty());
    EXPECT_EQ(svg[series.back()].attribute("data-label"), "auto") << "auto is drawn on top";
    for (std::size_t m = 0; m < methods.size(); ++m) {
      const std::size_t s = series_labelled(svg, panel, methods[m]);
      // svd is the forward error's reference (zero) and does not iterate.
      const bool drawn = methods[m] != "svd" || (kind != "forward error" && kind != "iterations");
      ASSERT_EQ(s != std::string::npos, drawn) << methods[m];
      if (!drawn) continue;
      SCOPED_TRACE(methods[m]);
      const std::size_t line = first_named(svg, "polyline", s);
      EXPECT_EQ(line == std::string::npos, methods[m] == "auto") << "a line unless auto";
      if (line != std::string::npos) {
        EXPECT_EQ(svg[line].attribute("stroke"), styles[m].colour);
        EXPECT_EQ(svg[line].attribute("stroke-dasharray"), styles[m].dash);
      }
      EXPECT_EQ(svg[s].attribute("data-marker"), styles[m].marker);
      std::vector<double> xs;
      for (const std::size_t point : of_class(svg, "point", s)) {
        xs.push_back(plotted_point(svg[point]).x);
        EXPECT_EQ(svg[first_named(svg, "g", point)].attribute("stroke"), styles[m].colour);
      }
      EXPECT_EQ(xs, kappas) << "one point per kappa";
    }
  }
  EXPECT_NE(read_file(path("p.svg")).find(">1/u</text>"), std::string::npos);
}

// A run that did not converge has values far above the bars (here ‖UᵀU − I‖ ≈ 1): its points are
// drawn on the axes, which reach them, rather than clipped to an edge.
TEST_F(cli, SweepPlotDrawsNonConvergedPointsOnTheAxes) {
  const Outcome r = run({"sweep", "--n", "12", "--kappa", "1,1e4,1e8", "--spectrum", "geometric",
                         "--methods", "newton-schulz,qdwh", "--max-iter", "3", "--plot",
                         path("p.svg")});
  ASSERT_EQ(r.status, 0) << r.err;
  const std::vector<SvgElement> svg = parse_svg(read_file(path("p.svg")));
  for (const std::string& kind : sweep_panel_kinds()) {
    SCOPED_TRACE(kind);
    const std::size_t panel = panel_titled(svg, "geometric: " + kind);
    ASSERT_NE(panel, std::string::npos);
    expect_points_on_axes(svg, panel);
    const std::size_t ns = series_labelled(svg, panel, "newton-schulz");
    ASSERT_NE(ns, std::string::npos);
    const std::vector<std::size_t> points = of_class(svg, "point", ns);
    ASSERT_EQ(points.size(), 3U);
    const PlottedPoint worst = plotted_point(svg[points.back()]);
    EXPECT_EQ(worst.x, 1e8);
    EXPECT_TRUE(worst.hollow) << "not converged: an open marker";
    if (kind == "orthogonality") {
      EXPECT_GT(worst.y, 1e10) << "the case this test is for: far above the bars";
    }
  }
}

// Only SVG is written: any other name is refused before any work, exit 2, nothing written.
TEST_F(cli, SweepPlotNameMustEndInSvg) {
  const std::vector<std::string> before = entries();
  for (const char* name : {"x.png", "x.PNG.txt", "x.svgz", "svg"}) {
    SCOPED_TRACE(name);
    expect_fails({"sweep", "--n", "8", "--plot", path(name), "--csv", path("x.csv")},
                 "--plot: only SVG is written (name the file .svg");
    EXPECT_EQ(entries(), before) << "a file was created";
  }
  const Outcome r = run({"sweep", "--n", "8", "--kappa", "1", "--spectrum", "linear", "--methods",
                         "qdwh", "--plot", path("x.SVG")});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(read_file(path("x.SVG")).rfind("<?xml", 0), 0U);
}

// --- bounded time -----------------------------------------------------------------------------

// No input file keeps the program busy before it answers or refuses: hostile files (sizes in
// headers that the data does not back, empty-but-huge shapes, devices, FIFOs, directories,
// comment floods, sparse files) are refused or read in time linear in their bytes, and valid
// matrices of pathological content (subnormal, near overflow, rank 1, κ = 1e20, a Hilbert
// matrix) are solved by every method within its bounded iteration count. Each run of the
// program must end within 10 s: the slowest takes 0.3 s on a 2-core EPYC (the sparse file), so
// a slow CI machine passes while a hang, or a loop over a huge dimension, fails.
TEST_F(cli, EveryInputIsAnsweredWithinTenSeconds) {
  using polarkit::testkit::npy_bytes;
  const auto dict = [](const std::string& shape) {
    return "{'descr': '<f8', 'fortran_order': True, 'shape': " + shape + ", }";
  };
  const auto timed = [&](const std::vector<std::string>& args) {
    const auto start = std::chrono::steady_clock::now();
    const Outcome r = run(args);
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    EXPECT_LT(took.count(), 10.0) << args[1] << " " << (args.size() > 3 ? args[3] : "");
    return r;
  };

  std::vector<std::string> hostile;
  const auto add = [&](const std::string& name, const std::string& bytes) {
    write_file(path(name), bytes);
    hostile.push_back(path(name));
  };
  add("empty_huge.npy", npy_bytes(dict("(0, 9223372036854775807)"), ""));
  add("square_huge.npy", npy_bytes(dict("(2147483648, 2147483648)"), ""));
  add("truncated.npy", npy_bytes(dict("(8192, 8192)"), std::string(16, '\0')));
  std::string v2 = npy_bytes(dict("(2, 2)"), std::string(32, '\0'), 2);
  v2[8] = v2[9] = v2[10] = v2[11] = '\xff';  // a 4 GiB header length in a 100-byte file
  add("header_length.npy", v2);
  add("array_huge.mtx", "%%MatrixMarket matrix array real general\n0 429496729646\n");
  add("coordinate_claims.mtx",
      "%%MatrixMarket matrix coordinate real general\n3000 3000 1000000000\n1 1 1\n");
  std::string comments = "%%MatrixMarket matrix array real general\n";
  for (int k = 0; k < 400000; ++k) comments += "% a comment line of some length\n";
  add("comments.mtx", comments + "1 1\n2\n");
  {
    // A sparse 32 MiB file: a full-size 2048 × 2048 zero matrix, read and solved (U = 0).
    const std::string head = npy_bytes(dict("(2048, 2048)"), "");
    write_file(path("sparse.npy"), head);
    fs::resize_file(path("sparse.npy"), head.size() + 2048ULL * 2048ULL * 8ULL);
    hostile.push_back(path("sparse.npy"));
  }
  ASSERT_EQ(mkfifo(path("fifo.npy").c_str(), 0600), 0);
  hostile.push_back(path("fifo.npy"));
  fs::create_directory(path("directory.npy"));
  hostile.push_back(path("directory.npy"));
  hostile.emplace_back("/dev/zero");
  for (const std::string& input : hostile) {
    const Outcome r = timed({"polar", input, "--u", path("U.npy"), "--h", path("H.npy")});
    EXPECT_TRUE(r.status == 0 || r.status == 2) << input << ": " << r.err;
  }

  const index_t n = 160;
  std::vector<std::pair<std::string, Matrix<double>>> valid;
  valid.emplace_back("subnormal", polarkit::testkit::gaussian<double>(n + 40, n, 1));
  for (index_t j = 0; j < n; ++j) {
    for (index_t i = 0; i < n + 40; ++i) valid.back().second(i, j) *= 1e-310;
  }
  valid.emplace_back("huge", polarkit::testkit::gaussian<double>(n + 40, n, 2));
  for (index_t j = 0; j < n; ++j) {
    for (index_t i = 0; i < n + 40; ++i) valid.back().second(i, j) *= 1e306;
  }
  Matrix<double> spread = polarkit::testkit::gaussian<double>(n, n, 3);
  for (index_t j = 0; j < n; ++j) {
    for (index_t i = 0; i < n; ++i) spread(i, j) *= 1e-300;
  }
  spread(0, 0) = 1e300;
  valid.emplace_back("spread", std::move(spread));
  Matrix<double> ones(n, n / 2);
  for (index_t j = 0; j < n / 2; ++j) {
    for (index_t i = 0; i < n; ++i) ones(i, j) = 1.0;
  }
  valid.emplace_back("rank1", std::move(ones));
  valid.emplace_back("kappa1e20", polarkit::testkit::with_singular_values<double>(
                                      n, n, polarkit::testkit::geometric_spectrum(n, 1e20), 4));
  Matrix<double> hilbert(n, n);
  for (index_t j = 0; j < n; ++j) {
    for (index_t i = 0; i < n; ++i) hilbert(i, j) = 1.0 / static_cast<double>(i + j + 1);
  }
  valid.emplace_back("hilbert", std::move(hilbert));
  for (const auto& [name, A] : valid) {
    io::write_npy(path(name + ".npy"), A);
    for (const char* method : {"auto", "svd", "qdwh", "zolo", "newton", "polar-express-adaptive",
                               "polar-express", "newton-schulz"}) {
      const Outcome r = timed({"polar", path(name + ".npy"), "--method", method, "--u",
                               path("U.npy"), "--h", path("H.npy")});
      EXPECT_EQ(r.status, 0) << name << " " << method << ": " << r.err;
    }
  }
}

// --- conventions -------------------------------------------------------------------------------

TEST_F(cli, VersionAndMethodSpellings) {
  const Outcome v = run({"--version"});
  EXPECT_EQ(v.status, 0) << v.err;
  EXPECT_EQ(v.out.rfind("polarkit ", 0), 0U) << v.out;
  EXPECT_NE(v.out.find('.'), std::string::npos) << v.out;
  io::write_npy(path("A.npy"), polarkit::testkit::gaussian<double>(8, 5, 6));
  // The C++ enumerator spellings and any case name the same method.
  for (const char* spelling : {"POLAR_EXPRESS", "Qdwh", "automatic", "newton_schulz"}) {
    const Outcome r = run({"polar", path("A.npy"), "--method", spelling, "--json"});
    EXPECT_EQ(r.status, 0) << spelling << ": " << r.err;
  }
  expect_polar_fails(path("A.npy"), {"--method", "polar_expres"},
                     "unknown method 'polar_expres' (did you mean 'polar-express'?)");
  expect_polar_fails(path("A.npy"), {"--method", "QDHW"}, "(did you mean 'qdwh'?)");
  const Outcome far = run({"polar", path("A.npy"), "--method", "cholesky"});
  EXPECT_EQ(far.err.find("did you mean"), std::string::npos) << far.err;
}

// Fields the run did not compute are named as such, with the reason, instead of left out.
TEST_F(cli, TextReportSaysWhatWasNotComputed) {
  io::write_npy(path("A.npy"), polarkit::testkit::gaussian<double>(12, 7, 7));
  const Outcome r = run({"polar", path("A.npy"), "--method", "polar-express", "--steps", "3",
                         "--no-measure-result"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("orthogonality    not measured (--no-measure-result)"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("backward error   not computed: H is formed only for --h or --json"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("cond estimate    not estimated"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("rank             not determined"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("nan"), std::string::npos) << r.out;
}

// Progress goes to stderr only: silent when it is not a terminal, one line per solve with
// --progress; stdout and the CSV are the same either way. A κ beyond 1/u is warned about.
TEST_F(cli, SweepProgressAndWarningsGoToStderrOnly) {
  const std::vector<std::string> base{"sweep", "--n", "12", "--kappa", "1,1e20", "--spectrum",
                                      "geometric", "--methods", "svd,qdwh,auto"};
  std::vector<std::string> quiet = base;
  quiet.insert(quiet.end(), {"--csv", path("quiet.csv")});
  std::vector<std::string> loud = base;
  loud.insert(loud.end(), {"--progress", "--csv", path("loud.csv")});
  const Outcome q = run(quiet);
  const Outcome l = run(loud);
  ASSERT_EQ(q.status, 0) << q.err;
  ASSERT_EQ(l.status, 0) << l.err;
  const std::string warning = "polarkit: warning: kappa 1e+20 exceeds 1/u = 9e+15 of f64";
  const std::vector<std::string> quiet_err = lines(q.err);
  ASSERT_EQ(quiet_err.size(), 1U) << q.err;
  EXPECT_EQ(quiet_err[0].rfind(warning, 0), 0U) << q.err;
  const std::vector<std::string> loud_err = lines(l.err);
  ASSERT_EQ(loud_err.size(), 1U + 2U * 3U) << l.err;  // the warning, then 2 κ × (svd + 2 methods)
  EXPECT_EQ(loud_err[1].rfind("polarkit: [1/6] geometric kappa 1: svd done, ", 0), 0U) << l.err;
  EXPECT_EQ(loud_err[6].rfind("polarkit: [6/6] geometric kappa 1e+20: auto done, ", 0), 0U) << l.err;
  EXPECT_EQ(q.out.find("[1/"), std::string::npos);
  EXPECT_EQ(l.out.find("[1/"), std::string::npos);
  const auto without_times = [](const std::string& csv_text) {
    std::string out;
    for (const std::string& line : lines(csv_text)) {
      std::vector<std::string> fields;
      std::stringstream in(line);
      for (std::string f; std::getline(in, f, ',');) fields.push_back(f);
      if (fields.size() > 14) fields[14].clear();  // seconds
      for (const std::string& f : fields) out += f + ',';
      out += '\n';
    }
    return out;
  };
  EXPECT_EQ(without_times(read_file(path("quiet.csv"))), without_times(read_file(path("loud.csv"))));
}

}  // namespace

// polar_command.cpp — `polarkit polar INPUT ...`: the polar decomposition of one matrix from a
// file, with a human-readable or JSON report and optional U and H outputs.
#include <cmath>
#include <cstdio>
#include <iostream>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "output_files.hpp"
#include "timed_polar.hpp"
#include "polarkit/error.hpp"
#include "polarkit/io.hpp"
#include "polarkit/polar.hpp"

namespace polarkit::cli {
namespace {

std::string position(index_t i, index_t j) {
  return "row " + std::to_string(i) + ", column " + std::to_string(j) + " (counting from 0)";
}

// Rejects NaN and Inf in what the file held, naming the first one.
void check_finite(const io::DenseFile& file, const std::string& path) {
  const Matrix<double>& A = file.values;
  if (A.empty()) return;  // no loop over the 2^31 columns of an empty 0 × 2^31
  for (index_t j = 0; j < A.cols(); ++j) {
    for (index_t i = 0; i < A.rows(); ++i) {
      const double x = A(i, j);
      if (!std::isfinite(x)) {
        throw Error(ErrorCode::non_finite_input,
                    path + ": the matrix contains " + (std::isnan(x) ? "NaN" : "Inf") + " at " +
                        position(i, j) + "; polar needs finite input");
      }
    }
  }
}

// The file's values in the computation's precision; an f64 value too large for f32 is an error.
template <class T>
Matrix<T> convert(const io::DenseFile& file, const std::string& path) {
  const Matrix<double>& A = file.values;
  Matrix<T> out(A.rows(), A.cols());
  if (A.empty()) return out;
  for (index_t j = 0; j < A.cols(); ++j) {
    for (index_t i = 0; i < A.rows(); ++i) {
      out(i, j) = static_cast<T>(A(i, j));
      if (!std::isfinite(out(i, j))) {
        char value[32];
        std::snprintf(value, sizeof value, "%.17g", A(i, j));
        throw Error(ErrorCode::invalid_argument, path + ": the value " + value + " at " +
                                                     position(i, j) + " overflows --dtype f32");
      }
    }
  }
  return out;
}

// JSON has no NaN or Inf: quantities not computed (or infinite) print as null.
nlohmann::json number(double x) {
  if (!std::isfinite(x)) return nullptr;
  return x;
}

nlohmann::json numbers(const std::vector<double>& xs) {
  nlohmann::json out = nlohmann::json::array();
  for (const double x : xs) out.push_back(number(x));
  return out;
}

// The kind of each iteration, one letter each (StepKind): "QQCCC", "PPPPP", ...
struct Run {
  index_t m = 0;
  index_t n = 0;
  std::string dtype;
  PolarInfo info;
  double seconds = 0.0;
};

void print_json(const Run& run, const PolarArgs& args) {
  const PolarInfo& info = run.info;
  nlohmann::json j;
  j["input"] = args.input;
  for_each_field(info, [&](const char* name, const auto& value) {
    using V = std::decay_t<decltype(value)>;
    if constexpr (std::is_same_v<V, double>) {
      j[name] = number(value);
    } else if constexpr (std::is_same_v<V, std::vector<double>>) {
      j[name] = numbers(value);
    } else if constexpr (std::is_same_v<V, std::vector<PhaseTime>>) {
      nlohmann::json phases = nlohmann::json::array();
      for (const PhaseTime& p : value) {
        phases.push_back({{"name", p.name}, {"seconds", p.seconds}, {"flops", number(p.flops)},
                          {"calls", p.calls}});
      }
      j[name] = phases;
    } else {
      j[name] = value;
    }
  });
  if (info.rank < 0) j["rank"] = nullptr;  // not determined (a fixed budget)
  j["dtype"] = run.dtype;
  j["m"] = run.m;
  j["n"] = run.n;
  j["seconds"] = run.seconds;
  std::cout << j.dump(2) << std::endl;
}

void print_text(const Run& run, const PolarArgs& args) {
  const PolarInfo& info = run.info;
  const auto line = [](const char* label, const std::string& value) {
    std::printf("  %-16s %s\n", label, value.c_str());
  };
  const auto num = [](double x) {
    char s[32];
    std::snprintf(s, sizeof s, "%.3e", x);
    return std::string(s);
  };
  std::printf("polarkit polar %s: %lld x %lld, %s\n", args.input.c_str(),
              static_cast<long long>(run.m), static_cast<long long>(run.n), run.dtype.c_str());
  line("method", std::string(method_name(info.method)) +
                     (info.method_used != info.method
                          ? " (ran " + std::string(method_name(info.method_used)) + ")"
                          : std::string()));
  line("iterations", std::to_string(info.iterations) +
                         (info.converged ? " (converged)" : " (NOT converged)") +
                         (info.zero_input ? ", zero input: U = 0, H = 0" : ""));
  if (!info.steps.empty()) {
    line("steps", step_letters(info.steps) +
                      " (P polynomial, L polynomial in reduced precision, Q QDWH QR, K QDWH "
                      "Cholesky QR, C QDWH Cholesky, N Newton, Z Zolo-PD)");
  }
  // A field that was not computed says so and why, instead of printing NaN or nothing.
  if (std::isnan(info.ortho_error_fro)) {
    line("orthogonality", "not measured (--no-measure-result)");
  } else {
    line("orthogonality",
         (std::isnan(info.ortho_error) ? std::string("||U^T U - I||_2 not estimated")
                                       : "||U^T U - I||_2 ~ " + num(info.ortho_error)) +
             ", ||U^T U - I||_F = " + num(info.ortho_error_fro));
  }
  if (!std::isnan(info.backward_error)) {
    line("backward error", "||A - U H||_F / ||A||_F = " + num(info.backward_error));
    line("nuclear norm", "||A||_* = tr(H) = " + num(info.nuclear_norm));
  } else {
    line("backward error", "not computed: H is formed only for --h or --json");
    line("nuclear norm", "not computed: H is formed only for --h or --json");
  }
  line("scaling", "alpha = " + num(info.scale) + ", lower bound l0 = " +
                      (std::isnan(info.lower_bound) ? std::string("none (not used by this method)")
                                                    : num(info.lower_bound)));
  line("cond estimate", std::isnan(info.cond_estimate)
                            ? std::string("not estimated (--no-measure-result)")
                            : num(info.cond_estimate));
  line("rank", info.rank >= 0 ? std::to_string(info.rank) + " (numerical: sigma > max(m,n)*eps*sigma_max)"
                              : std::string("not determined (a fixed budget)"));
  line("work", std::to_string(info.products) + " matrix products, " + num(info.flops) + " flops");
  line("time", num(run.seconds) + " s");
  for (const PhaseTime& p : info.phases) {
    char s[128];
    std::snprintf(s, sizeof s, "%9.4f s  %7.1f GFLOP/s  %3d call%s", p.seconds,
                  p.seconds > 0.0 ? p.flops / p.seconds / 1e9 : 0.0, p.calls,
                  p.calls == 1 ? "" : "s");
    line(("  " + p.name).c_str(), s);
  }
  if (!args.u_path.empty()) line("wrote U", args.u_path);
  if (!args.h_path.empty()) line("wrote H", args.h_path);
}

template <class T>
int solve(const io::DenseFile& file, const PolarArgs& args, const PolarOptions& options) {
  const Matrix<T> A = convert<T>(file, args.input);
  Run run;
  run.m = A.rows();
  run.n = A.cols();
  run.dtype = std::is_same_v<T, float> ? "f32" : "f64";

  PolarResult<T> result = timed_polar(device_space(args.device), A, options, run.seconds);
  for (int r = 1; r < args.repeat; ++r) {
    double seconds = 0.0;
    PolarResult<T> again = timed_polar(device_space(args.device), A, options, seconds);
    if (seconds < run.seconds) {
      run.seconds = seconds;
      result = std::move(again);
    }
  }
  run.info = result.info;

  // Outputs only once the computation succeeded, all or nothing.
  std::vector<PendingFile> outputs;
  if (!args.u_path.empty()) {
    outputs.push_back({args.u_path, [&](const std::string& p) { io::write_npy(p, result.U); }});
  }
  if (!args.h_path.empty()) {
    outputs.push_back({args.h_path, [&](const std::string& p) { io::write_npy(p, result.H); }});
  }
  write_all_or_nothing(outputs);

  if (args.json) {
    print_json(run, args);
  } else {
    print_text(run, args);
  }
  return 0;
}

}  // namespace

CLI::App* add_polar_command(CLI::App& app, PolarArgs& args) {
  CLI::App* cmd = app.add_subcommand("polar", "Polar decomposition A = U*H of a matrix in a file");
  cmd->add_option("INPUT", args.input, "Input matrix: .npy (float32/float64, 2-D) or Matrix Market")
      ->required();
  cmd->add_option("--method", args.method,
                  "Solver: svd, newton-schulz, quintic, muon, polar-express, polar-express-adaptive, "
                  "newton, qdwh, zolo, auto")
      ->capture_default_str();
  cmd->add_option("--dtype", args.dtype, "Computation precision (default: the file's dtype)")
      ->check(CLI::IsMember({"f32", "f64"}));
  cmd->add_option("--tol", args.tol, "Stop once ||X^T X - I||_F <= tol (0: working precision)")
      ->capture_default_str();
  cmd->add_option("--max-iter", args.max_iter, "Most iterations when iterating to tolerance")
      ->capture_default_str();
  cmd->add_option("--steps", args.steps, "Run exactly N iterations (0: iterate to tolerance)")
      ->capture_default_str();
  cmd->add_option("--precision", args.precision,
                  "Newton-Schulz methods: iterate in working, tf32, bf16 or fp16 (16-bit storage, "
                  "float accumulation)")
      ->check(CLI::IsMember({"working", "tf32", "bf16", "fp16"}))
      ->capture_default_str();
  cmd->add_flag("--refine", args.refine,
                "After a reduced-precision iteration, continue in the input's precision");
  cmd->add_flag("--no-two-norm", args.no_two_norm,
                "A fixed budget (--steps) of a fixed table: estimate ||X^T X - I||_2 at X0 and U "
                "only, not at every iterate");
  cmd->add_flag("--no-measure-result", args.no_measure_result,
                "A fixed budget of a fixed table: do not measure U (its orthogonality and the "
                "condition estimate report as not computed), as an optimizer step runs it");
  cmd->add_option("--device", args.device, "cpu or cuda")
      ->check(CLI::IsMember({"cpu", "cuda"}))
      ->capture_default_str();
  cmd->add_option("--u", args.u_path, "Write U (m x n) to this .npy file")
      ->check(non_empty_file_name());
  cmd->add_option("--h", args.h_path, "Write H (n x n) to this .npy file")
      ->check(non_empty_file_name());
  cmd->add_flag("--json", args.json, "Print the report as one JSON object");
  cmd->add_option("--repeat", args.repeat,
                  "Solve this many times and report the fastest run (its time and phases)")
      ->check(CLI::Range(1, 1000));
  return cmd;
}

int run_polar(const PolarArgs& args) {
  PolarOptions options;
  options.method = parse_method(args.method);
  options.tol = args.tol;
  options.max_iter = args.max_iter;
  options.steps = args.steps;
  options.precision = parse_precision(args.precision);
  options.refine = args.refine;
  options.two_norm_each_iterate = !args.no_two_norm;
  options.measure_result = !args.no_measure_result;
  // H is needed for --h and for the JSON report's backward error and nuclear norm.
  options.compute_h = !args.h_path.empty() || args.json;
  options.backward_error = options.compute_h;  // the report shows it wherever H is formed
  if (!args.u_path.empty()) check_destination("--u", args.u_path);
  if (!args.h_path.empty()) check_destination("--h", args.h_path);
  // The input too: `--u A.npy` on input A.npy replaced the input.
  check_distinct({{"the input", args.input}, {"--u", args.u_path}, {"--h", args.h_path}});

  const io::DenseFile file = io::read_matrix(args.input);
  check_finite(file, args.input);
  const std::string dtype = args.dtype.empty() ? io::dtype_name(file.dtype) : args.dtype;
  if (dtype == "f32") return solve<float>(file, args, options);
  return solve<double>(file, args, options);
}

}  // namespace polarkit::cli

// sweep_command.cpp — `polarkit sweep`: accuracy, iterations and time vs κ for several methods
// on generated matrices A = P·diag(σ)·Qᵀ, as a table on stdout, a CSV file and an SVG plot.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "commands.hpp"
#include "output_files.hpp"
#include "timed_polar.hpp"
#include "polarkit/error.hpp"
#include "polarkit/polar.hpp"
#include "progress.hpp"
#include "testkit/accuracy.hpp"
#include "testkit/matrices.hpp"
#include "testkit/plot.hpp"

namespace polarkit::cli {
namespace {

// The generated matrices, the accuracy measures and the plot are testkit's (testkit/), shared
// with the tests.
using testkit::backward_error;
using testkit::Figure;
using testkit::orthogonality_fro;
using testkit::overlay_style;
using testkit::PlotPanel;
using testkit::PlotSeries;
using testkit::ReferenceLine;
using testkit::relative_difference;
using testkit::render_svg;
using testkit::series_style;
using testkit::SeriesStyle;
using testkit::SingularVectors;
using testkit::spectrum;
using testkit::spectrum_names;

/// One (spectrum, κ, method) measurement.
struct SweepRow {
  std::string spectrum;
  double kappa = 1.0;
  Method method = Method::svd;
  Method method_used = Method::svd;  // what auto ran; the method itself otherwise
  std::string steps;                 // the StepKind of each iteration, e.g. "QQCCC"
  int iterations = 0;
  std::int64_t products = 0;
  double flops = 0.0;
  bool converged = false;
  double ortho_eps = 0.0;     // ‖UᵀU − I‖_F / (√k · ε)
  double backward_eps = 0.0;  // ‖A − UH‖_F / (‖A‖_F · ε)
  double forward = 0.0;       // ‖U − U_svd‖_F / ‖U_svd‖_F
  double cond_estimate = 0.0;
  double seconds = 0.0;
  Precision precision = Precision::working;  // what the row's iterations ran in
};

struct Setup {
  std::vector<Method> methods;
  std::vector<double> kappas;
  std::vector<std::string> spectra;
  index_t m = 0;
  index_t n = 0;
  std::string dtype;
  Precision precision = Precision::working;  // of the Newton–Schulz methods
  bool refine = false;
  MemorySpace space = MemorySpace::host;       // where polar() runs (--device)
};

std::string format(const char* spec, double x) {
  char s[64];
  std::snprintf(s, sizeof s, spec, x);
  return s;
}

// The unit roundoff u = ε/2 of the working precision: κ·u bounds the forward error that the
// conditioning allows, and beyond κ = 1/u the generated A is numerically singular.
double unit_roundoff(const std::string& dtype) {
  return dtype == "f32" ? std::numeric_limits<float>::epsilon() / 2.0
                        : std::numeric_limits<double>::epsilon() / 2.0;
}

// Only SVG is written: a .png name would get SVG text under a PNG name.
void check_plot_name(const std::string& path) {
  const std::string suffix = ".svg";
  const bool svg = path.size() >= suffix.size() &&
                   std::equal(suffix.rbegin(), suffix.rend(), path.rbegin(), [](char s, char c) {
                     return s == std::tolower(static_cast<unsigned char>(c));
                   });
  if (!svg) {
    throw Error(ErrorCode::invalid_argument,
                "--plot: only SVG is written (name the file .svg, got '" + path +
                    "'); convert with rsvg-convert if you need PNG");
  }
}

Setup validate(const SweepArgs& args) {
  if (!args.plot_path.empty()) check_plot_name(args.plot_path);
  Setup setup;
  for (const std::string& name : args.methods) {
    const Method method = parse_method(name);
    if (std::find(setup.methods.begin(), setup.methods.end(), method) == setup.methods.end()) {
      setup.methods.push_back(method);
    }
  }
  if (setup.methods.empty()) throw Error(ErrorCode::invalid_argument, "--methods: no method given");
  if (args.n < 1) throw Error(ErrorCode::invalid_argument, "--n must be at least 1, got " + std::to_string(args.n));
  if (args.m < 0) throw Error(ErrorCode::invalid_argument, "--m must be at least 1, got " + std::to_string(args.m));
  setup.n = args.n;
  setup.m = args.m == 0 ? args.n : args.m;
  // The sweep forms max(m, n)-sized square matrices (Haar factors): refuse, before any output,
  // a size whose doubles overflow the address space (n = 2^32 wrapped n² to 0 and segfaulted).
  const index_t side = std::max(setup.m, setup.n);
  constexpr index_t max_side = index_t{1} << 30;  // 2^30 · 2^30 · 8 bytes = 2^63
  if (side >= max_side) {
    throw Error(ErrorCode::invalid_argument,
                "--n/--m: a " + std::to_string(side) + "x" + std::to_string(side) +
                    " matrix of doubles overflows the address space");
  }
  setup.dtype = args.dtype;
  setup.kappas = args.kappas;
  if (setup.kappas.empty()) {
    setup.kappas = args.dtype == "f32" ? std::vector<double>{1, 1e2, 1e4, 1e6}
                                       : std::vector<double>{1, 1e2, 1e4, 1e6, 1e8, 1e12, 1e16};
  }
  for (const double kappa : setup.kappas) {
    if (!(kappa >= 1.0) || !std::isfinite(kappa)) {
      throw Error(ErrorCode::invalid_argument,
                  "--kappa: every value must be finite and at least 1, got " + format("%g", kappa));
    }
  }
  for (const std::string& s : args.spectra) {
    if (std::find(setup.spectra.begin(), setup.spectra.end(), s) == setup.spectra.end()) {
      setup.spectra.push_back(s);
    }
  }
  setup.space = device_space(args.device);
  // A device that cannot be used fails here, with the library's reason, before any output.
  if (setup.space != MemorySpace::host) (void)copy_to(Matrix<double>(1, 1), setup.space);
  setup.precision = parse_precision(args.precision);
  setup.refine = args.refine;
  if (setup.precision == Precision::tf32 && args.dtype != "f32") {
    throw Error(ErrorCode::invalid_argument, "--precision tf32 needs --dtype f32");
  }
  if (args.max_iter < 1) {
    throw Error(ErrorCode::invalid_argument, "--max-iter must be at least 1, got " + std::to_string(args.max_iter));
  }
  if (!args.csv_path.empty()) check_destination("--csv", args.csv_path);
  if (!args.plot_path.empty()) check_destination("--plot", args.plot_path);
  check_distinct({{"--csv", args.csv_path}, {"--plot", args.plot_path}});
  // Beyond 1/u the generated A is numerically singular in the working precision: its smallest
  // singular values are rounding noise, so its polar factor is not determined to any accuracy.
  const double inverse_u = 1.0 / unit_roundoff(args.dtype);
  for (const double kappa : args.kappas) {  // those asked for; the default list ends near 1/u
    if (kappa > inverse_u) {
      std::fprintf(stderr,
                   "polarkit: warning: kappa %g exceeds 1/u = %.2g of %s: A is numerically "
                   "singular there and its U is not determined (forward errors of order 1 are "
                   "expected)\n",
                   kappa, inverse_u, args.dtype.c_str());
    }
  }
  return setup;
}

// The steps as the table shows them: as they are when short ("QQCCC"), else run-length encoded,
// each run as its kind and count ("P29", "N8P2").
std::string steps_for_table(const std::string& steps) {
  if (steps.empty()) return "-";
  if (steps.size() <= 12) return steps;
  std::string out;
  for (std::size_t i = 0; i < steps.size();) {
    std::size_t j = i;
    while (j < steps.size() && steps[j] == steps[i]) ++j;
    out += steps[i];
    out += std::to_string(j - i);
    i = j;
  }
  return out;
}

template <class T>
SweepRow measure(const std::string& spectrum_name, double kappa, const Matrix<T>& A,
                 const PolarResult<T>& result, const Matrix<T>& U_ref, double seconds) {
  const double eps = std::numeric_limits<T>::epsilon();
  const index_t k = std::min(A.rows(), A.cols());
  SweepRow row;
  row.spectrum = spectrum_name;
  row.kappa = kappa;
  row.method = result.info.method;
  row.method_used = result.info.method_used;
  row.steps = step_letters(result.info.steps);
  row.iterations = result.info.iterations;
  row.products = result.info.products;
  row.flops = result.info.flops;
  row.converged = result.info.converged;
  row.cond_estimate = result.info.cond_estimate;
  row.seconds = seconds;
  row.ortho_eps = orthogonality_fro(result.U.view()) / std::sqrt(static_cast<double>(k)) / eps;
  row.backward_eps = backward_error(A.view(), result.U.view(), result.H.view()) / eps;
  row.forward = relative_difference(result.U.view(), U_ref.view());
  return row;
}

void print_preamble(const Setup& setup, const SweepArgs& args, double eps) {
  std::printf("polarkit sweep: A = P diag(sigma) Q^T with Haar P, Q; %lld x %lld, %s, seed %llu, "
              "tol %g%s, max %d iterations, device %s\n",
              static_cast<long long>(setup.m), static_cast<long long>(setup.n), setup.dtype.c_str(),
              static_cast<unsigned long long>(args.seed), args.tol,
              args.tol == 0.0 ? " (working precision)" : "", args.max_iter, args.device.c_str());
  std::printf("  ortho    = ||U^T U - I||_F / sqrt(n) / eps   (eps = %.3e)\n", eps);
  std::printf("  backward = ||A - U H||_F / ||A||_F / eps\n");
  std::printf("  forward  = ||U - U_svd||_F / ||U_svd||_F\n");
  std::printf("  steps    = kind of each iteration: P polynomial (Newton-Schulz family), Q QDWH QR,\n"
              "             K QDWH Cholesky QR, C QDWH Cholesky, N Newton, Z Zolo-PD, L polynomial in --precision; runs of\n"
              "             more than 12 as kind+count (P29)\n");
  std::printf("  used     = the method auto ran ('-': the method itself)\n");
  if (setup.precision != Precision::working) {
    std::printf("  the Newton-Schulz methods iterate in %s (steps L)%s; the others in %s\n",
                std::string(precision_name(setup.precision)).c_str(),
                setup.refine ? ", then refine in the input's precision (steps P)" : "",
                setup.dtype.c_str());
  }
}

void print_block_header(const std::string& spectrum_name, double kappa) {
  std::printf("\n%s spectrum, kappa = %g\n", spectrum_name.c_str(), kappa);
  std::printf("  %-24s %5s %8s %10s %5s %11s %13s %12s %10s %10s  %-12s %s\n", "method", "iters",
              "products", "Mflop", "conv", "ortho", "backward", "forward", "cond est", "time ms",
              "steps", "used");
}

void print_row(const SweepRow& r) {
  const std::string used = r.method_used == r.method ? "-" : std::string(method_name(r.method_used));
  std::printf("  %-24s %5d %8lld %10.1f %5s %11.3g %13.3g %12.3e %10.3g %10.2f  %-12s %s\n",
              std::string(method_name(r.method)).c_str(), r.iterations,
              static_cast<long long>(r.products), r.flops / 1e6, r.converged ? "yes" : "NO",
              r.ortho_eps, r.backward_eps, r.forward, r.cond_estimate, r.seconds * 1e3,
              steps_for_table(r.steps).c_str(), used.c_str());
}

template <class T>
std::vector<SweepRow> run(const Setup& setup, const SweepArgs& args) {
  const double eps = std::numeric_limits<T>::epsilon();
  print_preamble(setup, args, eps);
  // Every block solves the SVD reference and then each other method once.
  const auto others = static_cast<std::size_t>(
      std::count_if(setup.methods.begin(), setup.methods.end(),
                    [](Method m) { return m != Method::svd; }));
  Progress progress(setup.spectra.size() * setup.kappas.size() * (1 + others),
                    args.progress ? Progress::Mode::lines : Progress::Mode::automatic);
  const SingularVectors vectors(setup.m, setup.n, args.seed);
  std::vector<SweepRow> rows;
  for (const std::string& spectrum_name : setup.spectra) {
    for (const double kappa : setup.kappas) {
      const std::string block = spectrum_name + " kappa " + format("%g", kappa) + ": ";
      const Matrix<T> A =
          vectors.with_singular_values<T>(spectrum(spectrum_name, vectors.rank(), kappa));
      PolarOptions options;
      options.tol = args.tol;
      options.max_iter = args.max_iter;
      options.compute_h = true;

      options.method = Method::svd;
      double svd_seconds = 0.0;
      progress.begin(block + "svd");
      const PolarResult<T> reference = timed_polar(setup.space, A, options, svd_seconds);
      progress.end();

      print_block_header(spectrum_name, kappa);
      for (const Method method : setup.methods) {
        SweepRow row;
        if (method == Method::svd) {
          row = measure(spectrum_name, kappa, A, reference, reference.U, svd_seconds);
        } else {
          options.method = method;
          options.precision = is_newton_schulz(method) ? setup.precision : Precision::working;
          options.refine = setup.refine;
          double seconds = 0.0;
          progress.begin(block + std::string(method_name(method)));
          const PolarResult<T> result = timed_polar(setup.space, A, options, seconds);
          progress.end();
          row = measure(spectrum_name, kappa, A, result, reference.U, seconds);
          row.precision = options.precision;
        }
        print_row(row);
        rows.push_back(row);
      }
      std::fflush(stdout);
    }
  }
  return rows;
}

std::string csv_text(const std::vector<SweepRow>& rows, const Setup& setup,
                     const SweepArgs& args) {
  std::ostringstream csv;
  csv << "spectrum,kappa,dtype,m,n,method,iterations,products,flops,converged,ortho_eps,"
         "backward_eps,forward_error,cond_estimate,seconds,method_used,steps,precision,seed,"
         "tol,max_iter,refine,device\n";
  for (const SweepRow& r : rows) {
    csv << r.spectrum << ',' << format("%.17g", r.kappa) << ',' << setup.dtype << ',' << setup.m
        << ',' << setup.n << ',' << method_name(r.method) << ',' << r.iterations << ','
        << r.products << ',' << format("%.6e", r.flops) << ',' << (r.converged ? "true" : "false")
        << ',' << format("%.6e", r.ortho_eps) << ',' << format("%.6e", r.backward_eps) << ','
        << format("%.6e", r.forward) << ',' << format("%.6e", r.cond_estimate) << ','
        << format("%.6e", r.seconds) << ',' << method_name(r.method_used) << ',' << r.steps
        << ',' << precision_name(r.precision) << ',' << args.seed << ','
        << format("%.17g", args.tol) << ',' << args.max_iter << ','
        << (r.precision != Precision::working && setup.refine ? "true" : "false") << ','
        << args.device << '\n';
  }
  return csv.str();
}

// --- the figure --------------------------------------------------------------------------------

// A method looks the same in every figure: its style is its place in enum Method. auto is an
// overlay (a ring, no line) so that the method it ran, drawn under it, stays visible.
SeriesStyle method_style(Method method) {
  return method == Method::automatic ? overlay_style() : series_style(static_cast<int>(method));
}

// One kind of panel: a measure of the rows against κ.
struct PanelKind {
  std::string name;  // the panel's title after the spectrum
  std::string y_label;
  double (*value)(const SweepRow&);
  bool with_svd = true;  // false where svd is the reference (forward error) or does not iterate
  bool plain_log_labels = false;
  std::vector<ReferenceLine> references;
};

// Accuracy first, then cost: across a row, whether a method is accurate enough at a κ and what
// it costs there.
std::vector<PanelKind> panel_kinds(const Setup& setup) {
  const double k = static_cast<double>(std::min(setup.m, setup.n));
  const double scaled = 3.0 * std::sqrt(k);
  const std::vector<ReferenceLine> bars{
      {13.0, "13\u03b5", 0.0},
      {scaled, "3\u221an\u00b7\u03b5 = " + format("%.0f", scaled) + "\u03b5", 0.0}};
  return {
      {"orthogonality", "\u2016U\u1d40U \u2212 I\u2016_F / (\u221an \u00b7 \u03b5)",
       [](const SweepRow& r) { return r.ortho_eps; }, true, false, bars},
      {"backward error", "\u2016A \u2212 UH\u2016_F / (\u2016A\u2016_F \u00b7 \u03b5)",
       [](const SweepRow& r) { return r.backward_eps; }, true, false, bars},
      {"forward error", "\u2016U \u2212 U_svd\u2016_F / \u2016U_svd\u2016_F",
       [](const SweepRow& r) { return r.forward; }, false, false,
       {{unit_roundoff(setup.dtype), "\u03ba\u00b7u", 1.0}}},
      // 1–6 for the rational methods, up to ~100 for cubic Newton–Schulz: a log axis.
      {"iterations", "iterations",
       [](const SweepRow& r) { return static_cast<double>(r.iterations); }, false, true, {}},
      {"time", "seconds (one polar() call)", [](const SweepRow& r) { return r.seconds; }, true,
       false, {}},
  };
}

PlotSeries method_series(const std::vector<SweepRow>& rows, const std::string& spectrum_name,
                         Method method, const PanelKind& kind) {
  PlotSeries series;
  series.label = std::string(method_name(method));
  series.style = method_style(method);
  for (const SweepRow& r : rows) {
    if (r.spectrum != spectrum_name || r.method != method) continue;
    series.x.push_back(r.kappa);
    series.y.push_back(kind.value(r));
    series.hollow.push_back(!r.converged);
  }
  return series;
}

std::string plot_svg(const std::vector<SweepRow>& rows, const Setup& setup, const SweepArgs& args) {
  const double u = unit_roundoff(setup.dtype);
  Figure figure;
  figure.title = "polarkit sweep: accuracy, iterations and time vs \u03ba";
  figure.note = "A = P\u00b7diag(\u03c3)\u00b7Q\u1d40, " + std::to_string(setup.m) + " \u00d7 " +
                std::to_string(setup.n) + ", " + setup.dtype + ", seed " +
                std::to_string(args.seed) + ", max " + std::to_string(args.max_iter) +
                " iterations, " + args.device + "; dashed: 13\u03b5 (the JAX/SLATE bar), "
                "3\u221an\u00b7\u03b5, \u03ba\u00b7u; dotted: \u03ba = 1/u = " +
                format("%.2g", 1.0 / u) + " (A numerically singular beyond)";
  figure.columns = 5;  // one row per spectrum
  figure.panel_width = 400.0;
  figure.panel_height = 320.0;
  figure.hollow_meaning = "open marker: not converged";
  for (const Method method : setup.methods) {
    figure.legend.push_back({std::string(method_name(method)), method_style(method),
                             method == Method::automatic ? "ring over the method it ran" : ""});
  }
  const std::vector<PanelKind> kinds = panel_kinds(setup);
  for (const std::string& spectrum_name : setup.spectra) {
    for (const PanelKind& kind : kinds) {
      PlotPanel panel;
      panel.title = spectrum_name + ": " + kind.name;
      panel.x_label = "\u03ba(A)";
      panel.y_label = kind.y_label;
      panel.log_x = true;
      panel.log_y = true;
      panel.plain_log_labels = kind.plain_log_labels;
      panel.references = kind.references;
      panel.verticals = {{1.0 / u, "1/u"}};
      for (const Method method : setup.methods) {
        if (method == Method::svd && !kind.with_svd) continue;
        panel.series.push_back(method_series(rows, spectrum_name, method, kind));
      }
      figure.panels.push_back(std::move(panel));
    }
  }
  return render_svg(figure);
}

}  // namespace

CLI::App* add_sweep_command(CLI::App& app, SweepArgs& args) {
  CLI::App* cmd = app.add_subcommand(
      "sweep", "Accuracy and iterations vs condition number for several methods (table, CSV, plot)");
  cmd->add_option("--methods", args.methods, "Comma-separated methods (any the polar command accepts; muon only when named)")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--n", args.n, "Columns of A")->capture_default_str();
  cmd->add_option("--m", args.m, "Rows of A (default: n)");
  cmd->add_option("--kappa", args.kappas,
                  "Comma-separated condition numbers (default f64: 1,1e2,1e4,1e6,1e8,1e12,1e16; "
                  "f32: 1,1e2,1e4,1e6)")
      ->delimiter(',');
  cmd->add_option("--dtype", args.dtype, "f32 or f64")
      ->check(CLI::IsMember({"f32", "f64"}))
      ->capture_default_str();
  cmd->add_option("--spectrum", args.spectra,
                  "Comma-separated singular value distributions: geometric, linear, one-small")
      ->delimiter(',')
      ->check(CLI::IsMember(spectrum_names()))
      ->capture_default_str();
  cmd->add_option("--seed", args.seed, "Seed of the random singular vectors")->capture_default_str();
  cmd->add_option("--tol", args.tol, "Tolerance (0: working precision)")->capture_default_str();
  cmd->add_option("--max-iter", args.max_iter, "Most iterations per solve")->capture_default_str();
  cmd->add_option("--precision", args.precision,
                  "Format the Newton-Schulz methods iterate in: working, tf32, bf16, fp16 (the "
                  "others run in --dtype; errors are in units of --dtype's eps)")
      ->check(CLI::IsMember({"working", "tf32", "bf16", "fp16"}))
      ->capture_default_str();
  cmd->add_flag("--refine", args.refine,
                "After a reduced-precision iteration, continue in --dtype to working precision");
  cmd->add_option("--device", args.device,
                  "cpu, or cuda: every solve on the current CUDA device (A uploaded and U, H "
                  "downloaded outside the timings)")
      ->check(CLI::IsMember({"cpu", "cuda"}))
      ->capture_default_str();
  cmd->add_flag("--progress", args.progress,
                "When stderr is not a terminal, print one line per finished solve on it (on a "
                "terminal a progress line with an estimate of the time left is always shown)");
  cmd->add_option("--csv", args.csv_path, "Write the results as CSV to this file")
      ->check(non_empty_file_name());
  cmd->add_option("--plot", args.plot_path, "Write an SVG plot to this file (its name must end in .svg)")
      ->check(non_empty_file_name());
  return cmd;
}

int run_sweep(const SweepArgs& args) {
  const Setup setup = validate(args);
  const std::vector<SweepRow> rows =
      setup.dtype == "f32" ? run<float>(setup, args) : run<double>(setup, args);

  std::vector<PendingFile> outputs;
  if (!args.csv_path.empty()) {
    const std::string text = csv_text(rows, setup, args);
    outputs.push_back({args.csv_path, [text](const std::string& p) { write_text_file(p, text); }});
  }
  if (!args.plot_path.empty()) {
    const std::string text = plot_svg(rows, setup, args);
    outputs.push_back({args.plot_path, [text](const std::string& p) { write_text_file(p, text); }});
  }
  write_all_or_nothing(outputs);
  if (!args.csv_path.empty()) std::printf("\nwrote %s\n", args.csv_path.c_str());
  if (!args.plot_path.empty()) std::printf("wrote %s\n", args.plot_path.c_str());
  return 0;
}

}  // namespace polarkit::cli

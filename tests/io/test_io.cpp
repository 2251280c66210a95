// test_io.cpp — the .npy and Matrix Market readers and the .npy writer.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "polarkit/error.hpp"
#include "polarkit/io.hpp"
#include "polarkit/matrix.hpp"
#include "polarkit/matrix_view.hpp"
#include "testkit/npy_bytes.hpp"

namespace fs = std::filesystem;
using polarkit::Error;
using polarkit::ErrorCode;
using polarkit::index_t;
using polarkit::Matrix;
using polarkit::MatrixView;
namespace io = polarkit::io;

namespace {

// --- helpers -------------------------------------------------------------------------------------

class IoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device seed;
    for (int attempt = 0; attempt < 100; ++attempt) {
      const fs::path candidate =
          fs::temp_directory_path() / ("polarkit_test_io_" + std::to_string(seed()));
      if (fs::create_directory(candidate)) {
        dir_ = candidate;
        return;
      }
    }
    FAIL() << "cannot create a temporary directory";
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  [[nodiscard]] std::string path(const std::string& name) const { return (dir_ / name).string(); }

  std::string write_file(const std::string& name, const std::string& bytes) const {
    const std::string p = path(name);
    std::ofstream out(p, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    EXPECT_TRUE(out.good());
    return p;
  }

  [[nodiscard]] std::vector<std::string> dir_entries() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir_)) names.push_back(e.path().filename().string());
    return names;
  }

  fs::path dir_;
};

std::string read_bytes(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

using polarkit::testkit::npy_bytes;
using polarkit::testkit::raw;

std::string f8_dict(const std::string& shape, bool fortran = false) {
  return "{'descr': '<f8', 'fortran_order': " + std::string(fortran ? "True" : "False") +
         ", 'shape': " + shape + ", }";
}

/// Runs f, expecting Error(io_error) whose one-line message contains phrase.
void expect_io_error(const std::function<void()>& f, const std::string& phrase) {
  try {
    f();
    ADD_FAILURE() << "no exception; expected one containing \"" << phrase << "\"";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::io_error) << e.what();
    const std::string msg = e.what();
    EXPECT_NE(msg.find(phrase), std::string::npos) << "message: " << msg << "\nexpected: " << phrase;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << "message spans lines: " << msg;
  }
}

void expect_npy_error(const std::string& bytes, const std::string& phrase) {
  expect_io_error([&] { static_cast<void>(io::parse_npy(bytes, "mem.npy")); }, phrase);
}

void expect_mm_error(const std::string& text, const std::string& phrase) {
  expect_io_error([&] { static_cast<void>(io::parse_matrix_market(text, "mem.mtx")); }, phrase);
}

template <class T>
Matrix<T> sample(index_t rows, index_t cols) {
  Matrix<T> A(rows, cols);
  for (index_t j = 0; j < cols; ++j) {
    for (index_t i = 0; i < rows; ++i) {
      A(i, j) = static_cast<T>(static_cast<double>(i) * 10.0 + static_cast<double>(j) + 0.25);
    }
  }
  return A;
}

template <class T>
void expect_equal(const io::DenseFile& f, MatrixView<const T> A) {
  ASSERT_EQ(f.values.rows(), A.rows());
  ASSERT_EQ(f.values.cols(), A.cols());
  for (index_t i = 0; i < A.rows(); ++i) {
    for (index_t j = 0; j < A.cols(); ++j) {
      EXPECT_EQ(f.values(i, j), static_cast<double>(A(i, j))) << "(" << i << ", " << j << ")";
    }
  }
}

// --- .npy round trips ---------------------------------------------------------------------------

TEST_F(IoTest, RoundTripF64ColMajor) {
  const Matrix<double> A = sample<double>(3, 4);
  const std::string p = path("a.npy");
  io::write_npy(p, A.view());
  const io::DenseFile f = io::read_npy(p);
  EXPECT_EQ(f.dtype, io::DType::f64);
  expect_equal<double>(f, A.view());
  EXPECT_NE(read_bytes(p).find("'fortran_order': True"), std::string::npos);
}

TEST_F(IoTest, RoundTripF32ColMajor) {
  Matrix<float> A = sample<float>(4, 3);
  A(1, 2) = 1.0f / 3.0f;  // not representable in fewer bits: f32 → f64 must be exact
  const std::string p = path("a32.npy");
  io::write_npy(p, A);  // the Matrix overload
  const io::DenseFile f = io::read_npy(p);
  EXPECT_EQ(f.dtype, io::DType::f32);
  expect_equal<float>(f, A.view());
  EXPECT_NE(read_bytes(p).find("'descr': '<f4'"), std::string::npos);
}

TEST_F(IoTest, RoundTripRowMajorView) {
  for (const index_t ld : {index_t{4}, index_t{6}}) {
    // 3 × 4 row-major; with ld = 6 two padding columns hold -99 and must not be written.
    std::vector<double> buf(static_cast<std::size_t>(3 * ld), -99.0);
    const MatrixView<double> A = polarkit::row_major(buf.data(), 3, 4, ld);
    for (index_t i = 0; i < 3; ++i) {
      for (index_t j = 0; j < 4; ++j) A(i, j) = static_cast<double>(i * 4 + j) + 0.5;
    }
    const std::string p = path("row.npy");
    io::write_npy(p, A);
    const io::DenseFile f = io::read_matrix(p);
    expect_equal<double>(f, A);
    EXPECT_NE(read_bytes(p).find("'fortran_order': False"), std::string::npos);
    EXPECT_EQ(f.values(1, 0), 4.5);  // C order on disk, element (1, 0) in the right place
  }
  // Tight row-major float data.
  std::vector<float> fbuf(2 * 3);
  for (std::size_t k = 0; k < fbuf.size(); ++k) fbuf[k] = static_cast<float>(k) * 1.5f;
  const std::string p = path("rowf.npy");
  io::write_npy(p, polarkit::row_major<const float>(fbuf.data(), 2, 3, 3));
  const io::DenseFile f = io::read_npy(p);
  EXPECT_EQ(f.dtype, io::DType::f32);
  EXPECT_EQ(f.values(0, 2), 3.0);
  EXPECT_EQ(f.values(1, 0), 4.5);
}

TEST_F(IoTest, RoundTripSubBlockWithLdAboveRows) {
  const Matrix<double> A = sample<double>(5, 6);
  const MatrixView<const double> B = A.view().block(1, 2, 3, 3);  // ld 5 > rows 3
  ASSERT_GT(B.ld(), B.rows());
  const std::string p = path("block.npy");
  io::write_npy(p, B);
  const io::DenseFile f = io::read_npy(p);
  expect_equal<double>(f, B);
  EXPECT_EQ(f.values(0, 0), A(1, 2));
  EXPECT_EQ(read_bytes(p).size() % 64, (9 * sizeof(double)) % 64);

  const Matrix<float> Af = sample<float>(5, 6);
  io::write_npy(p, Af.view().block(2, 1, 3, 4));  // overwrites the previous file
  const io::DenseFile ff = io::read_npy(p);
  EXPECT_EQ(ff.dtype, io::DType::f32);
  expect_equal<float>(ff, Af.view().block(2, 1, 3, 4));
}

TEST_F(IoTest, RoundTripTransposedView) {
  Matrix<double> A = sample<double>(2, 5);
  const MatrixView<double> At = A.view().transposed();  // 5 × 2 row-major, mutable overload
  const std::string p = path("t.npy");
  io::write_npy(p, At);
  const io::DenseFile f = io::read_npy(p);
  expect_equal<double>(f, MatrixView<const double>(At));
}

TEST_F(IoTest, RoundTripEmpty) {
  for (const auto& [r, c] : {std::pair<index_t, index_t>{0, 3}, {3, 0}, {0, 0}}) {
    const Matrix<double> A(r, c);
    const std::string p = path("empty.npy");
    io::write_npy(p, A.view());
    const io::DenseFile f = io::read_npy(p);
    EXPECT_EQ(f.values.rows(), r);
    EXPECT_EQ(f.values.cols(), c);
  }
}

TEST_F(IoTest, WrittenHeaderFollowsTheSpec) {
  const Matrix<double> A = sample<double>(2, 3);
  const std::string p = path("h.npy");
  io::write_npy(p, A.view());
  const std::string bytes = read_bytes(p);
  ASSERT_GE(bytes.size(), 10U);
  EXPECT_EQ(bytes.substr(0, 6), std::string("\x93NUMPY", 6));
  EXPECT_EQ(bytes[6], '\x01');
  EXPECT_EQ(bytes[7], '\x00');
  const std::size_t header_len = static_cast<unsigned char>(bytes[8]) +
                                 256U * static_cast<unsigned char>(bytes[9]);
  EXPECT_EQ((10 + header_len) % 64, 0U);
  EXPECT_EQ(bytes[10 + header_len - 1], '\n');
  EXPECT_EQ(bytes.size(), 10 + header_len + 6 * sizeof(double));
  const std::string header = bytes.substr(10, header_len);
  EXPECT_NE(header.find("'shape': (2, 3)"), std::string::npos) << header;
}

// --- .npy hand-made input -----------------------------------------------------------------------

TEST(NpyRead, COrderPlacesElements) {
  const std::string bytes = npy_bytes(f8_dict("(2, 3)"), raw<double>({1, 2, 3, 4, 5, 6}));
  const io::DenseFile f = io::parse_npy(bytes, "c.npy");
  EXPECT_EQ(f.dtype, io::DType::f64);
  ASSERT_EQ(f.values.rows(), 2);
  ASSERT_EQ(f.values.cols(), 3);
  EXPECT_EQ(f.values(0, 0), 1);
  EXPECT_EQ(f.values(0, 1), 2);
  EXPECT_EQ(f.values(0, 2), 3);
  EXPECT_EQ(f.values(1, 0), 4);
  EXPECT_EQ(f.values(1, 1), 5);
  EXPECT_EQ(f.values(1, 2), 6);
}

TEST(NpyRead, FortranOrderPlacesElements) {
  const std::string bytes = npy_bytes(f8_dict("(2, 3)", true), raw<double>({1, 2, 3, 4, 5, 6}));
  const io::DenseFile f = io::parse_npy(bytes, "f.npy");
  ASSERT_EQ(f.values.rows(), 2);
  ASSERT_EQ(f.values.cols(), 3);
  EXPECT_EQ(f.values(0, 0), 1);
  EXPECT_EQ(f.values(1, 0), 2);
  EXPECT_EQ(f.values(0, 1), 3);
  EXPECT_EQ(f.values(1, 1), 4);
  EXPECT_EQ(f.values(0, 2), 5);
  EXPECT_EQ(f.values(1, 2), 6);
}

TEST(NpyRead, Float32BothOrders) {
  const std::string data = raw<float>({0.5f, -1.25f, 3.0f, 1e-7f});
  const io::DenseFile c =
      io::parse_npy(npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2)}", data),
                    "c4.npy");
  EXPECT_EQ(c.dtype, io::DType::f32);
  EXPECT_EQ(c.values(0, 1), -1.25);
  EXPECT_EQ(c.values(1, 1), static_cast<double>(1e-7f));
  const io::DenseFile f =
      io::parse_npy(npy_bytes("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2)}", data),
                    "f4.npy");
  EXPECT_EQ(f.values(1, 0), -1.25);
  EXPECT_EQ(f.values(0, 1), 3.0);
}

TEST(NpyRead, Version2And3Headers) {
  for (const int major : {2, 3}) {
    const std::string bytes =
        npy_bytes(f8_dict("(1, 2)"), raw<double>({7.0, 8.0}), major);
    ASSERT_EQ((bytes.size() - 16) % 64, 0U);
    const io::DenseFile f = io::parse_npy(bytes, "v.npy");
    EXPECT_EQ(f.values(0, 0), 7.0);
    EXPECT_EQ(f.values(0, 1), 8.0);
  }
}

TEST(NpyRead, HeaderVariants) {
  const std::string data = raw<double>({1, 2, 3, 4, 5, 6});
  for (const std::string& dict : {
           std::string("{'shape': (3, 2), 'fortran_order': False, 'descr': '<f8'}"),
           std::string("{ \"descr\" : \"<f8\" ,\n 'fortran_order':False,'shape':(3,2,),}"),
           std::string("{'descr':'<f8','fortran_order':False,'shape':( 3 , 2 )}"),
           std::string("{'descr': '<f8', 'fortran_order': False, 'shape': (3L, 2L), }"),
       }) {
    const io::DenseFile f = io::parse_npy(npy_bytes(dict, data), "variant.npy");
    ASSERT_EQ(f.values.rows(), 3) << dict;
    ASSERT_EQ(f.values.cols(), 2) << dict;
    EXPECT_EQ(f.values(2, 1), 6) << dict;
  }
}

TEST(NpyRead, NanAndInfArePassedThrough) {
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const io::DenseFile f = io::parse_npy(npy_bytes(f8_dict("(1, 2)"), raw<double>({nan, inf})), "x");
  EXPECT_TRUE(std::isnan(f.values(0, 0)));
  EXPECT_EQ(f.values(0, 1), inf);
}

// --- .npy errors --------------------------------------------------------------------------------

TEST_F(IoTest, MissingFile) {
  const std::string p = path("does_not_exist.npy");
  expect_io_error([&] { static_cast<void>(io::read_npy(p)); }, p + ": cannot open file (");
  expect_io_error([&] { static_cast<void>(io::read_matrix(p)); }, "No such file or directory");
  expect_io_error([&] { static_cast<void>(io::read_matrix_market(p)); }, "cannot open file");
}

TEST_F(IoTest, DirectoryIsNotAFile) {
  expect_io_error([&] { static_cast<void>(io::read_matrix(dir_.string())); }, dir_.string() + ": ");
}

// Reading is bounded: a device (/dev/zero read until memory ran out) or a FIFO (opening it waited
// for a writer) is refused before a byte is read, and a regular file longer than any matrix of
// max_elements values could be is refused by its size.
TEST_F(IoTest, OnlyRegularFilesOfABoundedSizeAreRead) {
  expect_io_error([] { static_cast<void>(io::read_npy("/dev/zero")); },
                  "/dev/zero: not a regular file");
  expect_io_error([] { static_cast<void>(io::read_matrix("/dev/zero")); }, "not a regular file");
  const fs::path fifo = dir_ / "fifo.npy";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  expect_io_error([&] { static_cast<void>(io::read_matrix_market(fifo.string())); },
                  "not a regular file");
  const fs::path long_file = dir_ / "long.mtx";
  {
    std::ofstream out(long_file, std::ios::binary);
    out << "%%MatrixMarket matrix array real general\n1 1\n1\n" << std::string(2 << 20, '%');
  }
  expect_io_error([&] { static_cast<void>(io::read_matrix_market(long_file.string(), 1)); },
                  "exceeds the limit of 1048640 bytes");
}

TEST(NpyErrors, ShapeNot2D) {
  expect_npy_error(npy_bytes(f8_dict("(2, 3, 4)"), raw<double>(std::vector<double>(24))),
                   "expected a 2-D array, got shape (2, 3, 4)");
  expect_npy_error(npy_bytes(f8_dict("(3,)"), raw<double>({1, 2, 3})),
                   "expected a 2-D array, got shape (3,)");
  expect_npy_error(npy_bytes(f8_dict("()"), raw<double>({1})), "expected a 2-D array, got shape ()");
}

TEST(NpyErrors, UnsupportedDtypes) {
  const std::string data(16, '\0');
  for (const char* descr : {"<i4", ">f8", "|O", "<c16", "=f8", "<f2", "|b1"}) {
    expect_npy_error(
        npy_bytes(std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': (2, 2), }", data),
        std::string("unsupported dtype '") + descr + "'");
  }
  expect_npy_error(npy_bytes("{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (1, 1)}",
                             data.substr(0, 8)),
                   "structured dtypes are not supported");
}

// An empty matrix with a huge dimension holds no element, so the element cap passed it, and
// every loop over its columns ran 2^32 or 2^63 times (seconds, or a hang). Each dimension is
// capped now, before anything loops.
TEST(NpyErrors, EmptyButHugeShapesAreRefusedAtOnce) {
  for (const char* shape : {"(0, 9223372036854775807)", "(0, 4294967296)", "(4294967296, 0)"}) {
    expect_npy_error(npy_bytes(f8_dict(shape), ""), "a dimension exceeds the limit of 2147483648");
  }
  expect_mm_error("%%MatrixMarket matrix array real general\n0 429496729646\n",
                  "a dimension exceeds the limit of 2147483648");
  expect_mm_error("%%MatrixMarket matrix coordinate real general\n429496729646 0 0\n",
                  "a dimension exceeds the limit of 2147483648");
}

TEST(NpyErrors, TruncatedAndTrailingData) {
  const std::string full = npy_bytes(f8_dict("(2, 3)"), raw<double>({1, 2, 3, 4, 5, 6}));
  expect_npy_error(full.substr(0, full.size() - 1), "truncated data: expected 48 bytes");
  expect_npy_error(full.substr(0, full.size() - 1), "got 47");
  expect_npy_error(full.substr(0, full.size() - 48), "got 0");
  expect_npy_error(full + "x", "trailing data: expected 48 bytes");
}

TEST(NpyErrors, TruncatedPreamble) {
  const std::string full = npy_bytes(f8_dict("(1, 1)"), raw<double>({1}));
  expect_npy_error(full.substr(0, 6), "truncated .npy file");
  expect_npy_error(full.substr(0, 9), "truncated .npy file");
  expect_npy_error(full.substr(0, 40), "truncated .npy header: expected 118 bytes, got 30");
  std::string v2 = npy_bytes(f8_dict("(1, 1)"), raw<double>({1}), 2);
  v2[11] = '\x7f';  // header length ~2 GiB
  expect_npy_error(v2, "truncated .npy header");
}

TEST(NpyErrors, BadMagicOrVersion) {
  std::string bytes = npy_bytes(f8_dict("(1, 1)"), raw<double>({1}));
  bytes[6] = '\x04';
  expect_npy_error(bytes, "unsupported .npy version 4.0");
  bytes[6] = '\x01';
  bytes[7] = '\x01';
  expect_npy_error(bytes, "unsupported .npy version 1.1");
  expect_npy_error("\x93NUMPZ", "not a .npy file");
}

TEST(NpyErrors, MalformedHeaders) {
  const std::string data = raw<double>({1, 2});
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"'descr': '<f8', 'fortran_order': False, 'shape': (1, 2)}", "does not start with '{'"},
      {"{'descr': '<f8', 'fortran_order': False}", "no 'shape' key"},
      {"{'fortran_order': False, 'shape': (1, 2)}", "no 'descr' key"},
      {"{'descr': '<f8', 'shape': (1, 2)}", "no 'fortran_order' key"},
      {"{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2), 'extra': 1}",
       "unexpected key 'extra'"},
      {"{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (1, 2)}",
       "duplicate key 'descr'"},
      {"{'descr': '<f8, 'fortran_order': False, 'shape': (1, 2)}", "malformed .npy header"},
      {"{'descr': '<f8', 'fortran_order': false, 'shape': (1, 2)}", "True or False"},
      {"{'descr': '<f8', 'fortran_order': False, 'shape': (2)}", "'shape' must be a tuple"},
      {"{'descr': '<f8', 'fortran_order': False, 'shape': [1, 2]}", "'shape' must be a tuple"},
      {"{'descr': '<f8', 'fortran_order': False, 'shape': (1, -2)}", "negative dimension"},
      {"{'descr': '<f8', 'fortran_order': False, 'shape': (1 2)}", "expected ',' or ')'"},
      {"{'descr': '<f8', 'fortran_order': False, 'shape': (1, x)}", "expected an integer"},
      {"{'descr': '<f8' 'fortran_order': False, 'shape': (1, 2)}", "expected ',' or '}'"},
      {"{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2)} junk", "after the header dict"},
      {"{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2)", "malformed .npy header"},
      {"{'descr': '<\\x66\\x38', 'fortran_order': False, 'shape': (1, 2)}", "escape"},
      {"{'descr' '<f8', 'fortran_order': False, 'shape': (1, 2)}", "expected ':'"},
      {"{}", "no 'descr' key"},
      {"", "malformed .npy header"},
  };
  for (const auto& [dict, phrase] : cases) {
    SCOPED_TRACE(dict);
    expect_npy_error(npy_bytes(dict, data), phrase);
  }
}

TEST(NpyErrors, HugeShapes) {
  // rows · cols · 8 overflows 64 bits.
  expect_npy_error(npy_bytes(f8_dict("(4294967296, 4294967296)"), raw<double>({1})), "too large");
  expect_npy_error(npy_bytes(f8_dict("(9223372036854775807, 2)"), raw<double>({1})), "too large");
  // rows · cols fits, · 8 does not.
  expect_npy_error(npy_bytes(f8_dict("(2305843009213693952, 4)"), ""), "too large");
  // A dimension beyond int64.
  expect_npy_error(npy_bytes(f8_dict("(99999999999999999999, 1)"), ""), "too large");
  // Fits 64 bits but not the file.
  expect_npy_error(npy_bytes(f8_dict("(100000, 100000)"), raw<double>({1})),
                   "truncated data: expected 80000000000 bytes");
}

TEST(NpyErrors, MaxElementsCap) {
  const std::string bytes = npy_bytes(f8_dict("(2, 3)"), raw<double>({1, 2, 3, 4, 5, 6}));
  expect_io_error([&] { static_cast<void>(io::parse_npy(bytes, "cap.npy", 5)); },
                  "exceeds the limit of 5 elements");
  EXPECT_NO_THROW(static_cast<void>(io::parse_npy(bytes, "cap.npy", 6)));
}

TEST(NpyErrors, MessagesStayOnOneLine) {
  const std::string bytes =
      npy_bytes("{'descr': '<i\n4', 'fortran_order': False, 'shape': (1, 1)}", raw<double>({1}));
  expect_npy_error(bytes, "unterminated string");
  const std::string odd = npy_bytes(
      "{'descr': '\x01\xff', 'fortran_order': False, 'shape': (1, 1)}", raw<double>({1}));
  expect_npy_error(odd, "unsupported dtype '\\x01\\xff'");
  expect_io_error([] { static_cast<void>(io::parse_matrix("junk", "a\nb.npy")); },
                  "a\\x0ab.npy: not a .npy or Matrix Market file");
}

// --- read_matrix dispatch -----------------------------------------------------------------------

TEST_F(IoTest, ReadMatrixDispatchesOnContent) {
  const std::string npy = write_file("data.txt", npy_bytes(f8_dict("(1, 1)"), raw<double>({4.0})));
  EXPECT_EQ(io::read_matrix(npy).values(0, 0), 4.0);
  const std::string mm =
      write_file("data.npy", "%%MatrixMarket matrix array real general\n1 1\n5.0\n");
  const io::DenseFile f = io::read_matrix(mm);
  EXPECT_EQ(f.dtype, io::DType::f64);
  EXPECT_EQ(f.values(0, 0), 5.0);
  const std::string text = write_file("text.csv", "1,2\n3,4\n");
  expect_io_error([&] { static_cast<void>(io::read_matrix(text)); },
                  text + ": not a .npy or Matrix Market file");
  const std::string empty = write_file("empty", "");
  expect_io_error([&] { static_cast<void>(io::read_matrix(empty)); },
                  "not a .npy or Matrix Market file");
  expect_io_error([&] { static_cast<void>(io::read_npy(mm)); }, "not a .npy file");
  expect_io_error([&] { static_cast<void>(io::read_matrix_market(npy)); },
                  "not a Matrix Market file");
}

TEST(DType, Names) {
  EXPECT_STREQ(io::dtype_name(io::DType::f32), "f32");
  EXPECT_STREQ(io::dtype_name(io::DType::f64), "f64");
}

// --- Matrix Market ------------------------------------------------------------------------------

TEST(MatrixMarket, ArrayIsColumnMajor) {
  const io::DenseFile f = io::parse_matrix_market(
      "%%MatrixMarket matrix array real general\n% a comment\n2 3\n1\n2\n3\n4\n5\n6\n", "a.mtx");
  EXPECT_EQ(f.dtype, io::DType::f64);
  ASSERT_EQ(f.values.rows(), 2);
  ASSERT_EQ(f.values.cols(), 3);
  EXPECT_EQ(f.values(0, 0), 1);
  EXPECT_EQ(f.values(1, 0), 2);
  EXPECT_EQ(f.values(0, 1), 3);
  EXPECT_EQ(f.values(1, 1), 4);
  EXPECT_EQ(f.values(0, 2), 5);
  EXPECT_EQ(f.values(1, 2), 6);
}

TEST(MatrixMarket, CoordinateIsOneBasedAndSumsDuplicates) {
  const io::DenseFile f = io::parse_matrix_market(
      "%%MatrixMarket matrix coordinate real general\r\n"
      "%comment\r\n"
      "\r\n"
      "3 4 5\r\n"
      "1 1 1.5\r\n"
      "3 4 -2e1\r\n"
      "\t2  3\t+0.25 \r\n"
      "3 4 1\r\n"
      "1 2 .5",  // no final newline
      "c.mtx");
  ASSERT_EQ(f.values.rows(), 3);
  ASSERT_EQ(f.values.cols(), 4);
  EXPECT_EQ(f.values(0, 0), 1.5);
  EXPECT_EQ(f.values(2, 3), -19.0);
  EXPECT_EQ(f.values(1, 2), 0.25);
  EXPECT_EQ(f.values(0, 1), 0.5);
  EXPECT_EQ(f.values(1, 1), 0.0);
  EXPECT_EQ(f.values(2, 0), 0.0);
}

TEST(MatrixMarket, FieldsAndCaseInsensitiveBanner) {
  const io::DenseFile i = io::parse_matrix_market(
      "%%MatrixMarket MATRIX Coordinate Integer General\n2 2 2\n1 2 -7\n2 1 +3\n", "i.mtx");
  EXPECT_EQ(i.values(0, 1), -7);
  EXPECT_EQ(i.values(1, 0), 3);
  const io::DenseFile d =
      io::parse_matrix_market("%%MatrixMarket matrix array double general\n1 1\n2.5e-3\n", "d");
  EXPECT_EQ(d.values(0, 0), 2.5e-3);
}

TEST(MatrixMarket, SymmetricAndSkewAreMirrored) {
  const io::DenseFile a = io::parse_matrix_market(
      "%%MatrixMarket matrix array real symmetric\n3 3\n1\n2\n3\n4\n5\n6\n", "s.mtx");
  // Lower triangle by columns: (0,0)=1 (1,0)=2 (2,0)=3 (1,1)=4 (2,1)=5 (2,2)=6.
  const double expected_sym[3][3] = {{1, 2, 3}, {2, 4, 5}, {3, 5, 6}};
  for (index_t i = 0; i < 3; ++i) {
    for (index_t j = 0; j < 3; ++j) {
      EXPECT_EQ(a.values(i, j), expected_sym[i][j]) << i << "," << j;
    }
  }
  const io::DenseFile c = io::parse_matrix_market(
      "%%MatrixMarket matrix coordinate real symmetric\n3 3 2\n3 1 7\n2 2 1\n", "sc.mtx");
  EXPECT_EQ(c.values(2, 0), 7);
  EXPECT_EQ(c.values(0, 2), 7);
  EXPECT_EQ(c.values(1, 1), 1);
  const io::DenseFile s = io::parse_matrix_market(
      "%%MatrixMarket matrix array real skew-symmetric\n3 3\n1\n2\n3\n", "k.mtx");
  // Strictly lower triangle by columns: (1,0)=1 (2,0)=2 (2,1)=3.
  EXPECT_EQ(s.values(1, 0), 1);
  EXPECT_EQ(s.values(0, 1), -1);
  EXPECT_EQ(s.values(2, 0), 2);
  EXPECT_EQ(s.values(0, 2), -2);
  EXPECT_EQ(s.values(2, 1), 3);
  EXPECT_EQ(s.values(1, 2), -3);
  EXPECT_EQ(s.values(0, 0), 0);
  const io::DenseFile sc = io::parse_matrix_market(
      "%%MatrixMarket matrix coordinate real skew-symmetric\n2 2 1\n2 1 4\n", "kc.mtx");
  EXPECT_EQ(sc.values(1, 0), 4);
  EXPECT_EQ(sc.values(0, 1), -4);
}

TEST(MatrixMarket, EmptyAndNonFinite) {
  const io::DenseFile e =
      io::parse_matrix_market("%%MatrixMarket matrix coordinate real general\n0 5 0\n", "e");
  EXPECT_EQ(e.values.rows(), 0);
  EXPECT_EQ(e.values.cols(), 5);
  const io::DenseFile n = io::parse_matrix_market(
      "%%MatrixMarket matrix array real general\n3 1\nnan\n-inf\nInfinity\n", "n");
  EXPECT_TRUE(std::isnan(n.values(0, 0)));
  EXPECT_EQ(n.values(1, 0), -std::numeric_limits<double>::infinity());
  EXPECT_EQ(n.values(2, 0), std::numeric_limits<double>::infinity());
}

TEST_F(IoTest, MatrixMarketFromFile) {
  const std::string p =
      write_file("m.mtx", "%%MatrixMarket matrix coordinate real general\n2 2 1\n2 2 9\n");
  const io::DenseFile f = io::read_matrix_market(p);
  EXPECT_EQ(f.values(1, 1), 9);
}

TEST(MatrixMarketErrors, UnsupportedBanners) {
  expect_mm_error("%%MatrixMarket matrix coordinate complex general\n1 1 1\n1 1 1 0\n",
                  "complex matrices are not supported");
  expect_mm_error("%%MatrixMarket matrix coordinate pattern general\n1 1 1\n1 1\n",
                  "pattern matrices (no values) are not supported");
  expect_mm_error("%%MatrixMarket matrix coordinate real hermitian\n1 1 1\n1 1 1\n",
                  "hermitian matrices are not supported");
  expect_mm_error("%%MatrixMarket vector array real general\n1\n1\n", "unsupported object 'vector'");
  expect_mm_error("%%MatrixMarket matrix dense real general\n1 1\n1\n", "unsupported format 'dense'");
  expect_mm_error("%%MatrixMarket matrix array real weird\n1 1\n1\n", "unsupported symmetry 'weird'");
  expect_mm_error("%%MatrixMarket matrix array real\n1 1\n1\n", "line 1: malformed banner");
  expect_mm_error("%%MatrixMarket matrix array real general extra\n1 1\n1\n", "malformed banner");
  expect_mm_error("%%MatrixMarketmatrix array real general\n1 1\n1\n", "malformed banner");
  expect_mm_error("%%MatrixMarket matrix array real symmetric\n2 3\n1\n2\n3\n4\n5\n",
                  "must be square, got 2x3");
}

TEST(MatrixMarketErrors, SizeLine) {
  expect_mm_error("%%MatrixMarket matrix array real general\n% only comments\n", "no size line");
  expect_mm_error("%%MatrixMarket matrix coordinate real general\n2 2\n", "'rows cols entries'");
  expect_mm_error("%%MatrixMarket matrix array real general\n2 2 4\n", "'rows cols'");
  expect_mm_error("%%MatrixMarket matrix array real general\n-2 2\n", "non-negative integer");
  expect_mm_error("%%MatrixMarket matrix array real general\n2 x\n", "non-negative integer");
  expect_mm_error("%%MatrixMarket matrix array real general\n99999999999999999999 2\n", "too large");
  expect_mm_error("%%MatrixMarket matrix coordinate real general\n4294967296 4294967296 0\n",
                  "exceeds the limit");
  expect_io_error(
      [] {
        static_cast<void>(io::parse_matrix_market(
            "%%MatrixMarket matrix coordinate real general\n3 3 0\n", "cap.mtx", 8));
      },
      "exceeds the limit of 8 elements");
}

TEST(MatrixMarketErrors, Entries) {
  expect_mm_error("%%MatrixMarket matrix coordinate real general\n2 2 1\n3 1 1\n",
                  "line 3: entry (3, 1) is out of range for a 2x2 matrix");
  expect_mm_error("%%MatrixMarket matrix coordinate real general\n2 2 1\n1 0 1\n",
                  "entry (1, 0) is out of range");
  expect_mm_error("%%MatrixMarket matrix coordinate real general\n2 2 1\n1 -1 1\n",
                  "non-negative integer");
  expect_mm_error("%%MatrixMarket matrix coordinate real general\n2 2 3\n1 1 1\n2 2 2\n",
                  "missing entries: the size line announces 3 entries, the file holds 2");
  expect_mm_error("%%MatrixMarket matrix array real general\n2 2\n1\n2\n3\n",
                  "missing entries: the size line announces 4 entries, the file holds 3");
  expect_mm_error("%%MatrixMarket matrix array real general\n1 1\n1\n2\n", "line 4: extra entry");
  expect_mm_error("%%MatrixMarket matrix coordinate real general\n2 2 1\n1 1 1\n2 2 2\n",
                  "extra entry");
  expect_mm_error("%%MatrixMarket matrix array real general\n1 2\n1\nabc\n",
                  "line 4: expected a number, got 'abc'");
  expect_mm_error("%%MatrixMarket matrix array real general\n1 1\n1.5x\n", "expected a number");
  expect_mm_error("%%MatrixMarket matrix array real general\n1 1\n0x10\n", "expected a number");
  expect_mm_error("%%MatrixMarket matrix array real general\n1 1\n+-1\n", "expected a number");
  expect_mm_error("%%MatrixMarket matrix array real general\n1 1\n1e400\n", "out of the range");
  expect_mm_error("%%MatrixMarket matrix array integer general\n1 1\n1.5\n",
                  "expected an integer value, got '1.5'");
  expect_mm_error("%%MatrixMarket matrix array real general\n2 1\n1 2\n", "one value per line");
  expect_mm_error("%%MatrixMarket matrix coordinate real general\n2 2 1\n1 1\n",
                  "expected 'row col value'");
  expect_mm_error("%%MatrixMarket matrix coordinate real symmetric\n2 2 1\n1 2 1\n",
                  "above the diagonal");
  expect_mm_error("%%MatrixMarket matrix coordinate real skew-symmetric\n2 2 1\n1 1 1\n",
                  "not below the diagonal");
}

TEST(MatrixMarketErrors, TinyFileClaimingAHugeArrayAllocatesNothing) {
  // 2^30 elements announced, none present: the error comes from counting, not from allocating.
  expect_mm_error("%%MatrixMarket matrix array real general\n32768 32768\n1\n",
                  "missing entries: the size line announces 1073741824 entries");
}

// --- write_npy failures -------------------------------------------------------------------------

TEST_F(IoTest, WriteToMissingDirectoryLeavesNoFile) {
  const Matrix<double> A = sample<double>(2, 2);
  const fs::path target = dir_ / "no_such_dir" / "out.npy";
  expect_io_error([&] { io::write_npy(target.string(), A.view()); },
                  target.string() + ": cannot create file (No such file or directory)");
  EXPECT_FALSE(fs::exists(target));
  EXPECT_FALSE(fs::exists(target.parent_path()));
  EXPECT_TRUE(dir_entries().empty());
}

TEST_F(IoTest, WriteOntoADirectoryFailsAndCleansUp) {
  const Matrix<float> A = sample<float>(2, 2);
  fs::create_directory(dir_ / "sub");
  expect_io_error([&] { io::write_npy(path("sub"), A.view()); }, path("sub") + ": ");
  EXPECT_TRUE(fs::is_directory(dir_ / "sub"));
  EXPECT_EQ(dir_entries(), std::vector<std::string>{"sub"});  // no temporary file left
}

TEST_F(IoTest, WriteReplacesAnExistingFileAndLeavesNoTemporary) {
  const std::string p = write_file("out.npy", "old content");
  const Matrix<double> A = sample<double>(3, 3);
  io::write_npy(p, A.view());
  EXPECT_EQ(io::read_npy(p).values(2, 2), A(2, 2));
  EXPECT_EQ(dir_entries(), std::vector<std::string>{"out.npy"});
}

TEST_F(IoTest, WriteRefusesDeviceMemory) {
  std::vector<double> buf(4, 1.0);
  const MatrixView<const double> A(buf.data(), 2, 2, 2, polarkit::Layout::col_major,
                                   polarkit::MemorySpace::cuda);
  expect_io_error([&] { io::write_npy(path("dev.npy"), A); }, "not in host memory");
  EXPECT_TRUE(dir_entries().empty());
}

}  // namespace

#include "core/api/checks.hpp"

#include <algorithm>
#include <array>

namespace polarkit::detail {

void invalid(const std::string& message) { throw Error(ErrorCode::invalid_argument, message); }

void invalid(std::string_view who, const std::string& what) {
  invalid(std::string(who) + ": " + what);
}

void require(bool ok, std::string_view who, std::string_view what) {
  if (!ok) invalid(who, std::string(what));
}

std::string shape(index_t rows, index_t cols) {
  return std::to_string(rows) + "x" + std::to_string(cols);
}

Extent extent(const void* data, index_t rows, index_t cols, index_t ld, bool col_major,
              std::size_t element_size) {
  // (ld·(lines − 1) + length would span n − 1 columns of a 0 × n matrix, and be negative for a
  // 0 × 0 one, so that valid pointers of an empty problem were refused as overlapping.)
  if (data == nullptr || rows <= 0 || cols <= 0) return {};
  const index_t length = col_major ? rows : cols;
  const index_t lines = col_major ? cols : rows;
  const auto elements = static_cast<std::uintptr_t>((lines - 1) * ld + length);
  const auto lo = reinterpret_cast<std::uintptr_t>(data);
  return {lo, lo + elements * element_size, length, lines, ld, element_size};
}

bool overlap(Extent a, Extent b) {
  if (a.empty() || b.empty() || a.hi <= b.lo || b.hi <= a.lo) return false;
  if (a.element_size != b.element_size || a.ld != b.ld || a.ld <= 0) return true;
  // Blocks of one array with lines ld elements apart: element p (counted from the lower start)
  // sits at (p mod ld, p div ld) of that array, so each block is a rectangle there — unless its
  // lines wrap past ld, which only the byte ranges can judge.
  const std::uintptr_t origin = std::min(a.lo, b.lo);
  const std::uintptr_t size = a.element_size;
  if ((a.lo - origin) % size != 0 || (b.lo - origin) % size != 0) return true;
  const auto ld = static_cast<std::uintptr_t>(a.ld);
  const auto rectangle = [&](const Extent& e) {
    const std::uintptr_t p = (e.lo - origin) / size;
    return std::array<std::uintptr_t, 4>{p % ld, p % ld + static_cast<std::uintptr_t>(e.length),
                                         p / ld, p / ld + static_cast<std::uintptr_t>(e.lines)};
  };
  const auto x = rectangle(a);
  const auto y = rectangle(b);
  if (x[1] > ld || y[1] > ld) return true;
  return x[0] < y[1] && y[0] < x[1] && x[2] < y[3] && y[2] < x[3];
}

void require_disjoint(std::string_view who, std::vector<Operand> operands) {
  struct Entry {
    const Operand* operand;
    std::size_t index;  // in the caller's list, for the order of the names in the message
  };
  std::vector<Entry> entries;
  for (std::size_t i = 0; i < operands.size(); ++i) {
    if (!operands[i].extent.empty()) entries.push_back({&operands[i], i});
  }
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.operand->extent.lo < b.operand->extent.lo ||
           (a.operand->extent.lo == b.operand->extent.lo && a.index < b.index);
  });
  // Sweep by start address, each operand against the earlier ones still open (ending after it
  // starts): only those can share memory with it.
  std::vector<const Entry*> open;
  for (const Entry& e : entries) {
    const Extent x = e.operand->extent;
    std::erase_if(open, [&](const Entry* o) { return o->operand->extent.hi <= x.lo; });
    for (const Entry* o : open) {
      if (!(e.operand->written || o->operand->written) || !overlap(x, o->operand->extent)) continue;
      // The written one first; of two written ones, the later in the caller's list.
      const bool e_first = e.operand->written != o->operand->written ? e.operand->written
                                                                       : e.index > o->index;
      const std::string& first = (e_first ? e : *o).operand->name;
      const std::string& second = (e_first ? *o : e).operand->name;
      invalid((who.empty() ? std::string() : std::string(who) + ": ") + first + " and " + second +
              " overlap in memory (" + first + " must not alias " + second + ")");
    }
    open.push_back(&e);
  }
}

}  // namespace polarkit::detail

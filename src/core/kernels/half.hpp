// The 16-bit storage formats of the reduced-precision Newton–Schulz iterations: bfloat16 (8
// exponent bits, 7 stored mantissa bits) and IEEE binary16. They are storage only: every
// operation widens to float, computes there and rounds back to nearest (ties to even). The
// conversions are plain bit manipulation, the same on the host and on a CUDA device, so the
// CPU's emulation of a 16-bit iteration rounds exactly as the GPU does.
#pragma once

#include <cstdint>
#include <cstring>
#include <limits>

#if defined(__CUDACC__)
#define POLARKIT_HOST_DEVICE __host__ __device__
#else
#define POLARKIT_HOST_DEVICE
#endif

namespace polarkit::detail {

namespace half_bits {

POLARKIT_HOST_DEVICE inline std::uint32_t of(float x) {
#if defined(__CUDA_ARCH__)
  return __float_as_uint(x);
#else
  std::uint32_t b;
  std::memcpy(&b, &x, sizeof b);
  return b;
#endif
}

POLARKIT_HOST_DEVICE inline float to_float(std::uint32_t b) {
#if defined(__CUDA_ARCH__)
  return __uint_as_float(b);
#else
  float x;
  std::memcpy(&x, &b, sizeof x);
  return x;
#endif
}

// float → bfloat16: keep the top 16 bits, rounded to nearest even; NaN stays a (quiet) NaN.
POLARKIT_HOST_DEVICE inline std::uint16_t bf16_from(float x) {
  const std::uint32_t b = of(x);
  if ((b & 0x7fffffffU) > 0x7f800000U) return static_cast<std::uint16_t>((b >> 16) | 0x40U);
  const std::uint32_t rounding = 0x7fffU + ((b >> 16) & 1U);
  return static_cast<std::uint16_t>((b + rounding) >> 16);
}

// float → binary16, rounded to nearest even, with subnormals, overflow to ±∞ and NaN.
POLARKIT_HOST_DEVICE inline std::uint16_t fp16_from(float x) {
  const std::uint32_t b = of(x);
  const auto sign = static_cast<std::uint16_t>((b >> 16) & 0x8000U);
  const std::uint32_t a = b & 0x7fffffffU;
  if (a > 0x7f800000U) return static_cast<std::uint16_t>(sign | 0x7e00U);  // NaN
  if (a >= 0x477ff000U) return static_cast<std::uint16_t>(sign | 0x7c00U);  // ≥ 65520: ∞
  if (a < 0x38800000U) {  // below 2^-14: a subnormal result (or zero)
    if (a < 0x33000000U) return sign;  // ≤ 2^-25: rounds to zero (the tie 2^-25 goes to even 0)
    // value = mantissa · 2^(exponent − 150); the subnormal unit is 2^-24.
    const std::uint32_t mantissa = (a & 0x007fffffU) | 0x00800000U;
    const std::uint32_t shift = 126U - (a >> 23);  // 14..24: from 2^-23·2^(e−127) units to 2^-24
    const std::uint32_t kept = mantissa >> shift;
    const std::uint32_t rest = mantissa & ((1U << shift) - 1U);
    const std::uint32_t half = 1U << (shift - 1U);
    const std::uint32_t up = rest > half || (rest == half && (kept & 1U)) ? 1U : 0U;
    return static_cast<std::uint16_t>(sign | (kept + up));
  }
  // Normal: rebias the exponent (127 → 15) and round the 23-bit mantissa to 10 bits; a carry
  // out of the mantissa correctly bumps the exponent (up to ∞ for the largest values).
  const std::uint32_t rebased = a - 0x38000000U;
  const std::uint32_t rounding = 0xfffU + ((rebased >> 13) & 1U);
  return static_cast<std::uint16_t>(sign | ((rebased + rounding) >> 13));
}

POLARKIT_HOST_DEVICE inline float fp16_to(std::uint16_t h) {
  const std::uint32_t sign = (static_cast<std::uint32_t>(h) & 0x8000U) << 16;
  const std::uint32_t exponent = (h >> 10) & 0x1fU;
  const std::uint32_t mantissa = h & 0x3ffU;
  if (exponent == 0x1fU) return to_float(sign | 0x7f800000U | (mantissa << 13));  // ∞, NaN
  if (exponent == 0) {  // zero or subnormal: mantissa · 2^-24, exact in float
    const float magnitude = static_cast<float>(mantissa) * 5.9604644775390625e-8f;
    return sign != 0 ? -magnitude : magnitude;
  }
  return to_float(sign | ((exponent + 112U) << 23) | (mantissa << 13));
}

}  // namespace half_bits

/// bfloat16 storage. Trivial, so arrays of it value-initialise to +0.
struct bfloat16 {
  std::uint16_t bits;

  bfloat16() = default;
  POLARKIT_HOST_DEVICE explicit bfloat16(float x) : bits(half_bits::bf16_from(x)) {}
  POLARKIT_HOST_DEVICE explicit operator float() const {
    return half_bits::to_float(static_cast<std::uint32_t>(bits) << 16);
  }
};

/// IEEE binary16 storage.
struct float16 {
  std::uint16_t bits;

  float16() = default;
  POLARKIT_HOST_DEVICE explicit float16(float x) : bits(half_bits::fp16_from(x)) {}
  POLARKIT_HOST_DEVICE explicit operator float() const { return half_bits::fp16_to(bits); }
};

/// The type a storage type computes in: float for the 16-bit formats, itself otherwise.
template <class T>
struct compute_type {
  using type = T;
};
template <>
struct compute_type<bfloat16> {
  using type = float;
};
template <>
struct compute_type<float16> {
  using type = float;
};
template <class T>
using compute_t = typename compute_type<T>::type;

/// A value of storage type T as a double, and a double rounded to T (through compute_t<T>).
template <class T>
POLARKIT_HOST_DEVICE double widen(T x) {
  return static_cast<double>(static_cast<compute_t<T>>(x));
}
template <class T>
POLARKIT_HOST_DEVICE T narrow(double x) {
  return T(static_cast<compute_t<T>>(x));
}

/// u = 2^-p for a format with p significand bits: the largest relative rounding error.
/// inline: an explicit specialisation of a variable template is not implicitly inline, and
/// clang (14) then defines it in every translation unit that includes this header.
template <class T>
inline constexpr double unit_roundoff = std::numeric_limits<T>::epsilon() / 2;
template <>
inline constexpr double unit_roundoff<bfloat16> = 1.0 / 256;  // 8 significand bits
template <>
inline constexpr double unit_roundoff<float16> = 1.0 / 2048;  // 11 significand bits
/// TF32 tensor-core products round their float inputs to 11 significand bits, as binary16.
constexpr double tf32_unit_roundoff = 1.0 / 2048;

/// Rounds a float to TF32 (10 stored mantissa bits, float's exponent range), to nearest even.
POLARKIT_HOST_DEVICE inline float round_to_tf32(float x) {
  const std::uint32_t b = half_bits::of(x);
  if ((b & 0x7f800000U) == 0x7f800000U) return x;  // ∞ and NaN unchanged
  const std::uint32_t rounding = 0xfffU + ((b >> 13) & 1U);
  return half_bits::to_float((b + rounding) & 0xffffe000U);
}

}  // namespace polarkit::detail

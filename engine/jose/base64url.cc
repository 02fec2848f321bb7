#include "engine/jose/base64url.h"

#include <array>
#include <cstdint>

namespace claimmap {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// 0–63 for the alphabet, 0xff for every other byte ('=' included).
constexpr std::array<uint8_t, 256> make_decode_table() {
  std::array<uint8_t, 256> t{};
  for (auto& v : t) v = 0xff;
  for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(kAlphabet[i])] = static_cast<uint8_t>(i);
  return t;
}
constexpr std::array<uint8_t, 256> kDecode = make_decode_table();

}  // namespace

bool base64url_decode(std::string_view in, std::string* out) {
  if (in.size() % 4 == 1) return false;  // a lone character carries 6 bits: not a byte
  const size_t start = out->size();
  out->resize(start + in.size() / 4 * 3 + (in.size() % 4 == 0 ? 0 : in.size() % 4 - 1));
  char* w = out->data() + start;
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  const size_t full = in.size() / 4 * 4;
  uint32_t bad = 0;
  for (size_t i = 0; i < full; i += 4) {
    const uint32_t a = kDecode[p[i]], b = kDecode[p[i + 1]], c = kDecode[p[i + 2]], d = kDecode[p[i + 3]];
    bad |= a | b | c | d;
    const uint32_t v = (a << 18) | (b << 12) | (c << 6) | d;
    *w++ = static_cast<char>(v >> 16);
    *w++ = static_cast<char>(v >> 8);
    *w++ = static_cast<char>(v);
  }
  if ((bad & 0x80) != 0) return false;
  const size_t rest = in.size() - full;
  if (rest == 2) {
    const uint32_t a = kDecode[p[full]], b = kDecode[p[full + 1]];
    // The low 4 bits of the second character are not part of the byte: they
    // must be zero, or the same byte would have 16 encodings.
    if (((a | b) & 0x80) != 0 || (b & 0x0f) != 0) return false;
    *w++ = static_cast<char>((a << 2) | (b >> 4));
  } else if (rest == 3) {
    const uint32_t a = kDecode[p[full]], b = kDecode[p[full + 1]], c = kDecode[p[full + 2]];
    if (((a | b | c) & 0x80) != 0 || (c & 0x03) != 0) return false;
    const uint32_t v = (a << 12) | (b << 6) | c;
    *w++ = static_cast<char>(v >> 10);
    *w++ = static_cast<char>(v >> 2);
  }
  return true;
}

void base64url_encode(std::string_view in, std::string* out) {
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  const size_t n = in.size();
  out->reserve(out->size() + (n * 4 + 2) / 3);
  size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    const uint32_t v = (uint32_t{p[i]} << 16) | (uint32_t{p[i + 1]} << 8) | p[i + 2];
    out->push_back(kAlphabet[(v >> 18) & 63]);
    out->push_back(kAlphabet[(v >> 12) & 63]);
    out->push_back(kAlphabet[(v >> 6) & 63]);
    out->push_back(kAlphabet[v & 63]);
  }
  if (n - i == 1) {
    const uint32_t v = uint32_t{p[i]} << 16;
    out->push_back(kAlphabet[(v >> 18) & 63]);
    out->push_back(kAlphabet[(v >> 12) & 63]);
  } else if (n - i == 2) {
    const uint32_t v = (uint32_t{p[i]} << 16) | (uint32_t{p[i + 1]} << 8);
    out->push_back(kAlphabet[(v >> 18) & 63]);
    out->push_back(kAlphabet[(v >> 12) & 63]);
    out->push_back(kAlphabet[(v >> 6) & 63]);
  }
}

}  // namespace claimmap

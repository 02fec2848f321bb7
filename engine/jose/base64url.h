// Base64url without padding (RFC 4648 §5), the encoding of every part of a
// JWS in compact form (RFC 7515 §2) and of a JWK's numbers (RFC 7518 §6).
//
// Decoding is strict: no '=', no whitespace, no character outside the
// alphabet, no length that leaves a lone character (n % 4 == 1), and the
// unused low bits of the last character must be zero — so that every byte
// string has exactly one encoding and a token cannot be altered without
// changing its signed bytes. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace claimmap {

// Appends the bytes `in` encodes to `out`; false (with `out` holding some
// of them) when `in` is not strict base64url.
bool base64url_decode(std::string_view in, std::string* out);

// Appends the unpadded base64url encoding of `in` to `out`.
void base64url_encode(std::string_view in, std::string* out);

}  // namespace claimmap

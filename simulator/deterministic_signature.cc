#include "simulator/deterministic_signature.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/obj_mac.h>
#include <openssl/sha.h>

#include <cstdint>
#include <memory>

namespace claimmap::sim {
namespace {

constexpr size_t kHashBytes = 32;   // SHA-256
constexpr size_t kScalarBytes = 32;  // P-256

const unsigned char* bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

std::string sha256(std::string_view data) {
  std::string out(kHashBytes, '\0');
  SHA256(bytes(data), data.size(), reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

// MGF1 with SHA-256 (RFC 8017 §B.2.1): SHA-256(seed ‖ counter) blocks.
std::string mgf1_sha256(std::string_view seed, size_t length) {
  std::string mask, block(seed);
  block.append(4, '\0');
  for (uint32_t counter = 0; mask.size() < length; ++counter) {
    for (int i = 0; i < 4; ++i) block[seed.size() + i] = static_cast<char>(counter >> (24 - 8 * i));
    mask += sha256(block);
  }
  mask.resize(length);
  return mask;
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  std::string out(kHashBytes, '\0');
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), bytes(data), data.size(),
       reinterpret_cast<unsigned char*>(out.data()), &length);
  return out;
}

struct BnCtxFree {
  void operator()(BN_CTX* c) const { BN_CTX_free(c); }
};
struct PointFree {
  void operator()(EC_POINT* p) const { EC_POINT_free(p); }
};
struct GroupFree {
  void operator()(EC_GROUP* g) const { EC_GROUP_free(g); }
};

// The BIGNUMs a scope takes from a BN_CTX, given back when it ends.
class BnFrame {
 public:
  explicit BnFrame(BN_CTX* ctx) : ctx_(ctx) { BN_CTX_start(ctx_); }
  ~BnFrame() { BN_CTX_end(ctx_); }
  BnFrame(const BnFrame&) = delete;
  BnFrame& operator=(const BnFrame&) = delete;

 private:
  BN_CTX* ctx_;
};

// P-256, made once: EC_GROUP is only read while signing, so threads share it.
const EC_GROUP* p256() {
  static const std::unique_ptr<EC_GROUP, GroupFree> group(EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1));
  return group.get();
}

// r and s of the signature with nonce k, or false when either is zero (RFC
// 6979 then takes the next k) or OpenSSL fails. All BIGNUMs from `ctx`.
bool ecdsa_with_nonce(const EC_GROUP* group, const BIGNUM* order, const BIGNUM* d, const BIGNUM* e, const BIGNUM* k,
                      BN_CTX* ctx, BIGNUM* r, BIGNUM* s) {
  std::unique_ptr<EC_POINT, PointFree> point(EC_POINT_new(group));
  const BnFrame frame(ctx);
  BIGNUM* x = BN_CTX_get(ctx);
  BIGNUM* k_inverse = BN_CTX_get(ctx);
  BIGNUM* t = BN_CTX_get(ctx);
  if (!point || !t) return false;
  // r = (k·G).x mod n;  s = k⁻¹·(e + r·d) mod n.
  if (!EC_POINT_mul(group, point.get(), k, nullptr, nullptr, ctx) ||
      !EC_POINT_get_affine_coordinates(group, point.get(), x, nullptr, ctx) || !BN_nnmod(r, x, order, ctx) ||
      BN_is_zero(r) || !BN_mod_inverse(k_inverse, k, order, ctx) || !BN_mod_mul(t, r, d, order, ctx) ||
      !BN_mod_add(t, t, e, order, ctx) || !BN_mod_mul(s, k_inverse, t, order, ctx)) {
    return false;
  }
  return !BN_is_zero(s);
}

}  // namespace

bool emsa_pss_encode_sha256(std::string_view message_hash, std::string_view salt, size_t em_bits, std::string* em) {
  const size_t em_len = (em_bits + 7) / 8;
  if (message_hash.size() != kHashBytes || em_len < kHashBytes + salt.size() + 2) return false;
  // H = SHA-256(0x00 × 8 ‖ mHash ‖ salt)
  std::string m_prime(8, '\0');
  m_prime.append(message_hash).append(salt);
  const std::string h = sha256(m_prime);
  // DB = PS ‖ 0x01 ‖ salt, masked with MGF1(H)
  const size_t db_len = em_len - kHashBytes - 1;
  std::string db(db_len - salt.size() - 1, '\0');
  db.push_back('\x01');
  db.append(salt);
  const std::string mask = mgf1_sha256(h, db_len);
  for (size_t i = 0; i < db_len; ++i) db[i] = static_cast<char>(db[i] ^ mask[i]);
  // The leftmost 8·emLen − emBits bits are zero, so EM is below the modulus.
  db[0] = static_cast<char>(static_cast<unsigned char>(db[0]) & (0xffu >> (8 * em_len - em_bits)));
  em->append(db).append(h).push_back('\xbc');
  return true;
}

bool ecdsa_p256_sign_rfc6979(std::string_view private_key, std::string_view hash, std::string* signature) {
  const EC_GROUP* group = p256();
  if (!group || private_key.size() != kScalarBytes || hash.size() != kHashBytes) return false;
  std::unique_ptr<BN_CTX, BnCtxFree> ctx(BN_CTX_new());
  if (!ctx) return false;
  const BnFrame frame(ctx.get());
  const BIGNUM* order = EC_GROUP_get0_order(group);
  BIGNUM* d = BN_CTX_get(ctx.get());
  BIGNUM* e = BN_CTX_get(ctx.get());
  BIGNUM* k = BN_CTX_get(ctx.get());
  BIGNUM* r = BN_CTX_get(ctx.get());
  BIGNUM* s = BN_CTX_get(ctx.get());
  if (!s || !BN_bin2bn(bytes(private_key), kScalarBytes, d) || BN_is_zero(d) || BN_cmp(d, order) >= 0) return false;
  // The hash as an integer (qlen = hlen = 256: no truncation), and
  // bits2octets(h1) = int2octets(h1 mod q): one subtraction suffices.
  if (!BN_bin2bn(bytes(hash), kHashBytes, e)) return false;
  std::string h1 = std::string(hash);
  if (BN_cmp(e, order) >= 0) {
    BIGNUM* reduced = BN_CTX_get(ctx.get());
    if (!reduced || !BN_sub(reduced, e, order)) return false;
    h1.assign(kScalarBytes, '\0');
    BN_bn2binpad(reduced, reinterpret_cast<unsigned char*>(h1.data()), kScalarBytes);
  }
  // RFC 6979 §3.2 steps b–h with HMAC-SHA-256.
  std::string v(kHashBytes, '\x01'), key(kHashBytes, '\0');
  for (char separator : {'\x00', '\x01'}) {
    std::string data = v;
    data.push_back(separator);
    data.append(private_key).append(h1);
    key = hmac_sha256(key, data);
    v = hmac_sha256(key, v);
  }
  for (int attempt = 0; attempt < 64; ++attempt) {
    v = hmac_sha256(key, v);  // tlen = hlen = qlen: one block is T
    if (!BN_bin2bn(bytes(v), kHashBytes, k)) return false;
    if (!BN_is_zero(k) && BN_cmp(k, order) < 0 && ecdsa_with_nonce(group, order, d, e, k, ctx.get(), r, s)) {
      const size_t at = signature->size();
      signature->resize(at + 2 * kScalarBytes);
      auto* out = reinterpret_cast<unsigned char*>(signature->data() + at);
      return BN_bn2binpad(r, out, kScalarBytes) == kScalarBytes &&
             BN_bn2binpad(s, out + kScalarBytes, kScalarBytes) == kScalarBytes;
    }
    std::string data = v;
    data.push_back('\x00');
    key = hmac_sha256(key, data);
    v = hmac_sha256(key, v);
  }
  return false;  // 64 unusable nonces in a row: not in this universe
}

}  // namespace claimmap::sim

#include "support/tls_context.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/context.hpp>

namespace claimmap::support {

namespace {

// TLS 1.2 suites: ephemeral ECDH (forward secrecy) with an AEAD cipher only —
// Mozilla's "intermediate" list without finite-field DHE. TLS 1.3's suites
// are all AEAD with forward secrecy; AES-128-GCM first (as Mozilla orders
// them): strong enough, and 10 AES rounds a block against the 14 of
// OpenSSL's default first choice, AES-256-GCM — it shows on large batches.
constexpr const char* kTls13Suites = "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

// The session id context a server that verifies clients must set, or a
// resumed session fails (OpenSSL refuses resumption without one).
constexpr unsigned char kSessionIdContext[] = "claimmap";

struct CtxFree {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
using CtxPtr = std::unique_ptr<SSL_CTX, CtxFree>;

// OpenSSL's reasons for the last failure on this thread, then the queue
// emptied (it is per thread, and would otherwise leak into the next call).
// `mismatch` (if given) tells whether one of them is "key values mismatch".
std::string openssl_reasons(bool* mismatch = nullptr) {
  std::string out;
  while (const unsigned long e = ERR_get_error()) {
    if (mismatch != nullptr && ERR_GET_LIB(e) == ERR_LIB_X509 && ERR_GET_REASON(e) == X509_R_KEY_VALUES_MISMATCH) {
      *mismatch = true;
    }
    const char* reason = ERR_reason_error_string(e);
    if (!out.empty()) out += "; ";
    out += reason != nullptr ? reason : "error " + std::to_string(ERR_GET_REASON(e));
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

// A file OpenSSL is about to read, opened first so that "cannot read" (exit
// 1) is told apart from "not a certificate" (exit 2).
Status check_readable(const std::string& path, const char* what) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    return Status(ErrorCode::kIoError, "cannot read " + std::string(what) + " " + path + ": " + std::strerror(errno));
  }
  std::fclose(f);
  return Status();
}

Status invalid(const std::string& what, const std::string& path) {
  return Status(ErrorCode::kInvalidArgument, what + " " + path + ": " + openssl_reasons());
}

// An encrypted key would make OpenSSL ask for its passphrase on the
// terminal (from the signal thread, at a SIGHUP): refuse it instead.
int no_passphrase(char*, int, int, void*) { return 0; }

// Settings both sides share: TLS 1.2 at least, no compression (CRIME), no
// TLS 1.2 renegotiation (a client-driven CPU cost and an old attack surface).
CtxPtr new_context(const SSL_METHOD* method) {
  CtxPtr ctx(SSL_CTX_new(method));
  if (!ctx) return ctx;
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_default_passwd_cb(ctx.get(), no_passphrase);
  return ctx;
}

// OpenSSL computes a certificate's extension data (key ids, purposes) on
// first use and then reads it through a lock-free flag (v3_purp.c): the
// first handshakes on several I/O threads at once race on the CA's and the
// server's own certificates. Computed here, before the context is shared,
// every handshake only reads it (and TSan sees the hand-over, through the
// listener's mutex, instead of a race it cannot see the end of).
void warm_certificate_caches(SSL_CTX* ctx) {
  if (X509* own = SSL_CTX_get0_certificate(ctx)) X509_check_purpose(own, -1, 0);
  STACK_OF(X509)* chain = nullptr;
  if (SSL_CTX_get0_chain_certs(ctx, &chain) == 1 && chain != nullptr) {
    for (int i = 0; i < sk_X509_num(chain); ++i) X509_check_purpose(sk_X509_value(chain, i), -1, 0);
  }
  if (X509_STORE* store = SSL_CTX_get_cert_store(ctx)) {
    STACK_OF(X509_OBJECT)* objects = X509_STORE_get0_objects(store);
    for (int i = 0; i < sk_X509_OBJECT_num(objects); ++i) {
      if (X509* ca = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objects, i))) X509_check_purpose(ca, -1, 0);
    }
  }
  ERR_clear_error();  // a certificate OpenSSL finds odd here is judged at the handshake
}

Result<std::shared_ptr<boost::asio::ssl::context>> wrap(CtxPtr ctx) {
  warm_certificate_caches(ctx.get());
  // asio's context takes the SSL_CTX over (and frees it); it throws only for
  // a null handle, which `ctx` is not.
  return std::make_shared<boost::asio::ssl::context>(ctx.release());
}

}  // namespace

Result<std::shared_ptr<boost::asio::ssl::context>> make_server_tls_context(const TlsOptions& options) {
  ERR_clear_error();
  if (Status s = check_readable(options.cert_file, "TLS certificate"); !s.ok()) return s;
  if (Status s = check_readable(options.key_file, "TLS key"); !s.ok()) return s;
  if (!options.client_ca_file.empty()) {
    if (Status s = check_readable(options.client_ca_file, "client CA"); !s.ok()) return s;
  }
  CtxPtr ctx = new_context(TLS_server_method());
  if (!ctx) return Status(ErrorCode::kInternal, "cannot make a TLS context: " + openssl_reasons());
  SSL_CTX* c = ctx.get();
  // The server's order of preference, not the client's: the list above is
  // strongest-first already.
  SSL_CTX_set_options(c, SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (SSL_CTX_set_cipher_list(c, kTls12Ciphers) != 1 || SSL_CTX_set_ciphersuites(c, kTls13Suites) != 1) {
    return Status(ErrorCode::kInternal, "cipher list refused: " + openssl_reasons());
  }
  if (SSL_CTX_use_certificate_chain_file(c, options.cert_file.c_str()) != 1) {
    return invalid("no usable PEM certificate in", options.cert_file);
  }
  // Loading the key checks it against the certificate already loaded.
  if (SSL_CTX_use_PrivateKey_file(c, options.key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(c) != 1) {
    bool mismatch = false;
    const std::string reasons = openssl_reasons(&mismatch);
    return Status(ErrorCode::kInvalidArgument,
                  mismatch ? "the key in " + options.key_file + " is not the one of the certificate in " + options.cert_file
                           : "no usable PEM private key (unencrypted) in " + options.key_file + ": " + reasons);
  }
  if (!options.client_ca_file.empty()) {
    const char* ca = options.client_ca_file.c_str();
    if (SSL_CTX_load_verify_locations(c, ca, nullptr) != 1) return invalid("no PEM CA certificate in", options.client_ca_file);
    // Tells clients which CA to pick a certificate for.
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(ca);
    if (names == nullptr) return invalid("no PEM CA certificate in", options.client_ca_file);
    SSL_CTX_set_client_CA_list(c, names);
    SSL_CTX_set_verify(c, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    SSL_CTX_set_session_id_context(c, kSessionIdContext, sizeof kSessionIdContext - 1);
  }
  return wrap(std::move(ctx));
}

Result<std::shared_ptr<boost::asio::ssl::context>> make_client_tls_context(const std::string& ca_file) {
  ERR_clear_error();
  if (!ca_file.empty()) {
    if (Status s = check_readable(ca_file, "CA"); !s.ok()) return s;
  }
  CtxPtr ctx = new_context(TLS_client_method());
  if (!ctx) return Status(ErrorCode::kInternal, "cannot make a TLS context: " + openssl_reasons());
  SSL_CTX* c = ctx.get();
  if (!ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(c, ca_file.c_str(), nullptr) != 1) return invalid("no PEM CA certificate in", ca_file);
  } else if (SSL_CTX_set_default_verify_paths(c) != 1) {
    return Status(ErrorCode::kIoError, "cannot load the system's CA certificates: " + openssl_reasons());
  }
  SSL_CTX_set_verify(c, SSL_VERIFY_PEER, nullptr);
  return wrap(std::move(ctx));
}

bool set_tls_peer_name(void* handle, const std::string& host) {
  SSL* ssl = static_cast<SSL*>(handle);
  boost::system::error_code ec;
  boost::asio::ip::make_address(host, ec);
  if (!ec) {
    // An address: no SNI (RFC 6066 forbids it), an IP SAN is checked instead.
    return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str()) == 1;
  }
  return SSL_set_tlsext_host_name(ssl, host.c_str()) == 1 && SSL_set1_host(ssl, host.c_str()) == 1;
}

}  // namespace claimmap::support

// support/tls_context.h — the OpenSSL contexts of ClaimMap's HTTPS: the
// server's (`serve --tls-cert/--tls-key/--client-ca`, the worker's
// --metrics-tls-*) built from PEM files, and the client's
// (`simulate --target https://…`). docs/server.md "TLS" has the choices:
// TLS 1.2 and 1.3 only, AEAD ciphers with forward secrecy, no compression or
// renegotiation.
//
// A context is immutable once built and is shared by the connections that
// started with it (OpenSSL allows SSL_new on one SSL_CTX from many threads);
// a rotation builds a new one (support/http_listener.h, reload_tls).
//
// Thread-safety: the functions may be called from any thread.
#pragma once

#include <memory>
#include <string>

#include "claimmap/status.h"

namespace boost::asio::ssl {
class context;
}

namespace claimmap::support {

// HTTPS (docs/spec.md §13 "Hardened serving"): when cert_file is set, every
// connection is TLS (1.2 or 1.3) and plain HTTP is refused.
struct TlsOptions {
  std::string cert_file;       // PEM: the certificate (chain) served
  std::string key_file;        // PEM: its private key (not encrypted: nobody is there to type a passphrase)
  std::string client_ca_file;  // PEM: when set, a client certificate signed by this CA is required
  bool enabled() const { return !cert_file.empty(); }
};

// The server's context from the files. kIoError naming the file when one
// cannot be read; kInvalidArgument naming it when it is not what it should
// be (no PEM certificate, no key, a key that is not the certificate's).
[[nodiscard]] Result<std::shared_ptr<boost::asio::ssl::context>> make_server_tls_context(const TlsOptions& options);

// A client's context that verifies servers against the CA certificates of
// `ca_file`, or the system's store when it is empty. The host name (or IP
// address) is checked per connection (set_tls_peer_name).
[[nodiscard]] Result<std::shared_ptr<boost::asio::ssl::context>> make_client_tls_context(const std::string& ca_file);

// On a client's SSL* (native_handle()): send `host` as SNI (unless it is an
// IP address) and require the server's certificate to name it (a DNS name
// or an IP address SAN). False when OpenSSL refuses the name.
bool set_tls_peer_name(void* ssl, const std::string& host);

}  // namespace claimmap::support

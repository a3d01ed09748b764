// TLS on the gRPC port: the certificate and key files (and, for mutual
// TLS, the CA that signs client certificates), checked at start and
// re-read while the server runs, so that a renewed certificate takes
// effect without a restart.
#ifndef TAILOR_SERVER_TLS_H_
#define TAILOR_SERVER_TLS_H_

#include <grpcpp/security/server_credentials.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace tailor {

struct TlsOptions {
  // PEM files: the server's certificate chain and its private key. Both
  // empty: no TLS.
  std::string cert_file;
  std::string key_file;
  // PEM file of the CA(s) whose client certificates are accepted; empty:
  // clients are not asked for one.
  std::string client_ca_file;
  // With client_ca_file: refuse a client without a valid certificate
  // (mutual TLS). Without it a certificate is asked for and checked when
  // sent.
  bool require_client_cert = true;
  // How often the files are re-read.
  absl::Duration reload_interval = absl::Seconds(10);
};

// Whether any TLS is configured.
inline bool TlsEnabled(const TlsOptions& o) {
  return !o.cert_file.empty() || !o.key_file.empty();
}

// Server credentials from `options`' files (which must stay readable: they
// are re-read every reload_interval). INVALID_ARGUMENT naming the flag
// (--tls_cert_file, --tls_key_file, --tls_client_ca_file) for a file that
// is missing, unreadable, not PEM, or a key that does not match the
// certificate.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> TlsCredentials(
    const TlsOptions& options);

}  // namespace tailor

#endif  // TAILOR_SERVER_TLS_H_

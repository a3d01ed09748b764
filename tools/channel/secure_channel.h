// Channels of Tailor's clients (the tailor CLI, tailor-bench) to a server
// that may want TLS, a client certificate and a bearer token.
#ifndef TAILOR_TOOLS_CHANNEL_SECURE_CHANNEL_H_
#define TAILOR_TOOLS_CHANNEL_SECURE_CHANNEL_H_

#include <grpcpp/channel.h>
#include <grpcpp/support/channel_arguments.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace tailor {

struct ClientSecurity {
  // Sent as "authorization: Bearer <token>" on every call; empty: none.
  std::string token;
  // TLS: PEM CA certificates to trust (empty with no other TLS option: a
  // plaintext channel; empty with one: the system's roots).
  std::string ca_file;
  // Mutual TLS: the client's PEM certificate chain and key.
  std::string cert_file;
  std::string key_file;
  // The name the server's certificate must hold, when it differs from the
  // address' host (e.g. a certificate for tailor.shop.internal reached on
  // 127.0.0.1).
  std::string server_name;
  // Whether TLS was asked for (--tls).
  bool tls = false;
};

inline bool UsesTls(const ClientSecurity& s) {
  return s.tls || !s.ca_file.empty() || !s.cert_file.empty() ||
         !s.server_name.empty();
}

// A channel to `address` with `security`. INVALID_ARGUMENT naming the flag
// (--tls_ca_file, --tls_cert_file, --tls_key_file) for a file that cannot
// be read, or a certificate without its key.
absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(
    const std::string& address, const ClientSecurity& security,
    grpc::ChannelArguments args = {});

}  // namespace tailor

#endif  // TAILOR_TOOLS_CHANNEL_SECURE_CHANNEL_H_

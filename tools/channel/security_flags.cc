#include "tools/channel/security_flags.h"

#include <cstdlib>
#include <string>

#include "absl/flags/flag.h"

ABSL_FLAG(std::string, token, "",
          "bearer token sent with every call (default: $TAILOR_TOKEN)");
ABSL_FLAG(bool, tls, false,
          "connect with TLS, trusting the system's CAs (implied by the other "
          "--tls_ flags)");
ABSL_FLAG(std::string, tls_ca_file, "",
          "TLS: PEM CA certificates to trust instead of the system's");
ABSL_FLAG(std::string, tls_cert_file, "",
          "mutual TLS: this client's PEM certificate chain");
ABSL_FLAG(std::string, tls_key_file, "",
          "mutual TLS: the private key of --tls_cert_file");
ABSL_FLAG(std::string, tls_server_name, "",
          "TLS: the name the server's certificate must hold, when not the "
          "address' host");

namespace tailor {

ClientSecurity ClientSecurityFromFlags() {
  ClientSecurity s;
  s.token = absl::GetFlag(FLAGS_token);
  if (s.token.empty()) {
    if (const char* env = std::getenv("TAILOR_TOKEN")) s.token = env;
  }
  s.tls = absl::GetFlag(FLAGS_tls);
  s.ca_file = absl::GetFlag(FLAGS_tls_ca_file);
  s.cert_file = absl::GetFlag(FLAGS_tls_cert_file);
  s.key_file = absl::GetFlag(FLAGS_tls_key_file);
  s.server_name = absl::GetFlag(FLAGS_tls_server_name);
  return s;
}

}  // namespace tailor

// The client security flags the tailor CLI and tailor-bench share: linked
// into their binaries only (flags belong to programs, not libraries).
//   --token (default: $TAILOR_TOKEN), --tls, --tls_ca_file,
//   --tls_cert_file, --tls_key_file, --tls_server_name
#ifndef TAILOR_TOOLS_CHANNEL_SECURITY_FLAGS_H_
#define TAILOR_TOOLS_CHANNEL_SECURITY_FLAGS_H_

#include "tools/channel/secure_channel.h"

namespace tailor {

// The flags' values (the token from $TAILOR_TOKEN when --token is not
// given, so that it need not appear in the process list).
ClientSecurity ClientSecurityFromFlags();

}  // namespace tailor

#endif  // TAILOR_TOOLS_CHANNEL_SECURITY_FLAGS_H_

#include "storage/erasure_list.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

namespace tailor {

std::string ErasureDigest(absl::string_view key, absl::string_view user_id) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(user_id.data()), user_id.size(),
       out, &size);
  return std::string(reinterpret_cast<const char*>(out), size);
}

absl::StatusOr<std::string> NewErasureKey() {
  std::string key(kErasureDigestBytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(key.data()),
                 static_cast<int>(key.size())) != 1) {
    return absl::InternalError(
        "erasure: OpenSSL's random generator gave no key");
  }
  return key;
}

}  // namespace tailor

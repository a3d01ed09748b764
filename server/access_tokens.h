// Bearer tokens and their roles, as the tokens file lists them: only each
// token's SHA-256 is stored, and a presented token is compared with every
// entry in constant time.
#ifndef TAILOR_SERVER_ACCESS_TOKENS_H_
#define TAILOR_SERVER_ACCESS_TOKENS_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tailor {

// What a token may call; a token may hold several.
enum Role : uint8_t {
  kRoleRead = 1,    // RecommendFor, SimilarItems, BoughtTogether,
                    // GetSegment, ListSegments, TargetAudience
  kRoleIngest = 2,  // RecordEvents, StreamEvents
  kRoleAdmin = 4,   // the Admin service
};
// "read", "ingest", "admin".
const char* RoleName(Role role);
// "read,ingest" for a set of roles ("" for none).
std::string RoleNames(uint8_t roles);

using Sha256Digest = std::array<uint8_t, 32>;
Sha256Digest Sha256(absl::string_view data);
// Lower-case hex, as `sha256sum` prints it.
std::string HexOf(const Sha256Digest& digest);

struct AccessToken {
  std::string name;  // for logs and errors: never the token itself
  Sha256Digest hash;
  uint8_t roles = 0;
};

// One tokens file, parsed. Each line: NAME ROLES sha256:HEX, e.g.
//   storefront   read          sha256:9f86d081884c7d65...
//   event-relay  ingest,read   sha256:60303ae22b998861...
// where HEX is the SHA-256 of the token (printf %s "$TOKEN" | sha256sum).
// Blank lines and lines starting with '#' are skipped.
// Thread safety: immutable once parsed.
class TokenSet {
 public:
  // INVALID_ARGUMENT naming the line and what is wrong with it (an unknown
  // role, a malformed hash, a name or hash listed twice, no token at all).
  static absl::StatusOr<std::shared_ptr<const TokenSet>> Parse(
      absl::string_view text);

  // The entry whose hash is `token`'s, or null. Takes the same time
  // whichever entry matches, or none.
  const AccessToken* Find(absl::string_view token) const;
  size_t size() const { return tokens_.size(); }

 private:
  std::vector<AccessToken> tokens_;
};

}  // namespace tailor

#endif  // TAILOR_SERVER_ACCESS_TOKENS_H_

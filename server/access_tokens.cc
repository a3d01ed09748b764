#include "server/access_tokens.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <memory>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace tailor {
namespace {

constexpr Role kRoles[] = {kRoleRead, kRoleIngest, kRoleAdmin};

bool ParseHex(absl::string_view hex, Sha256Digest* out) {
  if (hex.size() != 2 * out->size()) return false;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < out->size(); ++i) {
    const int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    (*out)[i] = static_cast<uint8_t>(hi * 16 + lo);
  }
  return true;
}

}  // namespace

const char* RoleName(Role role) {
  switch (role) {
    case kRoleRead:
      return "read";
    case kRoleIngest:
      return "ingest";
    case kRoleAdmin:
      return "admin";
  }
  return "?";
}

std::string RoleNames(uint8_t roles) {
  std::vector<const char*> names;
  for (Role r : kRoles) {
    if (roles & r) names.push_back(RoleName(r));
  }
  return absl::StrJoin(names, ",");
}

Sha256Digest Sha256(absl::string_view data) {
  // Fetched once: EVP_sha256() makes OpenSSL 3 look the algorithm up in its
  // providers at every digest, several times the cost of hashing a token.
  // One context per thread, reused: no allocation per call.
  static EVP_MD* const kSha256 = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
  struct ContextFree {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
  };
  thread_local const std::unique_ptr<EVP_MD_CTX, ContextFree> context(
      EVP_MD_CTX_new());
  Sha256Digest digest{};
  unsigned int size = 0;
  if (kSha256 == nullptr || context == nullptr ||
      EVP_DigestInit_ex2(context.get(), kSha256, nullptr) != 1 ||
      EVP_DigestUpdate(context.get(), data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(context.get(), digest.data(), &size) != 1) {
    // Not expected (SHA-256 is in OpenSSL's default provider); a digest
    // of all ones matches no token's hash, so the call is refused.
    digest.fill(0xff);
  }
  return digest;
}

std::string HexOf(const Sha256Digest& digest) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * digest.size());
  for (uint8_t b : digest) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

absl::StatusOr<std::shared_ptr<const TokenSet>> TokenSet::Parse(
    absl::string_view text) {
  auto set = std::make_shared<TokenSet>();
  std::set<std::string> names;
  std::set<Sha256Digest> hashes;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || absl::StartsWith(line, "#")) continue;
    auto error = [&](absl::string_view what) {
      return absl::InvalidArgumentError(
          absl::StrCat("tokens file line ", line_number, ": ", what));
    };
    const std::vector<absl::string_view> fields =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (fields.size() != 3) {
      return error(
          "expected NAME ROLES sha256:HEX (e.g. 'storefront read "
          "sha256:<64 hex digits>')");
    }
    AccessToken token;
    token.name = std::string(fields[0]);
    for (absl::string_view role : absl::StrSplit(fields[1], ',')) {
      uint8_t bit = 0;
      for (Role r : kRoles) {
        if (role == RoleName(r)) bit = r;
      }
      if (bit == 0) {
        return error(absl::StrCat("unknown role '", role,
                                  "' (roles: read, ingest, admin)"));
      }
      token.roles |= bit;
    }
    absl::string_view hash = fields[2];
    if (!absl::ConsumePrefix(&hash, "sha256:") ||
        !ParseHex(hash, &token.hash)) {
      return error(
          "the hash must be sha256: and the 64 hex digits of the token's "
          "SHA-256 (printf %s \"$TOKEN\" | sha256sum)");
    }
    if (!names.insert(token.name).second) {
      return error(absl::StrCat("the name '", token.name, "' is listed twice"));
    }
    if (!hashes.insert(token.hash).second) {
      return error(absl::StrCat("token '", token.name,
                                "' has the same hash as an earlier one"));
    }
    set->tokens_.push_back(std::move(token));
  }
  if (set->tokens_.empty()) {
    return absl::InvalidArgumentError(
        "tokens file: lists no token (every call would be refused)");
  }
  return std::shared_ptr<const TokenSet>(std::move(set));
}

const AccessToken* TokenSet::Find(absl::string_view token) const {
  const Sha256Digest hash = Sha256(token);
  const AccessToken* found = nullptr;
  for (const AccessToken& t : tokens_) {
    // Every entry is compared, in constant time, whichever matches.
    const bool equal =
        CRYPTO_memcmp(t.hash.data(), hash.data(), hash.size()) == 0;
    if (equal) found = &t;
  }
  return found;
}

}  // namespace tailor

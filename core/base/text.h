// Text helpers shared by the readers and the request validation.
#ifndef TAILOR_CORE_BASE_TEXT_H_
#define TAILOR_CORE_BASE_TEXT_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace tailor {

// Longest accepted user or item id, in bytes.
inline constexpr size_t kMaxIdBytes = 128;

// True when `s` is well-formed UTF-8 (no overlong forms, no surrogates,
// nothing above U+10FFFF).
bool IsValidUtf8(absl::string_view s);

// Checks an opaque identifier: 1..kMaxIdBytes bytes of valid UTF-8.
// On failure the message starts with `field` and says why, e.g.
// "user_id: must not be empty".
absl::Status ValidateId(absl::string_view field, absl::string_view id);

// Converts ISO-8859-1 (Latin-1) text, as found in MovieLens' u.item, to UTF-8.
std::string Latin1ToUtf8(absl::string_view s);

}  // namespace tailor

#endif  // TAILOR_CORE_BASE_TEXT_H_

// Minimal timestamped logging to stderr (Abseil's logging library is newer
// than Debian bookworm's Abseil).
#ifndef TAILOR_CORE_BASE_LOGGING_H_
#define TAILOR_CORE_BASE_LOGGING_H_

#include "absl/strings/string_view.h"

namespace tailor {

// Writes "2026-11-22T10:00:00.123Z <level> <message>\n" to stderr.
// Thread safety: safe to call from any thread; lines are not interleaved.
void Log(absl::string_view level, absl::string_view message);
inline void LogInfo(absl::string_view m) { Log("INFO", m); }
inline void LogWarning(absl::string_view m) { Log("WARN", m); }
inline void LogError(absl::string_view m) { Log("ERROR", m); }

}  // namespace tailor

#endif  // TAILOR_CORE_BASE_LOGGING_H_

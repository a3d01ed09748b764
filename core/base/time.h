// Days in Unix time, shared by everything that counts in days (profiles,
// baskets, recency, the generator's calendar).
#ifndef TAILOR_CORE_BASE_TIME_H_
#define TAILOR_CORE_BASE_TIME_H_

#include <cstdint>

namespace tailor {

inline constexpr int64_t kSecondsPerDay = 86400;

// The UTC day (days since 1970-01-01) a Unix time falls on, rounding down
// for times before 1970 too.
inline constexpr int64_t UtcDayOf(int64_t unix_seconds) {
  return unix_seconds >= 0
             ? unix_seconds / kSecondsPerDay
             : (unix_seconds - kSecondsPerDay + 1) / kSecondsPerDay;
}

}  // namespace tailor

#endif  // TAILOR_CORE_BASE_TIME_H_

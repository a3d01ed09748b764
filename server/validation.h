// Request validation: every rule names the offending field and the reason.
#ifndef TAILOR_SERVER_VALIDATION_H_
#define TAILOR_SERVER_VALIDATION_H_

#include "absl/status/status.h"
#include "tailor/v1/recommender.pb.h"

namespace tailor {

inline constexpr int kDefaultCount = 10;
inline constexpr int kMaxCount = 1000;
inline constexpr int kMaxExcludeIds = 1000;

// INVALID_ARGUMENT with "field: reason" for the first problem found.
absl::Status ValidateRecommendRequest(const v1::RecommendRequest& request);
inline constexpr int kMaxTogetherIds = 100;
absl::Status ValidateBoughtTogetherRequest(
    const v1::BoughtTogetherRequest& request);
absl::Status ValidateSimilarItemsRequest(
    const v1::SimilarItemsRequest& request);

}  // namespace tailor

#endif  // TAILOR_SERVER_VALIDATION_H_

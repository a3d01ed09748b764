#include "server/validation.h"

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "core/text.h"

namespace tailor {

namespace {

template <typename Request>
absl::Status ValidateCount(const Request& request) {
  if (request.has_count() &&
      (request.count() < 1 || request.count() > kMaxCount)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "count: must be between 1 and ", kMaxCount, ", got ", request.count()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateBoughtTogetherRequest(
    const v1::BoughtTogetherRequest& request) {
  if (request.item_ids_size() == 0) {
    return absl::InvalidArgumentError("item_ids: at least one is required");
  }
  if (request.item_ids_size() > kMaxTogetherIds) {
    return absl::InvalidArgumentError(
        absl::StrCat("item_ids: has ", request.item_ids_size(),
                     " ids, the limit is ", kMaxTogetherIds));
  }
  for (int i = 0; i < request.item_ids_size(); ++i) {
    TAILOR_RETURN_IF_ERROR(
        ValidateId(absl::StrCat("item_ids[", i, "]"), request.item_ids(i)));
  }
  return ValidateCount(request);
}

absl::Status ValidateSimilarItemsRequest(
    const v1::SimilarItemsRequest& request) {
  TAILOR_RETURN_IF_ERROR(ValidateId("item_id", request.item_id()));
  return ValidateCount(request);
}

absl::Status ValidateRecommendRequest(const v1::RecommendRequest& request) {
  TAILOR_RETURN_IF_ERROR(ValidateId("user_id", request.user_id()));
  TAILOR_RETURN_IF_ERROR(ValidateCount(request));
  if (request.exclude_item_ids_size() > kMaxExcludeIds) {
    return absl::InvalidArgumentError(
        absl::StrCat("exclude_item_ids: has ", request.exclude_item_ids_size(),
                     " ids, the limit is ", kMaxExcludeIds));
  }
  for (int i = 0; i < request.exclude_item_ids_size(); ++i) {
    TAILOR_RETURN_IF_ERROR(ValidateId(absl::StrCat("exclude_item_ids[", i, "]"),
                                      request.exclude_item_ids(i)));
  }
  return absl::OkStatus();
}

}  // namespace tailor

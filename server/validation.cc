#include "server/validation.h"

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "core/text.h"

namespace tailor {

absl::Status ValidateRecommendRequest(const v1::RecommendRequest& request) {
  TAILOR_RETURN_IF_ERROR(ValidateId("user_id", request.user_id()));
  if (request.has_count() &&
      (request.count() < 1 || request.count() > kMaxCount)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "count: must be between 1 and ", kMaxCount, ", got ", request.count()));
  }
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

// The answers about one customer that read what the server holds of them:
// GetSegment's customer record, and the Admin service's export of
// everything held (a data subject's right of access).
#ifndef TAILOR_SERVER_CUSTOMER_ANSWERS_H_
#define TAILOR_SERVER_CUSTOMER_ANSWERS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "server/serving_state.h"
#include "storage/state_store.h"
#include "tailor/v1/admin.pb.h"
#include "tailor/v1/recommender.pb.h"

namespace tailor {

// Fills `response` with `user_id`'s customer record as of now: the
// snapshot's, moved forward by the events logged since (see
// shopper.h). NOT_FOUND when the snapshot has no record for them and no
// event was logged since.
absl::Status AnswerSegment(const ServingState& state, StateStore* store,
                           absl::string_view user_id, v1::Segment* response);

// The most events one ExportUser page holds, and the page size when the
// request names none.
inline constexpr int kMaxExportPageSize = 10000;
inline constexpr int kDefaultExportPageSize = 1000;

// Everything the server holds about `request.user_id()`: a page of their
// logged events, newest first, and on the first page their training
// history in `store`, whether `state`'s model has a vector for them and
// their customer record (AnswerSegment). `state` may be null (no snapshot
// loaded: events and history only). INVALID_ARGUMENT, naming the field,
// for an empty or malformed user_id, a page_size outside 1..10000 or a
// page_token no earlier page gave.
absl::Status ExportUser(const ServingState* state, StateStore* store,
                        const v1::ExportUserRequest& request,
                        v1::UserExport* response);

}  // namespace tailor

#endif  // TAILOR_SERVER_CUSTOMER_ANSWERS_H_

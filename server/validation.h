// Request validation: every rule names the offending field and the reason.
#ifndef TAILOR_SERVER_VALIDATION_H_
#define TAILOR_SERVER_VALIDATION_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/base/catalog_change.h"
#include "core/base/interactions.h"
#include "core/customers/segment_index.h"
#include "storage/state_store.h"
#include "tailor/v1/recommender.pb.h"

namespace tailor {

inline constexpr int kDefaultCount = 10;
inline constexpr int kMaxCount = 1000;
inline constexpr int kMaxExcludeIds = 1000;
inline constexpr int kMaxCategories = 100;
inline constexpr int kMaxBoosts = 100;
inline constexpr float kMaxBoost = 100;

// INVALID_ARGUMENT with "field: reason" for the first problem found.
absl::Status ValidateRecommendRequest(const v1::RecommendRequest& request);

// INVALID_ARGUMENT naming recommendation_id unless `id` has the form
// RecommendFor gives it (32 lowercase hex digits).
absl::Status ValidateRecommendationId(absl::string_view id);
// The request's also_exclude_types as a rule (interactions.h);
// INVALID_ARGUMENT naming the entry for an unknown type, a return or a
// type named twice.
absl::StatusOr<ConsumedTypes> AlsoConsumedOf(
    const v1::RecommendRequest& request);
// `type` in core's terms; INVALID_ARGUMENT naming `field` when it is not
// an event type.
absl::StatusOr<EventType> EventTypeOf(v1::EventType type,
                                      absl::string_view field);
// The reverse: `type` as the API spells it.
v1::EventType WireEventType(EventType type);
inline constexpr int kMaxTogetherIds = 100;
absl::Status ValidateBoughtTogetherRequest(
    const v1::BoughtTogetherRequest& request);
absl::Status ValidateSimilarItemsRequest(
    const v1::SimilarItemsRequest& request);
absl::Status ValidateGetSegmentRequest(const v1::GetSegmentRequest& request);

inline constexpr int kMaxEventsPerRequest = 1000;
// The batch as a whole: 1..kMaxEventsPerRequest events.
absl::Status ValidateRecordEventsRequest(
    const v1::RecordEventsRequest& request);
// One event, translated; on failure "field: reason" (without the index).
absl::StatusOr<LoggedEvent> ValidateEvent(const v1::Event& event);

inline constexpr int kMaxCatalogChanges = 1000;
inline constexpr int kMaxSizes = 100;
inline constexpr int kMaxAttributeBytes = 128;
inline constexpr int kMaxTitleBytes = 1000;
// The batch as a whole: 1..kMaxCatalogChanges changes.
absl::Status ValidateUpdateCatalogRequest(
    const v1::UpdateCatalogRequest& request);
// One change, translated; on failure "field: reason" (without the index).
// What needs the catalog (the item exists, lists the sizes) is checked when
// the change is applied (StateStore::ChangeCatalog).
absl::StatusOr<CatalogChange> ValidateCatalogChange(
    const v1::CatalogChange& change);

inline constexpr int kDefaultPageSize = 1000;
inline constexpr int kMaxPageSize = 10000;
inline constexpr int kMaxAudienceClusters = 1000;
// Checks every field and translates the filters (cluster ids are checked
// against the snapshot later, by SegmentIndex::Audience).
absl::StatusOr<AudienceQuery> ValidateTargetAudienceRequest(
    const v1::TargetAudienceRequest& request);

// Page tokens of TargetAudience: where the next page starts in the order,
// bound to the model version and the request's filters and order.
// A TargetAudience page token: the model version and the erasures its
// state applied, the query it was issued for, and the customer the page
// ended with (AudienceCursor).
struct PageToken {
  std::string version;
  uint64_t query_fingerprint = 0;
  size_t erasures = 0;
  double score = 0;
  int32_t user = 0;
};
std::string EncodePageToken(const PageToken& token);
// INVALID_ARGUMENT naming page_token when `token` is not one of ours.
absl::StatusOr<PageToken> DecodePageToken(absl::string_view token);
// A fingerprint of the request's filters and order (page size and token
// excluded), stable across processes of the same build.
uint64_t AudienceFingerprint(const v1::TargetAudienceRequest& request);

}  // namespace tailor

#endif  // TAILOR_SERVER_VALIDATION_H_

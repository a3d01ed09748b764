#include "server/customer_answers.h"

#include <cmath>
#include <optional>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/base/interactions.h"
#include "core/base/status_macros.h"
#include "core/base/text.h"
#include "core/customers/segment_index.h"
#include "server/exposure_messages.h"
#include "server/shopper.h"
#include "server/validation.h"

namespace tailor {
namespace {

void FillPreferences(const std::vector<Share>& shares,
                     google::protobuf::RepeatedPtrField<v1::Preference>* out) {
  for (const Share& s : shares) {
    v1::Preference* p = out->Add();
    p->set_value(s.value);
    p->set_share(s.share);
  }
}

// The event as RecordEvents took it (a quantity the client left out is
// the 1 it stood for).
void FillEvent(const LoggedEvent& logged, v1::LoggedEvent* out) {
  const Event& e = logged.event;
  v1::Event* event = out->mutable_event();
  event->set_event_id(logged.event_id);
  event->set_user_id(e.user_id);
  event->set_item_id(e.item_id);
  event->set_type(WireEventType(e.type));
  event->set_timestamp(e.timestamp);
  if (e.type == EventType::kRating) {
    event->set_rating(e.value);
  } else {
    event->set_quantity(e.value);
  }
  if (e.price >= 0) event->set_price(e.price);
  event->set_recommendation_id(logged.recommendation_id);
  out->set_sequence(logged.seq);
}

// Page tokens name the oldest event of the page before: "TIMESTAMP:SEQ".
std::string ExportPageToken(const LoggedEvent& e) {
  return absl::StrCat(e.event.timestamp, ":", e.seq);
}
absl::StatusOr<std::optional<EventPosition>> ParseExportPageToken(
    absl::string_view token) {
  if (token.empty()) return std::nullopt;
  std::vector<absl::string_view> parts = absl::StrSplit(token, ':');
  EventPosition p;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &p.timestamp) ||
      !absl::SimpleAtoi(parts[1], &p.seq) || p.seq == 0) {
    return absl::InvalidArgumentError(
        "page_token: not a token an earlier page gave (pass "
        "next_page_token as it came, or nothing for the first page)");
  }
  return p;
}

}  // namespace

absl::Status AnswerSegment(const ServingState& state, StateStore* store,
                           absl::string_view user_id, v1::Segment* response) {
  const SegmentIndex& index = *state.segments;
  TAILOR_ASSIGN_OR_RETURN(Shopper shopper,
                          ResolveShopper(state, store, user_id,
                                         {.items = false, .customer = true}));
  if (!shopper.customer.has_value()) {
    return absl::NotFoundError(
        absl::StrCat("user_id: '", user_id,
                     "' has no customer profile in model "
                     "version ",
                     state.version,
                     " and no events recorded since (a new shopper: treat "
                     "them as new)"));
  }
  const CustomerRecord& r = *shopper.customer;
  if (shopper.events_since_profile > 0) {
    response->set_events_since_profile(shopper.events_since_profile);
  }
  const UserProfile& p = r.profile;
  response->set_user_id(std::string(user_id));
  if (r.rfm.has_value()) {
    v1::RfmScores* rfm = response->mutable_rfm();
    rfm->set_recency(r.rfm->r);
    rfm->set_frequency(r.rfm->f);
    rfm->set_monetary(r.rfm->m);
    rfm->set_segment(RfmSegmentName(r.rfm->segment));
  }
  response->set_cluster_id(r.cluster);
  if (r.cluster >= 0) {
    response->set_cluster_descriptor(
        index.segments().clusters[r.cluster].descriptor);
  }
  if (!std::isnan(r.purchase_propensity)) {
    response->set_purchase_propensity(r.purchase_propensity);
  }
  if (!std::isnan(r.churn_risk)) response->set_churn_risk(r.churn_risk);
  v1::CustomerProfile* out = response->mutable_profile();
  if (p.recency_days >= 0) out->set_recency_days(p.recency_days);
  out->set_orders(p.orders);
  out->set_net_spend(p.net());
  out->set_gross_spend(p.gross);
  out->set_returned_value(p.returned);
  out->set_tenure_days(p.tenure_days);
  out->set_average_order_value(p.average_order_value);
  out->set_return_rate(p.return_rate);
  out->set_last_active_unix(p.last_active_unix);
  out->set_events(p.events);
  FillPreferences(p.categories, response->mutable_top_categories());
  FillPreferences(p.brands, response->mutable_top_brands());
  FillPreferences(p.colors, response->mutable_top_colors());
  FillPreferences(p.sizes, response->mutable_top_sizes());
  FillPreferences(p.price_bands, response->mutable_top_price_bands());
  response->set_profile_as_of_unix(index.segments().reference_unix);
  response->set_model_version(state.version);
  return absl::OkStatus();
}

absl::Status ExportUser(const ServingState* state, StateStore* store,
                        const v1::ExportUserRequest& request,
                        v1::UserExport* response) {
  const std::string& user_id = request.user_id();
  TAILOR_RETURN_IF_ERROR(ValidateId("user_id", user_id));
  if (request.page_size() < 0 || request.page_size() > kMaxExportPageSize) {
    return absl::InvalidArgumentError(absl::StrCat(
        "page_size: must be between 1 and ", kMaxExportPageSize,
        " (0: ", kDefaultExportPageSize, "), got ", request.page_size()));
  }
  const size_t page_size =
      request.page_size() == 0 ? kDefaultExportPageSize : request.page_size();
  TAILOR_ASSIGN_OR_RETURN(std::optional<EventPosition> before,
                          ParseExportPageToken(request.page_token()));
  response->set_user_id(user_id);

  // One more than a page says whether another follows.
  TAILOR_ASSIGN_OR_RETURN(
      std::vector<LoggedEvent> events,
      store->UserEventsBefore(user_id, before ? &*before : nullptr,
                              page_size + 1));
  const bool more = events.size() > page_size;
  if (more) events.resize(page_size);
  for (const LoggedEvent& e : events) FillEvent(e, response->add_events());
  if (more) response->set_next_page_token(ExportPageToken(events.back()));
  bool found = !events.empty();
  if (before.has_value()) {
    response->set_found(found);
    return absl::OkStatus();
  }

  TAILOR_ASSIGN_OR_RETURN(UserHistory history, store->GetHistory(user_id));
  for (const HistoryEntry& h : history.entries) {
    v1::TrainedInteraction* t = response->add_trained();
    t->set_item_id(h.item_id);
    t->set_weight(h.weight_sum);
    t->set_net_purchases(h.net_purchases);
    t->set_purchased((h.flags & kPurchased) != 0);
  }
  found = found || !history.entries.empty();
  TAILOR_ASSIGN_OR_RETURN(const std::vector<Exposure> exposures,
                          store->UserExposures(user_id));
  for (const Exposure& x : exposures) {
    FillExposureMessage(x, response->add_exposures());
  }
  found = found || !exposures.empty();
  if (state != nullptr) {
    response->set_model_version(state->version);
    const bool vector =
        state->recommender->model().users.Find(user_id).has_value();
    response->set_has_model_vector(vector);
    v1::Segment segment;
    if (absl::Status s = AnswerSegment(*state, store, user_id, &segment);
        s.ok()) {
      *response->mutable_segment() = std::move(segment);
      found = true;
    } else if (!absl::IsNotFound(s)) {
      return s;
    }
    found = found || vector;
  }
  response->set_found(found);
  return absl::OkStatus();
}

}  // namespace tailor

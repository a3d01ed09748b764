#include "server/validation.h"

#include <algorithm>
#include <cmath>
#include <tuple>

#include "absl/base/casts.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/base/hash.h"
#include "core/base/status_macros.h"
#include "core/base/text.h"
#include "core/customers/segment_index.h"

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

// At most `limit` ids in `ids`, each a valid id ("field[i]: ..." otherwise).
absl::Status ValidateIdList(
    absl::string_view field,
    const google::protobuf::RepeatedPtrField<std::string>& ids, int limit) {
  if (ids.size() > limit) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": has ", ids.size(), " entries, the limit is ", limit));
  }
  for (int i = 0; i < ids.size(); ++i) {
    TAILOR_RETURN_IF_ERROR(
        ValidateId(absl::StrCat(field, "[", i, "]"), ids.Get(i)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateBoughtTogetherRequest(
    const v1::BoughtTogetherRequest& request) {
  if (request.item_ids_size() == 0) {
    return absl::InvalidArgumentError("item_ids: at least one is required");
  }
  TAILOR_RETURN_IF_ERROR(
      ValidateIdList("item_ids", request.item_ids(), kMaxTogetherIds));
  return ValidateCount(request);
}

absl::Status ValidateSimilarItemsRequest(
    const v1::SimilarItemsRequest& request) {
  TAILOR_RETURN_IF_ERROR(ValidateId("item_id", request.item_id()));
  return ValidateCount(request);
}

absl::Status ValidateGetSegmentRequest(const v1::GetSegmentRequest& request) {
  return ValidateId("user_id", request.user_id());
}

absl::Status ValidateRecordEventsRequest(
    const v1::RecordEventsRequest& request) {
  if (request.events_size() == 0) {
    return absl::InvalidArgumentError("events: at least one is required");
  }
  if (request.events_size() > kMaxEventsPerRequest) {
    return absl::InvalidArgumentError(
        absl::StrCat("events: has ", request.events_size(),
                     " events, the limit is ", kMaxEventsPerRequest));
  }
  return absl::OkStatus();
}

namespace {

// Each core EventType's wire value, by EventType.
constexpr v1::EventType kWireTypes[kNumEventTypes] = {
    v1::EVENT_TYPE_VIEW,     v1::EVENT_TYPE_CLICK,  v1::EVENT_TYPE_ADD_TO_CART,
    v1::EVENT_TYPE_PURCHASE, v1::EVENT_TYPE_RETURN, v1::EVENT_TYPE_RATING};

}  // namespace

absl::StatusOr<EventType> EventTypeOf(v1::EventType type,
                                      absl::string_view field) {
  for (int t = 0; t < kNumEventTypes; ++t) {
    if (kWireTypes[t] == type) return static_cast<EventType>(t);
  }
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": ", static_cast<int>(type),
                   " is not an event type (view, click, add_to_cart, "
                   "purchase, return, rating)"));
}

v1::EventType WireEventType(EventType type) {
  return kWireTypes[static_cast<int>(type)];
}

absl::StatusOr<ConsumedTypes> AlsoConsumedOf(
    const v1::RecommendRequest& request) {
  ConsumedTypes rule = 0;
  for (int i = 0; i < request.also_exclude_types_size(); ++i) {
    const std::string field = absl::StrCat("also_exclude_types[", i, "]");
    TAILOR_ASSIGN_OR_RETURN(const EventType type,
                            EventTypeOf(request.also_exclude_types(i), field));
    if (type == EventType::kReturn) {
      return absl::InvalidArgumentError(absl::StrCat(
          field,
          ": a return does not make an item had (purchases count net "
          "of returns)"));
    }
    if (rule & TypeFlag(type)) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": ", EventTypeName(type), " is named twice"));
    }
    rule |= TypeFlag(type);
  }
  return rule;
}

absl::Status ValidateUpdateCatalogRequest(
    const v1::UpdateCatalogRequest& request) {
  if (request.changes_size() < 1 ||
      request.changes_size() > kMaxCatalogChanges) {
    return absl::InvalidArgumentError(
        absl::StrCat("changes: must hold 1..", kMaxCatalogChanges,
                     " changes, got ", request.changes_size()));
  }
  return absl::OkStatus();
}

namespace {

absl::Status CheckText(absl::string_view field, const std::string& value,
                       int max_bytes) {
  if (static_cast<int>(value.size()) > max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": at most ", max_bytes, " bytes, got ", value.size()));
  }
  return absl::OkStatus();
}

absl::Status CheckPrice(absl::string_view field, double price) {
  if (!(price >= 0 && std::isfinite(price))) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": must be a finite number >= 0, got ", price));
  }
  return absl::OkStatus();
}

// Sizes and their units; `units_required` for inventory changes.
absl::Status CheckSizes(
    absl::string_view field,
    const google::protobuf::RepeatedPtrField<v1::SizeStock>& sizes,
    bool units_required) {
  if (sizes.size() > kMaxSizes) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": at most ", kMaxSizes, " sizes, got ", sizes.size()));
  }
  int with_units = 0;
  absl::flat_hash_set<absl::string_view> seen;
  for (int k = 0; k < sizes.size(); ++k) {
    const v1::SizeStock& s = sizes.Get(k);
    const std::string at = absl::StrCat(field, "[", k, "]");
    if (s.size().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(at, ".size: required"));
    }
    TAILOR_RETURN_IF_ERROR(
        CheckText(absl::StrCat(at, ".size"), s.size(), kMaxAttributeBytes));
    if (!seen.insert(s.size()).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(at, ".size: '", s.size(), "' is given twice"));
    }
    if (s.has_units()) {
      if (s.units() < 0) {
        return absl::InvalidArgumentError(
            absl::StrCat(at, ".units: must be >= 0, got ", s.units()));
      }
      ++with_units;
    } else if (units_required) {
      return absl::InvalidArgumentError(absl::StrCat(at, ".units: required"));
    }
  }
  if (with_units != 0 && with_units != sizes.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": units are given for ", with_units, " of ",
                     sizes.size(), " sizes: give them for all or none"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<CatalogChange> ValidateCatalogChange(
    const v1::CatalogChange& change) {
  TAILOR_RETURN_IF_ERROR(ValidateId("item_id", change.item_id()));
  CatalogChange out;
  out.item_id = change.item_id();
  out.version = change.version();
  switch (change.change_case()) {
    case v1::CatalogChange::kUpsert: {
      const v1::CatalogItem& u = change.upsert();
      out.kind = CatalogChange::Kind::kUpsert;
      TAILOR_RETURN_IF_ERROR(
          CheckText("upsert.title", u.title(), kMaxTitleBytes));
      TAILOR_RETURN_IF_ERROR(
          CheckText("upsert.category", u.category(), kMaxAttributeBytes));
      TAILOR_RETURN_IF_ERROR(
          CheckText("upsert.brand", u.brand(), kMaxAttributeBytes));
      TAILOR_RETURN_IF_ERROR(
          CheckText("upsert.color", u.color(), kMaxAttributeBytes));
      if (!u.has_price()) {
        return absl::InvalidArgumentError("upsert.price: required");
      }
      TAILOR_RETURN_IF_ERROR(CheckPrice("upsert.price", u.price()));
      TAILOR_RETURN_IF_ERROR(CheckSizes("upsert.sizes", u.sizes(), false));
      Item& item = out.item;
      item.item_id = change.item_id();
      item.title = u.title();
      item.category = u.category();
      item.brand = u.brand();
      item.color = u.color();
      item.price = u.price();
      for (const v1::SizeStock& s : u.sizes()) {
        item.sizes.push_back(s.size());
        if (s.has_units()) item.size_stock.push_back(s.units());
      }
      item.in_stock =
          u.has_in_stock()
              ? u.in_stock()
              : item.size_stock.empty() ||
                    std::any_of(item.size_stock.begin(), item.size_stock.end(),
                                [](int32_t units) { return units > 0; });
      break;
    }
    case v1::CatalogChange::kInventory: {
      const v1::InventoryChange& inv = change.inventory();
      out.kind = CatalogChange::Kind::kInventory;
      if (!inv.has_price() && !inv.has_in_stock() && inv.sizes().empty()) {
        return absl::InvalidArgumentError(
            "inventory: set price, in_stock or sizes (nothing would change)");
      }
      if (inv.has_price()) {
        TAILOR_RETURN_IF_ERROR(CheckPrice("inventory.price", inv.price()));
        out.price = inv.price();
      }
      if (inv.has_in_stock()) out.in_stock = inv.in_stock();
      TAILOR_RETURN_IF_ERROR(CheckSizes("inventory.sizes", inv.sizes(), true));
      for (const v1::SizeStock& s : inv.sizes()) {
        out.size_stock.emplace_back(s.size(), s.units());
      }
      break;
    }
    case v1::CatalogChange::kRetire:
      if (!change.retire()) {
        return absl::InvalidArgumentError(
            "retire: must be true (to bring an item back, upsert it)");
      }
      out.kind = CatalogChange::Kind::kRetire;
      break;
    case v1::CatalogChange::CHANGE_NOT_SET:
      return absl::InvalidArgumentError(
          "change: set one of upsert, inventory or retire");
  }
  return out;
}

absl::StatusOr<LoggedEvent> ValidateEvent(const v1::Event& e) {
  TAILOR_RETURN_IF_ERROR(ValidateId("event_id", e.event_id()));
  TAILOR_RETURN_IF_ERROR(ValidateId("user_id", e.user_id()));
  TAILOR_RETURN_IF_ERROR(ValidateId("item_id", e.item_id()));
  LoggedEvent out;
  out.event_id = e.event_id();
  out.event.user_id = e.user_id();
  out.event.item_id = e.item_id();
  TAILOR_ASSIGN_OR_RETURN(out.event.type, EventTypeOf(e.type(), "type"));
  if (e.timestamp() <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "timestamp: must be positive Unix seconds, got ", e.timestamp()));
  }
  out.event.timestamp = e.timestamp();
  if (out.event.type == EventType::kRating) {
    if (!e.has_rating() || !std::isfinite(e.rating())) {
      return absl::InvalidArgumentError(
          "rating: a rating event needs a finite rating");
    }
    out.event.value = e.rating();
  } else {
    if (e.has_rating()) {
      return absl::InvalidArgumentError(
          "rating: only rating events carry a rating");
    }
    if (e.has_quantity() &&
        !(e.quantity() > 0 && std::isfinite(e.quantity()))) {
      return absl::InvalidArgumentError(absl::StrCat(
          "quantity: must be a positive number, got ", e.quantity()));
    }
    out.event.value = e.has_quantity() ? e.quantity() : 1.0;
  }
  if (e.has_price()) {
    if (out.event.type != EventType::kPurchase &&
        out.event.type != EventType::kReturn) {
      return absl::InvalidArgumentError(
          "price: only purchases and returns carry a price");
    }
    if (!(e.price() >= 0 && std::isfinite(e.price()))) {
      return absl::InvalidArgumentError(
          absl::StrCat("price: must be a finite number >= 0, got ", e.price()));
    }
    out.event.price = e.price();
  }
  if (!e.recommendation_id().empty()) {
    TAILOR_RETURN_IF_ERROR(ValidateRecommendationId(e.recommendation_id()));
    out.recommendation_id = e.recommendation_id();
  }
  return out;
}

absl::Status ValidateRecommendationId(absl::string_view id) {
  if (id.size() != 32 || !std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
      })) {
    return absl::InvalidArgumentError(
        "recommendation_id: must be the 32 lowercase hex digits of a "
        "RecommendFor answer's recommendation_id");
  }
  return absl::OkStatus();
}

absl::StatusOr<AudienceQuery> ValidateTargetAudienceRequest(
    const v1::TargetAudienceRequest& request) {
  AudienceQuery q;
  if (request.rfm_segments_size() > kNumRfmSegments) {
    return absl::InvalidArgumentError(
        absl::StrCat("rfm_segments: has ", request.rfm_segments_size(),
                     " names, there are only ", kNumRfmSegments, " segments"));
  }
  for (int i = 0; i < request.rfm_segments_size(); ++i) {
    const std::optional<RfmSegment> seg =
        RfmSegmentFromName(request.rfm_segments(i));
    if (!seg.has_value()) {
      std::vector<std::string> names;
      for (int s = 0; s < kNumRfmSegments; ++s) {
        names.push_back(RfmSegmentName(static_cast<RfmSegment>(s)));
      }
      return absl::InvalidArgumentError(absl::StrCat(
          "rfm_segments[", i, "]: '",
          absl::CHexEscape(
              absl::string_view(request.rfm_segments(i)).substr(0, 64)),
          "' is not an RFM segment; one of: ", absl::StrJoin(names, ", ")));
    }
    q.rfm_segments.push_back(*seg);
  }
  if (request.cluster_ids_size() > kMaxAudienceClusters) {
    return absl::InvalidArgumentError(
        absl::StrCat("cluster_ids: has ", request.cluster_ids_size(),
                     " ids, the limit is ", kMaxAudienceClusters));
  }
  for (int i = 0; i < request.cluster_ids_size(); ++i) {
    if (request.cluster_ids(i) < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "cluster_ids[", i, "]: must be >= 0, got ", request.cluster_ids(i)));
    }
    q.clusters.push_back(request.cluster_ids(i));
  }
  auto threshold = [](const char* field, float v) -> absl::Status {
    if (!(v >= 0.0f && v <= 1.0f)) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": must be between 0 and 1, got ", v));
    }
    return absl::OkStatus();
  };
  if (request.has_min_purchase_propensity()) {
    TAILOR_RETURN_IF_ERROR(threshold("min_purchase_propensity",
                                     request.min_purchase_propensity()));
    q.min_purchase_propensity = request.min_purchase_propensity();
  }
  if (request.has_min_churn_risk()) {
    TAILOR_RETURN_IF_ERROR(
        threshold("min_churn_risk", request.min_churn_risk()));
    q.min_churn_risk = request.min_churn_risk();
  }
  switch (request.order_by()) {
    case v1::AUDIENCE_ORDER_UNSPECIFIED:
    case v1::AUDIENCE_ORDER_PURCHASE_PROPENSITY:
      q.order = AudienceQuery::Order::kPurchasePropensity;
      break;
    case v1::AUDIENCE_ORDER_CHURN_RISK:
      q.order = AudienceQuery::Order::kChurnRisk;
      break;
    case v1::AUDIENCE_ORDER_MONETARY:
      q.order = AudienceQuery::Order::kMonetary;
      break;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("order_by: ", static_cast<int>(request.order_by()),
                       " is not an AudienceOrder"));
  }
  if (request.has_page_size() &&
      (request.page_size() < 1 || request.page_size() > kMaxPageSize)) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_size: must be between 1 and ", kMaxPageSize,
                     ", got ", request.page_size()));
  }
  return q;
}

namespace {
constexpr absl::string_view kTokenPrefix = "tk2.";
}  // namespace

std::string EncodePageToken(const PageToken& t) {
  return absl::StrCat(
      kTokenPrefix, absl::WebSafeBase64Escape(absl::StrCat(
                        t.version, ":", t.query_fingerprint, ":", t.erasures,
                        ":", absl::bit_cast<uint64_t>(t.score), ":", t.user)));
}

absl::StatusOr<PageToken> DecodePageToken(absl::string_view token) {
  const absl::Status bad = absl::InvalidArgumentError(
      "page_token: not a token this service issued (pass the "
      "next_page_token of the previous response unchanged)");
  if (!absl::ConsumePrefix(&token, kTokenPrefix)) return bad;
  std::string raw;
  if (!absl::WebSafeBase64Unescape(token, &raw)) return bad;
  std::vector<std::string> parts = absl::StrSplit(raw, ':');
  PageToken t;
  uint64_t score_bits = 0;
  if (parts.size() != 5 || parts[0].empty() ||
      !absl::SimpleAtoi(parts[1], &t.query_fingerprint) ||
      !absl::SimpleAtoi(parts[2], &t.erasures) ||
      !absl::SimpleAtoi(parts[3], &score_bits) ||
      !absl::SimpleAtoi(parts[4], &t.user) || t.user < 0) {
    return bad;
  }
  t.version = parts[0];
  t.score = absl::bit_cast<double>(score_bits);
  return t;
}

uint64_t AudienceFingerprint(const v1::TargetAudienceRequest& request) {
  v1::TargetAudienceRequest filters = request;
  filters.clear_page_size();
  filters.clear_page_token();
  // FNV-1a over the serialized filters (no maps, so the bytes are
  // deterministic for one build).
  return Fnv1a(filters.SerializeAsString());
}

absl::Status ValidateRecommendRequest(const v1::RecommendRequest& request) {
  TAILOR_RETURN_IF_ERROR(ValidateId("user_id", request.user_id()));
  TAILOR_RETURN_IF_ERROR(ValidateCount(request));
  TAILOR_RETURN_IF_ERROR(AlsoConsumedOf(request).status());
  TAILOR_RETURN_IF_ERROR(ValidateIdList(
      "exclude_item_ids", request.exclude_item_ids(), kMaxExcludeIds));
  if (!request.size().empty()) {
    TAILOR_RETURN_IF_ERROR(ValidateId("size", request.size()));
  }
  TAILOR_RETURN_IF_ERROR(
      ValidateIdList("categories", request.categories(), kMaxCategories));
  for (const auto& [name, has, value] :
       {std::tuple("min_price", request.has_min_price(), request.min_price()),
        std::tuple("max_price", request.has_max_price(),
                   request.max_price())}) {
    if (has && !(std::isfinite(value) && value >= 0)) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, ": must be a finite number >= 0, got ", value));
    }
  }
  if (request.has_min_price() && request.has_max_price() &&
      request.min_price() > request.max_price()) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_price: ", request.max_price(), " is below min_price ",
                     request.min_price()));
  }
  if (request.has_max_per_category() &&
      (request.max_per_category() < 1 ||
       request.max_per_category() > kMaxCount)) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_per_category: must be 1..", kMaxCount, ", got ",
                     request.max_per_category()));
  }
  if (request.has_diversity() &&
      !(request.diversity() >= 0 && request.diversity() <= 1)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "diversity: must be between 0 and 1, got ", request.diversity()));
  }
  if (request.boosts_size() > kMaxBoosts) {
    return absl::InvalidArgumentError(
        absl::StrCat("boosts: has ", request.boosts_size(),
                     " entries, the limit is ", kMaxBoosts));
  }
  for (int i = 0; i < request.boosts_size(); ++i) {
    const v1::ItemBoost& b = request.boosts(i);
    TAILOR_RETURN_IF_ERROR(
        ValidateId(absl::StrCat("boosts[", i, "].item_id"), b.item_id()));
    if (!(b.boost() > 0 && b.boost() <= kMaxBoost)) {
      return absl::InvalidArgumentError(
          absl::StrCat("boosts[", i, "].boost: must be in (0, ", kMaxBoost,
                       "], got ", b.boost()));
    }
  }
  return absl::OkStatus();
}

}  // namespace tailor

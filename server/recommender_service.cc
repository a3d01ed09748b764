#include "server/recommender_service.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "core/interactions.h"
#include "core/status_macros.h"
#include "server/status_util.h"
#include "server/validation.h"
#include "server/wire.h"

namespace tailor {

grpc::ServerUnaryReactor* RecommenderService::RecommendFor(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::Status status = [&] {
    v1::RecommendRequest req;
    TAILOR_RETURN_IF_ERROR(ParseRequest(*request, &req));
    v1::RecommendResponse resp;
    TAILOR_RETURN_IF_ERROR(Recommend(req, &resp));
    return SerializeResponse(resp, response);
  }();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

absl::Status RecommenderService::Recommend(
    const v1::RecommendRequest& request,
    v1::RecommendResponse* response) const {
  TAILOR_RETURN_IF_ERROR(ValidateRecommendRequest(request));
  std::shared_ptr<const ServingState> state = state_->Get();
  if (state == nullptr) {
    return absl::UnavailableError(
        "no model loaded yet: publish a snapshot with tailor-trainer");
  }
  const Model& model = state->recommender->model();
  const int count = request.has_count() ? request.count() : kDefaultCount;
  const bool exclude_seen =
      request.has_exclude_seen() ? request.exclude_seen() : true;

  std::optional<ItemSet> exclude;
  auto exclude_item = [&](absl::string_view item_id) {
    if (auto index = model.items.Find(item_id)) {
      if (!exclude.has_value()) exclude.emplace(model.items.size());
      exclude->Insert(*index);
    }
  };
  for (const std::string& id : request.exclude_item_ids()) exclude_item(id);
  if (exclude_seen) {
    absl::StatusOr<std::vector<HistoryEntry>> history =
        store_->GetHistory(request.user_id());
    if (!history.ok()) {
      return absl::Status(
          history.status().code(),
          absl::StrCat("reading the history of user_id '", request.user_id(),
                       "': ", history.status().message()));
    }
    for (const HistoryEntry& e : *history) {
      if (e.flags & kPurchased) exclude_item(e.item_id);
    }
  }

  const RecommendResult result =
      state->recommender->Recommend(model.users.Find(request.user_id()), count,
                                    exclude.has_value() ? &*exclude : nullptr);

  response->set_model_version(state->version);
  response->set_fallback_used(result.fallback_used);
  response->mutable_items()->Reserve(static_cast<int>(result.items.size()));
  for (const Recommendation& r : result.items) {
    v1::RecommendedItem* out = response->add_items();
    out->set_item_id(model.items.id(r.item));
    out->set_score(r.score);
    out->set_reason(r.personalized ? v1::REASON_PERSONALIZED
                                   : v1::REASON_POPULAR);
    const Item& info = state->item_info[r.item];
    if (!info.item_id.empty()) {
      v1::ItemInfo* i = out->mutable_info();
      i->set_title(info.title);
      i->set_category(info.category);
      i->set_brand(info.brand);
      i->set_color(info.color);
      i->set_price(info.price);
      for (const auto& s : info.sizes) i->add_sizes(s);
      i->set_in_stock(info.in_stock);
    }
  }
  return absl::OkStatus();
}

}  // namespace tailor

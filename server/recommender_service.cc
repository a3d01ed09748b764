#include "server/recommender_service.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "core/interactions.h"
#include "core/status_macros.h"
#include "server/status_util.h"
#include "server/validation.h"
#include "server/wire.h"

namespace tailor {

namespace {

// Parses the raw request, runs `handle` and serialises its response.
template <typename Request, typename Response, typename Handle>
grpc::ServerUnaryReactor* ServeRaw(grpc::CallbackServerContext* context,
                                   const grpc::ByteBuffer* request,
                                   grpc::ByteBuffer* response, Handle handle) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::Status status = [&] {
    Request req;
    TAILOR_RETURN_IF_ERROR(ParseRequest(*request, &req));
    Response resp;
    TAILOR_RETURN_IF_ERROR(handle(req, &resp));
    return SerializeResponse(resp, response);
  }();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

absl::StatusOr<std::shared_ptr<const ServingState>> Active(
    const ServingStateHolder* holder) {
  std::shared_ptr<const ServingState> state = holder->Get();
  if (state == nullptr) {
    return absl::UnavailableError(
        "no model loaded yet: publish a snapshot with tailor-trainer");
  }
  return state;
}

// Fills one response item: id, score, reason and catalog attributes.
void FillItem(const ServingState& state, int32_t item, float score,
              v1::Reason reason, v1::RecommendedItem* out) {
  out->set_item_id(state.recommender->model().items.id(item));
  out->set_score(score);
  out->set_reason(reason);
  const Item& info = state.item_info[item];
  if (!info.item_id.empty()) {
    v1::ItemInfo* i = out->mutable_info();
    i->set_title(info.title);
    i->set_category(info.category);
    i->set_brand(info.brand);
    i->set_color(info.color);
    i->set_price(info.price);
    for (const auto& size : info.sizes) i->add_sizes(size);
    i->set_in_stock(info.in_stock);
  }
}

}  // namespace

grpc::ServerUnaryReactor* RecommenderService::RecommendFor(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return ServeRaw<v1::RecommendRequest, v1::RecommendResponse>(
      context, request, response,
      [this](const auto& req, auto* resp) { return Recommend(req, resp); });
}

grpc::ServerUnaryReactor* RecommenderService::BoughtTogether(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return ServeRaw<v1::BoughtTogetherRequest, v1::BoughtTogetherResponse>(
      context, request, response,
      [this](const auto& req, auto* resp) { return Together(req, resp); });
}

grpc::ServerUnaryReactor* RecommenderService::SimilarItems(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return ServeRaw<v1::SimilarItemsRequest, v1::SimilarItemsResponse>(
      context, request, response,
      [this](const auto& req, auto* resp) { return Similar(req, resp); });
}

absl::Status RecommenderService::Together(
    const v1::BoughtTogetherRequest& request,
    v1::BoughtTogetherResponse* response) const {
  TAILOR_RETURN_IF_ERROR(ValidateBoughtTogetherRequest(request));
  TAILOR_ASSIGN_OR_RETURN(std::shared_ptr<const ServingState> state,
                          Active(state_));
  const IdMap& items = state->recommender->model().items;
  std::vector<int32_t> given;
  for (const std::string& id : request.item_ids()) {
    if (auto index = items.Find(id)) given.push_back(*index);
  }
  const int count = request.has_count() ? request.count() : kDefaultCount;
  response->set_model_version(state->version);
  for (const TogetherItem& t :
       tailor::BoughtTogether(state->rules, given, count)) {
    v1::TogetherItem* out = response->add_items();
    FillItem(*state, t.item, t.rule->lift, v1::REASON_BOUGHT_TOGETHER,
             out->mutable_item());
    v1::RuleEvidence* ev = out->mutable_evidence();
    for (int32_t a : t.rule->antecedent) {
      ev->add_antecedent_item_ids(items.id(a));
    }
    ev->set_baskets_together(t.rule->count);
    ev->set_baskets_total(state->rules.num_baskets);
    ev->set_confidence(t.rule->confidence);
    ev->set_lift(t.rule->lift);
  }
  return absl::OkStatus();
}

absl::Status RecommenderService::Similar(
    const v1::SimilarItemsRequest& request,
    v1::SimilarItemsResponse* response) const {
  TAILOR_RETURN_IF_ERROR(ValidateSimilarItemsRequest(request));
  TAILOR_ASSIGN_OR_RETURN(std::shared_ptr<const ServingState> state,
                          Active(state_));
  const std::optional<int32_t> item =
      state->recommender->model().items.Find(request.item_id());
  if (!item.has_value()) {
    return absl::NotFoundError(absl::StrCat("item_id: '", request.item_id(),
                                            "' is not in the model (version ",
                                            state->version, ")"));
  }
  const int count = request.has_count() ? request.count() : kDefaultCount;
  response->set_model_version(state->version);
  for (const ScoredItem& s : state->recommender->SimilarItems(*item, count)) {
    FillItem(*state, s.item, s.score, v1::REASON_SIMILAR,
             response->add_items());
  }
  return absl::OkStatus();
}

absl::Status RecommenderService::Recommend(
    const v1::RecommendRequest& request,
    v1::RecommendResponse* response) const {
  TAILOR_RETURN_IF_ERROR(ValidateRecommendRequest(request));
  TAILOR_ASSIGN_OR_RETURN(std::shared_ptr<const ServingState> state,
                          Active(state_));
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
    FillItem(*state, r.item, r.score,
             r.personalized ? v1::REASON_PERSONALIZED : v1::REASON_POPULAR,
             response->add_items());
  }
  return absl::OkStatus();
}

}  // namespace tailor

#include "server/recommender_service.h"

#include <cmath>
#include <optional>

#include "absl/random/distributions.h"
#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/base/interactions.h"
#include "core/base/mutex.h"
#include "core/base/status_macros.h"
#include "core/customers/segment_index.h"
#include "core/serving/ease_query.h"
#include "core/serving/neighbour_query.h"
#include "server/customer_answers.h"
#include "server/shopper.h"
#include "server/status_util.h"
#include "server/strategy_choice.h"
#include "server/validation.h"
#include "server/wire.h"

namespace tailor {

namespace {

absl::StatusOr<std::shared_ptr<const ServingState>> Active(
    const ServingStateHolder* holder) {
  std::shared_ptr<const ServingState> state = holder->Get();
  if (state == nullptr) {
    return absl::UnavailableError(
        "no model loaded yet: publish a snapshot with tailor-trainer");
  }
  return state;
}

// Runs `start(done)`, which calls `done` once on any thread, and waits for
// its answer.
template <typename Response, typename Start>
absl::Status Await(Start start, Response* response) {
  Notification done;
  absl::StatusOr<Response> answer;
  start([&](absl::StatusOr<Response> r) {
    answer = std::move(r);
    done.Notify();
  });
  done.WaitForNotification();
  TAILOR_RETURN_IF_ERROR(answer.status());
  *response = *std::move(answer);
  return absl::OkStatus();
}

// Fills one response item: id, score, reason and catalog attributes.
void FillItem(const CatalogView& catalog, int32_t item, float score,
              v1::Reason reason, v1::RecommendedItem* out) {
  out->set_item_id(catalog.id(item));
  out->set_score(score);
  out->set_reason(reason);
  const Item& info = catalog.item(item);
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

RecommenderService::RecommenderService(
    const ServingStateHolder* state, StateStore* store, EventWriter* writer,
    CallScheduler* scheduler, ServerMetrics* metrics,
    const Authorizer* authorizer, bool accept_events,
    CatalogWriter* catalog_writer, const ExperimentBook* experiments,
    ExposureLog* exposures)
    : state_(state),
      store_(store),
      writer_(writer),
      catalog_writer_(catalog_writer),
      experiments_(experiments),
      exposures_(exposures),
      recommendation_prefix_(absl::Uniform<uint64_t>(absl::BitGen())),
      scheduler_(scheduler),
      metrics_(metrics),
      authorizer_(authorizer),
      accept_events_(accept_events),
      rpc_(metrics != nullptr ? metrics->rpc() : nullptr) {
  if (rpc_ == nullptr) return;
  for (int m = 0; m < kCallMethods; ++m) {
    rpc_ids_[m] =
        rpc_->Id(absl::StrCat("/", v1::Recommender::service_full_name(), "/",
                              CallMethodName(static_cast<CallMethod>(m))));
  }
}

MeteredUnaryReactor* RecommenderService::Reactor(CallMethod method) const {
  return new MeteredUnaryReactor(rpc_, rpc_ids_[static_cast<int>(method)]);
}

template <typename Request, typename Response, typename Handle>
grpc::ServerUnaryReactor* RecommenderService::Serve(
    CallMethod method, grpc::CallbackServerContext* context,
    const grpc::ByteBuffer* request, grpc::ByteBuffer* response,
    Handle handle) {
  MeteredUnaryReactor* reactor = Reactor(method);
  if (absl::Status s = Allowed(*context, method); !s.ok()) {
    return Refuse(reactor, s);
  }
  return ServeScheduled<Request, Response>(scheduler_, method, context, reactor,
                                           request, response,
                                           std::move(handle));
}

grpc::ServerUnaryReactor* RecommenderService::RecommendFor(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return Serve<v1::RecommendRequest, v1::RecommendResponse>(
      CallMethod::kRecommendFor, context, request, response,
      [this](const auto& req, auto* resp) { return Recommend(req, resp); });
}

grpc::ServerUnaryReactor* RecommenderService::BoughtTogether(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return Serve<v1::BoughtTogetherRequest, v1::BoughtTogetherResponse>(
      CallMethod::kBoughtTogether, context, request, response,
      [this](const auto& req, auto* resp) { return Together(req, resp); });
}

grpc::ServerUnaryReactor* RecommenderService::SimilarItems(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return Serve<v1::SimilarItemsRequest, v1::SimilarItemsResponse>(
      CallMethod::kSimilarItems, context, request, response,
      [this](const auto& req, auto* resp) { return Similar(req, resp); });
}

grpc::ServerUnaryReactor* RecommenderService::GetSegment(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return Serve<v1::GetSegmentRequest, v1::Segment>(
      CallMethod::kGetSegment, context, request, response,
      [this](const auto& req, auto* resp) { return Segment(req, resp); });
}

grpc::ServerUnaryReactor* RecommenderService::ListSegments(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return Serve<v1::ListSegmentsRequest, v1::ListSegmentsResponse>(
      CallMethod::kListSegments, context, request, response,
      [this](const auto& req, auto* resp) { return Segments(req, resp); });
}

grpc::ServerUnaryReactor* RecommenderService::TargetAudience(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return Serve<v1::TargetAudienceRequest, v1::TargetAudienceResponse>(
      CallMethod::kTargetAudience, context, request, response,
      [this](const auto& req, auto* resp) { return Audience(req, resp); });
}

template <typename Request, typename Response, typename Async>
grpc::ServerUnaryReactor* RecommenderService::ServeAsync(
    CallMethod method, grpc::CallbackServerContext* context,
    const grpc::ByteBuffer* request, grpc::ByteBuffer* response, Async async) {
  MeteredUnaryReactor* reactor = Reactor(method);
  if (absl::Status s = Allowed(*context, method); !s.ok()) {
    return Refuse(reactor, s);
  }
  // Parses the request and hands it to `async`; `slot` (empty without a
  // scheduler) stays taken until the answer.
  auto start = [reactor, request, response,
                async](std::optional<CallScheduler::Slot> slot) mutable {
    Request req;
    if (absl::Status s = ParseRequest(*request, &req); !s.ok()) {
      reactor->Finish(ToGrpcStatus(s));
      return;
    }
    async(req, [reactor, response, slot = std::move(slot)](
                   absl::StatusOr<Response> answer) mutable {
      absl::Status status =
          answer.ok() ? SerializeResponse(*answer, response) : answer.status();
      slot.reset();  // free before the client sees the answer
      reactor->Finish(ToGrpcStatus(status));
    });
  };
  if (scheduler_ == nullptr) {
    start(std::nullopt);
    return reactor;
  }
  ScheduleCall(
      scheduler_, method, context,
      [reactor, start](absl::StatusOr<CallScheduler::Slot> slot) mutable {
        if (!slot.ok()) {
          reactor->Finish(ToGrpcStatus(slot.status()));
          return;
        }
        start(*std::move(slot));
      });
  return reactor;
}

grpc::ServerUnaryReactor* RecommenderService::UpdateCatalog(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return ServeAsync<v1::UpdateCatalogRequest, v1::UpdateCatalogResponse>(
      CallMethod::kUpdateCatalog, context, request, response,
      [this](const v1::UpdateCatalogRequest& req, CatalogDone done) {
        CatalogAsync(req, std::move(done));
      });
}

namespace {

// The request's answers for the changes the store applied: `write`'s
// results, in order, at `positions`; then the totals.
void FillCatalogAnswers(const CatalogWrite& write,
                        const std::vector<int>& positions,
                        v1::UpdateCatalogResponse* response) {
  for (size_t k = 0; k < positions.size(); ++k) {
    const CatalogChangeResult& r = write.results[k];
    v1::CatalogChangeResult* result = response->mutable_results(positions[k]);
    switch (r.outcome) {
      case CatalogChangeResult::Outcome::kApplied:
        result->set_status(v1::CatalogChangeResult::STATUS_APPLIED);
        break;
      case CatalogChangeResult::Outcome::kUnchanged:
        result->set_status(v1::CatalogChangeResult::STATUS_UNCHANGED);
        break;
      case CatalogChangeResult::Outcome::kStale:
        result->set_status(v1::CatalogChangeResult::STATUS_STALE);
        break;
      case CatalogChangeResult::Outcome::kInvalid:
        result->set_status(v1::CatalogChangeResult::STATUS_INVALID);
        result->set_error(r.error);
        break;
    }
  }
}

void CountCatalogAnswers(v1::UpdateCatalogResponse* response) {
  for (const v1::CatalogChangeResult& r : response->results()) {
    switch (r.status()) {
      case v1::CatalogChangeResult::STATUS_APPLIED:
        response->set_applied(response->applied() + 1);
        break;
      case v1::CatalogChangeResult::STATUS_UNCHANGED:
        response->set_unchanged(response->unchanged() + 1);
        break;
      case v1::CatalogChangeResult::STATUS_STALE:
        response->set_stale(response->stale() + 1);
        break;
      default:
        response->set_invalid(response->invalid() + 1);
        break;
    }
  }
}

}  // namespace

void RecommenderService::CatalogAsync(const v1::UpdateCatalogRequest& request,
                                      CatalogDone done) const {
  if (absl::Status s = ValidateUpdateCatalogRequest(request); !s.ok()) {
    std::move(done)(s);
    return;
  }
  v1::UpdateCatalogResponse response;
  std::vector<CatalogChange> valid;
  std::vector<int> positions;  // of the valid changes in the request
  response.mutable_results()->Reserve(request.changes_size());
  for (int i = 0; i < request.changes_size(); ++i) {
    v1::CatalogChangeResult* result = response.add_results();
    absl::StatusOr<CatalogChange> change =
        ValidateCatalogChange(request.changes(i));
    if (!change.ok()) {
      result->set_status(v1::CatalogChangeResult::STATUS_INVALID);
      result->set_error(std::string(change.status().message()));
      continue;
    }
    valid.push_back(*std::move(change));
    positions.push_back(i);
  }
  if (valid.empty()) {
    CountCatalogAnswers(&response);
    std::move(done)(std::move(response));
    return;
  }
  auto answer =
      [response = std::move(response), positions = std::move(positions),
       done = std::move(done)](absl::StatusOr<CatalogWrite> write) mutable {
        if (!write.ok()) {
          std::move(done)(write.status());
          return;
        }
        FillCatalogAnswers(*write, positions, &response);
        CountCatalogAnswers(&response);
        std::move(done)(std::move(response));
      };
  if (catalog_writer_ != nullptr) {
    catalog_writer_->Submit(std::move(valid), std::move(answer));
  } else {
    std::move(answer)(ApplyCatalogChanges(valid, store_, state_));
  }
}

absl::Status RecommenderService::Catalog(
    const v1::UpdateCatalogRequest& request,
    v1::UpdateCatalogResponse* response) const {
  return Await(
      [&](CatalogDone done) { CatalogAsync(request, std::move(done)); },
      response);
}

grpc::ServerUnaryReactor* RecommenderService::RecordEvents(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return ServeAsync<v1::RecordEventsRequest, v1::RecordEventsResponse>(
      CallMethod::kRecordEvents, context, request, response,
      [this](const v1::RecordEventsRequest& req, RecordDone done) {
        RecordAsync(req, std::move(done));
      });
}

namespace {

// Reads the stream's batches one at a time and has each written before
// asking for the next, so a slow disk slows the client instead of queueing
// batches in memory. OnReadDone runs on gRPC's threads, the write's
// callback (usually) on the event writer's; they never overlap, as the
// next read starts only from that callback. Deletes itself when gRPC is done
// with it.
class StreamEventsReactor : public grpc::ServerReadReactor<grpc::ByteBuffer> {
 public:
  // Refused (RESOURCE_EXHAUSTED, nothing read) when `slot` is an error;
  // an empty `slot` is no bound.
  StreamEventsReactor(const RecommenderService* service,
                      grpc::ByteBuffer* response,
                      absl::StatusOr<std::optional<CallScheduler::Slot>> slot,
                      GrpcMetrics* rpc, int rpc_id)
      : service_(service), response_(response), count_(rpc, rpc_id) {
    if (!slot.ok()) {
      Done(ToGrpcStatus(slot.status()));
      return;
    }
    slot_ = *std::move(slot);
    StartRead(&batch_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // the client closed the stream (or the call ended)
      absl::Status status = SerializeResponse(totals_, response_);
      slot_.reset();  // free before the client sees the answer
      Done(ToGrpcStatus(status));
      return;
    }
    count_.Received();
    if (absl::Status s = ParseRequest(batch_, &request_); !s.ok()) {
      Fail(s);
      return;
    }
    service_->RecordAsync(
        request_, [this](absl::StatusOr<v1::RecordEventsResponse> recorded) {
          if (!recorded.ok()) {
            Fail(recorded.status());
            return;
          }
          Count(*recorded);
          StartRead(&batch_);
        });
  }

  void OnDone() override { delete this; }

 private:
  // Counts the call and finishes it.
  void Done(grpc::Status status) {
    count_.Finished(status);
    Finish(std::move(status));
  }

  static constexpr int kMaxInvalidListed = 1000;

  void Fail(const absl::Status& s) {
    slot_.reset();  // free before the client sees the answer
    Done(ToGrpcStatus(absl::Status(
        s.code(), absl::StrCat("batch ", totals_.batches() + 1, ": ",
                               s.message(), " (", totals_.recorded(),
                               " events of earlier batches are stored)"))));
  }

  // Adds one written batch's answer to the stream's totals.
  void Count(const v1::RecordEventsResponse& batch) {
    for (int i = 0; i < batch.results_size(); ++i) {
      const v1::EventResult& r = batch.results(i);
      if (r.status() == v1::EventResult::STATUS_INVALID) {
        if (totals_.invalid_events_size() < kMaxInvalidListed) {
          v1::InvalidEvent* e = totals_.add_invalid_events();
          e->set_index(events_ + i);
          e->set_event_id(request_.events(i).event_id());
          e->set_error(r.error());
        }
      } else if (r.status() == v1::EventResult::STATUS_RECORDED) {
        totals_.set_last_sequence(
            std::max(totals_.last_sequence(), r.sequence()));
      }
    }
    events_ += batch.results_size();
    totals_.set_batches(totals_.batches() + 1);
    totals_.set_recorded(totals_.recorded() + batch.recorded());
    totals_.set_duplicates(totals_.duplicates() + batch.duplicates());
    totals_.set_invalid(totals_.invalid() + batch.invalid());
  }

  const RecommenderService* service_;
  grpc::ByteBuffer* response_;
  RpcCount count_;
  std::optional<CallScheduler::Slot> slot_;  // held while the stream is open
  grpc::ByteBuffer batch_;
  v1::RecordEventsRequest request_;  // the batch being written
  v1::StreamEventsResponse totals_;
  int64_t events_ = 0;
};

}  // namespace

grpc::ServerReadReactor<grpc::ByteBuffer>* RecommenderService::StreamEvents(
    grpc::CallbackServerContext* context, grpc::ByteBuffer* response) {
  absl::StatusOr<std::optional<CallScheduler::Slot>> slot = std::nullopt;
  if (absl::Status s = Allowed(*context, CallMethod::kStreamEvents); !s.ok()) {
    slot = s;  // refused before a place is taken
  } else if (scheduler_ != nullptr) {
    absl::StatusOr<CallScheduler::Slot> admitted =
        scheduler_->Admit(CallMethod::kStreamEvents);
    if (admitted.ok()) {
      slot = std::optional<CallScheduler::Slot>(*std::move(admitted));
    } else {
      slot = admitted.status();
    }
  }
  return new StreamEventsReactor(
      this, response, std::move(slot), rpc_,
      rpc_ids_[static_cast<int>(CallMethod::kStreamEvents)]);
}

absl::Status RecommenderService::Allowed(
    const grpc::CallbackServerContext& context, CallMethod method) const {
  const bool ingest = method == CallMethod::kRecordEvents ||
                      method == CallMethod::kStreamEvents ||
                      method == CallMethod::kUpdateCatalog;
  TAILOR_RETURN_IF_ERROR(Authorize(authorizer_, context,
                                   ingest ? kRoleIngest : kRoleRead,
                                   CallMethodName(method)));
  if (ingest && !accept_events_) {
    return absl::FailedPreconditionError(absl::StrCat(
        CallMethodName(method),
        ": this server does not take events or catalog changes "
        "(--accept_events=false): send them to the server that keeps the "
        "event log"));
  }
  return absl::OkStatus();
}

namespace {

// A RecordEvents request checked: the response with its invalid events
// answered, and the valid ones to store.
struct EventBatch {
  v1::RecordEventsResponse response;
  std::vector<LoggedEvent> valid;
  std::vector<int> index_of;  // the request index of valid[k]
  std::vector<int> type_of;   // the v1::EventType of valid[k]
};

// `e` when its recommendation_id names an exposure of its user (queued or
// stored); INVALID_ARGUMENT otherwise, or the store's error.
absl::StatusOr<LoggedEvent> CheckRecommendationId(
    LoggedEvent e, const ExposureLog* exposures) {
  if (exposures == nullptr) {
    return absl::InvalidArgumentError(
        "recommendation_id: this server logs no answers");
  }
  TAILOR_ASSIGN_OR_RETURN(const bool known,
                          exposures->Has(e.event.user_id, e.recommendation_id));
  if (!known) {
    return absl::InvalidArgumentError(absl::StrCat(
        "recommendation_id: no answer with this id was logged for this "
        "user_id (answers are logged when an experiment chose them, "
        "RecommendResponse.experiment set, and kept for the event "
        "retention)"));
  }
  return e;
}

// INVALID_ARGUMENT for a malformed request as a whole (no events, too
// many); an invalid event only marks its own result.
absl::StatusOr<EventBatch> CheckEvents(const v1::RecordEventsRequest& request,
                                       const ExposureLog* exposures,
                                       ServerMetrics* metrics) {
  TAILOR_RETURN_IF_ERROR(ValidateRecordEventsRequest(request));
  EventBatch batch;
  v1::RecordEventsResponse* response = &batch.response;
  response->mutable_results()->Reserve(request.events_size());
  for (int i = 0; i < request.events_size(); ++i) {
    v1::EventResult* r = response->add_results();
    absl::StatusOr<LoggedEvent> e = ValidateEvent(request.events(i));
    if (e.ok() && !e->recommendation_id.empty()) {
      e = CheckRecommendationId(*std::move(e), exposures);
    }
    if (!e.ok()) {
      r->set_status(v1::EventResult::STATUS_INVALID);
      r->set_error(std::string(e.status().message()));
      response->set_invalid(response->invalid() + 1);
      if (metrics != nullptr) {
        metrics->CountEvent(request.events(i).type(), EventOutcome::kInvalid);
      }
      continue;
    }
    batch.valid.push_back(*std::move(e));
    batch.index_of.push_back(i);
    batch.type_of.push_back(request.events(i).type());
  }
  return batch;
}

// `batch`'s response completed with the store's outcomes for its valid
// events, or the error that stored none of them.
absl::StatusOr<v1::RecordEventsResponse> AnswerEvents(
    absl::StatusOr<std::vector<AppendOutcome>> outcomes, EventBatch batch,
    ServerMetrics* metrics) {
  if (!outcomes.ok()) {
    // Nothing of the batch was stored: the client must retry it whole.
    return absl::Status(
        outcomes.status().code(),
        absl::StrCat("recording events: ", outcomes.status().message()));
  }
  v1::RecordEventsResponse* response = &batch.response;
  for (size_t k = 0; k < batch.index_of.size(); ++k) {
    v1::EventResult* r = response->mutable_results(batch.index_of[k]);
    const AppendOutcome& o = (*outcomes)[k];
    if (o.erased) {
      r->set_status(v1::EventResult::STATUS_INVALID);
      r->set_error(
          "user_id: this user was erased (Admin.EraseUser); their events "
          "are not recorded");
      response->set_invalid(response->invalid() + 1);
      if (metrics != nullptr) {
        metrics->CountEvent(batch.type_of[k], EventOutcome::kInvalid);
      }
      continue;
    }
    r->set_sequence(o.seq);
    if (metrics != nullptr) {
      metrics->CountEvent(batch.type_of[k], o.duplicate
                                                ? EventOutcome::kDuplicate
                                                : EventOutcome::kRecorded);
    }
    if (o.duplicate) {
      r->set_status(v1::EventResult::STATUS_DUPLICATE);
      response->set_duplicates(response->duplicates() + 1);
    } else {
      r->set_status(v1::EventResult::STATUS_RECORDED);
      response->set_recorded(response->recorded() + 1);
    }
  }
  return std::move(batch.response);
}

// Tells `state` (may be null) of the events of a batch the store took
// (`outcomes`, in `events`' order), before the batch is answered.
void NoteBatchStored(const std::shared_ptr<const ServingState>& state,
                     const std::vector<AppendOutcome>& outcomes,
                     std::vector<LoggedEvent> events) {
  if (state == nullptr) return;
  size_t kept = 0;
  for (size_t k = 0; k < events.size() && k < outcomes.size(); ++k) {
    if (outcomes[k].duplicate || outcomes[k].erased) continue;
    events[k].seq = outcomes[k].seq;
    if (kept != k) events[kept] = std::move(events[k]);
    ++kept;
  }
  events.resize(kept);
  NoteStored(*state, events);
}

}  // namespace

void RecommenderService::RecordAsync(const v1::RecordEventsRequest& request,
                                     RecordDone done) const {
  absl::StatusOr<EventBatch> batch = CheckEvents(request, exposures_, metrics_);
  if (!batch.ok()) {
    std::move(done)(batch.status());
    return;
  }
  if (batch->valid.empty()) {
    std::move(done)(std::move(batch->response));
    return;
  }
  std::vector<LoggedEvent> valid = std::move(batch->valid);
  // What the serving state learns of the batch once it is stored.
  std::vector<LoggedEvent> stored = valid;
  // The callback is moved into Submit only if it queues the batch, so a
  // refusal can still answer through it.
  auto reply = std::make_shared<RecordDone>(std::move(done));
  absl::Status queued = writer_->Submit(
      std::move(valid),
      [reply, b = *std::move(batch), stored = std::move(stored),
       metrics = metrics_, holder = state_](
          absl::StatusOr<std::vector<AppendOutcome>> outcomes) mutable {
        if (outcomes.ok()) {
          NoteBatchStored(holder->Get(), *outcomes, std::move(stored));
        }
        RecordDone& answer = *reply;
        std::move(answer)(
            AnswerEvents(std::move(outcomes), std::move(b), metrics));
      });
  if (!queued.ok()) {
    RecordDone& answer = *reply;
    std::move(answer)(queued);
  }
}

absl::Status RecommenderService::Record(
    const v1::RecordEventsRequest& request,
    v1::RecordEventsResponse* response) const {
  return Await([&](RecordDone done) { RecordAsync(request, std::move(done)); },
               response);
}

absl::Status RecommenderService::Together(
    const v1::BoughtTogetherRequest& request,
    v1::BoughtTogetherResponse* response) const {
  TAILOR_RETURN_IF_ERROR(ValidateBoughtTogetherRequest(request));
  TAILOR_ASSIGN_OR_RETURN(std::shared_ptr<const ServingState> state,
                          Active(state_));
  const IdMap& items = state->recommender->model().items;
  const std::shared_ptr<const CatalogView> catalog = state->catalog->Get();
  std::vector<int32_t> given;
  for (const std::string& id : request.item_ids()) {
    if (auto index = items.Find(id)) given.push_back(*index);
  }
  const int count = request.has_count() ? request.count() : kDefaultCount;
  response->set_model_version(state->version);
  // Retired items are left out: ask for as many more.
  const int64_t asked =
      count + std::min<int64_t>(catalog->retired_count(), kMaxCount);
  for (const TogetherItem& t :
       tailor::BoughtTogether(state->rules, given, static_cast<int>(asked))) {
    if (catalog->retired(t.item)) continue;
    if (response->items_size() >= count) break;
    v1::TogetherItem* out = response->add_items();
    FillItem(*catalog, t.item, t.rule->lift, v1::REASON_BOUGHT_TOGETHER,
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
  if (metrics_ != nullptr) {
    metrics_->CountItems(v1::REASON_BOUGHT_TOGETHER, response->items_size());
  }
  return absl::OkStatus();
}

absl::Status RecommenderService::Similar(
    const v1::SimilarItemsRequest& request,
    v1::SimilarItemsResponse* response) const {
  TAILOR_RETURN_IF_ERROR(ValidateSimilarItemsRequest(request));
  TAILOR_ASSIGN_OR_RETURN(std::shared_ptr<const ServingState> state,
                          Active(state_));
  const std::shared_ptr<const CatalogView> catalog = state->catalog->Get();
  // Products added since training are found too; a retired item still has
  // neighbours (a discontinued product's page), but is never one.
  const std::optional<int32_t> item = catalog->Find(request.item_id());
  if (!item.has_value()) {
    return absl::NotFoundError(absl::StrCat(
        "item_id: '", request.item_id(), "' is neither in the model (version ",
        state->version, ") nor in the live catalog"));
  }
  const int count = request.has_count() ? request.count() : kDefaultCount;
  response->set_model_version(state->version);
  ItemFilter filter;
  if (const ItemSet* listable = catalog->index().listable()) {
    filter.require.push_back(listable);
  }
  for (const ScoredItem& s : state->recommender->SimilarItems(
           *item, count, filter, &catalog->added())) {
    FillItem(*catalog, s.item, s.score, v1::REASON_SIMILAR,
             response->add_items());
  }
  if (metrics_ != nullptr) {
    metrics_->CountItems(v1::REASON_SIMILAR, response->items_size());
  }
  return absl::OkStatus();
}

absl::Status RecommenderService::Recommend(
    const v1::RecommendRequest& request,
    v1::RecommendResponse* response) const {
  TAILOR_RETURN_IF_ERROR(ValidateRecommendRequest(request));
  TAILOR_ASSIGN_OR_RETURN(std::shared_ptr<const ServingState> state,
                          Active(state_));
  const std::shared_ptr<const CatalogView> catalog = state->catalog->Get();
  const int count = request.has_count() ? request.count() : kDefaultCount;
  const bool exclude_seen =
      request.has_exclude_seen() ? request.exclude_seen() : true;

  std::optional<ItemSet> exclude;
  auto exclude_index = [&](int32_t index) {
    if (!exclude.has_value()) exclude.emplace(catalog->num_items());
    exclude->Insert(index);
  };
  for (const std::string& id : request.exclude_item_ids()) {
    if (auto index = catalog->Find(id)) exclude_index(*index);
  }
  TAILOR_ASSIGN_OR_RETURN(const ConsumedTypes also_consumed,
                          AlsoConsumedOf(request));
  const std::shared_ptr<const std::vector<Experiment>> experiments =
      experiments_ != nullptr ? experiments_->Snapshot() : nullptr;
  const int64_t now_unix = absl::ToUnixSeconds(absl::Now());
  TAILOR_ASSIGN_OR_RETURN(const StrategyChoice choice,
                          ChooseStrategy(request.strategy(), experiments.get(),
                                         *state, request.user_id(), now_unix));
  const StrategyKind kind = KindOf(choice.strategy);
  TAILOR_ASSIGN_OR_RETURN(
      const Shopper shopper,
      ResolveShopper(
          *state, store_, request.user_id(),
          {.items = true,
           .customer = false,
           .also_consumed = exclude_seen ? also_consumed : ConsumedTypes{0},
           .personalise = kind == StrategyKind::kModel}));
  if (exclude_seen) {
    for (int32_t item : shopper.consumed) exclude_index(item);
    for (const std::string& id : shopper.consumed_outside_model) {
      if (auto index = catalog->Find(id)) exclude_index(*index);
    }
  }

  RecommendOptions options;
  options.count = count;
  options.filter.exclude = exclude.has_value() ? &*exclude : nullptr;
  CatalogQuery query;
  query.in_stock_only =
      request.has_in_stock_only() ? request.in_stock_only() : true;
  query.size = request.size();
  query.categories.assign(request.categories().begin(),
                          request.categories().end());
  if (request.has_min_price()) query.min_price = request.min_price();
  if (request.has_max_price()) query.max_price = request.max_price();
  query.max_per_category = request.max_per_category();
  CatalogFilterStorage filter_storage;
  TAILOR_RETURN_IF_ERROR(
      ApplyCatalogQuery(catalog->index(), query, &filter_storage, &options));
  options.diversity = request.diversity();
  if (!catalog->added().empty()) options.added = &catalog->added();
  for (const v1::ItemBoost& b : request.boosts()) {
    // Items neither the model nor the catalog knows have no score to raise.
    if (auto index = catalog->Find(b.item_id())) {
      options.boosts.push_back({*index, b.boost()});
    }
  }
  // The arm's own settings.
  if (const ExperimentArm* arm = choice.settings) {
    if (arm->diversity >= 0) options.diversity = arm->diversity;
    for (const auto& [item, boost] : arm->boosts) {
      if (auto index = catalog->Find(item)) {
        options.boosts.push_back({*index, boost});
      }
    }
  }

  const Recommender& recommender = *state->recommender;
  RecommendResult result;
  if (kind == StrategyKind::kRecentPopularity) {
    result = recommender.RecommendRecent(options);
  } else if (kind == StrategyKind::kEase) {
    const std::vector<float> scores =
        EaseScores(*recommender.model().ease, shopper.activity);
    result =
        recommender.RecommendByScores(scores, options, shopper.segment_popular);
  } else {
    const float* vector =
        shopper.embedding.has_value() ? shopper.embedding->data() : nullptr;
    std::optional<Vector> neighbours;
    if (kind == StrategyKind::kItemNeighbours) {
      neighbours = NeighbourQuery(recommender.model(), shopper.activity);
      vector = neighbours.has_value() ? neighbours->data() : nullptr;
    }
    result = recommender.RecommendWith(
        vector, options,
        kind == StrategyKind::kPopularity ? nullptr : shopper.segment_popular);
  }

  response->set_model_version(state->version);
  response->set_fallback_used(result.fallback_used);
  response->set_recommendation_id(absl::StrFormat(
      "%016x%016x", recommendation_prefix_,
      recommendations_.fetch_add(1, std::memory_order_relaxed)));
  response->set_strategy(choice.strategy);
  response->set_experiment(choice.experiment);
  response->set_arm(choice.arm);
  response->mutable_items()->Reserve(static_cast<int>(result.items.size()));
  for (const Recommendation& r : result.items) {
    v1::Reason reason = v1::REASON_POPULAR;
    if (r.source == Recommendation::Source::kPersonalized) {
      reason = kind == StrategyKind::kItemNeighbours ? v1::REASON_SIMILAR
                                                     : v1::REASON_PERSONALIZED;
    } else if (r.source == Recommendation::Source::kSegmentPopular) {
      reason = v1::REASON_SEGMENT_POPULAR;
    }
    FillItem(*catalog, r.item, r.score, reason, response->add_items());
  }
  if (!choice.experiment.empty() && exposures_ != nullptr) {
    std::vector<std::string> shown;
    shown.reserve(response->items_size());
    for (const v1::RecommendedItem& item : response->items()) {
      shown.push_back(item.item_id());
    }
    Exposure exposure{.recommendation_id = response->recommendation_id(),
                      .user_id = request.user_id(),
                      .experiment = choice.experiment,
                      .arm = choice.arm,
                      .strategy = choice.strategy,
                      .timestamp = now_unix,
                      .probability = choice.probability,
                      .items = std::move(shown)};
    exposures_->Add(std::move(exposure));
  }
  if (metrics_ != nullptr) {
    if (shopper.solved_now) {
      metrics_->CountFoldIn(shopper.fold_in_time);
    } else if (shopper.embedding_source ==
               Shopper::EmbeddingSource::kFoldedIn) {
      metrics_->CountFoldInCached();
    }
    // Lists scored by item vectors take the recommender's path, EASE's the
    // exact scan; lists without scores are the fallback's.
    ScoringPath path = ScoringPath::kFallback;
    if (!result.fallback_used) {
      path = kind == StrategyKind::kEase ? ScoringPath::kExact
                                         : ScoringPathOf(recommender.path());
    }
    metrics_->CountRecommendation(*response, path);
  }
  return absl::OkStatus();
}

namespace {

// FAILED_PRECONDITION when the snapshot has no customer segments.
absl::Status NeedSegments(const ServingState& state) {
  if (state.segments->segments().empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "model version ", state.version,
        " has no customer segments: train with a catalog (tailor-trainer "
        "train --catalog=... --segments=true)"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status RecommenderService::Segment(const v1::GetSegmentRequest& request,
                                         v1::Segment* response) const {
  TAILOR_RETURN_IF_ERROR(ValidateGetSegmentRequest(request));
  TAILOR_ASSIGN_OR_RETURN(std::shared_ptr<const ServingState> state,
                          Active(state_));
  return AnswerSegment(*state, store_, request.user_id(), response);
}

absl::Status RecommenderService::Segments(
    const v1::ListSegmentsRequest&, v1::ListSegmentsResponse* response) const {
  TAILOR_ASSIGN_OR_RETURN(std::shared_ptr<const ServingState> state,
                          Active(state_));
  TAILOR_RETURN_IF_ERROR(NeedSegments(*state));
  const SegmentIndex& index = *state->segments;
  auto fill = [](const SegmentSummary& s, v1::SegmentSummary* out) {
    out->set_users(s.users);
    if (!std::isnan(s.mean_purchase_propensity)) {
      out->set_mean_purchase_propensity(s.mean_purchase_propensity);
    }
    if (!std::isnan(s.mean_churn_risk)) {
      out->set_mean_churn_risk(s.mean_churn_risk);
    }
  };
  // RFM segments as the customers' live records place them.
  const std::shared_ptr<const CustomerMoves> moves =
      state->live_customers != nullptr ? state->live_customers->Moves()
                                       : nullptr;
  const std::vector<SegmentSummary> rfm = index.RfmSummaries(moves.get());
  for (int s = 0; s < kNumRfmSegments; ++s) {
    v1::SegmentSummary* out = response->add_rfm_segments();
    out->set_name(RfmSegmentName(static_cast<RfmSegment>(s)));
    out->set_cluster_id(-1);
    fill(rfm[s], out);
  }
  const auto& clusters = index.segments().clusters;
  for (size_t c = 0; c < clusters.size(); ++c) {
    v1::SegmentSummary* out = response->add_clusters();
    out->set_name(clusters[c].descriptor);
    out->set_cluster_id(static_cast<int32_t>(c));
    fill(index.cluster_summaries()[c], out);
  }
  response->set_users(index.segments().users.size());
  response->set_profile_as_of_unix(index.segments().reference_unix);
  response->set_model_version(state->version);
  return absl::OkStatus();
}

absl::Status RecommenderService::Audience(
    const v1::TargetAudienceRequest& request,
    v1::TargetAudienceResponse* response) const {
  TAILOR_ASSIGN_OR_RETURN(AudienceQuery query,
                          ValidateTargetAudienceRequest(request));
  const uint64_t fingerprint = AudienceFingerprint(request);
  TAILOR_ASSIGN_OR_RETURN(std::shared_ptr<const ServingState> state,
                          Active(state_));
  TAILOR_RETURN_IF_ERROR(NeedSegments(*state));
  std::optional<AudienceCursor> after;
  if (!request.page_token().empty()) {
    TAILOR_ASSIGN_OR_RETURN(PageToken token,
                            DecodePageToken(request.page_token()));
    if (token.query_fingerprint != fingerprint) {
      return absl::InvalidArgumentError(
          "page_token: was issued for other filters or another order; "
          "repeat the first request's filters and order_by");
    }
    if (token.version != state->version ||
        token.erasures != state->erasures_applied) {
      return absl::AbortedError(absl::StrCat(
          "page_token: was issued by model version ", token.version,
          token.erasures != state->erasures_applied
              ? " before a customer was erased"
              : "",
          ", now serving ", state->version,
          "; the audience changed, start again from the first page"));
    }
    after = AudienceCursor{token.score, token.user};
  }
  const int page_size =
      request.has_page_size() ? request.page_size() : kDefaultPageSize;
  const SegmentIndex& index = *state->segments;
  // Customers with events since the snapshot, by their live records.
  const std::shared_ptr<const CustomerMoves> moves =
      state->live_customers != nullptr ? state->live_customers->Moves()
                                       : nullptr;
  TAILOR_ASSIGN_OR_RETURN(
      AudiencePage page,
      index.Audience(query, after ? &*after : nullptr, page_size, moves.get()));
  response->mutable_members()->Reserve(static_cast<int>(page.users.size()));
  for (int32_t u : page.users) {
    const std::string& user_id = index.segments().users.id(u);
    // Erased since the state was built (it is being rebuilt without them).
    if (ErasedSince(*state, store_, user_id)) continue;
    const CustomerRecord r = index.record(u);
    const MovedCustomer* live = moves != nullptr ? moves->Find(u) : nullptr;
    v1::AudienceMember* m = response->add_members();
    m->set_user_id(user_id);
    if (!std::isnan(r.purchase_propensity)) {
      m->set_purchase_propensity(r.purchase_propensity);
    }
    if (!std::isnan(r.churn_risk)) m->set_churn_risk(r.churn_risk);
    const int rfm = live != nullptr     ? live->rfm
                    : r.rfm.has_value() ? static_cast<int>(r.rfm->segment)
                                        : -1;
    if (rfm >= 0)
      m->set_rfm_segment(RfmSegmentName(static_cast<RfmSegment>(rfm)));
    m->set_cluster_id(r.cluster);
    m->set_net_spend(live != nullptr ? live->monetary : r.profile.net());
  }
  if (page.next.has_value()) {
    response->set_next_page_token(
        EncodePageToken({state->version, fingerprint, state->erasures_applied,
                         page.next->score, page.next->user}));
  }
  response->set_total_size(page.total);
  response->set_model_version(state->version);
  return absl::OkStatus();
}

}  // namespace tailor

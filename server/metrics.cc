#include "server/metrics.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "server/metric_labels.h"

namespace tailor {
namespace {

// "REASON_SEGMENT_POPULAR" -> "segment_popular".
std::string EnumLabel(const std::string& name, absl::string_view prefix) {
  absl::string_view v = name;
  if (absl::StartsWith(v, prefix)) v.remove_prefix(prefix.size());
  return absl::AsciiStrToLower(v);
}

double Seconds(absl::Duration d) { return absl::ToDoubleSeconds(d); }

}  // namespace

ServerMetrics::ServerMetrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      rpc_(std::make_unique<GrpcMetrics>(registry_.get(),
                                         TailorServiceMethods())) {
  auto& items = prometheus::BuildCounter()
                    .Name("tailor_recommended_items_total")
                    .Help("Items returned, by why each was chosen")
                    .Register(*registry_);
  for (int r = 0; r < v1::Reason_ARRAYSIZE; ++r) {
    items_by_reason_[r] =
        v1::Reason_IsValid(r) && r != v1::REASON_UNSPECIFIED
            ? &items.Add({{"reason", EnumLabel(v1::Reason_Name(r), "REASON_")}})
            : nullptr;
  }
  auto& calls = prometheus::BuildCounter()
                    .Name("tailor_recommend_calls_total")
                    .Help(
                        "RecommendFor answers, by how the list was scored: "
                        "a retrieval path, or fallback (no personal vector)")
                    .Register(*registry_);
  constexpr std::array<const char*, kScoringPaths> kPaths = {"exact", "int8",
                                                             "ann", "fallback"};
  for (int p = 0; p < kScoringPaths; ++p) {
    calls_by_path_[p] = &calls.Add({{"path", kPaths[p]}});
  }
  items_per_call_ =
      &prometheus::BuildHistogram()
           .Name("tailor_recommend_items")
           .Help("Items per RecommendFor answer")
           .Register(*registry_)
           .Add({}, prometheus::Histogram::BucketBoundaries{
                        0, 1, 5, 10, 20, 50, 100, 200, 500, 1000});
  fold_in_seconds_ =
      &prometheus::BuildHistogram()
           .Name("tailor_fold_in_seconds")
           .Help("Time to solve a shopper's vector from their live events")
           .Register(*registry_)
           .Add({}, prometheus::Histogram::BucketBoundaries{
                        1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3,
                        5e-3, 1e-2, 2.5e-2, 0.1});
  fold_in_cached_ = &prometheus::BuildCounter()
                         .Name("tailor_fold_in_cache_hits_total")
                         .Help("Shoppers' vectors found already folded in")
                         .Register(*registry_)
                         .Add({});
  auto& events = prometheus::BuildCounter()
                     .Name("tailor_events_total")
                     .Help(
                         "Events received, by type and outcome (recorded, "
                         "duplicate: its event_id was stored before, "
                         "invalid: refused with a reason)")
                     .Register(*registry_);
  constexpr std::array<const char*, kEventOutcomes> kOutcomes = {
      "recorded", "duplicate", "invalid"};
  for (int t = 0; t < v1::EventType_ARRAYSIZE; ++t) {
    for (int o = 0; o < kEventOutcomes; ++o) {
      events_[t][o] =
          v1::EventType_IsValid(t)
              ? &events.Add(
                    {{"type", EnumLabel(v1::EventType_Name(t), "EVENT_TYPE_")},
                     {"outcome", kOutcomes[o]}})
              : nullptr;
    }
  }
  write_seconds_ =
      &prometheus::BuildHistogram()
           .Name("tailor_event_write_seconds")
           .Help(
               "Time of one synced write of the event log (a group of "
               "batches)")
           .Register(*registry_)
           .Add({}, prometheus::Histogram::BucketBoundaries{
                        1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2,
                        5e-2, 0.1, 0.25, 0.5, 1, 2.5, 10});
  write_events_ = &prometheus::BuildHistogram()
                       .Name("tailor_event_write_events")
                       .Help("Events per synced write of the event log")
                       .Register(*registry_)
                       .Add({}, prometheus::Histogram::BucketBoundaries{
                                    1, 10, 100, 1000, 10000, 100000});
  write_failures_ = &prometheus::BuildCounter()
                         .Name("tailor_event_write_failures_total")
                         .Help(
                             "Writes of the event log that failed (their "
                             "batches were answered with the error)")
                         .Register(*registry_)
                         .Add({});
  auto& exposures =
      prometheus::BuildCounter()
          .Name("tailor_exposures_total")
          .Help(
              "Exposures (answers an experiment chose) by outcome: logged "
              "(stored), dropped (the queue was full: the answer went out "
              "unlogged), retried (written again after a failed write)")
          .Register(*registry_);
  constexpr std::array<const char*, kExposureOutcomes> kExposureLabels = {
      "logged", "dropped", "retried"};
  for (int o = 0; o < kExposureOutcomes; ++o) {
    exposures_[o] = &exposures.Add({{"outcome", kExposureLabels[o]}});
  }
  load_seconds_ =
      &prometheus::BuildHistogram()
           .Name("tailor_snapshot_load_seconds")
           .Help("Time to load, check and build a snapshot version")
           .Register(*registry_)
           .Add({}, prometheus::Histogram::BucketBoundaries{
                        0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 60, 120, 300, 600});
  swap_seconds_ =
      &prometheus::BuildHistogram()
           .Name("tailor_snapshot_swap_seconds")
           .Help(
               "Time to install a built snapshot: the exchange and the "
               "wait for calls still scoring with the old one")
           .Register(*registry_)
           .Add({}, prometheus::Histogram::BucketBoundaries{
                        1e-3, 5e-3, 1e-2, 5e-2, 0.1, 0.5, 1, 2, 5});
  auto& rejected = prometheus::BuildCounter()
                       .Name("tailor_snapshot_rejected_total")
                       .Help(
                           "Snapshot versions that failed to load, by the "
                           "code of the reason (logged in full)")
                       .Register(*registry_);
  for (int c = 0; c < static_cast<int>(rejected_.size()); ++c) {
    rejected_[c] = &rejected.Add({{"reason", GrpcCodeLabel(c)}});
  }
  auth_failures_ = &prometheus::BuildCounter()
                        .Name("tailor_auth_failures_total")
                        .Help(
                            "Calls refused for their credentials, by "
                            "method and reason: missing (no bearer "
                            "token), unknown (not in the tokens file), "
                            "forbidden (the token lacks the role)")
                        .Register(*registry_);
  token_reload_failures_ =
      &prometheus::BuildCounter()
           .Name("tailor_tokens_reload_failures_total")
           .Help(
               "Changes of the tokens file that did not parse (the "
               "previous tokens stay)")
           .Register(*registry_)
           .Add({});
}

void ServerMetrics::CountAuthFailure(absl::string_view method,
                                     AuthFailure why) {
  constexpr std::array<const char*, 3> kWhy = {"missing", "unknown",
                                               "forbidden"};
  // Rare: the family's lock and lookup are fine here.
  auth_failures_
      ->Add({{"grpc_method", std::string(method)},
             {"reason", kWhy[static_cast<int>(why)]}})
      .Increment();
}

void ServerMetrics::CountTokenReloadFailure() {
  token_reload_failures_->Increment();
}

void ServerMetrics::CountRecommendation(const v1::RecommendResponse& response,
                                        ScoringPath path) {
  calls_by_path_[static_cast<int>(path)]->Increment();
  items_per_call_->Observe(response.items_size());
  // Runs of one reason are common (a list is mostly one source).
  int reason = -1;
  int run = 0;
  for (const v1::RecommendedItem& item : response.items()) {
    if (item.reason() != reason) {
      if (run > 0) CountItems(static_cast<v1::Reason>(reason), run);
      reason = item.reason();
      run = 0;
    }
    ++run;
  }
  if (run > 0) CountItems(static_cast<v1::Reason>(reason), run);
}

void ServerMetrics::CountItems(v1::Reason reason, int items) {
  if (reason < 0 || reason >= v1::Reason_ARRAYSIZE) return;
  if (prometheus::Counter* c = items_by_reason_[reason]) c->Increment(items);
}

void ServerMetrics::CountFoldIn(absl::Duration took) {
  fold_in_seconds_->Observe(Seconds(took));
}

void ServerMetrics::CountFoldInCached() { fold_in_cached_->Increment(); }

void ServerMetrics::CountEvent(int type, EventOutcome outcome) {
  if (type < 0 || type >= v1::EventType_ARRAYSIZE ||
      events_[type][0] == nullptr) {
    type = v1::EVENT_TYPE_UNSPECIFIED;
  }
  events_[type][static_cast<int>(outcome)]->Increment();
}

void ServerMetrics::CountEventWrite(absl::Duration took, int64_t events,
                                    bool ok) {
  write_seconds_->Observe(Seconds(took));
  if (ok) {
    write_events_->Observe(static_cast<double>(events));
  } else {
    write_failures_->Increment();
  }
}

void ServerMetrics::CountExposures(ExposureOutcome outcome, int64_t n) {
  exposures_[static_cast<int>(outcome)]->Increment(static_cast<double>(n));
}

void ServerMetrics::CountSnapshotLoad(absl::Duration load) {
  load_seconds_->Observe(Seconds(load));
}

void ServerMetrics::CountSnapshotSwap(absl::Duration swap) {
  swap_seconds_->Observe(Seconds(swap));
}

void ServerMetrics::CountSnapshotRejected(absl::StatusCode code) {
  const int c = static_cast<int>(code);
  rejected_[c >= 0 && c < static_cast<int>(rejected_.size())
                ? c
                : static_cast<int>(absl::StatusCode::kUnknown)]
      ->Increment();
}

ScoringPath ScoringPathOf(RetrievalPath resolved) {
  switch (resolved) {
    case RetrievalPath::kInt8:
      return ScoringPath::kInt8;
    case RetrievalPath::kAnn:
      return ScoringPath::kAnn;
    case RetrievalPath::kExact:
    case RetrievalPath::kAuto:
      break;
  }
  return ScoringPath::kExact;
}

}  // namespace tailor

#include "tools/cli/client.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "core/base/id_map.h"
#include "core/base/status_macros.h"
#include "core/data/csv.h"
#include "core/data/readers.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace tailor {
namespace {

absl::Status FromGrpc(const grpc::Status& s) {
  if (s.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                      s.error_message());
}

std::string Clip(const std::string& s, size_t n) {
  return s.size() <= n ? s : s.substr(0, n - 3) + "...";
}

}  // namespace

absl::StatusOr<v1::RecordEventsResponse> TailorClient::Record(
    const v1::RecordEventsRequest& request) const {
  return Call<v1::RecordEventsResponse>(
      stub_.get(), &v1::Recommender::Stub::RecordEvents, request);
}

absl::StatusOr<v1::UpdateCatalogResponse> TailorClient::UpdateCatalog(
    const v1::UpdateCatalogRequest& request) const {
  return Call<v1::UpdateCatalogResponse>(
      stub_.get(), &v1::Recommender::Stub::UpdateCatalog, request);
}

std::vector<v1::UpdateCatalogRequest> CatalogUpserts(
    const std::vector<Item>& items, int batch) {
  std::vector<v1::UpdateCatalogRequest> out;
  for (const Item& item : items) {
    if (out.empty() || out.back().changes_size() >= batch) out.emplace_back();
    v1::CatalogChange* c = out.back().add_changes();
    c->set_item_id(item.item_id);
    v1::CatalogItem* u = c->mutable_upsert();
    u->set_title(item.title);
    u->set_category(item.category);
    u->set_brand(item.brand);
    u->set_color(item.color);
    u->set_price(item.price);
    for (size_t k = 0; k < item.sizes.size(); ++k) {
      v1::SizeStock* s = u->add_sizes();
      s->set_size(item.sizes[k]);
      if (k < item.size_stock.size()) s->set_units(item.size_stock[k]);
    }
    u->set_in_stock(item.in_stock);
  }
  return out;
}

void CatalogTotals::Add(const v1::UpdateCatalogRequest& request,
                        const v1::UpdateCatalogResponse& response,
                        size_t max_errors) {
  applied += response.applied();
  unchanged += response.unchanged();
  stale += response.stale();
  invalid += response.invalid();
  for (int i = 0; i < response.results_size() && i < request.changes_size();
       ++i) {
    const v1::CatalogChangeResult& r = response.results(i);
    if (r.status() == v1::CatalogChangeResult::STATUS_INVALID &&
        errors.size() < max_errors) {
      errors.push_back(
          absl::StrCat(request.changes(i).item_id(), ": ", r.error()));
    }
  }
}

std::string FormatCatalogTotals(const CatalogTotals& t) {
  std::string out =
      absl::StrFormat("applied %d, unchanged %d, stale %d, invalid %d\n",
                      t.applied, t.unchanged, t.stale, t.invalid);
  for (const std::string& e : t.errors) absl::StrAppend(&out, "  ", e, "\n");
  return out;
}

absl::StatusOr<v1::ModelInfo> TailorClient::ModelInfo() const {
  return Call<v1::ModelInfo>(admin_.get(), &v1::Admin::Stub::GetModelInfo,
                             v1::GetModelInfoRequest());
}

absl::StatusOr<v1::ListSnapshotsResponse> TailorClient::ListSnapshots() const {
  return Call<v1::ListSnapshotsResponse>(admin_.get(),
                                         &v1::Admin::Stub::ListSnapshots,
                                         v1::ListSnapshotsRequest());
}

absl::StatusOr<v1::ModelInfo> TailorClient::Activate(
    const std::string& version) const {
  v1::ActivateSnapshotRequest req;
  req.set_version(version);
  return Call<v1::ModelInfo>(admin_.get(), &v1::Admin::Stub::ActivateSnapshot,
                             req);
}

absl::StatusOr<v1::ModelInfo> TailorClient::Rollback() const {
  return Call<v1::ModelInfo>(admin_.get(), &v1::Admin::Stub::Rollback,
                             v1::RollbackRequest());
}

absl::StatusOr<v1::UserExport> TailorClient::ExportUser(
    const std::string& user_id) const {
  v1::ExportUserRequest req;
  req.set_user_id(user_id);
  req.set_page_size(kExportPageSize);
  absl::StatusOr<v1::UserExport> all =
      Call<v1::UserExport>(admin_.get(), &v1::Admin::Stub::ExportUser, req);
  if (!all.ok()) return all.status();
  while (!all->next_page_token().empty()) {
    req.set_page_token(all->next_page_token());
    absl::StatusOr<v1::UserExport> page =
        Call<v1::UserExport>(admin_.get(), &v1::Admin::Stub::ExportUser, req);
    if (!page.ok()) return page.status();
    all->mutable_events()->MergeFrom(page->events());
    all->set_next_page_token(page->next_page_token());
  }
  return all;
}

absl::StatusOr<v1::Experiment> TailorClient::CreateExperiment(
    const v1::Experiment& experiment) const {
  v1::CreateExperimentRequest req;
  *req.mutable_experiment() = experiment;
  return Call<v1::Experiment>(admin_.get(), &v1::Admin::Stub::CreateExperiment,
                              req);
}

absl::StatusOr<v1::ListExperimentsResponse> TailorClient::ListExperiments(
    bool include_archived) const {
  v1::ListExperimentsRequest req;
  req.set_include_archived(include_archived);
  return Call<v1::ListExperimentsResponse>(
      admin_.get(), &v1::Admin::Stub::ListExperiments, req);
}

absl::StatusOr<v1::Experiment> TailorClient::GetExperiment(
    const std::string& name) const {
  v1::GetExperimentRequest req;
  req.set_name(name);
  return Call<v1::Experiment>(admin_.get(), &v1::Admin::Stub::GetExperiment,
                              req);
}

absl::StatusOr<v1::Experiment> TailorClient::StopExperiment(
    const std::string& name) const {
  v1::StopExperimentRequest req;
  req.set_name(name);
  return Call<v1::Experiment>(admin_.get(), &v1::Admin::Stub::StopExperiment,
                              req);
}

absl::StatusOr<v1::Experiment> TailorClient::ArchiveExperiment(
    const std::string& name) const {
  v1::ArchiveExperimentRequest req;
  req.set_name(name);
  return Call<v1::Experiment>(admin_.get(), &v1::Admin::Stub::ArchiveExperiment,
                              req);
}

absl::StatusOr<v1::ExperimentResults> TailorClient::GetExperimentResults(
    const v1::GetExperimentResultsRequest& request) const {
  return Call<v1::ExperimentResults>(
      admin_.get(), &v1::Admin::Stub::GetExperimentResults, request);
}

absl::StatusOr<v1::UserErasure> TailorClient::EraseUser(
    const std::string& user_id) const {
  v1::EraseUserRequest req;
  req.set_user_id(user_id);
  return Call<v1::UserErasure>(admin_.get(), &v1::Admin::Stub::EraseUser, req);
}

double LatencyReport::Percentile(double p) const {
  if (micros.empty()) return 0;
  const auto rank = static_cast<size_t>(std::ceil(p * micros.size()));
  return micros[std::clamp<size_t>(rank, 1, micros.size()) - 1];
}

TailorClient::TailorClient(std::shared_ptr<grpc::Channel> channel,
                           absl::Duration timeout)
    : channel_(std::move(channel)),
      timeout_(timeout),
      stub_(v1::Recommender::NewStub(channel_)),
      admin_(v1::Admin::NewStub(channel_)) {}

template <typename Response, typename Request, typename Stub, typename Method>
absl::StatusOr<Response> TailorClient::Call(Stub* stub, Method method,
                                            const Request& request) const {
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + timeout_));
  Response response;
  grpc::Status s = (stub->*method)(&ctx, request, &response);
  if (!s.ok()) return FromGrpc(s);
  return response;
}

absl::StatusOr<v1::RecommendResponse> TailorClient::Recommend(
    const v1::RecommendRequest& request) const {
  return Call<v1::RecommendResponse>(
      stub_.get(), &v1::Recommender::Stub::RecommendFor, request);
}

absl::StatusOr<v1::SimilarItemsResponse> TailorClient::Similar(
    const v1::SimilarItemsRequest& request) const {
  return Call<v1::SimilarItemsResponse>(
      stub_.get(), &v1::Recommender::Stub::SimilarItems, request);
}

absl::StatusOr<v1::BoughtTogetherResponse> TailorClient::Together(
    const v1::BoughtTogetherRequest& request) const {
  return Call<v1::BoughtTogetherResponse>(
      stub_.get(), &v1::Recommender::Stub::BoughtTogether, request);
}

absl::StatusOr<v1::Segment> TailorClient::Segment(
    const std::string& user_id) const {
  v1::GetSegmentRequest request;
  request.set_user_id(user_id);
  return Call<v1::Segment>(stub_.get(), &v1::Recommender::Stub::GetSegment,
                           request);
}

absl::StatusOr<v1::ListSegmentsResponse> TailorClient::ListSegments() const {
  return Call<v1::ListSegmentsResponse>(stub_.get(),
                                        &v1::Recommender::Stub::ListSegments,
                                        v1::ListSegmentsRequest());
}

absl::StatusOr<v1::TargetAudienceResponse> TailorClient::Audience(
    const v1::TargetAudienceRequest& request) const {
  return Call<v1::TargetAudienceResponse>(
      stub_.get(), &v1::Recommender::Stub::TargetAudience, request);
}

absl::StatusOr<std::vector<v1::AudienceMember>> TailorClient::WholeAudience(
    v1::TargetAudienceRequest request) const {
  std::vector<v1::AudienceMember> all;
  while (true) {
    absl::StatusOr<v1::TargetAudienceResponse> page = Audience(request);
    if (!page.ok()) return page.status();
    all.insert(all.end(), page->members().begin(), page->members().end());
    if (page->next_page_token().empty()) return all;
    request.set_page_token(page->next_page_token());
  }
}

absl::StatusOr<std::string> TailorClient::HealthStatus(
    const std::string& service) const {
  auto health = grpc::health::v1::Health::NewStub(channel_);
  grpc::health::v1::HealthCheckRequest req;
  req.set_service(service);
  grpc::health::v1::HealthCheckResponse resp;
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + timeout_));
  grpc::Status s = health->Check(&ctx, req, &resp);
  if (!s.ok()) return FromGrpc(s);
  return grpc::health::v1::HealthCheckResponse::ServingStatus_Name(
      resp.status());
}

absl::StatusOr<LatencyReport> TailorClient::MeasureLatency(
    const std::vector<std::string>& users, int requests, int count, int warmup,
    Rpc rpc) const {
  if (users.empty()) return absl::InvalidArgumentError("users: none given");
  if (requests < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("requests: must be >= 1, got ", requests));
  }
  LatencyReport report;
  report.micros.reserve(requests);
  const auto all = std::chrono::steady_clock::now();
  for (int i = 0; i < warmup + requests; ++i) {
    const std::string& user = users[i % users.size()];
    v1::RecommendRequest req;
    req.set_user_id(user);
    req.set_count(count);
    const auto start = std::chrono::steady_clock::now();
    const bool ok =
        rpc == Rpc::kGetSegment ? Segment(user).ok() : Recommend(req).ok();
    const double us = std::chrono::duration<double, std::micro>(
                          std::chrono::steady_clock::now() - start)
                          .count();
    ++report.calls;
    if (i < warmup) continue;
    report.errors += ok ? 0 : 1;
    report.micros.push_back(us);
  }
  report.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - all)
          .count();
  std::sort(report.micros.begin(), report.micros.end());
  return report;
}

absl::StatusOr<ServedScore> TailorClient::ScoreServed(
    const std::vector<HeldOut>& held_out,
    const v1::RecommendRequest& request) const {
  if (request.count() < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("count: must be >= 1, got ", request.count()));
  }
  const auto start = std::chrono::steady_clock::now();
  ServedScore score;
  // Dense indexes for the metrics: every item listed or held out.
  IdMap items;
  std::vector<std::vector<int32_t>> lists;
  lists.reserve(held_out.size());
  v1::RecommendRequest req = request;
  for (const HeldOut& shopper : held_out) {
    req.set_user_id(shopper.user_id);
    absl::StatusOr<v1::RecommendResponse> resp = Recommend(req);
    if (!resp.ok()) {
      return absl::Status(resp.status().code(),
                          absl::StrCat("RecommendFor '", shopper.user_id,
                                       "': ", resp.status().message()));
    }
    score.fallback_lists += resp->fallback_used() ? 1 : 0;
    std::vector<int32_t>& list = lists.emplace_back();
    for (const v1::RecommendedItem& item : resp->items()) {
      list.push_back(items.Insert(item.item_id()));
    }
  }
  const int32_t listed = items.size();
  for (const HeldOut& shopper : held_out) {
    for (const std::string& id : shopper.item_ids) items.Insert(id);
  }
  RankingAccumulator acc(request.count(), items.size());
  for (size_t s = 0; s < held_out.size(); ++s) {
    absl::flat_hash_set<int32_t> relevant;
    for (const std::string& id : held_out[s].item_ids) {
      relevant.insert(*items.Find(id));
    }
    acc.Add(lists[s], relevant);
  }
  score.metrics = acc.Mean();
  score.shoppers = acc.users();
  score.ndcg_standard_error = StandardErrorOfMean(acc.user_ndcg());
  // Coverage over the serving model's items (-1 when its size is not
  // available, e.g. without the admin role).
  score.coverage = -1;
  if (absl::StatusOr<v1::ModelInfo> model = ModelInfo();
      model.ok() && model->items() > 0) {
    std::vector<bool> seen(listed, false);
    int64_t distinct = 0;
    for (const std::vector<int32_t>& list : lists) {
      for (int32_t i : list) {
        distinct += seen[i] ? 0 : 1;
        seen[i] = true;
      }
    }
    score.coverage = static_cast<double>(distinct) / model->items();
  }
  score.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  return score;
}

absl::StatusOr<std::vector<HeldOut>> ReadHeldOutCsv(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot open '", path, "'"));
  }
  CsvReader reader(&in);
  std::vector<std::string> fields;
  std::vector<HeldOut> out;
  absl::flat_hash_map<std::string, size_t> index;
  bool header = true;
  while (true) {
    TAILOR_ASSIGN_OR_RETURN(const bool more, reader.Next(&fields));
    if (!more) break;
    if (header) {
      header = false;
      if (fields.size() < 2 || fields[0] != "user_id" ||
          fields[1] != "item_id") {
        return absl::InvalidArgumentError(absl::StrCat(
            path, ":", reader.line(),
            ": header: expected user_id,item_id (as tailor-trainer split "
            "writes test.csv)"));
      }
      continue;
    }
    if (fields.size() < 2 || fields[0].empty() || fields[1].empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ":", reader.line(), ": expected a user_id and an item_id"));
    }
    auto [it, inserted] = index.try_emplace(fields[0], out.size());
    if (inserted) out.push_back({fields[0], {}});
    out[it->second].item_ids.push_back(fields[1]);
  }
  if (out.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": no held-out pair"));
  }
  return out;
}

std::string FormatServedScore(const ServedScore& s, int k) {
  return absl::StrFormat(
      "shoppers %d  P@%d %.4f  R@%d %.4f  NDCG@%d %.4f (+-%.4f)  MAP@%d "
      "%.4f  coverage %s  fallback lists %d  (%.1f s)\n",
      s.shoppers, k, s.metrics.precision, k, s.metrics.recall, k,
      s.metrics.ndcg, s.ndcg_standard_error, k, s.metrics.map,
      s.coverage < 0 ? "n/a" : absl::StrFormat("%.4f", s.coverage),
      s.fallback_lists, s.seconds);
}

std::string ServedScoreJson(const ServedScore& s, int k) {
  return absl::StrFormat(
      "{\"k\":%d,\"shoppers\":%d,\"precision\":%.6f,\"recall\":%.6f,"
      "\"ndcg\":%.6f,\"ndcg_standard_error\":%.6f,\"map\":%.6f,"
      "\"coverage\":%.6f,\"fallback_lists\":%d,\"seconds\":%.3f}\n",
      k, s.shoppers, s.metrics.precision, s.metrics.recall, s.metrics.ndcg,
      s.ndcg_standard_error, s.metrics.map, s.coverage, s.fallback_lists,
      s.seconds);
}

namespace {

const char* ReasonText(v1::Reason reason) {
  switch (reason) {
    case v1::REASON_PERSONALIZED:
      return "personal";
    case v1::REASON_POPULAR:
      return "popular";
    case v1::REASON_BOUGHT_TOGETHER:
      return "together";
    case v1::REASON_SIMILAR:
      return "similar";
    case v1::REASON_SEGMENT_POPULAR:
      return "segment";
    default:
      return "?";
  }
}

void AppendItemHeader(std::string* out) {
  absl::StrAppendFormat(out, "  %3s  %-12s %8s  %-40s %-12s %9s  %s\n", "#",
                        "item", "score", "title", "category", "price", "why");
}

void AppendItemRow(int rank, const v1::RecommendedItem& item,
                   const std::string& detail, std::string* out) {
  absl::StrAppendFormat(out, "  %3d  %-12s %8.4f  %-40s %-12s %9.2f  %s%s\n",
                        rank, Clip(item.item_id(), 12), item.score(),
                        Clip(item.info().title(), 40),
                        Clip(item.info().category(), 12), item.info().price(),
                        ReasonText(item.reason()), detail);
}

}  // namespace

std::string FormatRecommendations(const std::string& user_id,
                                  const v1::RecommendResponse& response) {
  std::string out = absl::StrFormat(
      "user %s: %d items from model %s (%s)\n", user_id, response.items_size(),
      response.model_version(),
      !response.fallback_used() ? "personalised"
      : response.items_size() > 0 &&
              response.items(0).reason() == v1::REASON_SEGMENT_POPULAR
          ? "no embedding yet: popular in the shopper's cluster"
      : response.strategy() == "popularity"
          ? "popularity strategy"
          : "popular fallback: user not known");
  if (!response.experiment().empty()) {
    absl::StrAppendFormat(&out, "  experiment %s, arm %s (strategy %s)\n",
                          response.experiment(), response.arm(),
                          response.strategy());
  }
  AppendItemHeader(&out);
  int rank = 0;
  for (const auto& item : response.items()) {
    AppendItemRow(++rank, item, "", &out);
  }
  return out;
}

std::string FormatSimilar(const std::string& item_id,
                          const v1::SimilarItemsResponse& response) {
  std::string out =
      absl::StrFormat("similar to %s: %d items from model %s (cosine)\n",
                      item_id, response.items_size(), response.model_version());
  AppendItemHeader(&out);
  int rank = 0;
  for (const auto& item : response.items()) {
    AppendItemRow(++rank, item, "", &out);
  }
  return out;
}

std::string FormatTogether(const std::vector<std::string>& item_ids,
                           const v1::BoughtTogetherResponse& response) {
  std::string out = absl::StrFormat(
      "bought together with %s: %d items from model %s (score = lift)\n",
      absl::StrJoin(item_ids, ","), response.items_size(),
      response.model_version());
  AppendItemHeader(&out);
  int rank = 0;
  for (const auto& t : response.items()) {
    const v1::RuleEvidence& ev = t.evidence();
    AppendItemRow(
        ++rank, t.item(),
        absl::StrFormat(" after %s: %d of %d baskets, confidence %.2f",
                        absl::StrJoin(ev.antecedent_item_ids(), "+"),
                        ev.baskets_together(), ev.baskets_total(),
                        ev.confidence()),
        &out);
  }
  return out;
}

namespace {

std::string Preferences(
    const google::protobuf::RepeatedPtrField<v1::Preference>& prefs) {
  std::vector<std::string> parts;
  for (const v1::Preference& p : prefs) {
    parts.push_back(absl::StrFormat("%s %.0f%%", p.value(), 100 * p.share()));
  }
  return parts.empty() ? "-" : absl::StrJoin(parts, ", ");
}

std::string Score(bool has, float v) {
  return has ? absl::StrFormat("%.3f", v) : "-";
}

std::string Day(int64_t unix) {
  return absl::FormatTime("%Y-%m-%d", absl::FromUnixSeconds(unix),
                          absl::UTCTimeZone());
}

}  // namespace

std::string FormatRecorded(const v1::RecordEventsRequest& req,
                           const v1::RecordEventsResponse& resp) {
  std::string out;
  for (int i = 0; i < resp.results_size() && i < req.events_size(); ++i) {
    const v1::Event& e = req.events(i);
    const v1::EventResult& r = resp.results(i);
    const std::string what = absl::StrFormat(
        "%s %s %s", e.user_id(),
        absl::AsciiStrToLower(
            v1::EventType_Name(e.type()).substr(strlen("EVENT_TYPE_"))),
        e.item_id());
    switch (r.status()) {
      case v1::EventResult::STATUS_RECORDED:
        absl::StrAppendFormat(&out, "recorded: %s (event %s, sequence %d)\n",
                              what, e.event_id(), r.sequence());
        break;
      case v1::EventResult::STATUS_DUPLICATE:
        absl::StrAppendFormat(&out,
                              "already recorded: %s (event %s, sequence %d)\n",
                              what, e.event_id(), r.sequence());
        break;
      default:
        absl::StrAppendFormat(&out, "invalid: %s: %s\n", what, r.error());
    }
  }
  return out;
}

absl::StatusOr<std::vector<v1::ExperimentArm>> ParseArms(
    absl::string_view spec) {
  std::vector<v1::ExperimentArm> arms;
  for (absl::string_view entry : absl::StrSplit(spec, ',', absl::SkipEmpty())) {
    const std::vector<absl::string_view> parts = absl::StrSplit(entry, ':');
    auto bad = [&] {
      return absl::InvalidArgumentError(absl::StrCat(
          "--arms: '", entry,
          "' is not NAME:STRATEGY:SHARE_BP[:control][:diversity=D]"
          "[:boost=ITEM/BOOST...] (e.g. control:popularity:5000:control)"));
    };
    int32_t share = 0;
    if (parts.size() < 3 || !absl::SimpleAtoi(parts[2], &share)) return bad();
    v1::ExperimentArm& arm = arms.emplace_back();
    arm.set_name(std::string(parts[0]));
    arm.set_strategy(std::string(parts[1]));
    arm.set_share_bp(share);
    for (size_t k = 3; k < parts.size(); ++k) {
      const absl::string_view part = parts[k];
      absl::string_view rest = part;
      float value = 0;
      if (part == "control") {
        arm.set_control(true);
      } else if (absl::ConsumePrefix(&rest, "diversity=") &&
                 absl::SimpleAtof(rest, &value)) {
        arm.set_diversity(value);
      } else if (absl::StartsWith(part, "boost=")) {
        const std::vector<absl::string_view> boost =
            absl::StrSplit(part.substr(6), '/');
        if (boost.size() != 2 || !absl::SimpleAtof(boost[1], &value)) {
          return bad();
        }
        v1::ArmBoost* b = arm.add_boosts();
        b->set_item_id(std::string(boost[0]));
        b->set_boost(value);
      } else {
        return bad();
      }
    }
  }
  return arms;
}

std::string StateText(v1::ExperimentState state) {
  return absl::AsciiStrToLower(
      v1::ExperimentState_Name(state).substr(strlen("EXPERIMENT_STATE_")));
}

std::string UnixText(int64_t unix) {
  return unix == 0 ? "-"
                   : absl::FormatTime("%Y-%m-%d %H:%M:%S",
                                      absl::FromUnixSeconds(unix),
                                      absl::UTCTimeZone());
}

std::string FormatExperiment(const v1::Experiment& e) {
  std::string out = absl::StrFormat(
      "experiment %s (%s)\n  salt %s, layer %s (buckets %d-%d of 10000)\n"
      "  eligibility %s%s\n  start %s UTC, end %s UTC%s\n  arms:\n",
      e.name(), StateText(e.state()), e.salt(), e.layer(), e.layer_begin(),
      e.layer_end(),
      absl::AsciiStrToLower(v1::ExperimentEligibility_Name(e.eligibility())
                                .substr(strlen("EXPERIMENT_ELIGIBILITY_"))),
      e.segment().empty() ? "" : absl::StrCat(" '", e.segment(), "'"),
      UnixText(e.start_unix()), UnixText(e.end_unix()),
      e.stopped_unix() != 0
          ? absl::StrCat(", stopped ", UnixText(e.stopped_unix()), " UTC")
          : "");
  for (const v1::ExperimentArm& arm : e.arms()) {
    std::string settings;
    if (arm.has_diversity()) {
      absl::StrAppendFormat(&settings, "  diversity %.2f", arm.diversity());
    }
    for (const v1::ArmBoost& b : arm.boosts()) {
      absl::StrAppendFormat(&settings, "  boost %s %.2f", b.item_id(),
                            b.boost());
    }
    absl::StrAppendFormat(&out, "    %-16s %-16s %5d bp%s%s\n", arm.name(),
                          arm.strategy(), arm.share_bp(),
                          arm.control() ? "  (control)" : "", settings);
  }
  if (e.allocation() != v1::EXPERIMENT_ALLOCATION_THOMPSON) return out;
  absl::StrAppendFormat(
      &out,
      "  bandit: Thompson sampling on %s, re-allocated every %d s, at least "
      "%d bp each\n  allocation periods (bp of the experiment's traffic, by "
      "arm):\n",
      e.bandit().metric() == v1::BANDIT_METRIC_REVENUE ? "revenue"
                                                       : "conversion",
      e.bandit().interval_seconds(), e.bandit().min_share_bp());
  for (const v1::AllocationPeriod& p : e.periods()) {
    absl::StrAppendFormat(&out, "    from %s UTC: %s\n",
                          UnixText(p.start_unix()),
                          absl::StrJoin(p.weights_bp(), " / "));
  }
  return out;
}

std::string FormatExperimentList(const v1::ListExperimentsResponse& list) {
  std::string out =
      absl::StrFormat("  %-24s %-9s %-12s %6s %5s  %s\n", "name", "state",
                      "layer", "share", "arms", "started (UTC)");
  for (const v1::Experiment& e : list.experiments()) {
    int32_t share = 0;
    for (const v1::ExperimentArm& arm : e.arms()) share += arm.share_bp();
    absl::StrAppendFormat(&out, "  %-24s %-9s %-12s %6d %5d  %s\n", e.name(),
                          StateText(e.state()), e.layer(), share, e.arms_size(),
                          UnixText(e.start_unix()));
  }
  return out;
}

std::string FormatModelInfo(const v1::ModelInfo& m) {
  std::string out = absl::StrFormat(
      "model %s%s%s\n  trained %s UTC, %d users, %d items, %d factors\n"
      "  event log through sequence %d; new events %s\n",
      m.version(), m.active() ? " (serving)" : "",
      m.current() ? " (CURRENT)" : "",
      absl::FormatTime("%Y-%m-%d %H:%M:%S",
                       absl::FromUnixSeconds(m.trained_at_unix()),
                       absl::UTCTimeZone()),
      m.users(), m.items(), m.factors(), m.event_log_seq(),
      m.fold_in() ? "folded into shoppers' vectors"
                  : "only exclude purchases (no fold-in)");
  if (m.loaded_at_unix() > 0) {
    absl::StrAppendFormat(
        &out, "  loaded %s UTC\n",
        absl::FormatTime("%Y-%m-%d %H:%M:%S",
                         absl::FromUnixSeconds(m.loaded_at_unix()),
                         absl::UTCTimeZone()));
  }
  if (m.popularity_fallback()) {
    absl::StrAppend(&out,
                    "  POPULARITY FALLBACK: every list is popularity (the "
                    "tuned model did not beat it on validation; see "
                    "\"serving\")\n");
  }
  for (const v1::InfoEntry& e : m.info()) {
    absl::StrAppendFormat(&out, "  %-22s %s\n", e.key(), e.value());
  }
  return out;
}

std::string FormatSnapshotList(const v1::ListSnapshotsResponse& r) {
  std::string out =
      absl::StrFormat("  %-10s %-20s %10s %8s %7s  %s\n", "version",
                      "trained (UTC)", "users", "items", "factors", "state");
  for (const v1::ModelInfo& m : r.snapshots()) {
    std::string state;
    if (m.active()) state = "serving";
    if (m.current()) state = state.empty() ? "CURRENT" : state + ", CURRENT";
    absl::StrAppendFormat(
        &out, "  %-10s %-20s %10d %8d %7d  %s\n", m.version(),
        absl::FormatTime("%Y-%m-%d %H:%M:%S",
                         absl::FromUnixSeconds(m.trained_at_unix()),
                         absl::UTCTimeZone()),
        m.users(), m.items(), m.factors(), state);
  }
  for (const v1::SnapshotProblem& p : r.problems()) {
    absl::StrAppendFormat(&out, "  %-10s unreadable: %s\n", p.version(),
                          p.error());
  }
  return out;
}

std::string FormatSegment(const v1::Segment& s) {
  const v1::CustomerProfile& p = s.profile();
  std::string out =
      absl::StrFormat("user %s (model %s, profile as of %s", s.user_id(),
                      s.model_version(), Day(s.profile_as_of_unix()));
  if (s.events_since_profile() > 0) {
    absl::StrAppendFormat(&out, ", plus %d events recorded since",
                          s.events_since_profile());
  }
  out += ")\n";
  if (s.has_rfm()) {
    absl::StrAppendFormat(&out, "  RFM          %s (R%d F%d M%d)\n",
                          s.rfm().segment(), s.rfm().recency(),
                          s.rfm().frequency(), s.rfm().monetary());
  } else {
    absl::StrAppend(&out, "  RFM          - (no order yet)\n");
  }
  if (s.cluster_id() >= 0) {
    absl::StrAppendFormat(&out, "  cluster      %d: %s\n", s.cluster_id(),
                          s.cluster_descriptor());
  } else {
    absl::StrAppend(&out,
                    "  cluster      - (none yet: clusters come with the next "
                    "snapshot)\n");
  }
  absl::StrAppendFormat(
      &out, "  scores       purchase in 30 days %s, churn risk %s\n",
      Score(s.has_purchase_propensity(), s.purchase_propensity()),
      Score(s.has_churn_risk(), s.churn_risk()));
  absl::StrAppendFormat(
      &out,
      "  value        %d orders, net spend %.2f (gross %.2f, returned %.2f), "
      "average order %.2f, return rate %.0f%%\n",
      p.orders(), p.net_spend(), p.gross_spend(), p.returned_value(),
      p.average_order_value(), 100 * p.return_rate());
  absl::StrAppendFormat(
      &out,
      "  activity     %d events, last active %s, last purchase %s, customer "
      "for %.0f days\n",
      p.events(), Day(p.last_active_unix()),
      p.has_recency_days() ? absl::StrFormat("%.0f days ago", p.recency_days())
                           : std::string("never"),
      p.tenure_days());
  absl::StrAppendFormat(&out, "  categories   %s\n",
                        Preferences(s.top_categories()));
  absl::StrAppendFormat(&out, "  brands       %s\n",
                        Preferences(s.top_brands()));
  absl::StrAppendFormat(&out, "  colours      %s\n",
                        Preferences(s.top_colors()));
  absl::StrAppendFormat(&out, "  sizes        %s\n",
                        Preferences(s.top_sizes()));
  absl::StrAppendFormat(&out, "  price bands  %s\n",
                        Preferences(s.top_price_bands()));
  return out;
}

std::string FormatSegmentList(const v1::ListSegmentsResponse& r) {
  std::string out = absl::StrFormat(
      "%d profiled users, model %s, profiles as of %s\n\n", r.users(),
      r.model_version(), Day(r.profile_as_of_unix()));
  auto row = [&](const std::string& id, const v1::SegmentSummary& s) {
    absl::StrAppendFormat(
        &out, "  %-8s %-46s %8d %10s %10s\n", id, Clip(s.name(), 46), s.users(),
        Score(s.has_mean_purchase_propensity(), s.mean_purchase_propensity()),
        Score(s.has_mean_churn_risk(), s.mean_churn_risk()));
  };
  absl::StrAppendFormat(&out, "  %-8s %-46s %8s %10s %10s\n", "cluster",
                        "descriptor", "users", "purchase", "churn");
  for (const auto& c : r.clusters()) row(absl::StrCat(c.cluster_id()), c);
  absl::StrAppendFormat(&out, "\n  %-8s %-46s %8s %10s %10s\n", "",
                        "RFM segment", "users", "purchase", "churn");
  for (const auto& s : r.rfm_segments()) row("", s);
  return out;
}

std::string FormatAudiencePage(const v1::TargetAudienceResponse& r) {
  std::string out = absl::StrFormat(
      "%d of %d matching users (model %s)\n  %-14s %9s %7s  %-18s %7s %10s\n",
      r.members_size(), r.total_size(), r.model_version(), "user", "purchase",
      "churn", "RFM segment", "cluster", "net spend");
  for (const v1::AudienceMember& m : r.members()) {
    absl::StrAppendFormat(
        &out, "  %-14s %9s %7s  %-18s %7d %10.2f\n", Clip(m.user_id(), 14),
        Score(m.has_purchase_propensity(), m.purchase_propensity()),
        Score(m.has_churn_risk(), m.churn_risk()),
        m.rfm_segment().empty() ? "-" : m.rfm_segment(), m.cluster_id(),
        m.net_spend());
  }
  if (!r.next_page_token().empty()) {
    absl::StrAppendFormat(&out, "next page: --page_token=%s\n",
                          r.next_page_token());
  }
  return out;
}

std::string FormatAudienceCsv(const std::vector<v1::AudienceMember>& members) {
  std::string out =
      "user_id,purchase_propensity,churn_risk,rfm_segment,cluster_id,"
      "net_spend\n";
  auto field = [](bool has, float v) {
    return has ? absl::StrFormat("%.4f", v) : std::string();
  };
  for (const v1::AudienceMember& m : members) {
    absl::StrAppendFormat(
        &out, "%s,%s,%s,%s,%d,%.2f\n", CsvEscape(m.user_id()),
        field(m.has_purchase_propensity(), m.purchase_propensity()),
        field(m.has_churn_risk(), m.churn_risk()), CsvEscape(m.rfm_segment()),
        m.cluster_id(), m.net_spend());
  }
  return out;
}

std::string FormatLatency(const LatencyReport& report, int count, size_t users,
                          TailorClient::Rpc rpc) {
  const std::string what =
      rpc == TailorClient::Rpc::kGetSegment
          ? std::string("GetSegment")
          : absl::StrCat("RecommendFor (count=", count, ")");
  return absl::StrFormat(
      "%s x%d (%d users, sequential): p50 %.0f us, p90 "
      "%.0f us, p99 %.0f us, max %.0f us, %d errors, %.0f calls/s",
      what, report.micros.size(), users, report.Percentile(0.50),
      report.Percentile(0.90), report.Percentile(0.99),
      report.micros.empty() ? 0.0 : report.micros.back(), report.errors,
      report.calls / report.seconds);
}

}  // namespace tailor

#include "tools/cli/client.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
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

double LatencyReport::Percentile(double p) const {
  if (micros.empty()) return 0;
  const auto rank = static_cast<size_t>(std::ceil(p * micros.size()));
  return micros[std::clamp<size_t>(rank, 1, micros.size()) - 1];
}

TailorClient::TailorClient(std::shared_ptr<grpc::Channel> channel,
                           absl::Duration timeout)
    : channel_(std::move(channel)),
      timeout_(timeout),
      stub_(v1::Recommender::NewStub(channel_)) {}

absl::StatusOr<v1::RecommendResponse> TailorClient::Recommend(
    const v1::RecommendRequest& request) const {
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + timeout_));
  v1::RecommendResponse response;
  grpc::Status s = stub_->RecommendFor(&ctx, request, &response);
  if (!s.ok()) return FromGrpc(s);
  return response;
}

absl::StatusOr<v1::SimilarItemsResponse> TailorClient::Similar(
    const v1::SimilarItemsRequest& request) const {
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + timeout_));
  v1::SimilarItemsResponse response;
  grpc::Status s = stub_->SimilarItems(&ctx, request, &response);
  if (!s.ok()) return FromGrpc(s);
  return response;
}

absl::StatusOr<v1::BoughtTogetherResponse> TailorClient::Together(
    const v1::BoughtTogetherRequest& request) const {
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + timeout_));
  v1::BoughtTogetherResponse response;
  grpc::Status s = stub_->BoughtTogether(&ctx, request, &response);
  if (!s.ok()) return FromGrpc(s);
  return response;
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
    const std::vector<std::string>& users, int requests, int count,
    int warmup) const {
  if (users.empty()) return absl::InvalidArgumentError("users: none given");
  if (requests < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("requests: must be >= 1, got ", requests));
  }
  LatencyReport report;
  report.micros.reserve(requests);
  const auto all = std::chrono::steady_clock::now();
  for (int i = 0; i < warmup + requests; ++i) {
    v1::RecommendRequest req;
    req.set_user_id(users[i % users.size()]);
    req.set_count(count);
    const auto start = std::chrono::steady_clock::now();
    const bool ok = Recommend(req).ok();
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
      response.fallback_used() ? "popular fallback: user not known"
                               : "personalised");
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

std::string FormatLatency(const LatencyReport& report, int count,
                          size_t users) {
  return absl::StrFormat(
      "RecommendFor x%d (count=%d, %d users, sequential): p50 %.0f us, p90 "
      "%.0f us, p99 %.0f us, max %.0f us, %d errors, %.0f calls/s",
      report.micros.size(), count, users, report.Percentile(0.50),
      report.Percentile(0.90), report.Percentile(0.99),
      report.micros.empty() ? 0.0 : report.micros.back(), report.errors,
      report.calls / report.seconds);
}

}  // namespace tailor

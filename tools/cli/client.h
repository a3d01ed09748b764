// A synchronous client for tailor-server, used by the `tailor` CLI.
#ifndef TAILOR_TOOLS_CLI_CLIENT_H_
#define TAILOR_TOOLS_CLI_CLIENT_H_

#include <grpcpp/channel.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/base/catalog.h"
#include "core/eval/metrics.h"
#include "tailor/v1/admin.grpc.pb.h"
#include "tailor/v1/recommender.grpc.pb.h"

namespace tailor {

// Page size `tailor audience --all` fetches with.
inline constexpr int kCliAudiencePage = 5000;
// Events per ExportUser page the CLI asks for (the server's largest).
inline constexpr int kExportPageSize = 10000;

// Latencies of a run of calls, in microseconds, sorted ascending.
struct LatencyReport {
  std::vector<double> micros;
  int64_t errors = 0;
  double seconds = 0;  // wall time of the whole run, warm-up included
  int64_t calls = 0;   // warm-up included

  // Nearest-rank percentile, p in (0, 1]; 0 when there are no samples.
  double Percentile(double p) const;
};

// One shopper's held-out items.
struct HeldOut {
  std::string user_id;
  std::vector<std::string> item_ids;
};

// Reads a held-out pairs CSV (user_id,item_id with a header, as
// tailor-trainer split writes test.csv), grouped by shopper in first-seen
// order. Errors name the file and line.
absl::StatusOr<std::vector<HeldOut>> ReadHeldOutCsv(const std::string& path);

// Served lists scored against held-out items.
struct ServedScore {
  RankingMetrics metrics;          // means over the shoppers
  double ndcg_standard_error = 0;  // of the mean NDCG over the shoppers
  double coverage = 0;             // distinct items listed / the model's items
  int64_t shoppers = 0;
  int64_t fallback_lists = 0;  // lists the popularity fallback answered
  double seconds = 0;
};

// Thread safety: safe to use from several threads (gRPC stubs are).
class TailorClient {
 public:
  TailorClient(std::shared_ptr<grpc::Channel> channel, absl::Duration timeout);

  absl::StatusOr<v1::RecommendResponse> Recommend(
      const v1::RecommendRequest& request) const;
  absl::StatusOr<v1::SimilarItemsResponse> Similar(
      const v1::SimilarItemsRequest& request) const;
  absl::StatusOr<v1::BoughtTogetherResponse> Together(
      const v1::BoughtTogetherRequest& request) const;
  absl::StatusOr<v1::Segment> Segment(const std::string& user_id) const;
  absl::StatusOr<v1::ListSegmentsResponse> ListSegments() const;
  absl::StatusOr<v1::TargetAudienceResponse> Audience(
      const v1::TargetAudienceRequest& request) const;
  // Every page of an audience, following the page tokens.
  absl::StatusOr<std::vector<v1::AudienceMember>> WholeAudience(
      v1::TargetAudienceRequest request) const;
  absl::StatusOr<v1::RecordEventsResponse> Record(
      const v1::RecordEventsRequest& request) const;
  absl::StatusOr<v1::UpdateCatalogResponse> UpdateCatalog(
      const v1::UpdateCatalogRequest& request) const;
  // The Admin service.
  absl::StatusOr<v1::ModelInfo> ModelInfo() const;
  absl::StatusOr<v1::ListSnapshotsResponse> ListSnapshots() const;
  absl::StatusOr<v1::ModelInfo> Activate(const std::string& version) const;
  absl::StatusOr<v1::ModelInfo> Rollback() const;
  // Everything the server holds about `user_id`: ExportUser's first page
  // with the events of every later page appended (next_page_token empty).
  absl::StatusOr<v1::UserExport> ExportUser(const std::string& user_id) const;
  // Admin.EraseUser.
  absl::StatusOr<v1::UserErasure> EraseUser(const std::string& user_id) const;
  // The Admin experiment calls.
  absl::StatusOr<v1::Experiment> CreateExperiment(
      const v1::Experiment& experiment) const;
  absl::StatusOr<v1::ListExperimentsResponse> ListExperiments(
      bool include_archived) const;
  absl::StatusOr<v1::Experiment> GetExperiment(const std::string& name) const;
  absl::StatusOr<v1::Experiment> StopExperiment(const std::string& name) const;
  absl::StatusOr<v1::Experiment> ArchiveExperiment(
      const std::string& name) const;
  absl::StatusOr<v1::ExperimentResults> GetExperimentResults(
      const v1::GetExperimentResultsRequest& request) const;
  // "SERVING", "NOT_SERVING", ... for `service` ("" = the whole server).
  absl::StatusOr<std::string> HealthStatus(const std::string& service) const;
  // Calls RecommendFor (with `count`) or GetSegment `requests` times one
  // after another, cycling through `users`, after `warmup` uncounted calls.
  enum class Rpc { kRecommendFor, kGetSegment };
  absl::StatusOr<LatencyReport> MeasureLatency(
      const std::vector<std::string>& users, int requests, int count,
      int warmup, Rpc rpc = Rpc::kRecommendFor) const;
  // Asks RecommendFor (`request` with each shopper's user_id) for every
  // shopper of `held_out`, one call after another, and scores the lists
  // against the held-out items as tailor-trainer eval scores a model
  // offline (core/eval/metrics.h at request.count()); coverage is over the
  // serving model's items. Stops at the first failed call.
  absl::StatusOr<ServedScore> ScoreServed(
      const std::vector<HeldOut>& held_out,
      const v1::RecommendRequest& request) const;

 private:
  // One unary call with the deadline; gRPC errors become absl::Status.
  template <typename Response, typename Request, typename Stub, typename Method>
  absl::StatusOr<Response> Call(Stub* stub, Method method,
                                const Request& request) const;

  std::shared_ptr<grpc::Channel> channel_;
  absl::Duration timeout_;
  std::unique_ptr<v1::Recommender::Stub> stub_;
  std::unique_ptr<v1::Admin::Stub> admin_;
};

// "shoppers 943  P@10 0.3312  ..." one line, and the same as one JSON
// object.
std::string FormatServedScore(const ServedScore& score, int k);
std::string ServedScoreJson(const ServedScore& score, int k);

// An experiment's arms from "name:strategy:share_bp[:control],..."
// (`tailor create-experiment --arms`); errors name the entry.
absl::StatusOr<std::vector<v1::ExperimentArm>> ParseArms(
    absl::string_view spec);
// One experiment, and a table of them.
std::string FormatExperiment(const v1::Experiment& experiment);
// "running", "stopped", "archived".
std::string StateText(v1::ExperimentState state);
// "2026-12-07 10:00:00" (UTC), or "-" for 0.
std::string UnixText(int64_t unix);
std::string FormatExperimentList(const v1::ListExperimentsResponse& list);

// Upserts of `items` (a catalog CSV's rows), in requests of at most
// `batch` changes.
std::vector<v1::UpdateCatalogRequest> CatalogUpserts(
    const std::vector<Item>& items, int batch = 1000);
// Totals of UpdateCatalog answers, and the first `max_errors` invalid
// changes with their item ids.
struct CatalogTotals {
  int64_t applied = 0, unchanged = 0, stale = 0, invalid = 0;
  std::vector<std::string> errors;
  void Add(const v1::UpdateCatalogRequest& request,
           const v1::UpdateCatalogResponse& response, size_t max_errors = 20);
};
std::string FormatCatalogTotals(const CatalogTotals& totals);

// The table the CLI prints for a response.
std::string FormatRecommendations(const std::string& user_id,
                                  const v1::RecommendResponse& response);
std::string FormatSimilar(const std::string& item_id,
                          const v1::SimilarItemsResponse& response);
std::string FormatTogether(const std::vector<std::string>& item_ids,
                           const v1::BoughtTogetherResponse& response);
std::string FormatSegment(const v1::Segment& segment);
std::string FormatModelInfo(const v1::ModelInfo& info);
std::string FormatRecorded(const v1::RecordEventsRequest& request,
                           const v1::RecordEventsResponse& response);
std::string FormatSnapshotList(const v1::ListSnapshotsResponse& response);
std::string FormatSegmentList(const v1::ListSegmentsResponse& response);
// One page as a table, with the next page token.
std::string FormatAudiencePage(const v1::TargetAudienceResponse& response);
// CSV with a header: user_id,purchase_propensity,churn_risk,rfm_segment,
// cluster_id,net_spend (missing scores are empty fields).
std::string FormatAudienceCsv(const std::vector<v1::AudienceMember>& members);
// One line: percentiles, errors and rate.
std::string FormatLatency(
    const LatencyReport& report, int count, size_t users,
    TailorClient::Rpc rpc = TailorClient::Rpc::kRecommendFor);

}  // namespace tailor

#endif  // TAILOR_TOOLS_CLI_CLIENT_H_

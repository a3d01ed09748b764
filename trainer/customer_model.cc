#include "trainer/customer_model.h"

#include <algorithm>
#include <chrono>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "core/base/interactions.h"
#include "core/base/status_macros.h"
#include "core/models/popularity.h"
#include "core/models/scorer.h"
#include "trainer/evaluation.h"

namespace tailor {

std::vector<std::vector<int32_t>> ClusterPopularItems(
    const TrainingHistory& history, const std::vector<int32_t>& assignment,
    int k, int num_items, int count) {
  std::vector<std::vector<double>> score(k, std::vector<double>(num_items, 0));
  for (size_t u = 0; u + 1 < history.row_ptr.size(); ++u) {
    const int32_t c = assignment[u];
    if (c < 0) continue;
    for (int64_t p = history.row_ptr[u]; p < history.row_ptr[u + 1]; ++p) {
      score[c][history.item[p]] += (history.flags[p] & kPurchased) ? 4.0 : 1.0;
    }
  }
  std::vector<std::vector<int32_t>> out(k);
  for (int c = 0; c < k; ++c) {
    std::vector<int32_t> items;
    for (int32_t i = 0; i < num_items; ++i) {
      if (score[c][i] > 0) items.push_back(i);
    }
    const size_t keep = std::min<size_t>(count, items.size());
    std::partial_sort(
        items.begin(), items.begin() + keep, items.end(),
        [&](int32_t a, int32_t b) {
          return score[c][a] != score[c][b] ? score[c][a] > score[c][b] : a < b;
        });
    items.resize(keep);
    out[c] = std::move(items);
  }
  return out;
}

namespace {

// The segment-popularity strategy as a Scorer: the user's cluster's list
// first (by rank), then every item by popularity.
class SegmentPopularityScorer : public Scorer {
 public:
  SegmentPopularityScorer(std::vector<std::vector<int32_t>> lists,
                          std::vector<int32_t> assignment,
                          std::vector<float> popularity)
      : lists_(std::move(lists)),
        assignment_(std::move(assignment)),
        popularity_(std::move(popularity)) {
    float top = 0;
    for (float p : popularity_) top = std::max(top, p);
    // Popularity scaled into [0, 1): below every list entry.
    for (float& p : popularity_) p /= top + 1;
  }
  int32_t num_items() const override {
    return static_cast<int32_t>(popularity_.size());
  }
  void Score(int32_t user, HistoryView,
             absl::Span<float> scores) const override {
    std::copy(popularity_.begin(), popularity_.end(), scores.begin());
    if (user < 0 || user >= static_cast<int32_t>(assignment_.size())) return;
    const int32_t c = assignment_[user];
    if (c < 0 || c >= static_cast<int32_t>(lists_.size())) return;
    const std::vector<int32_t>& list = lists_[c];
    const float n = static_cast<float>(list.size());
    for (size_t rank = 0; rank < list.size(); ++rank) {
      scores[list[rank]] = 1 + (n - static_cast<float>(rank)) / n;
    }
  }

 private:
  std::vector<std::vector<int32_t>> lists_;
  std::vector<int32_t> assignment_;
  std::vector<float> popularity_;
};

}  // namespace

RankingMetrics ScoreSegmentPopularity(const InteractionSplit& split,
                                      const std::vector<int32_t>& assignment,
                                      int k, int count, int top_k) {
  TrainingHistory train;
  train.row_ptr = split.train.row_ptr;
  train.item = split.train.item;
  train.flags = split.train.flags;
  const SegmentPopularityScorer scorer(
      ClusterPopularItems(train, assignment, k, split.train.num_items(), count),
      assignment, ComputePopularity(split.train));
  return ScoreRankings(scorer, split.train, split.test, top_k).Mean();
}

absl::Status AddCustomerSegments(const TrainingInput& input,
                                 const CustomerModelOptions& o,
                                 Snapshot* snapshot,
                                 const ProgressFn& progress) {
  auto say = [&](const std::string& line) {
    if (progress) progress(line);
  };
  if (o.popular_items_per_cluster < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("popular_items_per_cluster: must be >= 0, got ",
                     o.popular_items_per_cluster));
  }
  const auto start = std::chrono::steady_clock::now();
  SegmentationOptions so = o.segmentation;
  so.model = &snapshot->model;
  so.profiles.weights = input.weights;
  TAILOR_ASSIGN_OR_RETURN(SegmentationResult seg,
                          RunSegmentation(input, so, progress));
  say(absl::StrFormat("segments: %d users in %d clusters", seg.users.size(),
                      seg.k));

  CustomerSegments out;
  out.reference_unix = seg.reference_unix;
  const int32_t n = seg.users.size();
  out.records.resize(n);
  for (int32_t u = 0; u < n; ++u) {
    CustomerRecord& r = out.records[u];
    r.profile = std::move(seg.profiles[u]);
    r.rfm = seg.rfm[u];
    r.cluster = seg.clusters.assignment[u];
  }

  // Propensity: the models validated on the later window score every
  // profile as of now.
  std::vector<std::pair<std::string, std::string>> facts = {
      {"segments_k", absl::StrCat(seg.k)},
      {"segments_reference",
       absl::FormatTime(absl::FromUnixSeconds(seg.reference_unix),
                        absl::UTCTimeZone())},
  };
  for (const auto& [k, s] : seg.silhouettes) {
    if (k == seg.k && seg.silhouettes.size() > 1) {
      facts.push_back({"segments_silhouette", absl::StrFormat("%.4f", s)});
    }
  }
  // The profiles' reference is the latest event: propensity needs no pass
  // of its own to find it.
  PropensityOptions po = o.propensity;
  po.end_unix = seg.reference_unix;
  absl::StatusOr<std::vector<PropensityReport>> prop =
      RunPropensity(input, po, progress);
  if (prop.ok()) {
    for (const PropensityReport& rep : *prop) {
      const bool churn = rep.churn;
      for (int32_t u = 0; u < n; ++u) {
        CustomerRecord& r = out.records[u];
        if (r.profile.events == 0 || (churn && r.profile.orders == 0)) {
          continue;
        }
        const std::vector<double> f = PropensityFeatures(r.profile);
        const float p = static_cast<float>(rep.model.Predict(
            Eigen::Map<const Eigen::VectorXd>(f.data(), f.size())));
        (churn ? r.churn_risk : r.purchase_propensity) = p;
      }
      const std::string key = churn ? "churn" : "propensity";
      facts.push_back({absl::StrCat(key, "_target"), rep.target});
      facts.push_back(
          {absl::StrCat(key, "_test_auc"), absl::StrFormat("%.4f", rep.auc)});
      facts.push_back({absl::StrCat(key, "_test_log_loss"),
                       absl::StrFormat("%.4f (base rate alone %.4f)",
                                       rep.log_loss, rep.base_log_loss)});
      say(absl::StrFormat("%s: AUC %.4f on the later window", rep.target,
                          rep.auc));
    }
  } else if (absl::IsFailedPrecondition(prop.status())) {
    say(absl::StrCat("propensity: not scored: ", prop.status().message()));
    facts.push_back(
        {"propensity", absl::StrCat("not scored: ", prop.status().message())});
  } else {
    return prop.status();
  }

  // Cold-start lists over the model's users.
  const Model& model = snapshot->model;
  std::vector<int32_t> model_cluster(model.users.size(), -1);
  for (int32_t u = 0; u < n; ++u) {
    if (auto row = model.users.Find(seg.users.id(u))) {
      model_cluster[*row] = out.records[u].cluster;
    }
  }
  std::vector<std::vector<int32_t>> popular =
      snapshot->history.row_ptr.empty()
          ? std::vector<std::vector<int32_t>>(seg.k)
          : ClusterPopularItems(snapshot->history, model_cluster, seg.k,
                                model.items.size(),
                                o.popular_items_per_cluster);
  if (o.validation != nullptr &&
      o.validation->train.num_users() ==
          static_cast<int32_t>(model.users.size()) &&
      o.validation->train.num_items() ==
          static_cast<int32_t>(model.items.size())) {
    const RankingMetrics m =
        ScoreSegmentPopularity(*o.validation, model_cluster, seg.k,
                               o.popular_items_per_cluster, o.validation_k);
    facts.push_back(
        {absl::StrCat("validation_segment_popularity_ndcg@", o.validation_k),
         absl::StrFormat("%.4f", m.ndcg)});
    say(absl::StrFormat("strategy segment-popularity: validation NDCG@%d %.4f",
                        o.validation_k, m.ndcg));
  }
  out.clusters.resize(seg.k);
  for (int c = 0; c < seg.k; ++c) {
    out.clusters[c].descriptor = seg.descriptors[c];
    out.clusters[c].popular_items = std::move(popular[c]);
  }
  out.users = std::move(seg.users);
  snapshot->segments = std::move(out);
  facts.push_back(
      {"segments_seconds",
       absl::StrFormat("%.3f", std::chrono::duration<double>(
                                   std::chrono::steady_clock::now() - start)
                                   .count())});
  snapshot->info.insert(snapshot->info.end(), facts.begin(), facts.end());
  return absl::OkStatus();
}

}  // namespace tailor

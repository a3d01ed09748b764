// The customer part of a snapshot: every user's profile, RFM scores and
// segment, behavioural cluster (on the trained model's user embeddings),
// purchase propensity and churn risk from the models RunPropensity fitted
// and validated on a later window, and each cluster's popular items for
// cold start. `tailor-trainer train` adds it when it has a catalog.
#ifndef TAILOR_TRAINER_CUSTOMER_MODEL_H_
#define TAILOR_TRAINER_CUSTOMER_MODEL_H_

#include "absl/status/status.h"
#include "core/eval/metrics.h"
#include "core/eval/splits.h"
#include "core/serving/snapshot.h"
#include "trainer/pipeline.h"
#include "trainer/propensity.h"
#include "trainer/segmentation.h"

namespace tailor {

struct CustomerModelOptions {
  SegmentationOptions segmentation;  // its `model` is set by the call
  PropensityOptions propensity;
  // Cold-start list length per cluster.
  int popular_items_per_cluster = 100;
  // A validation split over the snapshot's model users and items
  // (TuneResult::validation; null: none): the segment-popularity
  // strategy is scored on it, its lists drawn from the training side, as
  // validation_segment_popularity_ndcg@`validation_k`.
  const InteractionSplit* validation = nullptr;
  int validation_k = 10;
};

// Fills `snapshot->segments` from `input` (events and a catalog) and the
// snapshot's trained model and histories, and appends the facts (k,
// silhouette, propensity AUCs and windows, segment-popularity's validation
// NDCG, timings) to `snapshot->info`.
// Propensity scores are left out (NaN) with a logged reason when the
// events span too short a time for the horizons.
absl::Status AddCustomerSegments(const TrainingInput& input,
                                 const CustomerModelOptions& options,
                                 Snapshot* snapshot,
                                 const ProgressFn& progress = {});

// Per cluster, the model items its members interacted with most (a
// purchase counts 4, any other interaction 1, per member), best first, at
// most `count`. `assignment[u]` is the cluster of model user u (-1: none).
std::vector<std::vector<int32_t>> ClusterPopularItems(
    const TrainingHistory& history, const std::vector<int32_t>& assignment,
    int k, int num_items, int count);

// The segment-popularity strategy's validation metrics on `split`: each
// held-out shopper's cluster (`assignment`, by model user; -1: none) lists
// its popular items of the training side (ClusterPopularItems, `count`
// long) first, then every item by the training side's popularity, as the
// server's fallback does.
RankingMetrics ScoreSegmentPopularity(const InteractionSplit& split,
                                      const std::vector<int32_t>& assignment,
                                      int k, int count, int top_k);

}  // namespace tailor

#endif  // TAILOR_TRAINER_CUSTOMER_MODEL_H_

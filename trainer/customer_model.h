// The customer part of a snapshot: every user's profile, RFM scores and
// segment, behavioural cluster (on the trained model's user embeddings),
// purchase propensity and churn risk from the models RunPropensity fitted
// and validated on a later window, and each cluster's popular items for
// cold start. `tailor-trainer train` adds it when it has a catalog.
#ifndef TAILOR_TRAINER_CUSTOMER_MODEL_H_
#define TAILOR_TRAINER_CUSTOMER_MODEL_H_

#include "absl/status/status.h"
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
};

// Fills `snapshot->segments` from `input` (events and a catalog) and the
// snapshot's trained model and histories, and appends the facts (k,
// silhouette, propensity AUCs and windows, timings) to `snapshot->info`.
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

}  // namespace tailor

#endif  // TAILOR_TRAINER_CUSTOMER_MODEL_H_

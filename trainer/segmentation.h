// The segmentation pipeline: profiles from events and catalog, RFM scores,
// user embeddings from implicit ALS, and behavioural clusters (K-Means on
// the segment features, k given or chosen by silhouette) with generated
// descriptors. `tailor-trainer segments` runs it and reports.
#ifndef TAILOR_TRAINER_SEGMENTATION_H_
#define TAILOR_TRAINER_SEGMENTATION_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "core/analytics/segment_features.h"
#include "core/base/id_map.h"
#include "core/customers/profiles.h"
#include "core/customers/rfm.h"
#include "core/models/als.h"
#include "core/models/kmeans.h"
#include "trainer/pipeline.h"

namespace tailor {

// Every user's profile and RFM scores from `input`'s events and catalog.
struct ProfilingResult {
  std::vector<Item> catalog;  // owned here: the builder points into it
  std::unique_ptr<ProfileBuilder> builder;  // users, share features
  std::vector<UserProfile> profiles;        // in builder->users() order
  // Per user; empty for visitors without any order or return.
  std::vector<std::optional<RfmScores>> rfm;
  int64_t events = 0;  // accepted rows
  double seconds = 0;  // reading, profiling and scoring
};

// Reads the catalog and every events file once, passing each event also to
// `also` (may be empty), and builds the profiles with `options`.
absl::StatusOr<ProfilingResult> RunProfiling(
    const TrainingInput& input, const ProfileOptions& options,
    const std::function<void(const Event&)>& also = {},
    const ProgressFn& progress = {});

// Profiles as CSV for analysts: user_id, the profile's numbers, RFM scores
// and segment (empty for visitors), and the top category, brand, colour and
// price band with their shares.
std::string ProfilesCsvHeader();
std::string ProfileCsvRow(const std::string& user_id, const UserProfile& p,
                          const std::optional<RfmScores>& rfm);

// Users profiled, events, time and the RFM segment counts.
std::string FormatProfiling(const ProfilingResult& result);
// The RFM segment counts, then the visitors without an order.
std::string FormatRfmCounts(const std::vector<std::optional<RfmScores>>& rfm);
// Every profile, one ProfileCsvRow per line after ProfilesCsvHeader().
absl::Status WriteProfilesCsv(const ProfilingResult& result,
                              const std::string& path);

struct SegmentationOptions {
  // Clusters; 0 chooses among k_candidates by the silhouette on a sample.
  int k = 0;
  std::vector<int> k_candidates = {4, 6, 8, 10, 12};
  int64_t silhouette_sample = 3000;
  KMeansOptions kmeans;
  SegmentFeatureOptions features;
  // After K-Means, the mixture-of-multinomials refinement over each
  // shopper's items (see RefineClustersByItems).
  ClusterRefineOptions refine;
  AlsOptions als;  // the embedding block's model
  // When set, the embedding block takes this model's user vectors (users
  // the model lacks get zeros) and no ALS is trained. Must outlive the call.
  const Model* model = nullptr;
  ProfileOptions profiles;
};

struct SegmentationResult {
  IdMap users;                 // the profiled users, in order
  int64_t reference_unix = 0;  // the profiles' "now"
  std::vector<UserProfile> profiles;
  // Per user; empty for visitors without any order or return.
  std::vector<std::optional<RfmScores>> rfm;
  int k = 0;
  std::vector<std::pair<int, double>> silhouettes;  // (k, silhouette) tried
  // K-Means' result, its assignment (and sizes) after the refinement; the
  // centroids are K-Means'.
  KMeansResult clusters;
  std::vector<int64_t> refine_moves;     // users moved in each round
  std::vector<std::string> descriptors;  // per cluster
  double seconds = 0;
};

// Reads `input` (events CSV and catalog) and segments every user.
absl::StatusOr<SegmentationResult> RunSegmentation(
    const TrainingInput& input, const SegmentationOptions& options,
    const ProgressFn& progress = {});

// Ground-truth groups from a CSV with columns user_id and `column` (as the
// generator's users.csv, column "taste_group"), for the adjusted Rand index.
absl::StatusOr<absl::flat_hash_map<std::string, int32_t>> ReadGroundTruth(
    const std::string& path, const std::string& column);

// The adjusted Rand index of the clusters against ground-truth groups, over
// the users that have one.
struct GroundTruthAgreement {
  double adjusted_rand_index = 0;
  int64_t users = 0;
};
GroundTruthAgreement AgreementWith(
    const SegmentationResult& result,
    const absl::flat_hash_map<std::string, int32_t>& truth);

// The report `tailor-trainer segments` prints: clusters with their sizes
// and descriptors, then the RFM segment counts.
std::string FormatSegmentation(const SegmentationResult& result, bool k_given);

}  // namespace tailor

#endif  // TAILOR_TRAINER_SEGMENTATION_H_

// Reads an experiment's results from the state store: the shoppers it
// exposed, each one's exposures and events, attributed and summarised by
// core/experiments (results.h).
#ifndef TAILOR_SERVER_EXPERIMENT_RESULTS_H_
#define TAILOR_SERVER_EXPERIMENT_RESULTS_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "core/experiments/attribution.h"
#include "core/experiments/experiment.h"
#include "core/experiments/results.h"
#include "core/serving/catalog_view.h"
#include "storage/state_store.h"
#include "tailor/v1/admin.pb.h"

namespace tailor {

struct ResultsReadOptions {
  int64_t window_seconds = kDefaultAttributionWindow;
  ComparisonOptions comparison;
  int64_t now_unix = 0;
};

// The results of `experiment` from `store`. Purchases without a price are
// valued at `catalog`'s price (null, or an item it does not list: 0).
// Errors are the store's.
absl::StatusOr<ExperimentResults> ReadExperimentResults(
    const Experiment& experiment, StateStore* store, const CatalogView* catalog,
    const ResultsReadOptions& options);

void FillResultsMessage(const ExperimentResults& results,
                        v1::ExperimentResults* out);

}  // namespace tailor

#endif  // TAILOR_SERVER_EXPERIMENT_RESULTS_H_

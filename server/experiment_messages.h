// Experiments between the Admin API's messages and core's definitions.
#ifndef TAILOR_SERVER_EXPERIMENT_MESSAGES_H_
#define TAILOR_SERVER_EXPERIMENT_MESSAGES_H_

#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "core/experiments/experiment.h"
#include "server/serving_state.h"
#include "tailor/v1/admin.pb.h"

namespace tailor {

// The definition a CreateExperiment request gives (the fields the server
// owns are ignored). INVALID_ARGUMENT naming the field for an enum value
// the API does not define or a negative share; PrepareExperiment checks
// the rest.
absl::StatusOr<Experiment> ExperimentOfMessage(const v1::Experiment& message);
void FillExperimentMessage(const Experiment& experiment, v1::Experiment* out);

// The strategies an arm may name while `state` serves (null: no model):
// "popularity", and the model's algorithm ("als" or "bpr").
absl::flat_hash_set<std::string> ServedStrategies(const ServingState* state);

}  // namespace tailor

#endif  // TAILOR_SERVER_EXPERIMENT_MESSAGES_H_

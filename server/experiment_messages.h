// Experiments between the Admin API's messages and core's definitions.
#ifndef TAILOR_SERVER_EXPERIMENT_MESSAGES_H_
#define TAILOR_SERVER_EXPERIMENT_MESSAGES_H_

#include "absl/status/statusor.h"
#include "core/experiments/experiment.h"
#include "tailor/v1/admin.pb.h"

namespace tailor {

// The definition a CreateExperiment request gives (the fields the server
// owns are ignored). INVALID_ARGUMENT naming the field for an enum value
// the API does not define; PrepareExperiment checks the rest.
absl::StatusOr<Experiment> ExperimentOfMessage(const v1::Experiment& message);
void FillExperimentMessage(const Experiment& experiment, v1::Experiment* out);

}  // namespace tailor

#endif  // TAILOR_SERVER_EXPERIMENT_MESSAGES_H_

// Experiment results for people: the CLI's table, and a self-contained
// HTML report (no scripts, no external files) with a plot of each arm's
// cumulative conversion and its 95% band.
#ifndef TAILOR_TOOLS_CLI_RESULTS_REPORT_H_
#define TAILOR_TOOLS_CLI_RESULTS_REPORT_H_

#include <string>

#include "absl/status/status.h"
#include "tailor/v1/admin.pb.h"

namespace tailor {

// The arms' metrics, each arm against the control (fixed horizon, always
// valid, CUPED) and the sample-ratio verdict, as plain text.
std::string FormatExperimentResults(const v1::ExperimentResults& results);

// The same as one HTML page with an inline SVG plot.
std::string ExperimentResultsHtml(const v1::ExperimentResults& results);

// Writes ExperimentResultsHtml to `path` (replacing it); UNAVAILABLE naming
// the path when it cannot be written.
absl::Status WriteExperimentReport(const v1::ExperimentResults& results,
                                   const std::string& path);

}  // namespace tailor

#endif  // TAILOR_TOOLS_CLI_RESULTS_REPORT_H_

// An exposure: one answer an experiment chose, as shown to the shopper.
#ifndef TAILOR_CORE_EXPERIMENTS_EXPOSURE_H_
#define TAILOR_CORE_EXPERIMENTS_EXPOSURE_H_

#include <cstdint>
#include <string>
#include <vector>

namespace tailor {

// What one RecommendFor answer showed whom, and why.
// Thread safety: a plain value.
struct Exposure {
  // The answer's id (RecommendResponse.recommendation_id), unique.
  std::string recommendation_id;
  std::string user_id;
  std::string experiment;  // "" when no experiment chose the strategy
  std::string arm;
  std::string strategy;
  int64_t timestamp = 0;  // Unix seconds, when answered
  // The chance the arm had of being chosen for this shopper when it was
  // (ArmProbability: its share of the experiment's traffic for a fixed
  // split, its weight in the allocation period for a bandit): inverse
  // propensity weights divide by it.
  double probability = 1.0;
  // The items shown, best first: position = index + 1.
  std::vector<std::string> items;

  bool operator==(const Exposure&) const = default;
};

}  // namespace tailor

#endif  // TAILOR_CORE_EXPERIMENTS_EXPOSURE_H_

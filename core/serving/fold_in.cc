#include "core/serving/fold_in.h"

#include "core/serving/implicit_solve.h"

namespace tailor {

void AddContributions(
    absl::Span<const std::pair<int32_t, EventContribution>> contributions,
    std::vector<ItemActivity>* activity) {
  for (const auto& [item, c] : contributions) {
    auto it = std::lower_bound(
        activity->begin(), activity->end(), item,
        [](const ItemActivity& a, int32_t i) { return a.item < i; });
    if (it == activity->end() || it->item != item) {
      it = activity->insert(it, ItemActivity{.item = item});
    }
    it->weight_sum += c.weight;
    it->net_purchases += c.purchases;
    it->flags |= c.type_flag;
  }
}

FoldIn::FoldIn(const RowMatrix* item_factors, const OnlineParams& params)
    : items_(item_factors), params_(params) {
  if (params_.fold_in) {
    gram_.noalias() = item_factors->transpose() * *item_factors;
  }
}

Vector FoldIn::Solve(absl::Span<const ItemActivity> activity) const {
  const int k = static_cast<int>(items_->cols());
  Vector x = Vector::Zero(k);
  if (!params_.fold_in) return x;
  std::vector<int32_t> cols;
  std::vector<float> weights;
  cols.reserve(activity.size());
  weights.reserve(activity.size());
  for (const ItemActivity& a : activity) {
    if (a.weight() <= 0 || a.item < 0 || a.item >= items_->rows()) continue;
    cols.push_back(a.item);
    weights.push_back(a.weight());
  }
  if (cols.empty()) return x;
  const int64_t n = static_cast<int64_t>(cols.size());
  RowSolveOptions options;
  options.solver = RowSolver::kCholesky;
  options.alpha = params_.alpha;
  options.regularization = ScaledRegularization(
      RowMass(weights.data(), n, items_->rows(), params_.alpha),
      params_.mean_row_mass, params_.regularization, params_.frequency_scaling);
  SolveImplicitRow(*items_, gram_, cols.data(), weights.data(), n, options, x);
  return x;
}

}  // namespace tailor

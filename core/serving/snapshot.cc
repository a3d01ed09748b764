#include "core/serving/snapshot.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "core/base/interactions.h"

namespace tailor {

absl::Status Model::Validate() const {
  if (user_factors.rows() != users.size()) {
    return absl::DataLossError(absl::StrCat("model: ", users.size(),
                                            " users but ", user_factors.rows(),
                                            " user factor rows"));
  }
  if (item_factors.rows() != items.size()) {
    return absl::DataLossError(absl::StrCat("model: ", items.size(),
                                            " items but ", item_factors.rows(),
                                            " item factor rows"));
  }
  if (user_factors.cols() != item_factors.cols()) {
    return absl::DataLossError(
        absl::StrCat("model: user factors have ", user_factors.cols(),
                     " columns, item factors ", item_factors.cols()));
  }
  if (popularity.size() != static_cast<size_t>(items.size())) {
    return absl::DataLossError(absl::StrCat("model: ", items.size(),
                                            " items but ", popularity.size(),
                                            " popularity values"));
  }
  if (!user_factors.allFinite() || !item_factors.allFinite()) {
    return absl::DataLossError("model: factors contain NaN or infinity");
  }
  if (!recent_popularity.empty() &&
      recent_popularity.size() != static_cast<size_t>(items.size())) {
    return absl::DataLossError(
        absl::StrCat("model: ", items.size(), " items but ",
                     recent_popularity.size(), " recent popularity values"));
  }
  if (ease != nullptr) {
    if (ease->rows() != items.size() || ease->cols() != items.size()) {
      return absl::DataLossError(
          absl::StrCat("model: ", items.size(), " items but EASE weights of ",
                       ease->rows(), " x ", ease->cols()));
    }
    if (!ease->allFinite()) {
      return absl::DataLossError("model: EASE weights contain NaN or infinity");
    }
  }
  return absl::OkStatus();
}

std::vector<int32_t> PopularityOrder(const std::vector<float>& popularity) {
  std::vector<int32_t> order(popularity.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
    return popularity[a] > popularity[b];
  });
  return order;
}

absl::Status Snapshot::Validate() const {
  if (absl::Status s = model.Validate(); !s.ok()) return s;
  if (!history.row_ptr.empty()) {
    if (history.row_ptr.size() != static_cast<size_t>(model.users.size()) + 1 ||
        history.row_ptr.front() != 0 ||
        history.row_ptr.back() != static_cast<int64_t>(history.item.size()) ||
        history.item.size() != history.flags.size() ||
        history.item.size() != history.weight_sum.size() ||
        history.item.size() != history.net_purchases.size()) {
      return absl::DataLossError("history: offsets do not match its entries");
    }
    for (size_t u = 0; u + 1 < history.row_ptr.size(); ++u) {
      if (history.row_ptr[u] > history.row_ptr[u + 1]) {
        return absl::DataLossError("history: offsets are not increasing");
      }
    }
    for (int32_t i : history.item) {
      if (i < 0 || i >= model.items.size()) {
        return absl::DataLossError(
            absl::StrCat("history: item index ", i, " out of range"));
      }
    }
  }
  for (float w : history.weight_sum) {
    if (!std::isfinite(w)) {
      return absl::DataLossError("history: a weight is not finite");
    }
  }
  if (online.fold_in &&
      !(online.alpha >= 0 && online.regularization >= 0 &&
        online.frequency_scaling >= 0 && online.mean_row_mass > 0 &&
        std::isfinite(online.alpha) && std::isfinite(online.regularization) &&
        std::isfinite(online.frequency_scaling) &&
        std::isfinite(online.mean_row_mass))) {
    return absl::DataLossError("online: fold-in parameters out of range");
  }
  for (float w : online.event_weights.weight) {
    if (!std::isfinite(w)) {
      return absl::DataLossError("online: an event weight is not finite");
    }
  }
  const int32_t n = model.items.size();
  for (const AssociationRule& r : rules.rules) {
    if (r.consequent < 0 || r.consequent >= n || r.antecedent.empty() ||
        !std::is_sorted(r.antecedent.begin(), r.antecedent.end()) ||
        r.antecedent.front() < 0 || r.antecedent.back() >= n ||
        !(r.lift >= 0) || !(r.confidence >= 0) || r.count < 0) {
      return absl::DataLossError(
          "rules: a rule has an item index out of range or bad figures");
    }
  }
  if (absl::Status s = segments.Validate(n); !s.ok()) return s;
  if (!ann.empty()) {
    if (absl::Status s = ann.Validate(n, model.factors()); !s.ok()) {
      return absl::DataLossError(absl::StrCat("ann: ", s.message()));
    }
  }
  if (attributes != nullptr && n > 0 &&
      attributes->factors() != model.factors()) {
    return absl::DataLossError(absl::StrCat(
        "attributes: the cold-start map has ", attributes->factors(),
        " factors, the model ", model.factors()));
  }
  return absl::OkStatus();
}

namespace {

// The ids of `ids` at `keep`, in order.
IdMap Kept(const IdMap& ids, const std::vector<int32_t>& keep) {
  std::vector<std::string> kept;
  kept.reserve(keep.size());
  for (int32_t i : keep) kept.push_back(ids.id(i));
  return IdMap(std::move(kept));
}

// The indexes of `ids` that `removed` says no to.
std::vector<int32_t> KeptIndexes(
    const IdMap& ids, const std::function<bool(absl::string_view)>& removed) {
  std::vector<int32_t> keep;
  keep.reserve(ids.size());
  for (int32_t i = 0; i < ids.size(); ++i) {
    if (!removed(ids.id(i))) keep.push_back(i);
  }
  return keep;
}

}  // namespace

RemovedUsers RemoveUsers(const std::function<bool(absl::string_view)>& removed,
                         Snapshot* snapshot) {
  RemovedUsers out;
  Model& model = snapshot->model;
  CustomerSegments& segments = snapshot->segments;
  const bool shared = segments.users.SharesWith(model.users);
  const std::vector<int32_t> keep_users = KeptIndexes(model.users, removed);
  const std::vector<int32_t> keep_customers =
      shared ? keep_users : KeptIndexes(segments.users, removed);
  const IdMap model_users = model.users;  // before it is replaced

  if (keep_users.size() < static_cast<size_t>(model.users.size())) {
    out.model_users =
        model.users.size() - static_cast<int64_t>(keep_users.size());
    RowMatrix factors(static_cast<Eigen::Index>(keep_users.size()),
                      model.user_factors.cols());
    for (size_t k = 0; k < keep_users.size(); ++k) {
      factors.row(static_cast<Eigen::Index>(k)) =
          model.user_factors.row(keep_users[k]);
    }
    model.user_factors = std::move(factors);
    model.users = Kept(model_users, keep_users);

    TrainingHistory& h = snapshot->history;
    if (!h.row_ptr.empty()) {
      TrainingHistory kept;
      kept.row_ptr.reserve(keep_users.size() + 1);
      kept.row_ptr.push_back(0);
      for (int32_t u : keep_users) {
        for (int64_t p = h.row_ptr[u]; p < h.row_ptr[u + 1]; ++p) {
          kept.item.push_back(h.item[p]);
          kept.flags.push_back(h.flags[p]);
          kept.weight_sum.push_back(h.weight_sum[p]);
          kept.net_purchases.push_back(h.net_purchases[p]);
        }
        kept.row_ptr.push_back(static_cast<int64_t>(kept.item.size()));
      }
      h = std::move(kept);
    }
  }

  if (keep_customers.size() < static_cast<size_t>(segments.users.size())) {
    out.customers =
        segments.users.size() - static_cast<int64_t>(keep_customers.size());
    std::vector<CustomerRecord> records;
    records.reserve(keep_customers.size());
    for (int32_t c : keep_customers) {
      records.push_back(std::move(segments.records[c]));
    }
    segments.records = std::move(records);
    segments.users =
        shared ? model.users : Kept(segments.users, keep_customers);
  }
  return out;
}

}  // namespace tailor

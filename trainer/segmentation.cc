#include "trainer/segmentation.h"

#include <chrono>
#include <fstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "core/base/interactions.h"
#include "core/base/status_macros.h"
#include "core/customers/live_profile.h"
#include "core/data/csv.h"
#include "core/eval/metrics.h"

namespace tailor {

absl::StatusOr<ProfilingResult> RunProfiling(
    const TrainingInput& input, const ProfileOptions& options,
    const std::function<void(const Event&)>& also, const ProgressFn& progress) {
  auto say = [&](const std::string& line) {
    if (progress) progress(line);
  };
  if (input.format == TrainingInput::Format::kMovieLens) {
    return absl::InvalidArgumentError(
        "profiles: need events and a catalog (--format=events or "
        "online-retail)");
  }
  if (!HasCatalog(input)) {
    return absl::InvalidArgumentError(
        "profiles: need a catalog for prices and attributes");
  }
  const auto start = std::chrono::steady_clock::now();
  ProfilingResult r;
  ReadReport catalog_report;
  TAILOR_ASSIGN_OR_RETURN(r.catalog, ReadInputCatalog(input, &catalog_report));
  say(catalog_report.Summary());
  r.builder = std::make_unique<ProfileBuilder>(r.catalog, options);
  ProfileBuilder& profiles = *r.builder;
  TAILOR_RETURN_IF_ERROR(ReadInputEvents(
      input, /*pipelined=*/true,
      [&](Event&& e) {
        profiles.Add(e);
        if (also) also(e);
      },
      [&](ReadReport report) {
        r.events += report.accepted;
        say(report.Summary());
        for (const std::string& e : report.errors) say(absl::StrCat("  ", e));
      }));
  r.profiles = profiles.Build();
  const int32_t n = profiles.users().size();
  if (n == 0) return absl::InvalidArgumentError("profiles: no users");
  say(absl::StrFormat(
      "%d profiles as of %s (%d later events ignored)", n,
      absl::FormatTime(absl::FromUnixSeconds(profiles.reference_unix()),
                       absl::UTCTimeZone()),
      profiles.late_events()));

  // RFM over the customers: users with an order or a return. Visitors who
  // never transacted have no RFM scores.
  std::vector<RfmValues> values;
  std::vector<int32_t> customers;
  for (int32_t u = 0; u < n; ++u) {
    const UserProfile& p = r.profiles[u];
    if (!HasRfm(p)) continue;
    customers.push_back(u);
    values.push_back(RfmValuesOf(p));
  }
  TAILOR_ASSIGN_OR_RETURN(std::vector<RfmScores> scores, ScoreRfm(values));
  r.rfm.assign(n, std::nullopt);
  for (size_t c = 0; c < customers.size(); ++c) {
    r.rfm[customers[c]] = scores[c];
  }
  r.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  return r;
}

std::string ProfilesCsvHeader() {
  return "user_id,recency_days,orders,net_spend,gross_spend,returned_value,"
         "tenure_days,average_order_value,return_rate,last_active_unix,events,"
         "rfm_r,rfm_f,rfm_m,rfm_segment,top_category,top_category_share,"
         "top_brand,top_brand_share,top_color,top_color_share,"
         "top_price_band,top_price_band_share";
}

std::string ProfileCsvRow(const std::string& user_id, const UserProfile& p,
                          const std::optional<RfmScores>& rfm) {
  auto top = [](const std::vector<Share>& shares) {
    return shares.empty()
               ? std::string(",")
               : absl::StrFormat("%s,%.3f", CsvEscape(shares[0].value),
                                 shares[0].share);
  };
  std::string out = absl::StrFormat(
      "%s,%s,%d,%.2f,%.2f,%.2f,%.1f,%.2f,%.3f,%d,%d,", CsvEscape(user_id),
      p.recency_days >= 0 ? absl::StrFormat("%.1f", p.recency_days) : "",
      p.orders, p.net(), p.gross, p.returned, p.tenure_days,
      p.average_order_value, p.return_rate, p.last_active_unix, p.events);
  if (rfm.has_value()) {
    absl::StrAppendFormat(&out, "%d,%d,%d,%s,", rfm->r, rfm->f, rfm->m,
                          CsvEscape(RfmSegmentName(rfm->segment)));
  } else {
    out += ",,,,";
  }
  absl::StrAppend(&out, top(p.categories), ",", top(p.brands), ",",
                  top(p.colors), ",", top(p.price_bands));
  return out;
}

absl::StatusOr<SegmentationResult> RunSegmentation(const TrainingInput& input,
                                                   const SegmentationOptions& o,
                                                   const ProgressFn& progress) {
  TAILOR_RETURN_IF_ERROR(ValidateKMeansOptions(o.kmeans));
  TAILOR_RETURN_IF_ERROR(ValidateAlsOptions(o.als));
  auto say = [&](const std::string& line) {
    if (progress) progress(line);
  };
  const auto start = std::chrono::steady_clock::now();
  InteractionBuilder interactions(input.weights);
  std::function<void(const Event&)> also;
  if (o.model == nullptr || o.refine.iterations > 0) {
    also = [&](const Event& e) {
      if (e.timestamp <= o.profiles.now_unix) interactions.Add(e);
    };
  }
  TAILOR_ASSIGN_OR_RETURN(ProfilingResult prof,
                          RunProfiling(input, o.profiles, also, progress));
  const ProfileBuilder& profiles = *prof.builder;
  SegmentationResult r;
  r.users = profiles.users();
  r.profiles = std::move(prof.profiles);
  r.rfm = std::move(prof.rfm);
  r.reference_unix = profiles.reference_unix();
  const int32_t n = r.users.size();

  // Embeddings: the given model's, or implicit ALS on the same events.
  const InteractionMatrix m = std::move(interactions).Build();
  AlsFactors trained;  // only when no model is given
  const IdMap* vector_users = &m.users;
  const RowMatrix* vectors = &trained.user_factors;
  if (o.model != nullptr) {
    vector_users = &o.model->users;
    vectors = &o.model->user_factors;
  } else {
    AlsOptions als = o.als;
    als.compute_loss = false;
    TAILOR_ASSIGN_OR_RETURN(trained, TrainImplicitAls(m, als));
  }
  RowMatrix embeddings = RowMatrix::Zero(n, vectors->cols());
  for (int32_t u = 0; u < n; ++u) {
    if (auto row = vector_users->Find(r.users.id(u))) {
      embeddings.row(u) = vectors->row(*row);
    }
  }
  std::vector<std::vector<float>> shares(n);
  for (int32_t u = 0; u < n; ++u) shares[u] = profiles.ShareFeatures(u);
  TAILOR_ASSIGN_OR_RETURN(
      RowMatrix x, SegmentFeatures(r.profiles, shares, embeddings, o.features));

  std::vector<int> ks = o.k > 0 ? std::vector<int>{o.k} : o.k_candidates;
  double best = -2;
  for (int k : ks) {
    if (k > n) continue;
    KMeansOptions km = o.kmeans;
    km.k = k;
    TAILOR_ASSIGN_OR_RETURN(KMeansResult c, FitKMeans(x, km));
    const double s =
        ks.size() > 1
            ? Silhouette(x, c.assignment, k, o.silhouette_sample, o.kmeans.seed)
            : 0.0;
    r.silhouettes.push_back({k, s});
    if (ks.size() > 1) {
      say(
          absl::StrFormat("  k=%d: silhouette %.4f, inertia %.1f, %d "
                          "iterations",
                          k, s, c.inertia, c.iterations));
    }
    if (s > best) {
      best = s;
      r.k = k;
      r.clusters = std::move(c);
    }
  }
  if (r.k == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("segments: every k exceeds the ", n, " users"));
  }
  if (o.refine.iterations > 0) {
    std::vector<int32_t> rows(n, -1);
    for (int32_t u = 0; u < n; ++u) {
      if (auto row = m.users.Find(r.users.id(u))) rows[u] = *row;
    }
    r.refine_moves =
        RefineClustersByItems(m, rows, r.k, o.refine, &r.clusters.assignment);
    r.clusters.sizes.assign(r.k, 0);
    for (int32_t c : r.clusters.assignment) ++r.clusters.sizes[c];
    say(absl::StrCat("refined by items: ", absl::StrJoin(r.refine_moves, ", "),
                     " users moved per round"));
  }
  r.descriptors = DescribeClusters(r.profiles, r.clusters.assignment, r.k);
  r.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  return r;
}

absl::StatusOr<absl::flat_hash_map<std::string, int32_t>> ReadGroundTruth(
    const std::string& path, const std::string& column) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("cannot open ground-truth file '", path, "'"));
  }
  CsvReader reader(&in);
  std::vector<std::string> row;
  TAILOR_ASSIGN_OR_RETURN(bool any, reader.Next(&row));
  if (!any) return absl::InvalidArgumentError(absl::StrCat(path, ": empty"));
  int user_col = -1, group_col = -1;
  for (size_t i = 0; i < row.size(); ++i) {
    if (row[i] == "user_id") user_col = static_cast<int>(i);
    if (row[i] == column) group_col = static_cast<int>(i);
  }
  if (user_col < 0 || group_col < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ":1: header needs 'user_id' and '", column, "' columns"));
  }
  absl::flat_hash_map<std::string, int32_t> out;
  for (;;) {
    TAILOR_ASSIGN_OR_RETURN(bool more, reader.Next(&row));
    if (!more) break;
    int32_t group = 0;
    if (static_cast<int>(row.size()) <= std::max(user_col, group_col) ||
        !absl::SimpleAtoi(row[group_col], &group)) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ":", reader.line(), ": ", column, ": not an integer"));
    }
    out[row[user_col]] = group;
  }
  return out;
}

GroundTruthAgreement AgreementWith(
    const SegmentationResult& r,
    const absl::flat_hash_map<std::string, int32_t>& truth) {
  std::vector<int32_t> found, planted;
  for (int32_t u = 0; u < r.users.size(); ++u) {
    auto it = truth.find(r.users.id(u));
    if (it == truth.end()) continue;
    found.push_back(r.clusters.assignment[u]);
    planted.push_back(it->second);
  }
  return {AdjustedRandIndex(found, planted),
          static_cast<int64_t>(found.size())};
}

std::string FormatSegmentation(const SegmentationResult& r, bool k_given) {
  std::string out = absl::StrFormat(
      "%d clusters (%s) over %d users in %.2f s\n%-8s %8s %7s  %s\n", r.k,
      k_given ? "given" : "chosen by silhouette", r.users.size(), r.seconds,
      "cluster", "users", "share", "descriptor");
  for (int c = 0; c < r.k; ++c) {
    absl::StrAppendFormat(
        &out, "%-8d %8d %6.1f%%  %s\n", c, r.clusters.sizes[c],
        100.0 * r.clusters.sizes[c] / r.users.size(), r.descriptors[c]);
  }
  absl::StrAppend(&out, "\n", FormatRfmCounts(r.rfm));
  return out;
}

std::string FormatRfmCounts(const std::vector<std::optional<RfmScores>>& rfm) {
  std::vector<int64_t> counts(kNumRfmSegments, 0);
  int64_t visitors = 0;
  for (const std::optional<RfmScores>& s : rfm) {
    if (s.has_value()) {
      ++counts[static_cast<int>(s->segment)];
    } else {
      ++visitors;
    }
  }
  std::string out = absl::StrFormat("%-20s %8s\n", "RFM segment", "users");
  for (int s = 0; s < kNumRfmSegments; ++s) {
    absl::StrAppendFormat(&out, "%-20s %8d\n",
                          RfmSegmentName(static_cast<RfmSegment>(s)),
                          counts[s]);
  }
  absl::StrAppendFormat(&out, "%-20s %8d\n", "(no order yet)", visitors);
  return out;
}

std::string FormatProfiling(const ProfilingResult& r) {
  return absl::StrFormat(
             "%d users profiled from %d events in %.2f s (%.2f M events/s), "
             "as of %s\n\n",
             r.profiles.size(), r.events, r.seconds,
             r.events / std::max(r.seconds, 1e-9) / 1e6,
             absl::FormatTime(
                 absl::FromUnixSeconds(r.builder->reference_unix()),
                 absl::UTCTimeZone())) +
         FormatRfmCounts(r.rfm);
}

absl::Status WriteProfilesCsv(const ProfilingResult& r,
                              const std::string& path) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << ProfilesCsvHeader() << "\n";
  const IdMap& users = r.builder->users();
  for (int32_t u = 0; u < users.size(); ++u) {
    out << ProfileCsvRow(users.id(u), r.profiles[u], r.rfm[u]) << "\n";
  }
  out.close();
  if (!out) {
    return absl::UnavailableError(absl::StrCat("cannot write '", path, "'"));
  }
  return absl::OkStatus();
}

}  // namespace tailor

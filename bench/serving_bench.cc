// The server-side cost of the segment calls, without gRPC: the handlers'
// logic (RecommenderService::Segment / Audience / Recommend, as the gRPC
// methods run it after parsing) over 1 M customers and a 3,000-item,
// 32-factor model, side by side with RecommendFor in the same process; a
// TargetAudience page against the naive scan of the full records; and
// building the SegmentIndex at snapshot load.
//
//   ./build/bin/serving_bench --benchmark_repetitions=3
//       --benchmark_report_aggregates_only=true
#include <algorithm>
#include <cmath>
#include <random>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "core/base/interactions.h"
#include "core/customers/segment_index.h"
#include "server/recommender_service.h"
#include "storage/memory_state_store.h"

namespace tailor {
namespace {

constexpr int kUsers = 1000000;
constexpr int kItems = 3000;
constexpr int kFactors = 32;
constexpr int kClusters = 8;

std::string UserId(int u) { return absl::StrCat("U", 1000000 + u); }

// Customers with realistic-sized records: three shares per preference,
// RFM for 60%, both scores.
CustomerSegments MakeSegments() {
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<float> uni(0, 1);
  CustomerSegments s;
  s.reference_unix = 1767225600;
  std::vector<std::string> ids;
  ids.reserve(kUsers);
  for (int u = 0; u < kUsers; ++u) ids.push_back(UserId(u));
  s.users = IdMap(std::move(ids));
  s.records.resize(kUsers);
  const char* categories[] = {"outerwear", "knitwear", "jeans", "tops"};
  for (int u = 0; u < kUsers; ++u) {
    CustomerRecord& r = s.records[u];
    r.profile.orders = u % 9;
    r.profile.gross = 40.0 * (u % 50);
    r.profile.events = 10 + u % 300;
    for (int k = 0; k < 3; ++k) {
      r.profile.categories.push_back({categories[(u + k) % 4], 0.5f / (k + 1)});
      r.profile.brands.push_back({"Halden", 0.3f});
      r.profile.colors.push_back({"camel", 0.2f});
      r.profile.sizes.push_back({"M", 1.0f});
      r.profile.price_bands.push_back({"premium", 0.4f});
    }
    if (u % 5 < 3) {
      r.rfm = RfmScores{1 + u % 5, 1 + u % 4, 1 + u % 3, 2,
                        static_cast<RfmSegment>(u % kNumRfmSegments)};
      r.churn_risk = uni(rng);
    }
    r.cluster = u % kClusters;
    r.purchase_propensity = uni(rng);
  }
  for (int c = 0; c < kClusters; ++c) {
    ClusterInfo info;
    info.descriptor = absl::StrCat("cluster ", c);
    for (int i = 0; i < 100; ++i)
      info.popular_items.push_back((c * 37 + i) % kItems);
    s.clusters.push_back(info);
  }
  return s;
}

struct Fixture {
  ServingStateHolder holder;
  MemoryStateStore store;
  EventWriter writer{&store};
  std::unique_ptr<RecommenderService> service;

  Fixture() {
    std::mt19937_64 rng(5);
    std::normal_distribution<float> normal(0, 0.3f);
    auto model = std::make_shared<Model>();
    std::vector<std::string> users, items;
    for (int u = 0; u < 20000; ++u) users.push_back(UserId(u));
    for (int i = 0; i < kItems; ++i) items.push_back(absl::StrCat("SKU", i));
    model->users = IdMap(users);
    model->items = IdMap(items);
    model->user_factors.resize(20000, kFactors);
    model->item_factors.resize(kItems, kFactors);
    for (Eigen::Index k = 0; k < model->user_factors.size(); ++k) {
      model->user_factors.data()[k] = normal(rng);
    }
    for (Eigen::Index k = 0; k < model->item_factors.size(); ++k) {
      model->item_factors.data()[k] = normal(rng);
    }
    model->popularity.resize(kItems);
    for (int i = 0; i < kItems; ++i) model->popularity[i] = kItems - i;
    auto state = std::make_shared<ServingState>();
    state->version = "00000001";
    state->recommender = *Recommender::Create(std::move(model));
    state->segments = std::make_unique<SegmentIndex>(MakeSegments());
    AttachDerived(state.get());
    holder.Set(std::move(state));
    // Twenty purchases each for the model's users, for exclude_seen.
    std::vector<std::string> ids;
    std::vector<UserHistory> histories;
    for (int u = 0; u < 20000; ++u) {
      UserHistory h;
      for (int k = 0; k < 20; ++k) {
        h.entries.push_back({absl::StrCat("SKU", (u * 7 + k * 131) % kItems),
                             kInteracted | kPurchased, 8.0f, 1});
      }
      std::sort(h.entries.begin(), h.entries.end(),
                [](const HistoryEntry& a, const HistoryEntry& b) {
                  return a.item_id < b.item_id;
                });
      ids.push_back(UserId(u));
      histories.push_back(std::move(h));
    }
    (void)store.PutHistories(ids, histories);
    service = std::make_unique<RecommenderService>(&holder, &store, &writer);
  }
};

Fixture& F() {
  static Fixture* f = new Fixture();
  return *f;
}

void BM_GetSegment(benchmark::State& state) {
  Fixture& f = F();
  std::mt19937_64 rng(7);
  v1::GetSegmentRequest req;
  for (auto _ : state) {
    req.set_user_id(UserId(static_cast<int>(rng() % kUsers)));
    v1::Segment resp;
    if (!f.service->Segment(req, &resp).ok()) state.SkipWithError("failed");
    benchmark::DoNotOptimize(resp);
  }
}
BENCHMARK(BM_GetSegment);

void BM_RecommendFor(benchmark::State& state) {
  Fixture& f = F();
  std::mt19937_64 rng(7);
  v1::RecommendRequest req;
  req.set_count(10);
  for (auto _ : state) {
    req.set_user_id(UserId(static_cast<int>(rng() % 20000)));
    v1::RecommendResponse resp;
    if (!f.service->Recommend(req, &resp).ok()) state.SkipWithError("failed");
    benchmark::DoNotOptimize(resp);
  }
}
BENCHMARK(BM_RecommendFor);

// One page of 1,000 "At Risk" customers of two clusters with churn risk
// >= 0.5, highest churn first (the filter keeps about 1.4% of 1 M users).
// The fold-in RecommendFor does for a shopper with new events: one
// least-squares solve over their 20 items (what the per-state cache saves
// on their next calls), beside the scoring it precedes.
void BM_FoldInSolve(benchmark::State& state) {
  Fixture& f = F();
  std::shared_ptr<const ServingState> s = f.holder.Get();
  OnlineParams params;
  params.fold_in = true;
  params.alpha = 0.5f;
  params.regularization = 100.0f;
  params.frequency_scaling = 1.0f;
  params.mean_row_mass = kItems + 40.0;
  const FoldIn fold_in(&s->recommender->model().item_factors, params);
  std::vector<ItemActivity> activity;
  for (int k = 0; k < 20; ++k) {
    activity.push_back({static_cast<int32_t>((k * 131) % kItems), 4.0f, 0});
  }
  std::sort(activity.begin(), activity.end(),
            [](const ItemActivity& a, const ItemActivity& b) {
              return a.item < b.item;
            });
  for (auto _ : state) {
    Vector x = fold_in.Solve(activity);
    benchmark::DoNotOptimize(x);
  }
}
BENCHMARK(BM_FoldInSolve);

void BM_TargetAudiencePage(benchmark::State& state) {
  Fixture& f = F();
  v1::TargetAudienceRequest req;
  req.add_rfm_segments("At Risk");
  req.add_cluster_ids(1);
  req.add_cluster_ids(4);
  req.set_min_churn_risk(0.5f);
  req.set_order_by(v1::AUDIENCE_ORDER_CHURN_RISK);
  req.set_page_size(1000);
  for (auto _ : state) {
    v1::TargetAudienceResponse resp;
    if (!f.service->Audience(req, &resp).ok()) state.SkipWithError("failed");
    benchmark::DoNotOptimize(resp);
  }
}
BENCHMARK(BM_TargetAudiencePage)->Unit(benchmark::kMillisecond);

// The same page the naive way, for comparison: walk the churn order
// checking each user's full record (visited at random, ~800 bytes each).
void BM_TargetAudiencePageNaive(benchmark::State& state) {
  Fixture& f = F();
  const SegmentIndex& index = *f.holder.Get()->segments;
  std::vector<int32_t> order(kUsers);
  for (int u = 0; u < kUsers; ++u) order[u] = u;
  std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
    const float ca = index.record(a).churn_risk,
                cb = index.record(b).churn_risk;
    return (std::isnan(ca) ? -1.0f : ca) > (std::isnan(cb) ? -1.0f : cb);
  });
  for (auto _ : state) {
    std::vector<int32_t> page;
    int64_t total = 0;
    for (int32_t u : order) {
      const CustomerRecord& r = index.record(u);
      if (!r.rfm.has_value() || r.rfm->segment != RfmSegment::kAtRisk ||
          (r.cluster != 1 && r.cluster != 4) || !(r.churn_risk >= 0.5f)) {
        continue;
      }
      ++total;
      if (page.size() < 1000) page.push_back(u);
    }
    benchmark::DoNotOptimize(page);
    benchmark::DoNotOptimize(total);
  }
}
BENCHMARK(BM_TargetAudiencePageNaive)->Unit(benchmark::kMillisecond);

void BM_BuildSegmentIndex(benchmark::State& state) {
  const CustomerSegments segments = MakeSegments();
  for (auto _ : state) {
    SegmentIndex index(segments);
    benchmark::DoNotOptimize(index);
  }
}
BENCHMARK(BM_BuildSegmentIndex)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace
}  // namespace tailor

BENCHMARK_MAIN();

#include "storage/snapshot_store.h"

#include <zlib.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/coding.h"
#include "tests/customer_records.h"
#include "tests/test_util.h"
#include "tests/tmpfs_volume.h"

namespace tailor {
namespace {

using ::testing::HasSubstr;
using testing::TempDir;

Snapshot MakeSnapshot(int users, int items, int factors, float seed) {
  Snapshot s;
  std::vector<std::string> user_ids, item_ids;
  for (int u = 0; u < users; ++u)
    user_ids.push_back("user-" + std::to_string(u));
  for (int i = 0; i < items; ++i)
    item_ids.push_back("SKU-\xC3\xA9-" + std::to_string(i));
  s.model.users = IdMap(user_ids);
  s.model.items = IdMap(item_ids);
  s.model.user_factors.resize(users, factors);
  s.model.item_factors.resize(items, factors);
  for (int k = 0; k < s.model.user_factors.size(); ++k) {
    s.model.user_factors.data()[k] = seed * k - 0.5f;
  }
  for (int k = 0; k < s.model.item_factors.size(); ++k) {
    s.model.item_factors.data()[k] = 1.0f / (k + seed);
  }
  for (int i = 0; i < items; ++i) s.model.popularity.push_back(i * seed);
  for (int i = 0; i < items; ++i) {
    s.model.recent_popularity.push_back((items - i) * seed);
  }
  {
    RowMatrix ease(items, items);
    for (int k = 0; k < ease.size(); ++k) ease.data()[k] = seed - 0.125f * k;
    s.model.ease = std::make_shared<const RowMatrix>(std::move(ease));
  }
  s.catalog.push_back({item_ids[0],
                       "Coat",
                       "outerwear",
                       "Halden",
                       "camel",
                       149.99,
                       {"S", "M"},
                       true});
  s.history.row_ptr.push_back(0);
  for (int u = 0; u < users; ++u) {
    s.history.item.push_back(u % items);
    s.history.flags.push_back(u % 2 ? 3 : 1);
    s.history.weight_sum.push_back(u % 2 ? 8.0f : -1.5f * u);
    s.history.net_purchases.push_back(u % 2 ? 1 : -u);
    s.history.row_ptr.push_back(static_cast<int64_t>(s.history.item.size()));
  }
  if (items >= 3) {
    s.rules.num_baskets = 40;
    s.rules.rules.push_back({{0, 1}, 2, 7, 0.5f, 3.25f});
    s.rules.rules.push_back({{1}, 0, 9, 0.75f, 1.5f});
  }
  std::vector<std::string> customers = user_ids;
  customers.push_back("visitor-without-embedding");
  s.segments = testing::MakeCustomerSegments(customers, 2,
                                             {{0, items - 1}, {items - 1}});
  s.created_unix = 1700000000;
  s.info = {{"algorithm", "implicit-als"},
            {"factors", std::to_string(factors)}};
  s.online.event_weights.weight[2] = 3.5f;
  s.online.fold_in = true;
  s.online.alpha = 0.75f;
  s.online.regularization = 12.5f;
  s.online.frequency_scaling = 0.5f;
  s.online.mean_row_mass = items + 3.25;
  s.online.event_log_seq = 123456789012ull;
  {
    // A cold-start map: two categories, one brand, two price bands.
    AttributeMapParts parts;
    parts.category = {{"outerwear", 1}, {"tops", 2}};
    parts.brand = {{"Halden", 3}};
    parts.band_edges = {std::log(50.0)};
    parts.num_bands = 2;
    parts.band_offset = 4;
    parts.cross_offset = 6;
    parts.weights.resize(10, factors);
    for (int k = 0; k < parts.weights.size(); ++k) {
      parts.weights.data()[k] = 0.25f * k - seed;
    }
    s.attributes = std::make_shared<const AttributeMap>(
        *AttributeMap::FromParts(std::move(parts)));
  }
  if (items >= 2) {
    // Two lists: the first half of the items and the rest, reversed.
    s.ann.centroids = s.model.item_factors.topRows(2);
    s.ann.list_begin = {0, items / 2, items};
    for (int i = items; i-- > 0;) s.ann.items.push_back(i);
    s.ann.probe = 1;
    s.ann.filtered_probe = 2;
  }
  return s;
}

void ExpectSame(const Snapshot& a, const Snapshot& b) {
  EXPECT_EQ(a.created_unix, b.created_unix);
  EXPECT_EQ(a.rules.num_baskets, b.rules.num_baskets);
  ASSERT_EQ(a.rules.rules.size(), b.rules.rules.size());
  for (size_t k = 0; k < a.rules.rules.size(); ++k) {
    EXPECT_EQ(a.rules.rules[k].antecedent, b.rules.rules[k].antecedent);
    EXPECT_EQ(a.rules.rules[k].consequent, b.rules.rules[k].consequent);
    EXPECT_EQ(a.rules.rules[k].count, b.rules.rules[k].count);
    EXPECT_EQ(a.rules.rules[k].confidence, b.rules.rules[k].confidence);
    EXPECT_EQ(a.rules.rules[k].lift, b.rules.rules[k].lift);
  }
  EXPECT_EQ(a.info, b.info);
  EXPECT_EQ(a.model.users, b.model.users);
  EXPECT_EQ(a.model.items, b.model.items);
  EXPECT_EQ(a.model.user_factors, b.model.user_factors);  // bit-exact
  EXPECT_EQ(a.model.item_factors, b.model.item_factors);
  EXPECT_EQ(a.model.popularity, b.model.popularity);
  EXPECT_EQ(a.model.recent_popularity, b.model.recent_popularity);
  ASSERT_EQ(a.model.ease == nullptr, b.model.ease == nullptr);
  if (a.model.ease != nullptr) {
    EXPECT_EQ(*a.model.ease, *b.model.ease);
  }
  EXPECT_EQ(a.catalog, b.catalog);
  EXPECT_EQ(a.history.row_ptr, b.history.row_ptr);
  EXPECT_EQ(a.history.item, b.history.item);
  EXPECT_EQ(a.history.flags, b.history.flags);
  EXPECT_EQ(a.history.weight_sum, b.history.weight_sum);
  EXPECT_EQ(a.history.net_purchases, b.history.net_purchases);
  EXPECT_EQ(a.online.event_weights.weight, b.online.event_weights.weight);
  EXPECT_EQ(a.online.fold_in, b.online.fold_in);
  EXPECT_EQ(a.online.alpha, b.online.alpha);
  EXPECT_EQ(a.online.regularization, b.online.regularization);
  EXPECT_EQ(a.online.frequency_scaling, b.online.frequency_scaling);
  EXPECT_EQ(a.online.mean_row_mass, b.online.mean_row_mass);
  EXPECT_EQ(a.online.event_log_seq, b.online.event_log_seq);
  EXPECT_EQ(a.online.consumed, b.online.consumed);
  EXPECT_EQ(a.online.popularity_fallback, b.online.popularity_fallback);
  testing::ExpectSameSegments(a.segments, b.segments);
  EXPECT_EQ(a.ann.centroids, b.ann.centroids);
  EXPECT_EQ(a.ann.list_begin, b.ann.list_begin);
  EXPECT_EQ(a.ann.items, b.ann.items);
  EXPECT_EQ(a.ann.probe, b.ann.probe);
  EXPECT_EQ(a.ann.filtered_probe, b.ann.filtered_probe);
  ASSERT_EQ(a.attributes == nullptr, b.attributes == nullptr);
  if (a.attributes != nullptr) {
    const AttributeMapParts& x = a.attributes->parts();
    const AttributeMapParts& y = b.attributes->parts();
    EXPECT_EQ(x.category, y.category);
    EXPECT_EQ(x.brand, y.brand);
    EXPECT_EQ(x.color, y.color);
    EXPECT_EQ(x.band_edges, y.band_edges);
    EXPECT_EQ(x.num_bands, y.num_bands);
    EXPECT_EQ(x.band_offset, y.band_offset);
    EXPECT_EQ(x.cross_offset, y.cross_offset);
    EXPECT_EQ(x.weights, y.weights);
    const Item probe{"X", "", "outerwear", "Halden", "", 80, {}, true};
    EXPECT_EQ(a.attributes->Embed(probe), b.attributes->Embed(probe));
  }
}

TEST(SnapshotStoreTest, RoundTripIsExact) {
  TempDir dir;
  SnapshotStore store(Env::Default(), dir.Join("snaps"));
  Snapshot s = MakeSnapshot(37, 11, 5, 0.37f);
  auto version = store.Publish(s);
  ASSERT_TRUE(version.ok()) << version.status();
  EXPECT_EQ(*version, "00000001");
  EXPECT_EQ(*store.CurrentVersion(), "00000001");
  auto loaded = store.LoadCurrent();
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->version, "00000001");
  ExpectSame(s, *loaded);
}

TEST(SnapshotStoreTest, SnapshotsWithoutAnIvfPartitionRoundTrip) {
  TempDir dir;
  SnapshotStore store(Env::Default(), dir.path());
  Snapshot s = MakeSnapshot(5, 4, 3, 0.5f);
  s.ann = IvfPartition();
  ASSERT_TRUE(store.Publish(s).ok());
  auto loaded = store.LoadCurrent();
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_TRUE(loaded->ann.empty());
  ExpectSame(s, *loaded);
}

// Rewrites a version's MANIFEST to claim on-disk format `format` (framing
// it again, checksum included).
// Rewrites the version's MANIFEST as format `format` wrote it: below 8,
// without the popularity-fallback mark (its last byte), below 6 without the
// consumption rule (the byte before).
void SetFormat(const std::string& vdir, uint32_t format) {
  const std::string path = vdir + "/MANIFEST";
  std::string data = *Env::Default()->ReadFile(path);
  constexpr size_t kHeader = 8 + 4 + 8;  // magic, CRC-32, length
  std::string payload = data.substr(kHeader);
  Decoder d(payload);
  uint32_t was = 0;
  ASSERT_TRUE(d.GetU32(&was));
  if (was >= 8 && format < 8) payload.pop_back();
  if (was >= 6 && format < 6) payload.pop_back();
  Encoder f;
  f.PutU32(format);
  payload.replace(0, 4, f.buffer());
  Encoder e;
  e.PutRaw(data.data(), 8);
  e.PutU32(static_cast<uint32_t>(crc32_z(
      0L, reinterpret_cast<const Bytef*>(payload.data()), payload.size())));
  e.PutU64(payload.size());
  e.PutRaw(payload.data(), payload.size());
  ASSERT_TRUE(Env::Default()->WriteFile(path, e.buffer()).ok());
}

// Snapshots of format 4 (before the ann file) still load, without an
// index, formats 4 and 5 with purchases as the consumption rule,
// formats 7 and older without the popularity-fallback mark, and formats 8
// and older without the strategies file's recent popularity and EASE
// weights; formats this build does not know are refused by name.
TEST(SnapshotStoreTest, OlderFormatsLoadAndNewerAreRefused) {
  TempDir dir;
  SnapshotStore store(Env::Default(), dir.path());
  Snapshot s = MakeSnapshot(5, 4, 3, 0.5f);
  s.online.consumed =
      TypeFlag(EventType::kPurchase) | TypeFlag(EventType::kAddToCart);
  s.online.popularity_fallback = true;
  ASSERT_TRUE(store.Publish(s).ok());
  auto current = store.LoadCurrent();
  ASSERT_TRUE(current.ok()) << current.status();
  EXPECT_EQ(current->online.consumed, s.online.consumed);
  EXPECT_TRUE(current->online.popularity_fallback);
  EXPECT_NE(current->attributes, nullptr);
  EXPECT_EQ(current->model.recent_popularity, s.model.recent_popularity);
  ASSERT_NE(current->model.ease, nullptr);
  EXPECT_EQ(*current->model.ease, *s.model.ease);
  const std::string vdir = dir.path() + "/00000001";
  // Format 8: no strategies file.
  SetFormat(vdir, 8);
  std::filesystem::remove(vdir + "/strategies");
  auto eight = store.LoadCurrent();
  ASSERT_TRUE(eight.ok()) << eight.status();
  EXPECT_TRUE(eight->model.recent_popularity.empty());
  EXPECT_EQ(eight->model.ease, nullptr);
  EXPECT_TRUE(eight->online.popularity_fallback);
  // Format 7: no popularity-fallback mark.
  SetFormat(vdir, 7);
  auto seven = store.LoadCurrent();
  ASSERT_TRUE(seven.ok()) << seven.status();
  EXPECT_FALSE(seven->online.popularity_fallback);
  EXPECT_EQ(seven->online.consumed, s.online.consumed);
  // Format 6: no cold-start map.
  SetFormat(vdir, 6);
  std::filesystem::remove(vdir + "/attributes");
  auto six = store.LoadCurrent();
  ASSERT_TRUE(six.ok()) << six.status();
  EXPECT_EQ(six->attributes, nullptr);
  EXPECT_EQ(six->online.consumed, s.online.consumed);
  SetFormat(vdir, 5);
  auto five = store.LoadCurrent();
  ASSERT_TRUE(five.ok()) << five.status();
  EXPECT_EQ(five->online.consumed, TypeFlag(EventType::kPurchase));
  EXPECT_FALSE(five->ann.empty());
  SetFormat(vdir, 4);
  std::filesystem::remove(vdir + "/ann");
  auto loaded = store.LoadCurrent();
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_TRUE(loaded->ann.empty());
  EXPECT_EQ(loaded->model.item_factors, s.model.item_factors);
  EXPECT_EQ(loaded->online.consumed, TypeFlag(EventType::kPurchase));
  SetFormat(vdir, 10);
  absl::Status st = store.LoadCurrent().status();
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(st.message(), HasSubstr("format 10"));
}

// The writer's experiments for the read replicas: absent until published,
// then exactly what was published; a damaged file is refused by name.
TEST(SnapshotStoreTest, ExperimentsRoundTripThroughTheDirectory) {
  TempDir dir;
  SnapshotStore store(Env::Default(), dir.path());
  auto none = store.ReadExperiments();
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_FALSE(none->has_value());
  Experiment a;
  a.name = "homepage";
  a.salt = "homepage-salt";
  a.arms = {{.name = "control",
             .strategy = "popularity",
             .share = 5000,
             .control = true,
             .boosts = {}},
            {.name = "ease", .strategy = "ease", .share = 5000, .boosts = {}}};
  a.created_unix = 1700000000;
  Experiment b = a;
  b.name = "checkout";
  b.salt = "checkout-salt";
  b.state = ExperimentState::kStopped;
  ASSERT_TRUE(store.PublishExperiments({a, b}).ok());
  auto read = store.ReadExperiments();
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_TRUE(read->has_value());
  ASSERT_EQ((*read)->size(), 2u);
  EXPECT_EQ((**read)[0].name, "homepage");
  EXPECT_EQ((**read)[0].arms[1].strategy, "ease");
  EXPECT_EQ((**read)[1].state, ExperimentState::kStopped);
  ASSERT_TRUE(store.PublishExperiments({}).ok());
  EXPECT_TRUE(store.ReadExperiments()->value().empty());
  ASSERT_TRUE(
      Env::Default()->WriteFile(dir.path() + "/EXPERIMENTS", "garbage").ok());
  absl::Status st = store.ReadExperiments().status();
  EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(st.message(), HasSubstr("EXPERIMENTS"));
}

TEST(SnapshotStoreTest, TheLiveCatalogRoundTripsThroughTheDirectory) {
  TempDir dir;
  SnapshotStore store(Env::Default(), dir.path());
  EXPECT_FALSE(store.ReadLiveCatalog()->has_value());
  Item a{"A",    "Coat",     "outerwear", "Halden", "camel",
         149.99, {"S", "M"}, true,        {2, 0}};
  const std::vector<LiveItem> entries = {{a, false, 3, 1700000000, 7},
                                         {a, true, 4, 1700000100, 9}};
  ASSERT_TRUE(store.PublishLiveCatalog(entries).ok());
  auto read = store.ReadLiveCatalog();
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_TRUE(read->has_value());
  EXPECT_EQ(**read, entries);
  ASSERT_TRUE(
      Env::Default()->WriteFile(dir.path() + "/LIVE_CATALOG", "garbage").ok());
  absl::Status st = store.ReadLiveCatalog().status();
  EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(st.message(), HasSubstr("LIVE_CATALOG"));
}

TEST(SnapshotStoreTest, AnIvfPartitionThatDoesNotFitIsNotPublished) {
  TempDir dir;
  SnapshotStore store(Env::Default(), dir.path());
  Snapshot s = MakeSnapshot(5, 4, 3, 0.5f);
  s.ann.items[0] = s.ann.items[1];  // an item twice
  absl::Status st = store.Publish(s).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(st.message(), HasSubstr("ann:"));
}

TEST(SnapshotStoreTest, VersionsIncreaseAndCurrentFollows) {
  TempDir dir;
  SnapshotStore store(Env::Default(), dir.path());
  EXPECT_EQ(store.CurrentVersion().status().code(),
            absl::StatusCode::kNotFound);
  ASSERT_TRUE(store.Publish(MakeSnapshot(3, 2, 2, 1)).ok());
  ASSERT_TRUE(store.Publish(MakeSnapshot(4, 2, 2, 2)).ok());
  EXPECT_EQ(*store.CurrentVersion(), "00000002");
  EXPECT_EQ(*store.ListVersions(),
            (std::vector<std::string>{"00000001", "00000002"}));
  EXPECT_EQ(store.Load("00000001")->model.users.size(), 3);
  EXPECT_EQ(store.LoadCurrent()->model.users.size(), 4);
  EXPECT_EQ(store.Load("00000009").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store.Load("../etc").status().code(),
            absl::StatusCode::kInvalidArgument);
}

class CorruptionTest : public ::testing::TestWithParam<std::string> {};

TEST_P(CorruptionTest, TruncatedFileIsRejected) {
  TempDir dir;
  SnapshotStore store(Env::Default(), dir.path());
  ASSERT_TRUE(store.Publish(MakeSnapshot(20, 10, 4, 0.5f)).ok());
  const std::string path = dir.Join("00000001/" + GetParam());
  const auto size = std::filesystem::file_size(path);
  std::filesystem::resize_file(path, size - 3);
  auto loaded = store.LoadCurrent();
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(loaded.status().message(), HasSubstr(GetParam()));
  EXPECT_THAT(loaded.status().message(), HasSubstr("truncated"));
}

TEST_P(CorruptionTest, FlippedByteIsRejected) {
  TempDir dir;
  SnapshotStore store(Env::Default(), dir.path());
  ASSERT_TRUE(store.Publish(MakeSnapshot(20, 10, 4, 0.5f)).ok());
  const std::string path = dir.Join("00000001/" + GetParam());
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(-2, std::ios::end);
  char c;
  f.seekg(-2, std::ios::end);
  f.get(c);
  f.seekp(-2, std::ios::end);
  f.put(static_cast<char>(c ^ 0x40));
  f.close();
  auto loaded = store.LoadCurrent();
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(loaded.status().message(), HasSubstr("checksum mismatch"));
}

TEST_P(CorruptionTest, MissingFileIsRejected) {
  TempDir dir;
  SnapshotStore store(Env::Default(), dir.path());
  ASSERT_TRUE(store.Publish(MakeSnapshot(20, 10, 4, 0.5f)).ok());
  std::filesystem::remove(dir.Join("00000001/" + GetParam()));
  auto loaded = store.LoadCurrent();
  EXPECT_FALSE(loaded.ok());
  EXPECT_THAT(loaded.status().message(), HasSubstr(GetParam()));
}

INSTANTIATE_TEST_SUITE_P(EveryFile, CorruptionTest,
                         ::testing::Values("MANIFEST", "users", "items",
                                           "user_factors", "item_factors",
                                           "popularity", "catalog", "history",
                                           "rules", "segments", "ann"));

TEST(SnapshotStoreTest, DuplicateIdsAreRejected) {
  TempDir dir;
  SnapshotStore store(Env::Default(), dir.path());
  Snapshot s = MakeSnapshot(3, 2, 2, 1);
  s.model.users = IdMap({"same", "other", "same"});
  ASSERT_TRUE(store.Publish(s).ok());
  auto loaded = store.LoadCurrent();
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(loaded.status().message(), HasSubstr("duplicate id 'same'"));
}

TEST(SnapshotStoreTest, BadSegmentsAreNotPublished) {
  TempDir dir;
  SnapshotStore store(Env::Default(), dir.path());
  Snapshot s = MakeSnapshot(4, 3, 2, 1);
  s.segments.records[1].cluster = 5;
  EXPECT_THAT(store.Publish(s).status().message(), HasSubstr("cluster 5"));
  s = MakeSnapshot(4, 3, 2, 1);
  s.segments.records[2].purchase_propensity = 1.5f;
  EXPECT_THAT(store.Publish(s).status().message(), HasSubstr("outside [0, 1]"));
  s = MakeSnapshot(4, 3, 2, 1);
  s.segments.clusters[0].popular_items.push_back(3);
  EXPECT_THAT(store.Publish(s).status().message(), HasSubstr("item index 3"));
  s = MakeSnapshot(4, 3, 2, 1);
  s.segments.records.pop_back();
  EXPECT_THAT(store.Publish(s).status().message(), HasSubstr("records for"));
}

TEST(SnapshotStoreTest, GarbageInCurrentIsRejected) {
  TempDir dir;
  SnapshotStore store(Env::Default(), dir.path());
  testing::WriteTextFile(dir.Join("CURRENT"), "../../etc/passwd\n");
  EXPECT_EQ(store.LoadCurrent().status().code(), absl::StatusCode::kDataLoss);
}

TEST(SnapshotStoreTest, InconsistentSnapshotIsNotPublished) {
  TempDir dir;
  SnapshotStore store(Env::Default(), dir.path());
  Snapshot s = MakeSnapshot(5, 4, 3, 1);
  s.model.popularity.pop_back();
  EXPECT_EQ(store.Publish(s).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(store.CurrentVersion().status().code(),
            absl::StatusCode::kNotFound);
}

TEST(SnapshotStoreTest, StrategyDataThatDoesNotFitIsNotPublished) {
  TempDir dir;
  SnapshotStore store(Env::Default(), dir.path());
  Snapshot s = MakeSnapshot(5, 4, 3, 1);
  s.model.recent_popularity.pop_back();
  absl::Status st = store.Publish(s).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(st.message(), HasSubstr("recent popularity"));
  s = MakeSnapshot(5, 4, 3, 1);
  s.model.ease = std::make_shared<const RowMatrix>(RowMatrix::Zero(4, 3));
  st = store.Publish(s).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(st.message(), HasSubstr("EASE weights of 4 x 3"));
  RowMatrix bad = RowMatrix::Zero(4, 4);
  bad(1, 2) = std::nanf("");
  s.model.ease = std::make_shared<const RowMatrix>(std::move(bad));
  st = store.Publish(s).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(st.message(), HasSubstr("EASE weights contain NaN"));
  EXPECT_EQ(store.CurrentVersion().status().code(),
            absl::StatusCode::kNotFound);
}

// Fails the Nth file write: a crash or full disk in the middle of a publish.
class FailingEnv : public EnvWrapper {
 public:
  FailingEnv(int fail_at) : EnvWrapper(Env::Default()), fail_at_(fail_at) {}
  absl::Status WriteFile(const std::string& path,
                         absl::string_view data) override {
    if (++writes_ == fail_at_) {
      return absl::ResourceExhaustedError("injected: disk full");
    }
    return EnvWrapper::WriteFile(path, data);
  }
  int writes() const { return writes_; }

 private:
  int fail_at_;
  int writes_ = 0;
};

TEST(SnapshotStoreTest, FailedPublishNeverExposesAHalfWrittenSnapshot) {
  Snapshot first = MakeSnapshot(6, 5, 3, 1);
  Snapshot second = MakeSnapshot(9, 5, 3, 2);
  // 13 data files + CURRENT: fail at each one in turn.
  for (int fail_at = 1; fail_at <= 14; ++fail_at) {
    TempDir dir;
    ASSERT_TRUE(SnapshotStore(Env::Default(), dir.path()).Publish(first).ok());
    FailingEnv env(fail_at);
    SnapshotStore store(&env, dir.path());
    auto v = store.Publish(second);
    EXPECT_EQ(v.status().code(), absl::StatusCode::kResourceExhausted)
        << "fail_at " << fail_at;
    SnapshotStore reader(Env::Default(), dir.path());
    EXPECT_EQ(*reader.CurrentVersion(), "00000001") << "fail_at " << fail_at;
    auto loaded = reader.LoadCurrent();
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    EXPECT_EQ(loaded->model.users.size(), 6);
    // A failure before the rename leaves no visible version 2; a failure
    // writing CURRENT leaves a complete but inactive version 2.
    auto versions = *reader.ListVersions();
    if (fail_at <= 13) {
      EXPECT_EQ(versions, (std::vector<std::string>{"00000001"}));
    } else {
      EXPECT_TRUE(reader.Load("00000002").ok());
    }
    // A later publish succeeds and takes over.
    ASSERT_TRUE(SnapshotStore(Env::Default(), dir.path()).Publish(second).ok());
    EXPECT_EQ(reader.LoadCurrent()->model.users.size(), 9);
  }
}

// A disk that fills up while the trainer publishes: nothing half-written
// becomes CURRENT, the partial copy is removed, and the error says so.
TEST(SnapshotStoreDiskTest, AFullDiskPublishesNothing) {
  auto volume = testing::TmpfsVolume::Mount(4 << 20);
  if (!volume.ok()) GTEST_SKIP() << volume.status().message();
  SnapshotStore store(Env::Default(), (*volume)->Join("snapshots"));
  ASSERT_TRUE(store.Publish(MakeSnapshot(20, 10, 4, 1.0f)).ok());
  // Bigger than what is left of the volume.
  const Snapshot big = MakeSnapshot(20000, 10000, 32, 2.0f);
  absl::StatusOr<std::string> published = store.Publish(big);
  ASSERT_FALSE(published.ok());
  EXPECT_THAT(published.status().message(),
              HasSubstr("No space left on device"));
  EXPECT_THAT(published.status().message(),
              HasSubstr("nothing was published (CURRENT still names "
                        "00000001)"));
  EXPECT_EQ(*store.CurrentVersion(), "00000001");
  EXPECT_EQ(*store.ListVersions(), std::vector<std::string>{"00000001"});
  EXPECT_FALSE(std::filesystem::exists((*volume)->Join("snapshots/00000002")));
  EXPECT_FALSE(
      std::filesystem::exists((*volume)->Join("snapshots/00000002.tmp")));
  EXPECT_TRUE(store.LoadCurrent().ok());
}

}  // namespace
}  // namespace tailor

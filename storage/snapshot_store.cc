#include "storage/snapshot_store.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "core/base/status_macros.h"
#include "storage/coding.h"
#include "storage/records.h"
#include "storage/snapshot_file.h"

namespace tailor {
namespace {

// Format 2 added the rules file, format 3 the segments file, format 4 the
// online parameters (MANIFEST) and the history's weights and purchases,
// format 5 the ann file (the IVF partition; empty when none was built),
// format 6 the consumption rule (MANIFEST) and a flag per event type in the
// history's flags, format 7 the attributes file (the cold-start map; empty
// when none was fitted), format 8 the popularity-fallback mark (MANIFEST),
// format 9 the strategies file (recent popularity and EASE weights; empty
// when not built).
// Format 4 snapshots still load, without an IVF
// partition; formats 4 and 5 with purchases as the consumption rule.
constexpr uint32_t kFormatVersion = 9;
constexpr uint32_t kOldestFormat = 4;
constexpr size_t kVersionDigits = 8;

constexpr const char* kManifest = "MANIFEST";
constexpr const char* kUsers = "users";
constexpr const char* kItems = "items";
constexpr const char* kUserFactors = "user_factors";
constexpr const char* kItemFactors = "item_factors";
constexpr const char* kPopularity = "popularity";
constexpr const char* kCatalog = "catalog";
constexpr const char* kHistory = "history";
constexpr const char* kRules = "rules";
constexpr const char* kSegments = "segments";
constexpr const char* kAnn = "ann";
constexpr const char* kAttributes = "attributes";
constexpr const char* kStrategies = "strategies";

absl::StatusOr<std::string> ReadFramed(Env* env, const std::string& path) {
  TAILOR_ASSIGN_OR_RETURN(std::string file, env->ReadFile(path));
  return UnframeSnapshotFile(file, path);
}

absl::Status Corrupt(const std::string& path, absl::string_view what) {
  return absl::DataLossError(
      absl::StrCat("snapshot file '", path, "': ", what));
}

std::string EncodeIds(const IdMap& ids) {
  Encoder e;
  e.PutU64(ids.size());
  for (const std::string& id : ids.ids()) e.PutString(id);
  return std::move(e.buffer());
}

absl::StatusOr<IdMap> DecodeIds(const std::string& path,
                                const std::string& payload) {
  Decoder d(payload);
  uint64_t n;
  if (!d.GetU64(&n) || !d.Has(n, 4)) return Corrupt(path, "bad id count");
  std::vector<std::string> ids(n);
  for (auto& id : ids) {
    if (!d.GetString(&id)) return Corrupt(path, "truncated id");
  }
  if (d.remaining() != 0) return Corrupt(path, "trailing bytes");
  IdMap map(std::move(ids));
  for (int32_t i = 0; i < map.size(); ++i) {
    if (map.Find(map.id(i)) != i) {
      return Corrupt(path, absl::StrCat("duplicate id '", map.id(i), "'"));
    }
  }
  return map;
}

std::string EncodeMatrix(const RowMatrix& m) {
  Encoder e;
  e.PutU64(m.rows());
  e.PutU32(static_cast<uint32_t>(m.cols()));
  e.PutRaw(m.data(), sizeof(float) * m.size());
  return std::move(e.buffer());
}

absl::StatusOr<RowMatrix> DecodeMatrix(const std::string& path,
                                       const std::string& payload) {
  Decoder d(payload);
  uint64_t rows;
  uint32_t cols;
  if (!d.GetU64(&rows) || !d.GetU32(&cols)) return Corrupt(path, "no shape");
  if (cols == 0 || rows > d.remaining() / sizeof(float) / cols ||
      rows * cols * sizeof(float) != d.remaining()) {
    return Corrupt(path, "shape does not match the data size");
  }
  RowMatrix m(rows, cols);
  d.GetRaw(m.data(), sizeof(float) * m.size());
  return m;
}

std::string EncodeCatalog(const std::vector<Item>& items) {
  Encoder e;
  e.PutU64(items.size());
  for (const Item& it : items) EncodeItem(it, &e);
  return std::move(e.buffer());
}

absl::StatusOr<std::vector<Item>> DecodeCatalog(const std::string& path,
                                                const std::string& payload) {
  Decoder d(payload);
  uint64_t n;
  if (!d.GetU64(&n) || !d.Has(n, 33)) return Corrupt(path, "bad item count");
  std::vector<Item> items(n);
  for (Item& it : items) {
    if (!DecodeItem(&d, &it)) return Corrupt(path, "truncated item");
  }
  if (d.remaining() != 0) return Corrupt(path, "trailing bytes");
  return items;
}

template <typename T>
void PutArray(Encoder* e, const std::vector<T>& v) {
  e->PutU64(v.size());
  e->PutRaw(v.data(), sizeof(T) * v.size());
}

template <typename T>
bool GetArray(Decoder* d, std::vector<T>* v) {
  uint64_t n;
  if (!d->GetU64(&n) || !d->Has(n, sizeof(T))) return false;
  v->resize(n);
  return d->GetRaw(v->data(), sizeof(T) * n);
}

void PutValues(const absl::flat_hash_map<std::string, int32_t>& values,
               Encoder* e) {
  std::vector<std::pair<std::string, int32_t>> sorted(values.begin(),
                                                      values.end());
  std::sort(sorted.begin(), sorted.end());
  e->PutU64(sorted.size());
  for (const auto& [value, feature] : sorted) {
    e->PutString(value);
    e->PutU32(static_cast<uint32_t>(feature));
  }
}

bool GetValues(Decoder* d, absl::flat_hash_map<std::string, int32_t>* out) {
  uint64_t n;
  if (!d->GetU64(&n) || !d->Has(n, 8)) return false;
  for (uint64_t k = 0; k < n; ++k) {
    std::string value;
    uint32_t feature;
    if (!d->GetString(&value) || !d->GetU32(&feature) || feature > (1u << 30)) {
      return false;
    }
    (*out)[value] = static_cast<int32_t>(feature);
  }
  return true;
}

// The cold-start map (a leading 0 when there is none).
std::string EncodeAttributeMap(const AttributeMap* map) {
  Encoder e;
  e.PutU32(map == nullptr ? 0 : 1);
  if (map != nullptr) {
    const AttributeMapParts& p = map->parts();
    PutValues(p.category, &e);
    PutValues(p.brand, &e);
    PutValues(p.color, &e);
    PutArray(&e, p.band_edges);
    e.PutU32(static_cast<uint32_t>(p.num_bands));
    e.PutU32(static_cast<uint32_t>(p.band_offset));
    e.PutU32(static_cast<uint32_t>(p.cross_offset));
    e.PutString(EncodeMatrix(p.weights));
  }
  return std::move(e.buffer());
}

absl::StatusOr<std::shared_ptr<const AttributeMap>> DecodeAttributeMap(
    const std::string& path, const std::string& payload) {
  Decoder d(payload);
  uint32_t present, num_bands, band_offset, cross_offset;
  AttributeMapParts p;
  std::string weights;
  if (!d.GetU32(&present) || present > 1 ||
      (present == 1 &&
       (!GetValues(&d, &p.category) || !GetValues(&d, &p.brand) ||
        !GetValues(&d, &p.color) || !GetArray(&d, &p.band_edges) ||
        !d.GetU32(&num_bands) || !d.GetU32(&band_offset) ||
        !d.GetU32(&cross_offset) || !d.GetString(&weights) ||
        num_bands > (1u << 20) || band_offset > (1u << 30) ||
        cross_offset > (1u << 30))) ||
      d.remaining() != 0) {
    return Corrupt(path, "bad cold-start map");
  }
  if (present == 0) return nullptr;
  p.num_bands = static_cast<int32_t>(num_bands);
  p.band_offset = static_cast<int32_t>(band_offset);
  p.cross_offset = static_cast<int32_t>(cross_offset);
  TAILOR_ASSIGN_OR_RETURN(p.weights, DecodeMatrix(path, weights));
  absl::StatusOr<AttributeMap> map = AttributeMap::FromParts(std::move(p));
  if (!map.ok()) return Corrupt(path, map.status().message());
  return std::make_shared<const AttributeMap>(std::move(*map));
}

void EncodeOnlineParams(const OnlineParams& p, Encoder* e) {
  for (float w : p.event_weights.weight) e->PutF32(w);
  e->PutU8(p.fold_in ? 1 : 0);
  e->PutF32(p.alpha);
  e->PutF32(p.regularization);
  e->PutF32(p.frequency_scaling);
  e->PutF64(p.mean_row_mass);
  e->PutU64(p.event_log_seq);
  e->PutU8(p.consumed);
  e->PutU8(p.popularity_fallback ? 1 : 0);
}

// `format`: the MANIFEST's (the consumption rule since 6, the
// popularity-fallback mark since 8).
bool DecodeOnlineParams(Decoder* d, uint32_t format, OnlineParams* p) {
  for (float& w : p->event_weights.weight) {
    if (!d->GetF32(&w)) return false;
  }
  uint8_t fold_in;
  if (!d->GetU8(&fold_in) || fold_in > 1 || !d->GetF32(&p->alpha) ||
      !d->GetF32(&p->regularization) || !d->GetF32(&p->frequency_scaling) ||
      !d->GetF64(&p->mean_row_mass) || !d->GetU64(&p->event_log_seq)) {
    return false;
  }
  p->fold_in = fold_in == 1;
  p->consumed = TypeFlag(EventType::kPurchase);
  if (format >= 6 && !d->GetU8(&p->consumed)) return false;
  uint8_t popularity_fallback = 0;
  if (format >= 8 &&
      (!d->GetU8(&popularity_fallback) || popularity_fallback > 1)) {
    return false;
  }
  p->popularity_fallback = popularity_fallback == 1;
  return true;
}

absl::Status CheckVersion(const std::string& version) {
  if (IsSnapshotVersion(version)) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("version: '", version, "' is not a snapshot version"));
}

// Replaces `dir`'s file `name` with `bytes`: NAME.tmp is written, then
// renamed over NAME; the directory is synced so that the switch survives a
// crash.
absl::Status ReplaceFile(Env* env, const std::string& dir,
                         absl::string_view name, absl::string_view bytes) {
  const std::string path = absl::StrCat(dir, "/", name);
  const std::string tmp = absl::StrCat(path, ".tmp");
  TAILOR_RETURN_IF_ERROR(env->WriteFile(tmp, bytes));
  TAILOR_RETURN_IF_ERROR(env->Rename(tmp, path));
  return env->SyncDir(dir);
}

absl::Status WriteCurrent(Env* env, const std::string& dir,
                          const std::string& version) {
  return ReplaceFile(env, dir, "CURRENT", version + "\n");
}

// Segments: reference time, user ids, one record per user, then per
// cluster its descriptor and popular items.
std::string EncodeSegments(const CustomerSegments& segments) {
  Encoder e;
  e.PutI64(segments.reference_unix);
  e.PutU64(segments.users.size());
  for (int32_t u = 0; u < segments.users.size(); ++u) {
    e.PutString(segments.users.id(u));
    EncodeCustomerRecord(segments.records[u], &e);
  }
  e.PutU64(segments.clusters.size());
  for (const ClusterInfo& c : segments.clusters) {
    e.PutString(c.descriptor);
    PutArray(&e, c.popular_items);
  }
  return std::move(e.buffer());
}

absl::StatusOr<CustomerSegments> DecodeSegments(const std::string& path,
                                                const std::string& payload) {
  Decoder d(payload);
  CustomerSegments s;
  uint64_t n;
  if (!d.GetI64(&s.reference_unix) || !d.GetU64(&n) || !d.Has(n, 100)) {
    return Corrupt(path, "bad user count");
  }
  std::vector<std::string> ids(n);
  s.records.resize(n);
  for (uint64_t u = 0; u < n; ++u) {
    if (!d.GetString(&ids[u]) || !DecodeCustomerRecord(&d, &s.records[u])) {
      return Corrupt(path, "truncated customer record");
    }
  }
  s.users = IdMap(std::move(ids));
  for (int32_t u = 0; u < s.users.size(); ++u) {
    if (s.users.Find(s.users.id(u)) != u) {
      return Corrupt(path,
                     absl::StrCat("duplicate user '", s.users.id(u), "'"));
    }
  }
  uint64_t k;
  if (!d.GetU64(&k) || !d.Has(k, 12)) return Corrupt(path, "bad cluster count");
  s.clusters.resize(k);
  for (ClusterInfo& c : s.clusters) {
    if (!d.GetString(&c.descriptor) || !GetArray(&d, &c.popular_items)) {
      return Corrupt(path, "truncated cluster");
    }
  }
  if (d.remaining() != 0) return Corrupt(path, "trailing bytes");
  return s;
}

}  // namespace

bool IsSnapshotVersion(absl::string_view name) {
  return name.size() == kVersionDigits &&
         std::all_of(name.begin(), name.end(), absl::ascii_isdigit);
}

SnapshotStore::SnapshotStore(Env* env, std::string dir)
    : env_(env), dir_(std::move(dir)) {}

absl::StatusOr<std::vector<std::string>> SnapshotStore::ListVersions() const {
  if (!env_->Exists(dir_)) return std::vector<std::string>{};
  TAILOR_ASSIGN_OR_RETURN(std::vector<std::string> names, env_->ListDir(dir_));
  std::vector<std::string> versions;
  for (auto& n : names) {
    if (IsSnapshotVersion(n)) versions.push_back(std::move(n));
  }
  std::sort(versions.begin(), versions.end());
  return versions;
}

absl::Status SnapshotStore::WriteVersion(const Snapshot& snapshot,
                                         const std::string& version,
                                         const std::string& tmp) const {
  TAILOR_RETURN_IF_ERROR(env_->RemoveAll(tmp));
  TAILOR_RETURN_IF_ERROR(env_->CreateDirs(tmp));
  auto write = [&](const char* name, const std::string& payload) {
    return env_->WriteFile(absl::StrCat(tmp, "/", name),
                           FrameSnapshotFile(payload));
  };
  {
    Encoder e;
    e.PutU32(kFormatVersion);
    e.PutString(version);
    e.PutI64(snapshot.created_unix);
    e.PutU64(snapshot.model.users.size());
    e.PutU64(snapshot.model.items.size());
    e.PutU32(static_cast<uint32_t>(snapshot.model.factors()));
    e.PutU64(snapshot.info.size());
    for (const auto& [k, v] : snapshot.info) {
      e.PutString(k);
      e.PutString(v);
    }
    EncodeOnlineParams(snapshot.online, &e);
    TAILOR_RETURN_IF_ERROR(write(kManifest, e.buffer()));
  }
  TAILOR_RETURN_IF_ERROR(write(kUsers, EncodeIds(snapshot.model.users)));
  TAILOR_RETURN_IF_ERROR(write(kItems, EncodeIds(snapshot.model.items)));
  TAILOR_RETURN_IF_ERROR(
      write(kUserFactors, EncodeMatrix(snapshot.model.user_factors)));
  TAILOR_RETURN_IF_ERROR(
      write(kItemFactors, EncodeMatrix(snapshot.model.item_factors)));
  {
    Encoder e;
    PutArray(&e, snapshot.model.popularity);
    TAILOR_RETURN_IF_ERROR(write(kPopularity, e.buffer()));
  }
  TAILOR_RETURN_IF_ERROR(write(kCatalog, EncodeCatalog(snapshot.catalog)));
  {
    Encoder e;
    PutArray(&e, snapshot.history.row_ptr);
    PutArray(&e, snapshot.history.item);
    PutArray(&e, snapshot.history.flags);
    PutArray(&e, snapshot.history.weight_sum);
    PutArray(&e, snapshot.history.net_purchases);
    TAILOR_RETURN_IF_ERROR(write(kHistory, e.buffer()));
  }
  {
    // Rules as parallel arrays: antecedent offsets and items, then one
    // entry per rule.
    const auto& rules = snapshot.rules.rules;
    std::vector<int64_t> ante_ptr = {0};
    std::vector<int32_t> ante, consequent;
    std::vector<int64_t> count;
    std::vector<float> confidence, lift;
    for (const AssociationRule& r : rules) {
      ante.insert(ante.end(), r.antecedent.begin(), r.antecedent.end());
      ante_ptr.push_back(static_cast<int64_t>(ante.size()));
      consequent.push_back(r.consequent);
      count.push_back(r.count);
      confidence.push_back(r.confidence);
      lift.push_back(r.lift);
    }
    Encoder e;
    e.PutI64(snapshot.rules.num_baskets);
    PutArray(&e, ante_ptr);
    PutArray(&e, ante);
    PutArray(&e, consequent);
    PutArray(&e, count);
    PutArray(&e, confidence);
    PutArray(&e, lift);
    TAILOR_RETURN_IF_ERROR(write(kRules, e.buffer()));
  }
  TAILOR_RETURN_IF_ERROR(write(kSegments, EncodeSegments(snapshot.segments)));
  {
    const IvfPartition& ann = snapshot.ann;
    Encoder e;
    e.PutU32(ann.empty() ? 0 : 1);
    if (!ann.empty()) {
      e.PutU32(static_cast<uint32_t>(ann.probe));
      e.PutU32(static_cast<uint32_t>(ann.filtered_probe));
      e.PutString(EncodeMatrix(ann.centroids));
      PutArray(&e, ann.list_begin);
      PutArray(&e, ann.items);
    }
    TAILOR_RETURN_IF_ERROR(write(kAnn, e.buffer()));
  }
  TAILOR_RETURN_IF_ERROR(
      write(kAttributes, EncodeAttributeMap(snapshot.attributes.get())));
  {
    // The recent popularity (empty: none), then whether EASE weights follow.
    Encoder e;
    PutArray(&e, snapshot.model.recent_popularity);
    e.PutU32(snapshot.model.ease != nullptr ? 1 : 0);
    if (snapshot.model.ease != nullptr) {
      e.PutString(EncodeMatrix(*snapshot.model.ease));
    }
    TAILOR_RETURN_IF_ERROR(write(kStrategies, e.buffer()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> SnapshotStore::Publish(const Snapshot& snapshot) {
  TAILOR_RETURN_IF_ERROR(snapshot.Validate());
  TAILOR_RETURN_IF_ERROR(env_->CreateDirs(dir_));
  TAILOR_ASSIGN_OR_RETURN(std::vector<std::string> versions, ListVersions());
  uint64_t next = 1;
  if (!versions.empty()) {
    uint64_t last;
    if (absl::SimpleAtoi(versions.back(), &last)) next = last + 1;
  }
  const std::string version = absl::StrFormat("%0*d", kVersionDigits, next);
  const std::string tmp = absl::StrCat(dir_, "/", version, ".tmp");
  const std::string final_dir = absl::StrCat(dir_, "/", version);

  absl::Status written = [&] {
    TAILOR_RETURN_IF_ERROR(WriteVersion(snapshot, version, tmp));
    TAILOR_RETURN_IF_ERROR(env_->SyncDir(tmp));
    TAILOR_RETURN_IF_ERROR(env_->Rename(tmp, final_dir));
    return env_->SyncDir(dir_);
  }();
  if (!written.ok()) {
    // A partial copy would only take space (a full disk is the likely
    // cause); CURRENT was not touched.
    (void)env_->RemoveAll(tmp);
    (void)env_->RemoveAll(final_dir);
    absl::StatusOr<std::string> current = CurrentVersion();
    return absl::Status(
        written.code(),
        absl::StrCat("publishing snapshot ", version, ": ", written.message(),
                     "; nothing was published (CURRENT still names ",
                     current.ok() ? *current : std::string("no version"), ")"));
  }

  TAILOR_RETURN_IF_ERROR(WriteCurrent(env_, dir_, version));
  return version;
}

absl::Status SnapshotStore::SetCurrent(const std::string& version) {
  TAILOR_RETURN_IF_ERROR(CheckVersion(version));
  if (!env_->Exists(absl::StrCat(dir_, "/", version))) {
    return absl::NotFoundError(absl::StrCat("snapshot version ", version,
                                            " not found in '", dir_, "'"));
  }
  return WriteCurrent(env_, dir_, version);
}

absl::Status SnapshotStore::Remove(const std::string& version) {
  TAILOR_RETURN_IF_ERROR(CheckVersion(version));
  return env_->RemoveAll(absl::StrCat(dir_, "/", version));
}

namespace {

constexpr absl::string_view kErasuresHeader = "tailor-erasures 1";

// `hex` as bytes, when it is 2 * kErasureDigestBytes hex digits.
std::optional<std::string> DigestOfHex(absl::string_view hex) {
  if (hex.size() != 2 * kErasureDigestBytes) return std::nullopt;
  for (char c : hex) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) {
      return std::nullopt;
    }
  }
  return absl::HexStringToBytes(hex);
}

}  // namespace

absl::Status SnapshotStore::PublishErasures(const ErasureList& list) {
  std::vector<std::string> digests(list.digests().begin(),
                                   list.digests().end());
  std::sort(digests.begin(), digests.end());
  std::string text = absl::StrCat(kErasuresHeader, "\n",
                                  absl::BytesToHexString(list.key()), "\n");
  for (const std::string& d : digests) {
    absl::StrAppend(&text, absl::BytesToHexString(d), "\n");
  }
  TAILOR_RETURN_IF_ERROR(env_->CreateDirs(dir_));
  return ReplaceFile(env_, dir_, "ERASURES", text);
}

absl::Status SnapshotStore::ReplaceFramed(absl::string_view name,
                                          absl::string_view payload) {
  TAILOR_RETURN_IF_ERROR(env_->CreateDirs(dir_));
  return ReplaceFile(env_, dir_, name, FrameSnapshotFile(payload));
}

absl::StatusOr<std::optional<std::string>> SnapshotStore::ReadFramedIfAny(
    absl::string_view name) const {
  const std::string path = absl::StrCat(dir_, "/", name);
  if (!env_->Exists(path)) return std::nullopt;
  TAILOR_ASSIGN_OR_RETURN(std::string payload, ReadFramed(env_, path));
  return payload;
}

namespace {

// A list of records as one payload: the count, then each record (as
// `encode` writes it) as a length-prefixed string.
template <typename T, typename Encode>
std::string EncodeRecords(const std::vector<T>& records, Encode encode) {
  Encoder e;
  e.PutU64(records.size());
  for (const T& record : records) {
    Encoder one;
    encode(record, &one);
    e.PutString(one.buffer());
  }
  return std::move(e.buffer());
}

// The records of an EncodeRecords payload read from `path`; DATA_LOSS
// naming it when the payload is damaged.
template <typename T, typename Decode>
absl::StatusOr<std::vector<T>> DecodeRecords(const std::string& payload,
                                             const std::string& path,
                                             Decode decode) {
  Decoder d(payload);
  uint64_t count;
  if (!d.GetU64(&count) || count > payload.size()) {
    return Corrupt(path, "bad count");
  }
  std::vector<T> out(count);
  for (T& record : out) {
    std::string one;
    if (!d.GetString(&one)) return Corrupt(path, "truncated");
    Decoder in(one);
    if (!decode(&in, &record)) return Corrupt(path, "a record does not decode");
  }
  if (d.remaining() != 0) return Corrupt(path, "trailing bytes");
  return out;
}

}  // namespace

absl::Status SnapshotStore::PublishExperiments(
    const std::vector<Experiment>& experiments) {
  return ReplaceFramed("EXPERIMENTS",
                       EncodeRecords(experiments, EncodeExperiment));
}

absl::StatusOr<std::optional<std::vector<Experiment>>>
SnapshotStore::ReadExperiments() const {
  TAILOR_ASSIGN_OR_RETURN(const std::optional<std::string> payload,
                          ReadFramedIfAny("EXPERIMENTS"));
  if (!payload.has_value()) return std::nullopt;
  return DecodeRecords<Experiment>(*payload, dir_ + "/EXPERIMENTS",
                                   DecodeExperiment);
}

absl::Status SnapshotStore::PublishLiveCatalog(
    const std::vector<LiveItem>& entries) {
  return ReplaceFramed("LIVE_CATALOG", EncodeRecords(entries, EncodeLiveItem));
}

absl::StatusOr<std::optional<std::vector<LiveItem>>>
SnapshotStore::ReadLiveCatalog() const {
  TAILOR_ASSIGN_OR_RETURN(const std::optional<std::string> payload,
                          ReadFramedIfAny("LIVE_CATALOG"));
  if (!payload.has_value()) return std::nullopt;
  return DecodeRecords<LiveItem>(*payload, dir_ + "/LIVE_CATALOG",
                                 DecodeLiveItem);
}

absl::StatusOr<ErasureList> SnapshotStore::ReadErasures() const {
  const std::string path = dir_ + "/ERASURES";
  if (!env_->Exists(path)) return ErasureList();
  TAILOR_ASSIGN_OR_RETURN(const std::string text, env_->ReadFile(path));
  std::vector<absl::string_view> lines =
      absl::StrSplit(text, '\n', absl::SkipEmpty());
  auto bad = [&](absl::string_view why) {
    return absl::DataLossError(
        absl::StrCat("'", path, "' is malformed: ", why));
  };
  if (lines.empty() || lines[0] != kErasuresHeader) {
    return bad(absl::StrCat("its first line is not '", kErasuresHeader, "'"));
  }
  if (lines.size() < 2) return bad("it has no key");
  std::optional<std::string> key = DigestOfHex(lines[1]);
  if (!key.has_value()) return bad("line 2 is not a key");
  absl::flat_hash_set<std::string> digests;
  for (size_t k = 2; k < lines.size(); ++k) {
    std::optional<std::string> d = DigestOfHex(lines[k]);
    if (!d.has_value())
      return bad(absl::StrCat("line ", k + 1, " is not a digest"));
    digests.insert(*std::move(d));
  }
  return ErasureList(*std::move(key), std::move(digests));
}

absl::StatusOr<std::string> SnapshotStore::CurrentVersion() const {
  const std::string path = dir_ + "/CURRENT";
  if (!env_->Exists(path)) {
    return absl::NotFoundError(absl::StrCat("no snapshot published in '", dir_,
                                            "' (no CURRENT file); run "
                                            "tailor-trainer first"));
  }
  TAILOR_ASSIGN_OR_RETURN(std::string content, env_->ReadFile(path));
  absl::string_view v = absl::StripTrailingAsciiWhitespace(content);
  if (!IsSnapshotVersion(v)) {
    return absl::DataLossError(absl::StrCat("'", path,
                                            "' does not name a "
                                            "snapshot version: '",
                                            v, "'"));
  }
  return std::string(v);
}

absl::StatusOr<Snapshot> SnapshotStore::LoadCurrent() const {
  TAILOR_ASSIGN_OR_RETURN(std::string version, CurrentVersion());
  return Load(version);
}

absl::StatusOr<SnapshotManifest> SnapshotStore::ReadManifest(
    const std::string& version) const {
  TAILOR_RETURN_IF_ERROR(CheckVersion(version));
  const std::string vdir = absl::StrCat(dir_, "/", version);
  if (!env_->Exists(vdir)) {
    return absl::NotFoundError(absl::StrCat("snapshot version ", version,
                                            " not found in '", dir_, "'"));
  }
  const std::string path = absl::StrCat(vdir, "/", kManifest);
  TAILOR_ASSIGN_OR_RETURN(std::string payload, ReadFramed(env_, path));
  Decoder d(payload);
  SnapshotManifest m;
  uint32_t format;
  uint64_t info_count;
  if (!d.GetU32(&format)) return Corrupt(path, "empty");
  if (format < kOldestFormat || format > kFormatVersion) {
    return absl::FailedPreconditionError(
        absl::StrCat("snapshot ", version, " has format ", format,
                     "; this build reads formats ", kOldestFormat, " to ",
                     kFormatVersion, " (retrain to publish a new snapshot)"));
  }
  m.format = format;
  if (!d.GetString(&m.version) || !d.GetI64(&m.created_unix) ||
      !d.GetU64(&m.users) || !d.GetU64(&m.items) || !d.GetU32(&m.factors) ||
      !d.GetU64(&info_count) || !d.Has(info_count, 8)) {
    return Corrupt(path, "truncated");
  }
  if (m.version != version) {
    return Corrupt(path, absl::StrCat("names version ", m.version));
  }
  m.info.resize(info_count);
  for (auto& [k, v] : m.info) {
    if (!d.GetString(&k) || !d.GetString(&v)) {
      return Corrupt(path, "truncated info");
    }
  }
  if (!DecodeOnlineParams(&d, format, &m.online) || d.remaining() != 0) {
    return Corrupt(path, "bad online parameters");
  }
  return m;
}

absl::StatusOr<Snapshot> SnapshotStore::Load(const std::string& version) const {
  TAILOR_ASSIGN_OR_RETURN(SnapshotManifest manifest, ReadManifest(version));
  const std::string vdir = absl::StrCat(dir_, "/", version);
  auto path = [&](const char* name) { return absl::StrCat(vdir, "/", name); };
  auto read = [&](const char* name) { return ReadFramed(env_, path(name)); };
  Snapshot s;
  s.version = manifest.version;
  s.created_unix = manifest.created_unix;
  s.info = std::move(manifest.info);
  s.online = manifest.online;
  const uint64_t num_users = manifest.users, num_items = manifest.items;
  const uint32_t factors = manifest.factors;
  {
    TAILOR_ASSIGN_OR_RETURN(std::string payload, read(kUsers));
    TAILOR_ASSIGN_OR_RETURN(s.model.users, DecodeIds(path(kUsers), payload));
  }
  {
    TAILOR_ASSIGN_OR_RETURN(std::string payload, read(kItems));
    TAILOR_ASSIGN_OR_RETURN(s.model.items, DecodeIds(path(kItems), payload));
  }
  {
    TAILOR_ASSIGN_OR_RETURN(std::string payload, read(kUserFactors));
    TAILOR_ASSIGN_OR_RETURN(s.model.user_factors,
                            DecodeMatrix(path(kUserFactors), payload));
  }
  {
    TAILOR_ASSIGN_OR_RETURN(std::string payload, read(kItemFactors));
    TAILOR_ASSIGN_OR_RETURN(s.model.item_factors,
                            DecodeMatrix(path(kItemFactors), payload));
  }
  {
    TAILOR_ASSIGN_OR_RETURN(std::string payload, read(kPopularity));
    Decoder d(payload);
    if (!GetArray(&d, &s.model.popularity) || d.remaining() != 0) {
      return Corrupt(path(kPopularity), "bad array");
    }
  }
  {
    TAILOR_ASSIGN_OR_RETURN(std::string payload, read(kCatalog));
    TAILOR_ASSIGN_OR_RETURN(s.catalog, DecodeCatalog(path(kCatalog), payload));
  }
  {
    TAILOR_ASSIGN_OR_RETURN(std::string payload, read(kHistory));
    Decoder d(payload);
    if (!GetArray(&d, &s.history.row_ptr) || !GetArray(&d, &s.history.item) ||
        !GetArray(&d, &s.history.flags) ||
        !GetArray(&d, &s.history.weight_sum) ||
        !GetArray(&d, &s.history.net_purchases) || d.remaining() != 0) {
      return Corrupt(path(kHistory), "bad arrays");
    }
  }
  {
    TAILOR_ASSIGN_OR_RETURN(std::string payload, read(kRules));
    Decoder d(payload);
    std::vector<int64_t> ante_ptr, count;
    std::vector<int32_t> ante, consequent;
    std::vector<float> confidence, lift;
    if (!d.GetI64(&s.rules.num_baskets) || !GetArray(&d, &ante_ptr) ||
        !GetArray(&d, &ante) || !GetArray(&d, &consequent) ||
        !GetArray(&d, &count) || !GetArray(&d, &confidence) ||
        !GetArray(&d, &lift) || d.remaining() != 0) {
      return Corrupt(path(kRules), "bad arrays");
    }
    const size_t n = consequent.size();
    if (ante_ptr.size() != n + 1 || count.size() != n ||
        confidence.size() != n || lift.size() != n || ante_ptr[0] != 0 ||
        ante_ptr[n] != static_cast<int64_t>(ante.size())) {
      return Corrupt(path(kRules), "array lengths disagree");
    }
    s.rules.rules.resize(n);
    for (size_t k = 0; k < n; ++k) {
      if (ante_ptr[k] > ante_ptr[k + 1]) {
        return Corrupt(path(kRules), "offsets are not increasing");
      }
      AssociationRule& r = s.rules.rules[k];
      r.antecedent.assign(ante.begin() + ante_ptr[k],
                          ante.begin() + ante_ptr[k + 1]);
      r.consequent = consequent[k];
      r.count = count[k];
      r.confidence = confidence[k];
      r.lift = lift[k];
    }
  }
  {
    TAILOR_ASSIGN_OR_RETURN(std::string payload, read(kSegments));
    TAILOR_ASSIGN_OR_RETURN(s.segments,
                            DecodeSegments(path(kSegments), payload));
  }
  if (manifest.format >= 5) {
    TAILOR_ASSIGN_OR_RETURN(std::string payload, read(kAnn));
    Decoder d(payload);
    uint32_t present, probe = 0, filtered_probe = 0;
    std::string centroids;
    if (!d.GetU32(&present) || present > 1 ||
        (present == 1 &&
         (!d.GetU32(&probe) || !d.GetU32(&filtered_probe) ||
          !d.GetString(&centroids) || !GetArray(&d, &s.ann.list_begin) ||
          !GetArray(&d, &s.ann.items) || probe > (1u << 30) ||
          filtered_probe > (1u << 30))) ||
        d.remaining() != 0) {
      return Corrupt(path(kAnn), "bad arrays");
    }
    if (present == 1) {
      s.ann.probe = static_cast<int>(probe);
      s.ann.filtered_probe = static_cast<int>(filtered_probe);
      TAILOR_ASSIGN_OR_RETURN(s.ann.centroids,
                              DecodeMatrix(path(kAnn), centroids));
    }
  }
  if (manifest.format >= 7) {
    TAILOR_ASSIGN_OR_RETURN(std::string payload, read(kAttributes));
    TAILOR_ASSIGN_OR_RETURN(s.attributes,
                            DecodeAttributeMap(path(kAttributes), payload));
  }
  if (manifest.format >= 9) {
    TAILOR_ASSIGN_OR_RETURN(std::string payload, read(kStrategies));
    Decoder d(payload);
    uint32_t has_ease;
    std::string ease;
    if (!GetArray(&d, &s.model.recent_popularity) || !d.GetU32(&has_ease) ||
        has_ease > 1 || (has_ease == 1 && !d.GetString(&ease)) ||
        d.remaining() != 0) {
      return Corrupt(path(kStrategies), "bad arrays");
    }
    if (has_ease == 1) {
      TAILOR_ASSIGN_OR_RETURN(RowMatrix weights,
                              DecodeMatrix(path(kStrategies), ease));
      s.model.ease = std::make_shared<const RowMatrix>(std::move(weights));
    }
  }
  if (static_cast<uint64_t>(s.model.users.size()) != num_users ||
      static_cast<uint64_t>(s.model.items.size()) != num_items ||
      (num_items > 0 && s.model.item_factors.cols() != factors)) {
    return absl::DataLossError(absl::StrCat(
        "snapshot ", version, ": MANIFEST counts (", num_users, " users, ",
        num_items, " items, ", factors, " factors) do not match its files"));
  }
  if (absl::Status st = s.Validate(); !st.ok()) {
    return absl::DataLossError(
        absl::StrCat("snapshot ", version, ": ", st.message()));
  }
  return s;
}

}  // namespace tailor

#include "storage/records.h"

namespace tailor {

void EncodeItem(const Item& it, Encoder* e) {
  e->PutString(it.item_id);
  e->PutString(it.title);
  e->PutString(it.category);
  e->PutString(it.brand);
  e->PutString(it.color);
  e->PutF64(it.price);
  e->PutU32(static_cast<uint32_t>(it.sizes.size()));
  for (const auto& s : it.sizes) e->PutString(s);
  e->PutU8(it.in_stock ? 1 : 0);
}

bool DecodeItem(Decoder* d, Item* it) {
  uint32_t sizes;
  uint8_t in_stock;
  if (!d->GetString(&it->item_id) || !d->GetString(&it->title) ||
      !d->GetString(&it->category) || !d->GetString(&it->brand) ||
      !d->GetString(&it->color) || !d->GetF64(&it->price) ||
      !d->GetU32(&sizes) || !d->Has(sizes, 4)) {
    return false;
  }
  it->sizes.resize(sizes);
  for (auto& s : it->sizes) {
    if (!d->GetString(&s)) return false;
  }
  if (!d->GetU8(&in_stock)) return false;
  it->in_stock = in_stock != 0;
  return true;
}

void EncodeLiveItem(const LiveItem& entry, Encoder* e) {
  EncodeItem(entry.item, e);
  e->PutU32(static_cast<uint32_t>(entry.item.size_stock.size()));
  for (int32_t units : entry.item.size_stock) {
    e->PutU32(static_cast<uint32_t>(units));
  }
  e->PutU8(entry.retired ? 1 : 0);
  e->PutU64(entry.version);
  e->PutI64(entry.updated_unix);
  e->PutU64(entry.seq);
}

bool DecodeLiveItem(Decoder* d, LiveItem* entry) {
  uint32_t stocked;
  uint8_t retired;
  if (!DecodeItem(d, &entry->item) || !d->GetU32(&stocked) ||
      !d->Has(stocked, 4) ||
      (stocked != 0 && stocked != entry->item.sizes.size())) {
    return false;
  }
  entry->item.size_stock.resize(stocked);
  for (int32_t& units : entry->item.size_stock) {
    uint32_t u;
    if (!d->GetU32(&u)) return false;
    units = static_cast<int32_t>(u);
  }
  if (!d->GetU8(&retired) || retired > 1 || !d->GetU64(&entry->version) ||
      !d->GetI64(&entry->updated_unix) || !d->GetU64(&entry->seq) ||
      d->remaining() != 0) {
    return false;
  }
  entry->retired = retired == 1;
  return true;
}

void EncodeHistory(const UserHistory& history, Encoder* e) {
  e->PutU64(history.through_seq);
  e->PutU32(static_cast<uint32_t>(history.entries.size()));
  for (const auto& h : history.entries) {
    e->PutString(h.item_id);
    e->PutU8(h.flags);
    e->PutF32(h.weight_sum);
    e->PutU32(static_cast<uint32_t>(h.net_purchases));
  }
}

bool DecodeHistory(Decoder* d, UserHistory* history) {
  uint32_t n;
  if (!d->GetU64(&history->through_seq) || !d->GetU32(&n) || !d->Has(n, 13)) {
    return false;
  }
  history->entries.resize(n);
  for (auto& h : history->entries) {
    uint32_t net;
    if (!d->GetString(&h.item_id) || !d->GetU8(&h.flags) ||
        !d->GetF32(&h.weight_sum) || !d->GetU32(&net)) {
      return false;
    }
    h.net_purchases = static_cast<int32_t>(net);
  }
  return true;
}

void EncodeLoggedEvent(const LoggedEvent& e, Encoder* enc) {
  enc->PutString(e.event_id);
  enc->PutString(e.event.user_id);
  enc->PutString(e.event.item_id);
  enc->PutU8(static_cast<uint8_t>(e.event.type));
  enc->PutI64(e.event.timestamp);
  enc->PutF64(e.event.value);
  enc->PutU64(e.seq);
  enc->PutF64(e.event.price);
  enc->PutString(e.recommendation_id);
}

bool DecodeLoggedEvent(Decoder* d, LoggedEvent* e) {
  uint8_t type;
  if (!d->GetString(&e->event_id) || !d->GetString(&e->event.user_id) ||
      !d->GetString(&e->event.item_id) || !d->GetU8(&type) ||
      type >= kNumEventTypes || !d->GetI64(&e->event.timestamp) ||
      !d->GetF64(&e->event.value) || !d->GetU64(&e->seq)) {
    return false;
  }
  // Events logged before prices were recorded end here.
  e->event.price = -1.0;
  e->recommendation_id.clear();
  if (d->remaining() >= sizeof(double) && !d->GetF64(&e->event.price)) {
    return false;
  }
  // And before they carried a recommendation id.
  if (d->remaining() > 0 && !d->GetString(&e->recommendation_id)) {
    return false;
  }
  e->event.type = static_cast<EventType>(type);
  return true;
}

namespace {

void PutShares(const std::vector<Share>& shares, Encoder* e) {
  e->PutU32(static_cast<uint32_t>(shares.size()));
  for (const Share& s : shares) {
    e->PutString(s.value);
    e->PutRaw(&s.share, sizeof(s.share));
  }
}

bool GetShares(Decoder* d, std::vector<Share>* shares) {
  uint32_t n;
  if (!d->GetU32(&n) || !d->Has(n, 8)) return false;
  shares->resize(n);
  for (Share& s : *shares) {
    if (!d->GetString(&s.value) || !d->GetRaw(&s.share, sizeof(s.share))) {
      return false;
    }
  }
  return true;
}

}  // namespace

void EncodeCustomerRecord(const CustomerRecord& r, Encoder* e) {
  const UserProfile& p = r.profile;
  e->PutF64(p.recency_days);
  e->PutI64(p.orders);
  e->PutF64(p.gross);
  e->PutF64(p.returned);
  e->PutF64(p.tenure_days);
  e->PutF64(p.average_order_value);
  e->PutF64(p.return_rate);
  e->PutI64(p.last_active_unix);
  e->PutF64(p.days_since_active);
  e->PutI64(p.events);
  for (const auto* shares :
       {&p.categories, &p.brands, &p.colors, &p.sizes, &p.price_bands}) {
    PutShares(*shares, e);
  }
  e->PutU8(r.rfm.has_value() ? 1 : 0);
  if (r.rfm.has_value()) {
    for (int v : {r.rfm->r, r.rfm->f, r.rfm->m, r.rfm->fm,
                  static_cast<int>(r.rfm->segment)}) {
      e->PutU8(static_cast<uint8_t>(v));
    }
  }
  e->PutU32(static_cast<uint32_t>(r.cluster));
  e->PutRaw(&r.purchase_propensity, sizeof(float));
  e->PutRaw(&r.churn_risk, sizeof(float));
}

bool DecodeCustomerRecord(Decoder* d, CustomerRecord* r) {
  UserProfile& p = r->profile;
  if (!d->GetF64(&p.recency_days) || !d->GetI64(&p.orders) ||
      !d->GetF64(&p.gross) || !d->GetF64(&p.returned) ||
      !d->GetF64(&p.tenure_days) || !d->GetF64(&p.average_order_value) ||
      !d->GetF64(&p.return_rate) || !d->GetI64(&p.last_active_unix) ||
      !d->GetF64(&p.days_since_active) || !d->GetI64(&p.events)) {
    return false;
  }
  for (auto* shares :
       {&p.categories, &p.brands, &p.colors, &p.sizes, &p.price_bands}) {
    if (!GetShares(d, shares)) return false;
  }
  uint8_t has_rfm;
  if (!d->GetU8(&has_rfm)) return false;
  r->rfm.reset();
  if (has_rfm != 0) {
    uint8_t v[5];
    for (uint8_t& x : v) {
      if (!d->GetU8(&x)) return false;
    }
    if (v[4] >= kNumRfmSegments) return false;
    r->rfm = RfmScores{.r = v[0],
                       .f = v[1],
                       .m = v[2],
                       .fm = v[3],
                       .segment = static_cast<RfmSegment>(v[4])};
  }
  uint32_t cluster;
  if (!d->GetU32(&cluster)) return false;
  r->cluster = static_cast<int32_t>(cluster);
  return d->GetRaw(&r->purchase_propensity, sizeof(float)) &&
         d->GetRaw(&r->churn_risk, sizeof(float));
}

namespace {
// 1: without allocation; 2: the allocation, bandit settings and periods.
constexpr uint8_t kExperimentFormat = 2;
constexpr uint8_t kExposureFormat = 1;
}  // namespace

void EncodeExperiment(const Experiment& x, Encoder* e) {
  e->PutU8(kExperimentFormat);
  e->PutString(x.name);
  e->PutString(x.salt);
  e->PutString(x.layer);
  e->PutU32(static_cast<uint32_t>(x.arms.size()));
  for (const ExperimentArm& arm : x.arms) {
    e->PutString(arm.name);
    e->PutString(arm.strategy);
    e->PutU32(static_cast<uint32_t>(arm.share));
    e->PutU8(arm.control ? 1 : 0);
  }
  // Format 2: each arm's settings, after the arms.
  for (const ExperimentArm& arm : x.arms) {
    e->PutF32(arm.diversity);
    e->PutU32(static_cast<uint32_t>(arm.boosts.size()));
    for (const auto& [item, boost] : arm.boosts) {
      e->PutString(item);
      e->PutF32(boost);
    }
  }
  e->PutU8(static_cast<uint8_t>(x.eligibility));
  e->PutString(x.segment);
  e->PutI64(x.start_unix);
  e->PutI64(x.end_unix);
  e->PutU8(static_cast<uint8_t>(x.state));
  e->PutI64(x.created_unix);
  e->PutI64(x.stopped_unix);
  e->PutU32(static_cast<uint32_t>(x.layer_begin));
  e->PutU32(static_cast<uint32_t>(x.layer_end));
  e->PutU8(static_cast<uint8_t>(x.allocation));
  e->PutU8(static_cast<uint8_t>(x.bandit.metric));
  e->PutI64(x.bandit.interval_seconds);
  e->PutU32(static_cast<uint32_t>(x.bandit.min_share));
  e->PutU32(static_cast<uint32_t>(x.periods.size()));
  for (const AllocationPeriod& p : x.periods) {
    e->PutI64(p.start_unix);
    e->PutU32(static_cast<uint32_t>(p.weights.size()));
    for (int32_t w : p.weights) e->PutU32(static_cast<uint32_t>(w));
  }
}

bool DecodeExperiment(Decoder* d, Experiment* x) {
  uint8_t format, eligibility, state;
  uint32_t arms, begin, end;
  if (!d->GetU8(&format) || format < 1 || format > kExperimentFormat ||
      !d->GetString(&x->name) || !d->GetString(&x->salt) ||
      !d->GetString(&x->layer) || !d->GetU32(&arms) || !d->Has(arms, 13)) {
    return false;
  }
  x->arms.resize(arms);
  for (ExperimentArm& arm : x->arms) {
    uint32_t share;
    uint8_t control;
    if (!d->GetString(&arm.name) || !d->GetString(&arm.strategy) ||
        !d->GetU32(&share) || !d->GetU8(&control) || control > 1) {
      return false;
    }
    arm.share = static_cast<int32_t>(share);
    arm.control = control == 1;
    arm.diversity = -1;
    arm.boosts.clear();
  }
  if (format >= 2) {
    for (ExperimentArm& arm : x->arms) {
      uint32_t boosts;
      if (!d->GetF32(&arm.diversity) || !d->GetU32(&boosts) ||
          !d->Has(boosts, 8)) {
        return false;
      }
      arm.boosts.resize(boosts);
      for (auto& [item, boost] : arm.boosts) {
        if (!d->GetString(&item) || !d->GetF32(&boost)) return false;
      }
    }
  }
  if (!d->GetU8(&eligibility) ||
      eligibility > static_cast<uint8_t>(Eligibility::kNewVisitors) ||
      !d->GetString(&x->segment) || !d->GetI64(&x->start_unix) ||
      !d->GetI64(&x->end_unix) || !d->GetU8(&state) ||
      state > static_cast<uint8_t>(ExperimentState::kArchived) ||
      !d->GetI64(&x->created_unix) || !d->GetI64(&x->stopped_unix) ||
      !d->GetU32(&begin) || !d->GetU32(&end)) {
    return false;
  }
  x->eligibility = static_cast<Eligibility>(eligibility);
  x->state = static_cast<ExperimentState>(state);
  x->layer_begin = static_cast<int32_t>(begin);
  x->layer_end = static_cast<int32_t>(end);
  x->allocation = Allocation::kFixed;
  x->bandit = BanditSettings();
  x->periods.clear();
  if (format == 1) return d->remaining() == 0;
  uint8_t allocation, metric;
  uint32_t min_share, periods;
  if (!d->GetU8(&allocation) ||
      allocation > static_cast<uint8_t>(Allocation::kThompson) ||
      !d->GetU8(&metric) ||
      metric > static_cast<uint8_t>(BanditMetric::kRevenue) ||
      !d->GetI64(&x->bandit.interval_seconds) || !d->GetU32(&min_share) ||
      !d->GetU32(&periods) || !d->Has(periods, 12)) {
    return false;
  }
  x->allocation = static_cast<Allocation>(allocation);
  x->bandit.metric = static_cast<BanditMetric>(metric);
  x->bandit.min_share = static_cast<int32_t>(min_share);
  x->periods.resize(periods);
  for (AllocationPeriod& p : x->periods) {
    uint32_t weights;
    if (!d->GetI64(&p.start_unix) || !d->GetU32(&weights) ||
        !d->Has(weights, 4)) {
      return false;
    }
    p.weights.resize(weights);
    for (int32_t& w : p.weights) {
      uint32_t v;
      if (!d->GetU32(&v)) return false;
      w = static_cast<int32_t>(v);
    }
  }
  return d->remaining() == 0;
}

void EncodeExposure(const Exposure& x, Encoder* e) {
  e->PutU8(kExposureFormat);
  e->PutI64(x.timestamp);
  e->PutString(x.recommendation_id);
  e->PutString(x.user_id);
  e->PutString(x.experiment);
  e->PutString(x.arm);
  e->PutString(x.strategy);
  e->PutF64(x.probability);
  e->PutU32(static_cast<uint32_t>(x.items.size()));
  for (const std::string& item : x.items) e->PutString(item);
}

bool DecodeExposure(Decoder* d, Exposure* x) {
  uint8_t format;
  uint32_t items;
  if (!d->GetU8(&format) || format != kExposureFormat ||
      !d->GetI64(&x->timestamp) || !d->GetString(&x->recommendation_id) ||
      !d->GetString(&x->user_id) || !d->GetString(&x->experiment) ||
      !d->GetString(&x->arm) || !d->GetString(&x->strategy) ||
      !d->GetF64(&x->probability) || !d->GetU32(&items) || !d->Has(items, 4)) {
    return false;
  }
  x->items.resize(items);
  for (std::string& item : x->items) {
    if (!d->GetString(&item)) return false;
  }
  return d->remaining() == 0;
}

}  // namespace tailor

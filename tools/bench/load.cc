#include "tools/bench/load.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <deque>
#include <fstream>
#include <memory>
#include <random>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "tailor/v1/recommender.grpc.pb.h"

namespace tailor {
namespace {

enum class Kind { kRecommend, kSegment, kRecord, kCatalog };

const char* KindName(Kind k) {
  switch (k) {
    case Kind::kRecommend:
      return "recommend";
    case Kind::kSegment:
      return "segment";
    case Kind::kRecord:
      return "record";
    case Kind::kCatalog:
      return "catalog";
  }
  return "?";
}

// One call in flight; deleted when its answer has been counted.
struct Pending {
  Kind kind = Kind::kRecommend;
  grpc::ClientContext ctx;
  grpc::Status status;
  v1::RecommendRequest recommend;
  v1::RecommendResponse recommended;
  std::unique_ptr<grpc::ClientAsyncResponseReader<v1::RecommendResponse>>
      recommend_reader;
  v1::GetSegmentRequest segment;
  v1::Segment segmented;
  std::unique_ptr<grpc::ClientAsyncResponseReader<v1::Segment>> segment_reader;
  v1::RecordEventsRequest record;
  v1::RecordEventsResponse recorded;
  std::unique_ptr<grpc::ClientAsyncResponseReader<v1::RecordEventsResponse>>
      record_reader;
  v1::UpdateCatalogRequest catalog;
  v1::UpdateCatalogResponse cataloged;
  std::unique_ptr<grpc::ClientAsyncResponseReader<v1::UpdateCatalogResponse>>
      catalog_reader;
  absl::Time scheduled;
  absl::Time sent;
};

struct Answer {
  absl::Time sent, done;
  std::string version;
};

// Sends calls number `first`, `first + stride`, ... of the run and counts
// their answers, all on one thread that waits on its own completion queue
// either for an answer or until the next call is due. One thread doing
// both (rather than a sleeping scheduler plus gRPC's callback threads)
// keeps the load generator's own CPU per call, and so its disturbance of
// a server on the same machine, low.
// Thread safety: Run() is called on one thread; the results are read after
// it returns.
class Driver {
 public:
  Driver(const LoadOptions& o,
         const std::vector<std::unique_ptr<v1::Recommender::Stub>>* stubs,
         int first, int stride, int concurrency, absl::Time start)
      : o_(o),
        stubs_(stubs),
        first_(first),
        stride_(stride),
        concurrency_(concurrency),
        start_(start),
        rng_(o.seed + first),
        mix_({o.recommend_weight, o.segment_weight, o.record_weight,
              o.catalog_weight}),
        user_(0, o.users.size() - 1),
        item_(0, o.items.empty() ? 0 : o.items.size() - 1) {}

  void Run() {
    const absl::Duration interval =
        o_.rate > 0 ? absl::Seconds(1.0 / o_.rate) : absl::ZeroDuration();
    const absl::Time end = start_ + o_.duration;
    int64_t n = first_;  // the next call's number in the whole run
    bool sending = true;
    if (o_.rate > 0) {
      const absl::Duration wait = start_ - absl::Now();
      if (wait > absl::ZeroDuration()) absl::SleepFor(wait);
    }
    for (;;) {
      const absl::Time now = absl::Now();
      while (sending && in_flight_ < concurrency_) {
        const absl::Time scheduled = o_.rate > 0 ? start_ + interval * n : now;
        if ((o_.max_calls > 0 && n >= o_.max_calls) ||
            (o_.duration > absl::ZeroDuration() && scheduled >= end)) {
          sending = false;
          break;
        }
        if (scheduled > now) break;
        Send(n, scheduled);
        n += stride_;
      }
      if (!sending && in_flight_ == 0) break;
      // A call due while all are in flight waits for an answer; its wait
      // counts in its latency (measured from `scheduled`).
      absl::Time wake = absl::InfiniteFuture();
      if (sending && o_.rate > 0 && in_flight_ < concurrency_) {
        wake = start_ + interval * n;
      }
      void* tag = nullptr;
      bool ok = false;
      if (cq_.AsyncNext(&tag, &ok, absl::ToChronoTime(wake)) ==
          grpc::CompletionQueue::GOT_EVENT) {
        Done(static_cast<Pending*>(tag));
      }
    }
    cq_.Shutdown();
    void* tag = nullptr;
    bool ok = false;
    while (cq_.Next(&tag, &ok)) {
    }
  }

  LoadReport& report() { return report_; }
  std::deque<Answer>& answers() { return answers_; }
  absl::Time last_done() const { return last_done_; }
  int64_t calls() const { return calls_; }
  int64_t events_sent() const { return events_sent_; }

 private:
  void Send(int64_t n, absl::Time scheduled) {
    auto* p = new Pending();
    p->kind = static_cast<Kind>(mix_(rng_));
    p->scheduled = scheduled;
    p->ctx.set_deadline(absl::ToChronoTime(absl::Now() + o_.deadline));
    v1::Recommender::Stub* stub = (*stubs_)[n % stubs_->size()].get();
    ++in_flight_;
    ++calls_;
    p->sent = absl::Now();
    switch (p->kind) {
      case Kind::kRecommend:
        p->recommend.set_user_id(o_.users[user_(rng_)]);
        p->recommend.set_count(o_.count);
        if (o_.diversity > 0) p->recommend.set_diversity(o_.diversity);
        if (o_.max_per_category > 0) {
          p->recommend.set_max_per_category(o_.max_per_category);
        }
        p->recommend_reader =
            stub->PrepareAsyncRecommendFor(&p->ctx, p->recommend, &cq_);
        p->recommend_reader->StartCall();
        p->recommend_reader->Finish(&p->recommended, &p->status, p);
        break;
      case Kind::kSegment:
        p->segment.set_user_id(o_.users[user_(rng_)]);
        p->segment_reader =
            stub->PrepareAsyncGetSegment(&p->ctx, p->segment, &cq_);
        p->segment_reader->StartCall();
        p->segment_reader->Finish(&p->segmented, &p->status, p);
        break;
      case Kind::kRecord: {
        const int64_t now = absl::ToUnixSeconds(absl::Now());
        for (int k = 0; k < o_.events_per_batch; ++k) {
          v1::Event* e = p->record.add_events();
          // Unique across drivers: call n's k-th event.
          e->set_event_id(absl::StrCat(o_.event_id_prefix, "-", n, "-", k));
          e->set_user_id(o_.users[user_(rng_)]);
          e->set_item_id(o_.items[item_(rng_)]);
          e->set_type(rng_() % 20 == 0 ? v1::EVENT_TYPE_PURCHASE
                                       : v1::EVENT_TYPE_VIEW);
          e->set_timestamp(now);
        }
        events_sent_ += o_.events_per_batch;
        p->record_reader =
            stub->PrepareAsyncRecordEvents(&p->ctx, p->record, &cq_);
        p->record_reader->StartCall();
        p->record_reader->Finish(&p->recorded, &p->status, p);
        break;
      }
      case Kind::kCatalog: {
        // Call n changes items n * batch ... in turn: price and stock.
        const size_t m = o_.items.size();
        for (int k = 0; k < o_.catalog_batch; ++k) {
          const int64_t at = n * o_.catalog_batch + k;
          v1::CatalogChange* c = p->catalog.add_changes();
          c->set_item_id(o_.items[static_cast<size_t>(at) % m]);
          v1::InventoryChange* inv = c->mutable_inventory();
          inv->set_price(10 + at % 90);
          inv->set_in_stock(at % 10 != 0);
        }
        p->catalog_reader =
            stub->PrepareAsyncUpdateCatalog(&p->ctx, p->catalog, &cq_);
        p->catalog_reader->StartCall();
        p->catalog_reader->Finish(&p->cataloged, &p->status, p);
        break;
      }
    }
  }

  void Done(Pending* p) {
    const absl::Time now = absl::Now();
    const int64_t micros = absl::ToInt64Microseconds(now - p->scheduled);
    --in_flight_;
    last_done_ = std::max(last_done_, now);
    LoadReport& report = report_;
    const size_t second = static_cast<size_t>(
        std::max<int64_t>(0, absl::ToInt64Seconds(p->scheduled - start_)));
    if (report.timeline.size() <= second) report.timeline.resize(second + 1);
    CallStats& by_kind = report.by_rpc[KindName(p->kind)];
    if (p->status.ok()) {
      report.total.latency.Record(micros);
      ++report.total.ok;
      by_kind.latency.Record(micros);
      ++by_kind.ok;
      report.timeline[second].latency.Record(micros);
      if (p->kind == Kind::kRecommend) {
        answers_.push_back({p->sent, now, p->recommended.model_version()});
      } else if (p->kind == Kind::kRecord) {
        report.events_duplicate += p->recorded.duplicates();
      } else if (p->kind == Kind::kCatalog) {
        report.catalog_items +=
            p->cataloged.applied() + p->cataloged.unchanged();
      }
    } else {
      const std::string code = absl::StatusCodeToString(
          static_cast<absl::StatusCode>(p->status.error_code()));
      ++report.total.errors[code];
      ++by_kind.errors[code];
      report.total.first_messages.try_emplace(code, p->status.error_message());
      by_kind.first_messages.try_emplace(code, p->status.error_message());
      report.total.failed_latency.Record(micros);
      by_kind.failed_latency.Record(micros);
      ++report.timeline[second].errors;
    }
    delete p;
  }

  const LoadOptions& o_;
  const std::vector<std::unique_ptr<v1::Recommender::Stub>>* stubs_;
  const int first_, stride_, concurrency_;
  const absl::Time start_;
  grpc::CompletionQueue cq_;
  std::mt19937_64 rng_;
  std::discrete_distribution<int> mix_;
  std::uniform_int_distribution<size_t> user_, item_;
  int in_flight_ = 0;
  int64_t calls_ = 0, events_sent_ = 0;
  LoadReport report_;
  // A deque, not a vector: a vector's doubling copies every answer so far
  // (hundreds of MB into a long run) on this thread, and the calls
  // completing meanwhile would be timed late by that stall.
  std::deque<Answer> answers_;
  absl::Time last_done_ = absl::InfinitePast();
};

void MergeCallStats(const CallStats& from, CallStats* into) {
  into->latency.Merge(from.latency);
  into->failed_latency.Merge(from.failed_latency);
  into->ok += from.ok;
  for (const auto& [code, count] : from.errors) into->errors[code] += count;
  for (const auto& [code, message] : from.first_messages) {
    into->first_messages.try_emplace(code, message);
  }
}

int64_t CountRegressions(std::vector<Answer> answers,
                         std::vector<std::string>* versions) {
  std::vector<const Answer*> by_done, by_sent;
  for (const Answer& a : answers) {
    by_done.push_back(&a);
    by_sent.push_back(&a);
  }
  std::sort(by_done.begin(), by_done.end(),
            [](auto* a, auto* b) { return a->done < b->done; });
  std::sort(by_sent.begin(), by_sent.end(),
            [](auto* a, auto* b) { return a->sent < b->sent; });
  for (const Answer* a : by_done) {
    if (std::find(versions->begin(), versions->end(), a->version) ==
        versions->end()) {
      versions->push_back(a->version);
    }
  }
  int64_t regressions = 0;
  std::string newest;  // among answers received before the call was sent
  size_t j = 0;
  for (const Answer* a : by_sent) {
    while (j < by_done.size() && by_done[j]->done < a->sent) {
      newest = std::max(newest, by_done[j]->version);
      ++j;
    }
    if (a->version < newest) ++regressions;
  }
  return regressions;
}

}  // namespace

int64_t CallStats::failed() const {
  int64_t n = 0;
  for (const auto& [code, count] : errors) n += count;
  return n;
}

absl::Status ValidateLoadOptions(const LoadOptions& o) {
  if (!(o.rate >= 0)) {
    return absl::InvalidArgumentError("--rate: must be >= 0 (0: closed loop)");
  }
  if (o.duration <= absl::ZeroDuration() && o.max_calls <= 0) {
    return absl::InvalidArgumentError(
        "--duration: must be > 0 (or set --max_calls)");
  }
  if (o.concurrency < 1 || o.concurrency > 100000) {
    return absl::InvalidArgumentError("--concurrency: must be in 1..100000");
  }
  if (o.threads < 1 || o.threads > o.concurrency) {
    return absl::InvalidArgumentError(
        "--threads: must be in 1..--concurrency (each thread keeps at least "
        "one call in flight)");
  }
  if (o.connections < 1 || o.connections > 256) {
    return absl::InvalidArgumentError("--connections: must be in 1..256");
  }
  if (o.recommend_weight < 0 || o.segment_weight < 0 || o.record_weight < 0 ||
      o.catalog_weight < 0 ||
      o.recommend_weight + o.segment_weight + o.record_weight +
              o.catalog_weight <=
          0) {
    return absl::InvalidArgumentError(
        "--mix: weights must be >= 0 and not all 0");
  }
  if (o.users.empty()) {
    return absl::InvalidArgumentError("--users: no user ids to call with");
  }
  if (o.record_weight > 0 && o.items.empty()) {
    return absl::InvalidArgumentError(
        "--items: RecordEvents needs item ids (--items_file=catalog.csv)");
  }
  if (o.catalog_weight > 0 && o.items.empty()) {
    return absl::InvalidArgumentError(
        "--items: UpdateCatalog needs item ids (--items_file=catalog.csv)");
  }
  if (o.catalog_batch < 1 || o.catalog_batch > 1000) {
    return absl::InvalidArgumentError("--catalog_batch: must be in 1..1000");
  }
  if (o.events_per_batch < 1 || o.events_per_batch > 1000) {
    return absl::InvalidArgumentError("--batch: must be in 1..1000");
  }
  return absl::OkStatus();
}

absl::StatusOr<LoadReport> RunLoad(const LoadOptions& o) {
  if (absl::Status s = ValidateLoadOptions(o); !s.ok()) return s;
  std::vector<std::unique_ptr<v1::Recommender::Stub>> stubs;
  for (int c = 0; c < o.connections; ++c) {
    grpc::ChannelArguments args;
    args.SetInt("tailor.bench.channel", c);  // distinct channels
    absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
        MakeChannel(o.address, o.security, args);
    if (!channel.ok()) return channel.status();
    stubs.push_back(v1::Recommender::NewStub(*std::move(channel)));
  }
  const absl::Time start = absl::Now() + absl::Milliseconds(20);
  std::vector<std::unique_ptr<Driver>> drivers;
  for (int t = 0; t < o.threads; ++t) {
    drivers.push_back(std::make_unique<Driver>(
        o, &stubs, t, o.threads,
        o.concurrency / o.threads + (t < o.concurrency % o.threads ? 1 : 0),
        start));
  }
  {
    std::vector<std::thread> threads;
    for (auto& d : drivers) threads.emplace_back([&d] { d->Run(); });
    for (std::thread& t : threads) t.join();
  }
  LoadReport report;
  std::vector<Answer> answers;
  absl::Time last_done = start;
  for (auto& d : drivers) {
    LoadReport& r = d->report();
    report.calls += d->calls();
    report.events_sent += d->events_sent();
    report.events_duplicate += r.events_duplicate;
    report.catalog_items += r.catalog_items;
    MergeCallStats(r.total, &report.total);
    for (const auto& [name, stats] : r.by_rpc) {
      MergeCallStats(stats, &report.by_rpc[name]);
    }
    if (report.timeline.size() < r.timeline.size()) {
      report.timeline.resize(r.timeline.size());
    }
    for (size_t t = 0; t < r.timeline.size(); ++t) {
      report.timeline[t].latency.Merge(r.timeline[t].latency);
      report.timeline[t].errors += r.timeline[t].errors;
    }
    answers.insert(answers.end(), d->answers().begin(), d->answers().end());
    last_done = std::max(last_done, d->last_done());
  }
  report.seconds = std::max(0.0, absl::ToDoubleSeconds(last_done - start));
  report.version_regressions =
      CountRegressions(std::move(answers), &report.versions);
  return report;
}

std::string FormatLoadReport(const LoadReport& r, bool json) {
  auto errors = [&](const CallStats& s, bool as_json) {
    std::vector<std::string> parts;
    for (const auto& [code, count] : s.errors) {
      parts.push_back(as_json ? absl::StrFormat("\"%s\":%d", code, count)
                              : absl::StrFormat("%s %d", code, count));
    }
    return absl::StrJoin(parts, as_json ? "," : ", ");
  };
  auto latency = [](const LatencyHistogram& h, bool as_json) {
    return as_json
               ? absl::StrFormat(
                     "\"p50_us\":%d,\"p90_us\":%d,\"p99_us\":%d,"
                     "\"p999_us\":%d,\"max_us\":%d,\"mean_us\":%.1f",
                     h.Percentile(0.5), h.Percentile(0.9), h.Percentile(0.99),
                     h.Percentile(0.999), h.max(), h.mean())
               : absl::StrFormat("p50 %d us, p90 %d, p99 %d, p99.9 %d, max %d",
                                 h.Percentile(0.5), h.Percentile(0.9),
                                 h.Percentile(0.99), h.Percentile(0.999),
                                 h.max());
  };
  if (!json) {
    std::string out = absl::StrFormat(
        "%d calls in %.2f s: %.0f calls/s; %d ok, %d failed%s\n  all: %s\n",
        r.calls, r.seconds, r.achieved_rate(), r.total.ok, r.total.failed(),
        r.total.failed() > 0 ? absl::StrCat(" (", errors(r.total, false), ")")
                             : "",
        latency(r.total.latency, false));
    if (r.total.failed() > 0) {
      absl::StrAppendFormat(&out, "  failed calls: %s\n",
                            latency(r.total.failed_latency, false));
      for (const auto& [code, message] : r.total.first_messages) {
        absl::StrAppendFormat(&out, "  first %s: %s\n", code, message);
      }
    }
    for (const auto& [name, s] : r.by_rpc) {
      absl::StrAppendFormat(&out, "  %s: %d ok, %d failed; %s\n", name, s.ok,
                            s.failed(), latency(s.latency, false));
    }
    if (r.events_sent > 0) {
      absl::StrAppendFormat(&out, "  events sent: %d (%.0f/s), %d duplicate\n",
                            r.events_sent, r.events_sent / r.seconds,
                            r.events_duplicate);
    }
    if (r.catalog_items > 0) {
      absl::StrAppendFormat(&out, "  catalog items changed: %d (%.0f/s)\n",
                            r.catalog_items, r.catalog_items / r.seconds);
    }
    absl::StrAppendFormat(&out,
                          "  model versions: %s; answers older than one "
                          "already seen: %d\n",
                          absl::StrJoin(r.versions, " "),
                          r.version_regressions);
    return out;
  }
  std::string out = absl::StrFormat(
      "{\"calls\":%d,\"seconds\":%.3f,\"rate\":%.1f,\"ok\":%d,\"failed\":%d,"
      "\"errors\":{%s},%s,\"failed_latency\":{%s},"
      "\"events_sent\":%d,\"events_duplicate\":%d,\"catalog_items\":%d,"
      "\"version_regressions\":%d,"
      "\"versions\":[%s],\"by_rpc\":{",
      r.calls, r.seconds, r.achieved_rate(), r.total.ok, r.total.failed(),
      errors(r.total, true), latency(r.total.latency, true),
      latency(r.total.failed_latency, true), r.events_sent, r.events_duplicate,
      r.catalog_items, r.version_regressions,
      absl::StrJoin(r.versions, ",", [](std::string* o, const std::string& v) {
        absl::StrAppend(o, "\"", v, "\"");
      }));
  bool first = true;
  for (const auto& [name, s] : r.by_rpc) {
    absl::StrAppendFormat(&out, "%s\"%s\":{\"ok\":%d,\"failed\":%d,%s}",
                          first ? "" : ",", name, s.ok, s.failed(),
                          latency(s.latency, true));
    first = false;
  }
  out += "},\"timeline\":[";
  for (size_t t = 0; t < r.timeline.size(); ++t) {
    const SecondStats& s = r.timeline[t];
    absl::StrAppendFormat(
        &out,
        "%s{\"second\":%d,\"ok\":%d,\"errors\":%d,\"p50_us\":%d,"
        "\"p99_us\":%d,\"max_us\":%d}",
        t == 0 ? "" : ",", t, s.latency.count(), s.errors,
        s.latency.Percentile(0.5), s.latency.Percentile(0.99), s.latency.max());
  }
  out += "]}\n";
  return out;
}

absl::StatusOr<FreshnessReport> RunFreshness(const LoadOptions& o, int probes,
                                             absl::Duration max_wait) {
  if (probes < 1) {
    return absl::InvalidArgumentError("--freshness: must be >= 1");
  }
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      MakeChannel(o.address, o.security);
  if (!channel.ok()) return channel.status();
  auto stub = v1::Recommender::NewStub(*std::move(channel));
  auto recommend =
      [&](const std::string& user) -> absl::StatusOr<std::vector<std::string>> {
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + o.deadline));
    v1::RecommendRequest req;
    req.set_user_id(user);
    req.set_count(o.count);
    v1::RecommendResponse resp;
    grpc::Status s = stub->RecommendFor(&ctx, req, &resp);
    if (!s.ok()) {
      return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                          s.error_message());
    }
    std::vector<std::string> ids;
    for (const auto& item : resp.items()) ids.push_back(item.item_id());
    return ids;
  };
  FreshnessReport report;
  for (int n = 0; n < probes; ++n) {
    const std::string user = absl::StrCat(o.event_id_prefix, "-fresh-", n);
    absl::StatusOr<std::vector<std::string>> before = recommend(user);
    if (!before.ok()) return before.status();
    if (before->size() < 2) {
      return absl::FailedPreconditionError(
          "freshness: the server recommends fewer than 2 items");
    }
    const std::string bought = (*before)[1];
    v1::RecordEventsRequest req;
    v1::Event* e = req.add_events();
    e->set_event_id(absl::StrCat(user, "-purchase"));
    e->set_user_id(user);
    e->set_item_id(bought);
    e->set_type(v1::EVENT_TYPE_PURCHASE);
    e->set_timestamp(absl::ToUnixSeconds(absl::Now()));
    v1::RecordEventsResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + o.deadline));
    const absl::Time sent = absl::Now();
    grpc::Status s = stub->RecordEvents(&ctx, req, &resp);
    const absl::Time acked = absl::Now();
    if (!s.ok() || resp.recorded() != 1) {
      return absl::UnavailableError(
          absl::StrCat("freshness: RecordEvents failed: ", s.error_message()));
    }
    report.record_latency.Record(absl::ToInt64Microseconds(acked - sent));
    ++report.probes;
    for (int attempt = 0; absl::Now() - acked < max_wait; ++attempt) {
      absl::StatusOr<std::vector<std::string>> after = recommend(user);
      if (!after.ok()) return after.status();
      if (std::find(after->begin(), after->end(), bought) == after->end()) {
        report.ack_to_change.Record(
            absl::ToInt64Microseconds(absl::Now() - acked));
        ++report.changed;
        if (attempt == 0) ++report.changed_first_call;
        break;
      }
    }
  }
  return report;
}

std::string FormatFreshness(const FreshnessReport& r) {
  const LatencyHistogram& h = r.ack_to_change;
  return absl::StrFormat(
      "freshness: %d probes; the purchase was gone from the shopper's list "
      "in %d (by the first call after the acknowledgement: %d)\n"
      "  acknowledgement to changed list: p50 %d us, p90 %d, p99 %d, max %d\n"
      "  RecordEvents call itself: p50 %d us, p99 %d\n",
      r.probes, r.changed, r.changed_first_call, h.Percentile(0.5),
      h.Percentile(0.9), h.Percentile(0.99), h.max(),
      r.record_latency.Percentile(0.5), r.record_latency.Percentile(0.99));
}

WindowSplit SplitByWindows(
    const LoadReport& r,
    const std::vector<std::pair<int64_t, int64_t>>& windows) {
  WindowSplit split;
  for (size_t t = 0; t < r.timeline.size(); ++t) {
    const auto second = static_cast<int64_t>(t);
    const bool inside = std::any_of(
        windows.begin(), windows.end(),
        [&](const auto& w) { return second >= w.first && second < w.second; });
    (inside ? split.inside : split.outside).Merge(r.timeline[t].latency);
    (inside ? split.inside_errors : split.outside_errors) +=
        r.timeline[t].errors;
  }
  return split;
}

absl::StatusOr<std::vector<std::pair<int64_t, int64_t>>> ParseWindows(
    absl::string_view spec) {
  std::vector<std::pair<int64_t, int64_t>> windows;
  if (spec.empty()) return windows;
  for (absl::string_view part : absl::StrSplit(spec, ',')) {
    std::vector<absl::string_view> ends = absl::StrSplit(part, ':');
    int64_t begin, end;
    if (ends.size() != 2 || !absl::SimpleAtoi(ends[0], &begin) ||
        !absl::SimpleAtoi(ends[1], &end) || begin < 0 || end <= begin) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--windows: '", part, "' is not BEGIN:END seconds, BEGIN < END"));
    }
    windows.emplace_back(begin, end);
  }
  return windows;
}

absl::Status ParseMix(absl::string_view spec, LoadOptions* o) {
  o->recommend_weight = o->segment_weight = o->record_weight =
      o->catalog_weight = 0;
  for (absl::string_view part : absl::StrSplit(spec, ',')) {
    std::vector<std::string> kv = absl::StrSplit(part, ':');
    double w = 0;
    if (kv.size() != 2 || !absl::SimpleAtod(kv[1], &w)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--mix: '", part, "' is not NAME:WEIGHT"));
    }
    if (kv[0] == "recommend") {
      o->recommend_weight = w;
    } else if (kv[0] == "segment") {
      o->segment_weight = w;
    } else if (kv[0] == "record") {
      o->record_weight = w;
    } else if (kv[0] == "catalog") {
      o->catalog_weight = w;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("--mix: '", kv[0],
                       "' is not one of recommend, segment, record, catalog"));
    }
  }
  return absl::OkStatus();
}

std::string FormatWindowSplit(const WindowSplit& split) {
  auto line = [](const char* name, const LatencyHistogram& h, int64_t errors) {
    return absl::StrFormat(
        "  %s: %d calls, %d failed; p50 %d us, p99 %d, p99.9 %d, max %d\n",
        name, h.count(), errors, h.Percentile(0.5), h.Percentile(0.99),
        h.Percentile(0.999), h.max());
  };
  return line("inside --windows", split.inside, split.inside_errors) +
         line("outside", split.outside, split.outside_errors) +
         absl::StrFormat(
             "  p99 inside / outside: %.2f\n",
             static_cast<double>(split.inside.Percentile(0.99)) /
                 std::max<int64_t>(1, split.outside.Percentile(0.99)));
}

std::string FormatTimeline(const LoadReport& r, int bucket_seconds) {
  bucket_seconds = std::max(1, bucket_seconds);
  std::string out = "second\tok\terrors\tp50_us\tp99_us\tp999_us\tmax_us\n";
  for (size_t t = 0; t < r.timeline.size(); t += bucket_seconds) {
    SecondStats s;
    for (size_t k = t; k < std::min(r.timeline.size(), t + bucket_seconds);
         ++k) {
      s.latency.Merge(r.timeline[k].latency);
      s.errors += r.timeline[k].errors;
    }
    absl::StrAppendFormat(&out, "%d\t%d\t%d\t%d\t%d\t%d\t%d\n", t,
                          s.latency.count(), s.errors,
                          s.latency.Percentile(0.5), s.latency.Percentile(0.99),
                          s.latency.Percentile(0.999), s.latency.max());
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> ReadIdColumn(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot open '", path, "'"));
  }
  std::vector<std::string> ids;
  std::string line;
  bool first = true;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::string id = line.substr(0, line.find(','));
    if (first && absl::EndsWith(id, "_id")) {
      first = false;
      continue;
    }
    first = false;
    if (!id.empty()) ids.push_back(std::move(id));
  }
  if (ids.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", path, "': no ids in its first column"));
  }
  return ids;
}

}  // namespace tailor

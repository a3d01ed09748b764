// tailor: command-line client for tailor-server. Parses flags and calls
// TailorClient (client.h).
//
//   tailor recommend USER_ID [--count=N] [--exclude=ID,ID] [--include_seen]
//   tailor health [--service=NAME]        exit 0 when SERVING
//   tailor segment USER_ID | segments | audience [filters]
//   tailor latency --users=ID,ID,... [--requests=N] [--rpc=segment]
//   tailor record USER_ID ITEM_ID TYPE [--value=V] [--event_id=ID]
//   tailor model | snapshots | activate VERSION | rollback
//   tailor export USER_ID                 everything held about them, JSON
//   tailor erase USER_ID                  erase them (right to be forgotten)
//   tailor catalog FILE.csv               upsert every item of a catalog CSV
//   tailor stock ITEM_ID [--price=P] [--sizes=S:3,M:0] [--in_stock=false]
//   tailor retire ITEM_ID
//   tailor score TEST.csv [--also_exclude=view,click]  served lists scored
//   tailor create-experiment NAME --arms=... | experiments | experiment NAME
//   tailor stop-experiment NAME | archive-experiment NAME | results NAME
#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/base/status_macros.h"
#include "core/data/readers.h"
#include "tools/channel/security_flags.h"
#include "tools/cli/client.h"
#include "tools/cli/results_report.h"

ABSL_FLAG(std::string, address, "127.0.0.1:8980", "tailor-server host:port");
ABSL_FLAG(int, timeout_ms, 5000, "deadline per call");
ABSL_FLAG(int, count, 10, "recommend, latency: number of items");
ABSL_FLAG(std::vector<std::string>, exclude, {},
          "recommend: item ids never to return");
ABSL_FLAG(bool, include_seen, false,
          "recommend: allow items the user already purchased");
ABSL_FLAG(std::vector<std::string>, also_exclude, {},
          "recommend, score: also leave out items the shopper has events of "
          "these types with, e.g. view,click,add_to_cart");
ABSL_FLAG(bool, json, false, "score: print one JSON object");
ABSL_FLAG(std::string, strategy, "",
          "recommend, score: serve this strategy (popularity, "
          "segment-popularity, item-neighbours, or the model's: als | bpr) "
          "whatever the experiments say");
ABSL_FLAG(std::string, salt, "",
          "create-experiment: the assignment salt (default: the name)");
ABSL_FLAG(std::string, layer, "",
          "create-experiment: its layer (default "
          "'default')");
ABSL_FLAG(std::string, arms, "",
          "create-experiment: NAME:STRATEGY:SHARE_BP[:control],... e.g. "
          "control:popularity:5000:control,als:als:5000");
ABSL_FLAG(std::string, eligibility, "all",
          "create-experiment: all | segment (with --segment) | new_visitors");
ABSL_FLAG(std::string, segment, "",
          "create-experiment: the RFM segment of --eligibility=segment");
ABSL_FLAG(std::string, allocation, "fixed",
          "create-experiment: fixed (by the shares) | thompson (a bandit)");
ABSL_FLAG(std::string, bandit_metric, "conversion",
          "create-experiment --allocation=thompson: conversion | revenue");
ABSL_FLAG(int64_t, bandit_interval, 3600,
          "create-experiment --allocation=thompson: seconds between "
          "re-allocations");
ABSL_FLAG(int, min_share, 500,
          "create-experiment --allocation=thompson: the least basis points "
          "of the experiment's traffic each arm keeps");
ABSL_FLAG(int64_t, start, 0, "create-experiment: Unix seconds (0: now)");
ABSL_FLAG(int64_t, end, 0,
          "create-experiment: Unix seconds (0: until stopped)");
ABSL_FLAG(bool, include_out_of_stock, false,
          "recommend: also items the catalog marks out of stock");
ABSL_FLAG(std::string, size, "", "recommend: only items in this size");
ABSL_FLAG(std::vector<std::string>, categories, {},
          "recommend: only items of these categories");
ABSL_FLAG(double, min_price, -1, "recommend: lowest price (-1: none)");
ABSL_FLAG(double, max_price, -1, "recommend: highest price (-1: none)");
ABSL_FLAG(int, max_per_category, 0,
          "recommend: at most N items per category (0: no cap)");
ABSL_FLAG(double, diversity, 0, "recommend: 0..1, trade score for variety");
ABSL_FLAG(std::vector<std::string>, boost, {},
          "recommend: campaign items as ID:BOOST,... (BOOST in (0, 100])");
ABSL_FLAG(std::string, service, "", "health: service name ('' = server)");
ABSL_FLAG(std::vector<std::string>, users, {},
          "latency: user ids to cycle through");
ABSL_FLAG(int, requests, 2000, "latency: number of measured calls");
ABSL_FLAG(int, warmup, 200, "latency: uncounted calls first");
ABSL_FLAG(std::string, rpc, "recommend",
          "latency: the call to time: recommend | segment");
ABSL_FLAG(double, value, 1.0, "record: quantity, or the rating's value");
ABSL_FLAG(std::string, event_id, "",
          "record: the idempotency key (default: unique per call)");
ABSL_FLAG(int64_t, timestamp, 0, "record: Unix seconds (default: now)");
ABSL_FLAG(double, price, -1, "stock: the new price (-1: unchanged)");
ABSL_FLAG(std::vector<std::string>, sizes, {},
          "stock: units per size, e.g. S:3,M:0");
ABSL_FLAG(std::string, in_stock, "",
          "stock: true or false ('' : unchanged, or as the sizes say)");
ABSL_FLAG(uint64_t, version, 0,
          "stock, retire: the change's version (0: unordered)");
ABSL_FLAG(std::vector<std::string>, rfm, {},
          "audience: RFM segment names (any of), e.g. 'At Risk,Can\'t Lose "
          "Them'");
ABSL_FLAG(std::vector<std::string>, clusters, {},
          "audience: behavioural cluster ids (any of)");
ABSL_FLAG(double, min_propensity, -1,
          "audience: minimum purchase propensity, 0..1 (-1: no filter)");
ABSL_FLAG(double, min_churn, -1,
          "audience: minimum churn risk, 0..1 (-1: no filter)");
ABSL_FLAG(std::string, order, "propensity",
          "audience: propensity | churn | monetary (highest first)");
ABSL_FLAG(int, page_size, 20, "audience: users per page");
ABSL_FLAG(std::string, page_token, "", "audience: a previous next_page_token");
ABSL_FLAG(bool, all, false,
          "audience: fetch every page and print CSV (for a campaign tool); "
          "experiments: archived ones too");

ABSL_FLAG(int, window_days, 7,
          "results: days after an answer that its shopper's events count "
          "for it (1..90)");
ABSL_FLAG(double, tau, 0.1,
          "results: the always-valid test's mixture standard deviation on "
          "the relative difference");
ABSL_FLAG(std::string, html, "",
          "results: also write a self-contained HTML report to this file");

namespace {

constexpr const char* kUsage =
    "tailor recommend USER_ID [--count=N] [--exclude=ID,..] [--include_seen]\n"
    "    [--also_exclude=TYPE,..] [--strategy=NAME]\n"
    "    [--include_out_of_stock] [--size=S]\n"
    "    [--categories=C,..]\n"
    "    [--min_price=P] [--max_price=P] [--max_per_category=N]\n"
    "    [--diversity=0..1] [--boost=ID:BOOST,..]\n"
    "tailor similar ITEM_ID [--count=N]\n"
    "tailor together ITEM_ID[,ITEM_ID...] [--count=N]\n"
    "tailor segment USER_ID\n"
    "tailor segments\n"
    "tailor audience [--rfm=NAME,..] [--clusters=ID,..] [--min_propensity=P]\n"
    "                [--min_churn=P] [--order=propensity|churn|monetary]\n"
    "                [--page_size=N] [--page_token=T | --all]\n"
    "tailor health [--service=NAME]\n"
    "tailor latency --users=ID,... [--requests=N] [--count=N] "
    "[--rpc=recommend|segment]\n"
    "tailor record USER_ID ITEM_ID view|click|add_to_cart|purchase|return|"
    "rating\n"
    "              [--value=V] [--event_id=ID] [--timestamp=UNIX]\n"
    "tailor model                 the serving snapshot and its training facts\n"
    "tailor snapshots             every snapshot version on disk\n"
    "tailor activate VERSION      serve VERSION (CURRENT follows)\n"
    "tailor rollback              serve the newest older version that loads\n"
    "tailor export USER_ID        everything the server holds about USER_ID, "
    "as\n"
    "                             JSON (found: false when nothing)\n"
    "tailor erase USER_ID         erase everything held about USER_ID, "
    "for good;\n"
    "                             prints what was removed as JSON (give a "
    "large\n"
    "                             --timeout_ms on a large data directory)\n"
    "tailor catalog FILE.csv      upsert every item of a catalog CSV (the\n"
    "                             trainer's --catalog layout), 1000 a call\n"
    "tailor stock ITEM_ID [--price=P] [--sizes=S:3,M:0] [--in_stock=BOOL]\n"
    "                             change an item's price and stock\n"
    "tailor retire ITEM_ID        never recommend ITEM_ID again (until "
    "upserted)\n"
    "tailor score TEST.csv [--count=N] [--also_exclude=TYPE,..] "
    "[recommend flags] [--json]\n"
    "                             asks RecommendFor for every shopper of "
    "a held-out\n"
    "                             pairs CSV (tailor-trainer split's "
    "test.csv) and\n"
    "                             scores the lists: P, R, NDCG, MAP@N, "
    "coverage\n"
    "tailor create-experiment NAME --arms=NAME:STRATEGY:SHARE_BP[:control],.. "
    "[--salt=S]\n"
    "    [--layer=L] [--eligibility=all|segment|new_visitors] [--segment=S]"
    " [--start=UNIX] [--end=UNIX]\n"
    "    [--allocation=fixed|thompson [--bandit_metric=conversion|revenue]"
    " [--bandit_interval=S] [--min_share=BP]]\n"
    "tailor experiments [--all]     every experiment (--all: archived too)\n"
    "tailor experiment NAME | stop-experiment NAME | archive-experiment "
    "NAME\n"
    "tailor results NAME [--window_days=7] [--tau=0.1] [--html=FILE]\n"
    "                             an experiment's results per arm, against "
    "the control\n"
    "common flags: --address=HOST:PORT --timeout_ms=N";

int Fail(const absl::Status& s) {
  std::fprintf(stderr, "tailor: %s: %s\n",
               absl::StatusCodeToString(s.code()).c_str(),
               std::string(s.message()).c_str());
  return 1;
}

// The audience flags as a request; the server validates the values.
absl::StatusOr<tailor::v1::TargetAudienceRequest> AudienceRequest() {
  tailor::v1::TargetAudienceRequest req;
  for (const std::string& name : absl::GetFlag(FLAGS_rfm)) {
    req.add_rfm_segments(name);
  }
  for (const std::string& id : absl::GetFlag(FLAGS_clusters)) {
    int32_t c;
    if (!absl::SimpleAtoi(id, &c)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--clusters: '", id, "' is not a number"));
    }
    req.add_cluster_ids(c);
  }
  if (const double p = absl::GetFlag(FLAGS_min_propensity); p != -1) {
    req.set_min_purchase_propensity(static_cast<float>(p));
  }
  if (const double p = absl::GetFlag(FLAGS_min_churn); p != -1) {
    req.set_min_churn_risk(static_cast<float>(p));
  }
  const std::string order = absl::GetFlag(FLAGS_order);
  if (order == "propensity") {
    req.set_order_by(tailor::v1::AUDIENCE_ORDER_PURCHASE_PROPENSITY);
  } else if (order == "churn") {
    req.set_order_by(tailor::v1::AUDIENCE_ORDER_CHURN_RISK);
  } else if (order == "monetary") {
    req.set_order_by(tailor::v1::AUDIENCE_ORDER_MONETARY);
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "--order: '", order, "' is not one of propensity, churn, monetary"));
  }
  req.set_page_size(absl::GetFlag(FLAGS_page_size));
  req.set_page_token(absl::GetFlag(FLAGS_page_token));
  return req;
}

// A subcommand's positional arguments (args[2] onwards) and the client;
// returns the exit code, or the error to report (exit code 1).
using Args = std::vector<char*>;
using Run = absl::StatusOr<int> (*)(tailor::TailorClient& client,
                                    const Args& args);

// Writes `text` to stdout; exit code 0.
int Print(const std::string& text) {
  std::fputs(text.c_str(), stdout);
  return 0;
}

// An event type by its name (view, click, ...); errors name `what`.
absl::StatusOr<tailor::v1::EventType> ParseEventType(absl::string_view what,
                                                     absl::string_view name) {
  tailor::v1::EventType type;
  if (!tailor::v1::EventType_Parse(
          absl::StrCat("EVENT_TYPE_", absl::AsciiStrToUpper(name)), &type) ||
      type == tailor::v1::EVENT_TYPE_UNSPECIFIED) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": '", name,
                     "' is not one of view, click, add_to_cart, purchase, "
                     "return, rating"));
  }
  return type;
}

// The recommend flags as a request for `user_id`.
absl::StatusOr<tailor::v1::RecommendRequest> RecommendRequest(
    const std::string& user_id) {
  tailor::v1::RecommendRequest req;
  req.set_user_id(user_id);
  req.set_count(absl::GetFlag(FLAGS_count));
  for (const auto& id : absl::GetFlag(FLAGS_exclude)) {
    req.add_exclude_item_ids(id);
  }
  req.set_exclude_seen(!absl::GetFlag(FLAGS_include_seen));
  req.set_strategy(absl::GetFlag(FLAGS_strategy));
  for (const std::string& name : absl::GetFlag(FLAGS_also_exclude)) {
    TAILOR_ASSIGN_OR_RETURN(const tailor::v1::EventType type,
                            ParseEventType("--also_exclude", name));
    req.add_also_exclude_types(type);
  }
  req.set_in_stock_only(!absl::GetFlag(FLAGS_include_out_of_stock));
  req.set_size(absl::GetFlag(FLAGS_size));
  for (const auto& c : absl::GetFlag(FLAGS_categories)) {
    req.add_categories(c);
  }
  if (absl::GetFlag(FLAGS_min_price) >= 0) {
    req.set_min_price(absl::GetFlag(FLAGS_min_price));
  }
  if (absl::GetFlag(FLAGS_max_price) >= 0) {
    req.set_max_price(absl::GetFlag(FLAGS_max_price));
  }
  if (absl::GetFlag(FLAGS_max_per_category) > 0) {
    req.set_max_per_category(absl::GetFlag(FLAGS_max_per_category));
  }
  if (absl::GetFlag(FLAGS_diversity) > 0) {
    req.set_diversity(static_cast<float>(absl::GetFlag(FLAGS_diversity)));
  }
  for (const std::string& b : absl::GetFlag(FLAGS_boost)) {
    const std::pair<std::string, std::string> parts =
        absl::StrSplit(b, absl::MaxSplits(':', 1));
    float boost = 0;
    if (!absl::SimpleAtof(parts.second, &boost)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--boost: '", b, "' is not ID:BOOST (e.g. P00042:0.5)"));
    }
    tailor::v1::ItemBoost* out = req.add_boosts();
    out->set_item_id(parts.first);
    out->set_boost(boost);
  }
  return req;
}

absl::StatusOr<int> Recommend(tailor::TailorClient& client, const Args& args) {
  TAILOR_ASSIGN_OR_RETURN(const tailor::v1::RecommendRequest req,
                          RecommendRequest(args[2]));
  TAILOR_ASSIGN_OR_RETURN(const tailor::v1::RecommendResponse resp,
                          client.Recommend(req));
  return Print(tailor::FormatRecommendations(args[2], resp));
}

absl::StatusOr<int> Similar(tailor::TailorClient& client, const Args& args) {
  tailor::v1::SimilarItemsRequest req;
  req.set_item_id(args[2]);
  req.set_count(absl::GetFlag(FLAGS_count));
  TAILOR_ASSIGN_OR_RETURN(const tailor::v1::SimilarItemsResponse resp,
                          client.Similar(req));
  return Print(tailor::FormatSimilar(args[2], resp));
}

absl::StatusOr<int> Together(tailor::TailorClient& client, const Args& args) {
  tailor::v1::BoughtTogetherRequest req;
  const std::vector<std::string> ids = absl::StrSplit(args[2], ',');
  for (const std::string& id : ids) req.add_item_ids(id);
  req.set_count(absl::GetFlag(FLAGS_count));
  TAILOR_ASSIGN_OR_RETURN(const tailor::v1::BoughtTogetherResponse resp,
                          client.Together(req));
  return Print(tailor::FormatTogether(ids, resp));
}

absl::StatusOr<int> Segment(tailor::TailorClient& client, const Args& args) {
  TAILOR_ASSIGN_OR_RETURN(const tailor::v1::Segment resp,
                          client.Segment(args[2]));
  return Print(tailor::FormatSegment(resp));
}

absl::StatusOr<int> Segments(tailor::TailorClient& client, const Args&) {
  TAILOR_ASSIGN_OR_RETURN(const tailor::v1::ListSegmentsResponse resp,
                          client.ListSegments());
  return Print(tailor::FormatSegmentList(resp));
}

absl::StatusOr<int> Audience(tailor::TailorClient& client, const Args&) {
  TAILOR_ASSIGN_OR_RETURN(tailor::v1::TargetAudienceRequest req,
                          AudienceRequest());
  if (absl::GetFlag(FLAGS_all)) {
    req.set_page_size(tailor::kCliAudiencePage);
    TAILOR_ASSIGN_OR_RETURN(const std::vector<tailor::v1::AudienceMember> all,
                            client.WholeAudience(req));
    return Print(tailor::FormatAudienceCsv(all));
  }
  TAILOR_ASSIGN_OR_RETURN(const tailor::v1::TargetAudienceResponse resp,
                          client.Audience(req));
  return Print(tailor::FormatAudiencePage(resp));
}

// Exit code 1 when the server found the event invalid.
absl::StatusOr<int> Record(tailor::TailorClient& client, const Args& args) {
  TAILOR_ASSIGN_OR_RETURN(const tailor::v1::EventType type,
                          ParseEventType("TYPE", args[4]));
  tailor::v1::RecordEventsRequest req;
  tailor::v1::Event* e = req.add_events();
  std::string id = absl::GetFlag(FLAGS_event_id);
  if (id.empty()) {
    id = absl::StrCat("cli-", getpid(), "-", absl::ToUnixMicros(absl::Now()));
  }
  e->set_event_id(id);
  e->set_user_id(args[2]);
  e->set_item_id(args[3]);
  e->set_type(type);
  const int64_t t = absl::GetFlag(FLAGS_timestamp);
  e->set_timestamp(t > 0 ? t : absl::ToUnixSeconds(absl::Now()));
  if (type == tailor::v1::EVENT_TYPE_RATING) {
    e->set_rating(absl::GetFlag(FLAGS_value));
  } else if (absl::GetFlag(FLAGS_value) != 1.0) {
    e->set_quantity(absl::GetFlag(FLAGS_value));
  }
  TAILOR_ASSIGN_OR_RETURN(const tailor::v1::RecordEventsResponse resp,
                          client.Record(req));
  Print(tailor::FormatRecorded(req, resp));
  return resp.invalid() == 0 ? 0 : 1;
}

// Exit code 1 when a change was invalid.
absl::StatusOr<int> SendCatalog(
    tailor::TailorClient& client,
    const std::vector<tailor::v1::UpdateCatalogRequest>& requests) {
  tailor::CatalogTotals totals;
  for (const tailor::v1::UpdateCatalogRequest& req : requests) {
    TAILOR_ASSIGN_OR_RETURN(const tailor::v1::UpdateCatalogResponse resp,
                            client.UpdateCatalog(req));
    totals.Add(req, resp);
  }
  Print(tailor::FormatCatalogTotals(totals));
  return totals.invalid == 0 ? 0 : 1;
}

absl::StatusOr<int> Catalog(tailor::TailorClient& client, const Args& args) {
  tailor::ReadReport report;
  TAILOR_ASSIGN_OR_RETURN(
      const std::vector<tailor::Item> items,
      tailor::ReadCatalogCsv(args[2], tailor::ReadOptions(), &report));
  return SendCatalog(client, tailor::CatalogUpserts(items));
}

absl::StatusOr<int> Stock(tailor::TailorClient& client, const Args& args) {
  tailor::v1::UpdateCatalogRequest req;
  tailor::v1::CatalogChange* c = req.add_changes();
  c->set_item_id(args[2]);
  c->set_version(absl::GetFlag(FLAGS_version));
  tailor::v1::InventoryChange* inv = c->mutable_inventory();
  if (absl::GetFlag(FLAGS_price) >= 0)
    inv->set_price(absl::GetFlag(FLAGS_price));
  const std::string in_stock = absl::GetFlag(FLAGS_in_stock);
  if (!in_stock.empty()) {
    bool value;
    if (!absl::SimpleAtob(in_stock, &value)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--in_stock: '", in_stock, "' is not true or false"));
    }
    inv->set_in_stock(value);
  }
  for (const std::string& part : absl::GetFlag(FLAGS_sizes)) {
    const std::vector<std::string> kv =
        absl::StrSplit(part, absl::MaxSplits(':', 1));
    int units;
    if (kv.size() != 2 || !absl::SimpleAtoi(kv[1], &units)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--sizes: '", part, "' is not SIZE:UNITS"));
    }
    tailor::v1::SizeStock* s = inv->add_sizes();
    s->set_size(kv[0]);
    s->set_units(units);
  }
  return SendCatalog(client, {req});
}

absl::StatusOr<int> Retire(tailor::TailorClient& client, const Args& args) {
  tailor::v1::UpdateCatalogRequest req;
  tailor::v1::CatalogChange* c = req.add_changes();
  c->set_item_id(args[2]);
  c->set_version(absl::GetFlag(FLAGS_version));
  c->set_retire(true);
  return SendCatalog(client, {req});
}

absl::StatusOr<int> Model(tailor::TailorClient& client, const Args&) {
  TAILOR_ASSIGN_OR_RETURN(const tailor::v1::ModelInfo resp, client.ModelInfo());
  return Print(tailor::FormatModelInfo(resp));
}

absl::StatusOr<int> Rollback(tailor::TailorClient& client, const Args&) {
  TAILOR_ASSIGN_OR_RETURN(const tailor::v1::ModelInfo resp, client.Rollback());
  return Print(tailor::FormatModelInfo(resp));
}

absl::StatusOr<int> Activate(tailor::TailorClient& client, const Args& args) {
  TAILOR_ASSIGN_OR_RETURN(const tailor::v1::ModelInfo resp,
                          client.Activate(args[2]));
  return Print(tailor::FormatModelInfo(resp));
}

// `message` as JSON on stdout (proto3's mapping, fields at their defaults
// left out).
absl::StatusOr<int> PrintJson(const google::protobuf::Message& message) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  if (auto s =
          google::protobuf::util::MessageToJsonString(message, &json, options);
      !s.ok()) {
    return absl::InternalError(absl::StrCat("as JSON: ", s.ToString()));
  }
  std::fputs(json.c_str(), stdout);
  return 0;
}

absl::StatusOr<int> Export(tailor::TailorClient& client, const Args& args) {
  TAILOR_ASSIGN_OR_RETURN(const tailor::v1::UserExport resp,
                          client.ExportUser(args[2]));
  return PrintJson(resp);
}

absl::StatusOr<int> Erase(tailor::TailorClient& client, const Args& args) {
  TAILOR_ASSIGN_OR_RETURN(const tailor::v1::UserErasure resp,
                          client.EraseUser(args[2]));
  return PrintJson(resp);
}

absl::StatusOr<int> Snapshots(tailor::TailorClient& client, const Args&) {
  TAILOR_ASSIGN_OR_RETURN(const tailor::v1::ListSnapshotsResponse resp,
                          client.ListSnapshots());
  return Print(tailor::FormatSnapshotList(resp));
}

// Exit code 1 unless the service is SERVING.
absl::StatusOr<int> Health(tailor::TailorClient& client, const Args&) {
  TAILOR_ASSIGN_OR_RETURN(const std::string status,
                          client.HealthStatus(absl::GetFlag(FLAGS_service)));
  std::printf("%s\n", status.c_str());
  return status == "SERVING" ? 0 : 1;
}

// Exit code 1 when any measured call failed.
absl::StatusOr<int> Latency(tailor::TailorClient& client, const Args&) {
  const std::vector<std::string> users = absl::GetFlag(FLAGS_users);
  const int count = absl::GetFlag(FLAGS_count);
  const std::string rpc_name = absl::GetFlag(FLAGS_rpc);
  if (rpc_name != "recommend" && rpc_name != "segment") {
    return absl::InvalidArgumentError(absl::StrCat(
        "--rpc: '", rpc_name, "' is not one of recommend, segment"));
  }
  const auto rpc = rpc_name == "segment"
                       ? tailor::TailorClient::Rpc::kGetSegment
                       : tailor::TailorClient::Rpc::kRecommendFor;
  TAILOR_ASSIGN_OR_RETURN(
      const tailor::LatencyReport report,
      client.MeasureLatency(users, absl::GetFlag(FLAGS_requests), count,
                            absl::GetFlag(FLAGS_warmup), rpc));
  std::printf("%s\n",
              tailor::FormatLatency(report, count, users.size(), rpc).c_str());
  return report.errors == 0 ? 0 : 1;
}

absl::StatusOr<int> CreateExperiment(tailor::TailorClient& client,
                                     const Args& args) {
  tailor::v1::Experiment e;
  e.set_name(args[2]);
  const std::string salt = absl::GetFlag(FLAGS_salt);
  e.set_salt(salt.empty() ? std::string(args[2]) : salt);
  e.set_layer(absl::GetFlag(FLAGS_layer));
  TAILOR_ASSIGN_OR_RETURN(const std::vector<tailor::v1::ExperimentArm> arms,
                          tailor::ParseArms(absl::GetFlag(FLAGS_arms)));
  for (const tailor::v1::ExperimentArm& arm : arms) *e.add_arms() = arm;
  const std::string eligibility = absl::GetFlag(FLAGS_eligibility);
  tailor::v1::ExperimentEligibility value;
  if (!tailor::v1::ExperimentEligibility_Parse(
          absl::StrCat("EXPERIMENT_ELIGIBILITY_",
                       absl::AsciiStrToUpper(eligibility)),
          &value) ||
      value == tailor::v1::EXPERIMENT_ELIGIBILITY_UNSPECIFIED) {
    return absl::InvalidArgumentError(
        absl::StrCat("--eligibility: '", eligibility,
                     "' is not one of all, segment, new_visitors"));
  }
  e.set_eligibility(value);
  e.set_segment(absl::GetFlag(FLAGS_segment));
  e.set_start_unix(absl::GetFlag(FLAGS_start));
  e.set_end_unix(absl::GetFlag(FLAGS_end));
  const std::string allocation = absl::GetFlag(FLAGS_allocation);
  if (allocation == "thompson") {
    e.set_allocation(tailor::v1::EXPERIMENT_ALLOCATION_THOMPSON);
    tailor::v1::BanditSettings* bandit = e.mutable_bandit();
    const std::string metric = absl::GetFlag(FLAGS_bandit_metric);
    if (metric != "conversion" && metric != "revenue") {
      return absl::InvalidArgumentError(absl::StrCat(
          "--bandit_metric: '", metric, "' is not conversion or revenue"));
    }
    bandit->set_metric(metric == "revenue"
                           ? tailor::v1::BANDIT_METRIC_REVENUE
                           : tailor::v1::BANDIT_METRIC_CONVERSION);
    bandit->set_interval_seconds(absl::GetFlag(FLAGS_bandit_interval));
    bandit->set_min_share_bp(absl::GetFlag(FLAGS_min_share));
  } else if (allocation != "fixed") {
    return absl::InvalidArgumentError(absl::StrCat(
        "--allocation: '", allocation, "' is not fixed or thompson"));
  }
  TAILOR_ASSIGN_OR_RETURN(const tailor::v1::Experiment created,
                          client.CreateExperiment(e));
  return Print(tailor::FormatExperiment(created));
}

absl::StatusOr<int> Experiments(tailor::TailorClient& client, const Args&) {
  TAILOR_ASSIGN_OR_RETURN(const tailor::v1::ListExperimentsResponse list,
                          client.ListExperiments(absl::GetFlag(FLAGS_all)));
  return Print(tailor::FormatExperimentList(list));
}

absl::StatusOr<int> ShowExperiment(tailor::TailorClient& client,
                                   const Args& args) {
  TAILOR_ASSIGN_OR_RETURN(const tailor::v1::Experiment e,
                          client.GetExperiment(args[2]));
  return Print(tailor::FormatExperiment(e));
}

absl::StatusOr<int> Results(tailor::TailorClient& client, const Args& args) {
  tailor::v1::GetExperimentResultsRequest request;
  request.set_name(args[2]);
  request.set_attribution_window_days(absl::GetFlag(FLAGS_window_days));
  request.set_sequential_tau(absl::GetFlag(FLAGS_tau));
  TAILOR_ASSIGN_OR_RETURN(const tailor::v1::ExperimentResults results,
                          client.GetExperimentResults(request));
  if (const std::string html = absl::GetFlag(FLAGS_html); !html.empty()) {
    TAILOR_RETURN_IF_ERROR(tailor::WriteExperimentReport(results, html));
  }
  return Print(tailor::FormatExperimentResults(results));
}

absl::StatusOr<int> StopExperiment(tailor::TailorClient& client,
                                   const Args& args) {
  TAILOR_ASSIGN_OR_RETURN(const tailor::v1::Experiment e,
                          client.StopExperiment(args[2]));
  return Print(tailor::FormatExperiment(e));
}

absl::StatusOr<int> ArchiveExperiment(tailor::TailorClient& client,
                                      const Args& args) {
  TAILOR_ASSIGN_OR_RETURN(const tailor::v1::Experiment e,
                          client.ArchiveExperiment(args[2]));
  return Print(tailor::FormatExperiment(e));
}

// Scores the served lists of every shopper of a held-out pairs CSV.
absl::StatusOr<int> Score(tailor::TailorClient& client, const Args& args) {
  TAILOR_ASSIGN_OR_RETURN(const std::vector<tailor::HeldOut> held_out,
                          tailor::ReadHeldOutCsv(args[2]));
  TAILOR_ASSIGN_OR_RETURN(const tailor::v1::RecommendRequest req,
                          RecommendRequest(""));
  TAILOR_ASSIGN_OR_RETURN(const tailor::ServedScore score,
                          client.ScoreServed(held_out, req));
  return Print(absl::GetFlag(FLAGS_json)
                   ? tailor::ServedScoreJson(score, req.count())
                   : tailor::FormatServedScore(score, req.count()));
}

struct Command {
  const char* name;
  size_t positional;  // arguments after the command's name
  Run run;
};

constexpr Command kCommands[] = {
    {"recommend", 1, Recommend},
    {"similar", 1, Similar},
    {"together", 1, Together},
    {"segment", 1, Segment},
    {"segments", 0, Segments},
    {"audience", 0, Audience},
    {"record", 3, Record},
    {"model", 0, Model},
    {"rollback", 0, Rollback},
    {"activate", 1, Activate},
    {"snapshots", 0, Snapshots},
    {"health", 0, Health},
    {"latency", 0, Latency},
    {"export", 1, Export},
    {"erase", 1, Erase},
    {"catalog", 1, Catalog},
    {"stock", 1, Stock},
    {"retire", 1, Retire},
    {"score", 1, Score},
    {"create-experiment", 1, CreateExperiment},
    {"experiments", 0, Experiments},
    {"experiment", 1, ShowExperiment},
    {"stop-experiment", 1, StopExperiment},
    {"archive-experiment", 1, ArchiveExperiment},
    {"results", 1, Results},
};

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(kUsage);
  const Args args = absl::ParseCommandLine(argc, argv);
  const std::string name = args.size() >= 2 ? args[1] : "";
  for (const Command& command : kCommands) {
    if (name != command.name || args.size() != command.positional + 2) {
      continue;
    }
    absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
        tailor::MakeChannel(absl::GetFlag(FLAGS_address),
                            tailor::ClientSecurityFromFlags());
    if (!channel.ok()) return Fail(channel.status());
    tailor::TailorClient client(
        *std::move(channel),
        absl::Milliseconds(absl::GetFlag(FLAGS_timeout_ms)));
    const absl::StatusOr<int> code = command.run(client, args);
    return code.ok() ? *code : Fail(code.status());
  }
  std::fprintf(stderr, "usage:\n%s\n", kUsage);
  return 2;
}

// deploy/kubernetes/, rendered as a cluster would get it: each overlay
// through `kubectl kustomize`, read back (YAML to JSON with python3's
// PyYAML), and checked against the binaries it runs: every argument a flag
// tailor-server or tailor-trainer has, container ports where --address and
// --metrics_address listen, probes that reach them in a way the server
// answers, every path flag on a mounted volume of the right kind, Services
// and the ServiceMonitor pointing at ports that exist, the trainer sharing
// the writer's event log and the servers' snapshot volume, and the
// PrometheusRule holding exactly deploy/monitoring/alerts.yml's rules.
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace tailor {
namespace {

using google::protobuf::ListValue;
using google::protobuf::Struct;
using google::protobuf::Value;

const std::string kSource = TAILOR_SOURCE_DIR;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool Shell(const std::string& command) {
  return std::system(command.c_str()) == 0;
}

// The YAML documents `command` prints, as JSON values; empty on failure.
std::vector<Value> Documents(const std::string& command,
                             const testing::TempDir& dir) {
  const std::string out = dir.Join("docs.json");
  const std::string err = dir.Join("stderr.txt");
  if (!Shell(absl::StrCat(
          command, " 2>", err,
          " | python3 -c 'import json, sys, yaml; json.dump({\"docs\": "
          "list(yaml.safe_load_all(sys.stdin))}, sys.stdout)' >",
          out))) {
    ADD_FAILURE() << command << " failed: " << ReadAll(err);
    return {};
  }
  Struct parsed;
  auto s = google::protobuf::util::JsonStringToMessage(ReadAll(out), &parsed);
  EXPECT_TRUE(s.ok()) << s;
  std::vector<Value> docs;
  for (const Value& v : parsed.fields().at("docs").list_value().values()) {
    if (v.has_struct_value()) docs.push_back(v);
  }
  return docs;
}

// The value at a dotted path ("spec.template.spec"), or null.
const Value* At(const Value& v, const std::string& path) {
  const Value* at = &v;
  for (absl::string_view key : absl::StrSplit(path, '.')) {
    if (!at->has_struct_value()) return nullptr;
    auto it = at->struct_value().fields().find(std::string(key));
    if (it == at->struct_value().fields().end()) return nullptr;
    at = &it->second;
  }
  return at;
}
std::string Str(const Value& v, const std::string& path) {
  const Value* at = At(v, path);
  return at != nullptr && at->has_string_value() ? at->string_value() : "";
}
const ListValue& List(const Value& v, const std::string& path) {
  static const ListValue kEmpty;
  const Value* at = At(v, path);
  return at != nullptr && at->has_list_value() ? at->list_value() : kEmpty;
}
bool Bool(const Value& v, const std::string& path) {
  const Value* at = At(v, path);
  return at != nullptr && at->bool_value();
}
std::map<std::string, std::string> Labels(const Value& v,
                                          const std::string& path) {
  std::map<std::string, std::string> labels;
  if (const Value* at = At(v, path); at != nullptr && at->has_struct_value()) {
    for (const auto& [k, x] : at->struct_value().fields()) {
      labels[k] = x.string_value();
    }
  }
  return labels;
}
bool Selects(const std::map<std::string, std::string>& selector,
             const std::map<std::string, std::string>& labels) {
  if (selector.empty()) return false;
  for (const auto& [k, v] : selector) {
    auto it = labels.find(k);
    if (it == labels.end() || it->second != v) return false;
  }
  return true;
}
// "1", "500m", "2Gi", "512Mi" as a number (cores or bytes).
double Quantity(const std::string& q) {
  static const std::vector<std::pair<std::string, double>> kSuffixes = {
      {"Ki", 1024.0}, {"Mi", 1048576.0}, {"Gi", 1073741824.0}, {"m", 1e-3}};
  for (const auto& [suffix, scale] : kSuffixes) {
    double x;
    if (absl::EndsWith(q, suffix) &&
        absl::SimpleAtod(q.substr(0, q.size() - suffix.size()), &x)) {
      return x * scale;
    }
  }
  double x = -1;
  EXPECT_TRUE(absl::SimpleAtod(q, &x)) << "quantity " << q;
  return x;
}

// The flags `binary --helpfull` lists.
std::set<std::string> FlagsOf(const std::string& binary,
                              const testing::TempDir& dir) {
  const std::string out = dir.Join("help.txt");
  Shell(absl::StrCat(binary, " --helpfull >", out, " 2>&1"));
  std::set<std::string> flags;
  const std::regex flag_line("^\\s+--([a-z0-9_]+) \\(");
  std::stringstream lines(ReadAll(out));
  for (std::string line; std::getline(lines, line);) {
    std::smatch m;
    if (std::regex_search(line, m, flag_line)) flags.insert(m[1]);
  }
  EXPECT_GT(flags.size(), 10u) << binary << " --helpfull";
  return flags;
}

int PortOf(const std::string& address) {
  int port = -1;
  EXPECT_TRUE(absl::SimpleAtoi(address.substr(address.rfind(':') + 1), &port))
      << address;
  return port;
}

// One container of a workload, with what its pod declares.
struct Container {
  std::string workload;  // "StatefulSet/tailor-writer"
  const Value* pod;      // the pod template's spec
  const Value* self;
  std::map<std::string, std::string> labels;           // the pod's
  std::map<std::string, std::string> flags;            // --name=value
  std::map<std::string, const Value*> volumes;         // by name
  std::map<std::string, std::string> claim_templates;  // name -> claim
  std::map<std::string, int> ports;                    // by name
};

class KubernetesTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (!Shell("command -v kubectl >/dev/null 2>&1")) {
      GTEST_SKIP() << "kubectl is not installed (Debian: kubernetes-client; "
                      "scripts/install-deps.sh installs it)";
    }
    if (!Shell("python3 -c 'import yaml' >/dev/null 2>&1")) {
      GTEST_SKIP() << "python3 with PyYAML is not installed (Debian: "
                      "python3-yaml; scripts/install-deps.sh installs it)";
    }
    docs_ = Documents(absl::StrCat("kubectl kustomize ", kSource,
                                   "/deploy/kubernetes/overlays/", GetParam()),
                      dir_);
    ASSERT_FALSE(docs_.empty());
    server_flags_ = FlagsOf(TAILOR_SERVER_BINARY, dir_);
    trainer_flags_ = FlagsOf(TAILOR_TRAINER_BINARY, dir_);
    for (const Value& d : docs_) {
      const std::string kind = Str(d, "kind");
      const Value* pod = nullptr;
      std::string labels_path;
      if (kind == "StatefulSet" || kind == "Deployment") {
        pod = At(d, "spec.template.spec");
        labels_path = "spec.template.metadata.labels";
      } else if (kind == "CronJob") {
        pod = At(d, "spec.jobTemplate.spec.template.spec");
        labels_path = "spec.jobTemplate.spec.template.metadata.labels";
      }
      if (pod == nullptr) continue;
      for (const Value& c : List(*pod, "containers").values()) {
        Container k;
        k.workload = absl::StrCat(kind, "/", Str(d, "metadata.name"));
        k.pod = pod;
        k.self = &c;
        k.labels = Labels(d, labels_path);
        for (const Value& v : List(*pod, "volumes").values()) {
          k.volumes[Str(v, "name")] = &v;
        }
        for (const Value& t : List(d, "spec.volumeClaimTemplates").values()) {
          const std::string name = Str(t, "metadata.name");
          k.volumes[name] = &t;
          k.claim_templates[name] =
              absl::StrCat(name, "-", Str(d, "metadata.name"), "-0");
        }
        for (const Value& a : List(c, "args").values()) {
          const std::string& arg = a.string_value();
          if (!absl::StartsWith(arg, "--")) continue;
          std::vector<std::string> kv =
              absl::StrSplit(arg.substr(2), absl::MaxSplits('=', 1));
          k.flags[kv[0]] = kv.size() > 1 ? kv[1] : "";
        }
        for (const Value& p : List(c, "ports").values()) {
          k.ports[Str(p, "name")] =
              static_cast<int>(At(p, "containerPort")->number_value());
        }
        containers_.push_back(std::move(k));
      }
    }
    ASSERT_FALSE(containers_.empty());
  }

  std::vector<const Value*> OfKind(const std::string& kind) const {
    std::vector<const Value*> out;
    for (const Value& d : docs_) {
      if (Str(d, "kind") == kind) out.push_back(&d);
    }
    return out;
  }
  bool IsServer(const Container& c) const {
    return List(*c.self, "command").values_size() > 0 &&
           List(*c.self, "command").values(0).string_value() == "tailor-server";
  }
  // The volumeMount under which `path` lies (the longest mountPath).
  const Value* MountOf(const Container& c, const std::string& path) const {
    const Value* best = nullptr;
    size_t best_len = 0;
    for (const Value& m : List(*c.self, "volumeMounts").values()) {
      const std::string mount = Str(m, "mountPath");
      if ((path == mount || absl::StartsWith(path, mount + "/")) &&
          mount.size() > best_len) {
        best = &m;
        best_len = mount.size();
      }
    }
    return best;
  }
  // The claim a volume stands for ("" for one that is not a claim).
  std::string ClaimOf(const Container& c, const std::string& volume) const {
    if (auto it = c.claim_templates.find(volume);
        it != c.claim_templates.end()) {
      return it->second;
    }
    auto it = c.volumes.find(volume);
    return it == c.volumes.end()
               ? ""
               : Str(*it->second, "persistentVolumeClaim.claimName");
  }

  testing::TempDir dir_;
  std::vector<Value> docs_;
  std::set<std::string> server_flags_;
  std::set<std::string> trainer_flags_;
  std::vector<Container> containers_;
};

TEST_P(KubernetesTest, EveryArgumentIsAFlagOfTheBinary) {
  for (Container& c : containers_) {
    SCOPED_TRACE(c.workload);
    const auto& command = List(*c.self, "command");
    ASSERT_EQ(command.values_size(), 1);
    const std::string binary = command.values(0).string_value();
    ASSERT_TRUE(binary == "tailor-server" || binary == "tailor-trainer")
        << binary;
    const std::set<std::string>& known =
        binary == "tailor-server" ? server_flags_ : trainer_flags_;
    const auto& args = List(*c.self, "args").values();
    std::set<std::string> seen;
    int first = 0;
    if (binary == "tailor-trainer") {
      ASSERT_GT(args.size(), 0);
      EXPECT_EQ(args[0].string_value(), "train");
      first = 1;
    }
    for (int i = first; i < args.size(); ++i) {
      const std::string arg = args[i].string_value();
      std::smatch m;
      static const std::regex kFlag("^--([a-z0-9_]+)=(.*)$");
      ASSERT_TRUE(std::regex_match(arg, m, kFlag))
          << "argument '" << arg << "' is not --flag=value";
      EXPECT_TRUE(known.contains(m[1])) << binary << " has no flag --" << m[1];
      EXPECT_TRUE(seen.insert(m[1]).second) << "twice: --" << m[1];
      EXPECT_EQ(m[2].str().find("$("), std::string::npos)
          << arg << " names an environment variable";
    }
    EXPECT_EQ(List(*c.self, "env").values_size(), 0)
        << "the flags say it all; an env variable here would be unused";
  }
}

TEST_P(KubernetesTest, PortsAndProbesMatchTheListeningAddresses) {
  for (Container& c : containers_) {
    if (!IsServer(c)) continue;
    SCOPED_TRACE(c.workload);
    std::map<std::string, std::string> flags = c.flags;
    ASSERT_TRUE(flags.contains("address"));
    ASSERT_TRUE(flags.contains("metrics_address"));
    const int grpc = PortOf(flags["address"]);
    const int metrics = PortOf(flags["metrics_address"]);
    EXPECT_EQ(c.ports, (std::map<std::string, int>{{"grpc", grpc},
                                                   {"metrics", metrics}}));
    // Beyond loopback the server needs tokens or TLS (or allow_insecure).
    EXPECT_TRUE(flags.contains("tokens_file"));
    EXPECT_FALSE(flags.contains("allow_insecure"));
    const bool tls = flags.contains("tls_cert_file");
    EXPECT_EQ(tls, flags.contains("tls_key_file"));

    for (const char* probe :
         {"startupProbe", "livenessProbe", "readinessProbe"}) {
      SCOPED_TRACE(probe);
      const Value* p = At(*c.self, probe);
      ASSERT_NE(p, nullptr) << "no " << probe;
      const bool ready = std::string(probe) == "readinessProbe";
      if (const Value* g = At(*p, "grpc")) {
        EXPECT_FALSE(tls) << "kubelet's gRPC probes cannot speak TLS";
        EXPECT_EQ(At(*g, "port")->number_value(), grpc);
        // The health service's "" follows the snapshot; "liveness" (the
        // server's kLivenessService) the process.
        EXPECT_EQ(Str(*g, "service"), ready ? "" : "liveness");
        EXPECT_EQ(At(*p, "httpGet"), nullptr);
      } else {
        const Value* h = At(*p, "httpGet");
        ASSERT_NE(h, nullptr) << "neither grpc nor httpGet";
        const Value* port = At(*h, "port");
        ASSERT_NE(port, nullptr);
        EXPECT_TRUE(port->string_value() == "metrics" ||
                    port->number_value() == metrics);
        EXPECT_EQ(Str(*h, "path"), ready ? "/ready" : "/healthz");
      }
    }
    // A startup probe long enough for a large snapshot: 2 minutes at least.
    const Value* startup = At(*c.self, "startupProbe");
    EXPECT_GE(At(*startup, "periodSeconds")->number_value() *
                  At(*startup, "failureThreshold")->number_value(),
              120);
    // The pod's grace covers the drain and the grace the flags give.
    double drain = 5, grace = 10;
    if (flags.contains("drain_seconds")) {
      ASSERT_TRUE(absl::SimpleAtod(flags["drain_seconds"], &drain));
    }
    if (flags.contains("grace_seconds")) {
      ASSERT_TRUE(absl::SimpleAtod(flags["grace_seconds"], &grace));
    }
    const Value* termination = At(*c.pod, "terminationGracePeriodSeconds");
    ASSERT_NE(termination, nullptr);
    EXPECT_GT(termination->number_value(), drain + grace + 5);
  }
}

TEST_P(KubernetesTest, PathFlagsLieOnVolumesOfTheRightKind) {
  for (Container& c : containers_) {
    SCOPED_TRACE(c.workload);
    const bool server = IsServer(c);
    std::map<std::string, std::string> flags = c.flags;
    const bool read_only_replica = flags["accept_events"] == "false";
    // flag -> the volume kind it needs; writable or not.
    struct Need {
      const char* kind;  // "claim", "secret", "emptyDir", "claim|emptyDir"
      bool writable;
    };
    std::map<std::string, Need> needs;
    if (server) {
      needs = {{"data_dir", {"claim|emptyDir", true}},
               {"snapshot_dir", {"claim", flags["keep_snapshots"] != "0"}},
               {"tokens_file", {"secret", false}},
               {"tls_cert_file", {"secret", false}},
               {"tls_key_file", {"secret", false}},
               {"tls_client_ca_file", {"secret", false}},
               {"writer_ca_file", {"secret", false}},
               {"writer_token_file", {"secret", false}}};
      if (!read_only_replica) needs["data_dir"] = {"claim", true};
    } else {
      needs = {{"events", {"claim", false}},
               {"catalog", {"claim", false}},
               {"event_log", {"claim", false}},
               {"event_log_secondary", {"emptyDir", true}},
               {"snapshot_dir", {"claim", true}}};
    }
    for (const auto& [flag, need] : needs) {
      if (!flags.contains(flag)) continue;
      SCOPED_TRACE(flag);
      const Value* mount = MountOf(c, flags[flag]);
      ASSERT_NE(mount, nullptr) << flags[flag] << " is on no volume";
      const std::string name = Str(*mount, "name");
      ASSERT_TRUE(c.volumes.contains(name)) << "no volume " << name;
      const Value& volume = *c.volumes.at(name);
      std::string kind = "other";
      if (c.claim_templates.contains(name) ||
          At(volume, "persistentVolumeClaim") != nullptr) {
        kind = "claim";
      } else if (At(volume, "secret") != nullptr) {
        kind = "secret";
      } else if (At(volume, "emptyDir") != nullptr) {
        kind = "emptyDir";
      }
      EXPECT_TRUE(absl::StrContains(need.kind, kind))
          << "--" << flag << " on a volume of kind " << kind;
      if (need.writable) {
        EXPECT_FALSE(Bool(*mount, "readOnly")) << "--" << flag;
      } else {
        EXPECT_TRUE(Bool(*mount, "readOnly"))
            << "--" << flag << " is only read: mount it read-only";
      }
      if (kind == "secret") {
        // A directory mount: a renewed Secret reaches the file.
        EXPECT_EQ(At(*mount, "subPath"), nullptr);
      }
    }
    // Every mount has its volume, and every volume is mounted.
    std::set<std::string> mounted;
    for (const Value& m : List(*c.self, "volumeMounts").values()) {
      EXPECT_TRUE(c.volumes.contains(Str(m, "name"))) << Str(m, "name");
      mounted.insert(Str(m, "name"));
    }
    for (const auto& [name, v] : c.volumes) {
      EXPECT_TRUE(mounted.contains(name)) << "volume " << name << " unused";
    }
    // Non-root, read-only root filesystem, a writable /tmp.
    EXPECT_TRUE(Bool(*c.pod, "securityContext.runAsNonRoot"));
    EXPECT_TRUE(Bool(*c.self, "securityContext.readOnlyRootFilesystem"));
    EXPECT_FALSE(Bool(*c.self, "securityContext.allowPrivilegeEscalation"));
    EXPECT_TRUE(At(*c.self, "securityContext.allowPrivilegeEscalation"));
    const Value* tmp = MountOf(c, "/tmp");
    ASSERT_NE(tmp, nullptr);
    EXPECT_EQ(Str(*tmp, "mountPath"), "/tmp");
    // Requests within limits; the trainer's threads are its CPU limit.
    for (const char* r : {"cpu", "memory"}) {
      const std::string req =
          Str(*c.self, absl::StrCat("resources.requests.", r));
      const std::string lim =
          Str(*c.self, absl::StrCat("resources.limits.", r));
      ASSERT_FALSE(req.empty() || lim.empty()) << r;
      EXPECT_LE(Quantity(req), Quantity(lim)) << r;
    }
    if (!server) {
      EXPECT_EQ(Quantity(flags["threads"]),
                Quantity(Str(*c.self, "resources.limits.cpu")));
    }
  }
}

TEST_P(KubernetesTest, TheTrainerSharesTheWritersEventLogAndTheSnapshots) {
  const Container* writer = nullptr;
  const Container* trainer = nullptr;
  std::vector<const Container*> servers;
  auto flag = [](const Container& c, const std::string& name) {
    auto it = c.flags.find(name);
    return it == c.flags.end() ? std::string() : it->second;
  };
  for (const Container& c : containers_) {
    if (IsServer(c)) {
      servers.push_back(&c);
      if (flag(c, "accept_events") != "false") {
        ASSERT_EQ(writer, nullptr) << "two servers keep an event log";
        writer = &c;
      }
    } else {
      trainer = &c;
    }
  }
  ASSERT_NE(writer, nullptr);
  ASSERT_NE(trainer, nullptr);
  ASSERT_TRUE(absl::StartsWith(writer->workload, "StatefulSet/"));
  // The event log: the writer's data claim, on the writer's node.
  const std::string log_claim = ClaimOf(
      *writer, Str(*MountOf(*writer, flag(*writer, "data_dir")), "name"));
  EXPECT_EQ(
      ClaimOf(*trainer,
              Str(*MountOf(*trainer, flag(*trainer, "event_log")), "name")),
      log_claim);
  const std::string writer_pod = absl::StrCat(
      writer->workload.substr(writer->workload.find('/') + 1), "-0");
  EXPECT_EQ(log_claim, absl::StrCat("data-", writer_pod));
  const auto& affinity = List(
      *trainer->pod,
      "affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution");
  ASSERT_EQ(affinity.values_size(), 1);
  EXPECT_EQ(Labels(affinity.values(0), "labelSelector.matchLabels"),
            (std::map<std::string, std::string>{
                {"statefulset.kubernetes.io/pod-name", writer_pod}}));
  EXPECT_EQ(Str(affinity.values(0), "topologyKey"), "kubernetes.io/hostname");
  // The snapshots: one claim for the trainer and every server.
  const std::string snapshots =
      ClaimOf(*trainer,
              Str(*MountOf(*trainer, flag(*trainer, "snapshot_dir")), "name"));
  EXPECT_FALSE(snapshots.empty());
  for (const Container* s : servers) {
    SCOPED_TRACE(s->workload);
    EXPECT_EQ(ClaimOf(*s, Str(*MountOf(*s, flag(*s, "snapshot_dir")), "name")),
              snapshots);
  }
  // Servers on several nodes need the claim ReadWriteMany.
  for (const Value* pvc : OfKind("PersistentVolumeClaim")) {
    if (Str(*pvc, "metadata.name") != snapshots) continue;
    if (servers.size() > 1) {
      EXPECT_EQ(List(*pvc, "spec.accessModes").values(0).string_value(),
                "ReadWriteMany");
    }
  }
}

TEST_P(KubernetesTest, ServicesAndMonitoringPointAtPortsThatExist) {
  std::map<std::string, const Value*> services;
  for (const Value* s : OfKind("Service")) {
    SCOPED_TRACE(Str(*s, "metadata.name"));
    services[Str(*s, "metadata.name")] = s;
    const auto selector = Labels(*s, "spec.selector");
    int selected = 0;
    for (const Container& c : containers_) {
      if (!Selects(selector, c.labels)) continue;
      ++selected;
      for (const Value& p : List(*s, "spec.ports").values()) {
        EXPECT_TRUE(c.ports.contains(Str(p, "targetPort")))
            << c.workload << " has no port " << Str(p, "targetPort");
      }
      // Events and Admin calls go to tailor-writer: never to a replica
      // that refuses them.
      if (Str(*s, "metadata.name") == "tailor-writer") {
        EXPECT_NE(c.flags.count("accept_events") ? c.flags.at("accept_events")
                                                 : "true",
                  "false")
            << c.workload;
      }
    }
    EXPECT_GT(selected, 0) << "selects no pod";
  }
  ASSERT_TRUE(services.contains("tailor"));
  ASSERT_TRUE(services.contains("tailor-writer"));
  EXPECT_TRUE(
      Bool(*services["tailor-writer"], "spec.publishNotReadyAddresses"));
  // Read replicas forward their exposures to the writer's Service, on its
  // gRPC port.
  for (const Container& c : containers_) {
    if (!IsServer(c) || !c.flags.contains("accept_events") ||
        c.flags.at("accept_events") != "false") {
      continue;
    }
    SCOPED_TRACE(c.workload);
    ASSERT_TRUE(c.flags.contains("writer_address"));
    std::string port;
    for (const Value& p :
         List(*services["tailor-writer"], "spec.ports").values()) {
      if (Str(p, "name") == "grpc") {
        port = absl::StrCat(static_cast<int>(At(p, "port")->number_value()));
      }
    }
    EXPECT_EQ(c.flags.at("writer_address"),
              absl::StrCat("tailor-writer:", port));
  }

  const auto monitors = OfKind("ServiceMonitor");
  ASSERT_EQ(monitors.size(), 1u);
  const Value& monitor = *monitors[0];
  const auto selector = Labels(monitor, "spec.selector.matchLabels");
  int monitored = 0;
  for (const auto& [name, s] : services) {
    if (!Selects(selector, Labels(*s, "metadata.labels"))) continue;
    ++monitored;
    std::set<std::string> ports;
    for (const Value& p : List(*s, "spec.ports").values()) {
      ports.insert(Str(p, "name"));
    }
    for (const Value& e : List(monitor, "spec.endpoints").values()) {
      EXPECT_TRUE(ports.contains(Str(e, "port"))) << name;
      EXPECT_EQ(Str(e, "path"), "/metrics");
    }
    // The rules and the dashboard select job="tailor".
    EXPECT_EQ(Labels(*s, "metadata.labels")[Str(monitor, "spec.jobLabel")],
              "tailor");
  }
  EXPECT_EQ(monitored, 1);

  // The alert rules are deploy/monitoring/alerts.yml's, unchanged.
  const auto rules = OfKind("PrometheusRule");
  ASSERT_EQ(rules.size(), 1u);
  const std::vector<Value> alerts = Documents(
      absl::StrCat("cat ", kSource, "/deploy/monitoring/alerts.yml"), dir_);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(
      *At(*rules[0], "spec.groups"), *At(alerts[0], "groups")))
      << "the PrometheusRule differs from deploy/monitoring/alerts.yml: run "
         "deploy/kubernetes/sync-alerts.sh";

  // Autoscaler and disruption budget name workloads that exist.
  for (const Value* hpa : OfKind("HorizontalPodAutoscaler")) {
    const std::string target =
        absl::StrCat(Str(*hpa, "spec.scaleTargetRef.kind"), "/",
                     Str(*hpa, "spec.scaleTargetRef.name"));
    bool found = false;
    for (const Container& c : containers_) found |= c.workload == target;
    EXPECT_TRUE(found) << target;
  }
  for (const Value* pdb : OfKind("PodDisruptionBudget")) {
    bool found = false;
    for (const Container& c : containers_) {
      found |= Selects(Labels(*pdb, "spec.selector.matchLabels"), c.labels);
    }
    EXPECT_TRUE(found) << Str(*pdb, "metadata.name");
  }
}

INSTANTIATE_TEST_SUITE_P(Overlays, KubernetesTest,
                         ::testing::Values("small", "large"));

}  // namespace
}  // namespace tailor

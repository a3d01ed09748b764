// TLS, mutual TLS and bearer tokens on a real server with real certificates
// (made by the openssl command at test time): the role matrix over every
// method, a wrong CA, a missing client certificate, a tokens file and a
// certificate replaced while the server runs, and the refusal to listen
// beyond loopback unprotected.
#include <cstdlib>
#include <fstream>
#include <thread>

#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "server/access_tokens.h"
#include "tailor/v1/admin.grpc.pb.h"
#include "tests/server/scrape.h"
#include "tests/server/server_fixture.h"
#include "tools/channel/secure_channel.h"
#include "tools/cli/client.h"

namespace tailor {
namespace {

using ::testing::HasSubstr;

bool HaveOpenssl() {
  return std::system("openssl version >/dev/null 2>&1") == 0;
}

// Runs a shell command in `dir`; false when it fails.
bool Shell(const std::string& dir, const std::string& command) {
  return std::system(
             absl::StrCat("cd '", dir, "' && ", command, " >/dev/null 2>&1")
                 .c_str()) == 0;
}

// A CA (NAME.pem, NAME.key) and a certificate it signs for localhost and
// 127.0.0.1 (LEAF.pem, LEAF.key), P-256 keys.
bool MakeCa(const std::string& dir, const std::string& name) {
  return Shell(dir, absl::StrCat("openssl req -x509 -newkey ec -pkeyopt "
                                 "ec_paramgen_curve:prime256v1 -nodes -keyout ",
                                 name, ".key -out ", name,
                                 ".pem -days 2 -subj '/CN=", name, "'"));
}
bool MakeLeaf(const std::string& dir, const std::string& ca,
              const std::string& leaf) {
  return Shell(
      dir, absl::StrCat(
               "printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > ", leaf,
               ".ext && openssl req -newkey ec -pkeyopt "
               "ec_paramgen_curve:prime256v1 -nodes -keyout ",
               leaf, ".key -out ", leaf, ".csr -subj '/CN=", leaf,
               "' && openssl x509 -req -in ", leaf, ".csr -CA ", ca,
               ".pem -CAkey ", ca, ".key -CAcreateserial -out ", leaf,
               ".pem -days 2 -extfile ", leaf, ".ext"));
}

// A client sending `token`.
ClientSecurity WithToken(const std::string& token) {
  ClientSecurity s;
  s.token = token;
  return s;
}

// A TLS client trusting `ca` (a PEM file), with a client certificate when
// `cert` and `key` are given, expecting the server's name "localhost".
ClientSecurity Trusting(const std::string& ca, const std::string& cert = "",
                        const std::string& key = "") {
  ClientSecurity s;
  s.ca_file = ca;
  s.cert_file = cert;
  s.key_file = key;
  s.server_name = "localhost";
  return s;
}

constexpr char kReadToken[] = "read-0123456789abcdef";
constexpr char kIngestToken[] = "ingest-0123456789abcdef";
constexpr char kAdminToken[] = "admin-0123456789abcdef";
constexpr char kAllToken[] = "all-0123456789abcdef";

std::string TokensFile() {
  return absl::StrCat(
      "# name roles hash\n",
      "storefront read sha256:", HexOf(Sha256(kReadToken)), "\n",
      "relay ingest sha256:", HexOf(Sha256(kIngestToken)), "\n",
      "ops admin sha256:", HexOf(Sha256(kAdminToken)), "\n",
      "everything read,ingest,admin sha256:", HexOf(Sha256(kAllToken)), "\n");
}

class SecurityTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    Publish(TinySnapshot());
  }
  // Starts the server with `options`' security on top of the fixture's.
  absl::Status Start(const std::function<void(ServerOptions*)>& configure) {
    ServerOptions options = Options();
    options.metrics_address = "127.0.0.1:0";
    configure(&options);
    absl::StatusOr<std::unique_ptr<TailorServer>> server =
        TailorServer::Start(options);
    if (!server.ok()) return server.status();
    server_ = *std::move(server);
    return absl::OkStatus();
  }
  std::string Address() const {
    return absl::StrCat("127.0.0.1:", server_->port());
  }
  std::shared_ptr<grpc::Channel> Channel(const ClientSecurity& security) {
    absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
        MakeChannel(Address(), security);
    EXPECT_TRUE(channel.ok()) << channel.status();
    return channel.ok() ? *channel : nullptr;
  }
  // Calls `path` with an empty request message; the status code.
  static grpc::StatusCode CallRaw(const std::shared_ptr<grpc::Channel>& channel,
                                  const std::string& path,
                                  std::string* message = nullptr) {
    const grpc::Status status = tailor::CallRaw(channel, path);
    if (message != nullptr) *message = status.error_message();
    return status.error_code();
  }
  // StreamEvents with one batch; the status code.
  static grpc::StatusCode Stream(
      const std::shared_ptr<grpc::Channel>& channel) {
    auto stub = v1::Recommender::NewStub(channel);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(10));
    v1::StreamEventsResponse resp;
    auto writer = stub->StreamEvents(&ctx, &resp);
    v1::RecordEventsRequest batch;
    v1::Event* e = batch.add_events();
    e->set_event_id("stream-1");
    e->set_user_id("alice");
    e->set_item_id("C");
    e->set_type(v1::EVENT_TYPE_VIEW);
    e->set_timestamp(1767225600);
    writer->Write(batch);
    writer->WritesDone();
    return writer->Finish().error_code();
  }
  static std::string Health(const std::shared_ptr<grpc::Channel>& channel) {
    auto health = grpc::health::v1::Health::NewStub(channel);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(10));
    grpc::health::v1::HealthCheckRequest req;
    grpc::health::v1::HealthCheckResponse resp;
    grpc::Status s = health->Check(&ctx, req, &resp);
    if (!s.ok()) return absl::StrCat("error ", s.error_code());
    return grpc::health::v1::HealthCheckResponse::ServingStatus_Name(
        resp.status());
  }
};

TEST_F(SecurityTest, EveryMethodChecksItsRoleAndNeverEchoesTheToken) {
  testing::WriteTextFile(dir_.Join("tokens"), TokensFile());
  ASSERT_TRUE(Start([&](ServerOptions* o) {
                o->tokens_file = dir_.Join("tokens");
              }).ok());
  struct Method {
    std::string path;
    Role role;
  };
  std::vector<Method> methods;
  for (const char* m : {"RecommendFor", "SimilarItems", "BoughtTogether",
                        "GetSegment", "ListSegments", "TargetAudience"}) {
    methods.push_back({absl::StrCat("/tailor.v1.Recommender/", m), kRoleRead});
  }
  methods.push_back({"/tailor.v1.Recommender/RecordEvents", kRoleIngest});
  // Every method of the Admin service, as its descriptor lists them.
  const google::protobuf::ServiceDescriptor* admin =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
          v1::Admin::service_full_name());
  ASSERT_NE(admin, nullptr);
  ASSERT_GE(admin->method_count(), 5);
  for (int i = 0; i < admin->method_count(); ++i) {
    // A read replica's forwarded exposures come with an ingest token.
    const bool ingest = admin->method(i)->name() == "RecordExposures";
    methods.push_back(
        {absl::StrCat("/tailor.v1.Admin/", admin->method(i)->name()),
         ingest ? kRoleIngest : kRoleAdmin});
  }
  struct Caller {
    std::string token;
    uint8_t roles;
  };
  const Caller callers[] = {{"", 0},
                            {"not-a-token", 0},
                            {kReadToken, kRoleRead},
                            {kIngestToken, kRoleIngest},
                            {kAdminToken, kRoleAdmin},
                            {kAllToken, kRoleRead | kRoleIngest | kRoleAdmin}};
  for (const Caller& caller : callers) {
    auto channel = Channel(WithToken(caller.token));
    for (const Method& m : methods) {
      std::string message;
      const grpc::StatusCode code = CallRaw(channel, m.path, &message);
      SCOPED_TRACE(absl::StrCat(m.path, " with token '", caller.token,
                                "': ", code, " ", message));
      if (caller.roles == 0) {
        EXPECT_EQ(code, grpc::UNAUTHENTICATED);
      } else if ((caller.roles & m.role) == 0) {
        EXPECT_EQ(code, grpc::PERMISSION_DENIED);
        EXPECT_NE(message.find(RoleName(m.role)), std::string::npos);
      } else {
        EXPECT_NE(code, grpc::UNAUTHENTICATED);
        EXPECT_NE(code, grpc::PERMISSION_DENIED);
      }
      if (!caller.token.empty()) {
        EXPECT_EQ(message.find(caller.token), std::string::npos);
      }
    }
    // StreamEvents: ingest.
    const grpc::StatusCode stream = Stream(channel);
    if (caller.roles == 0) {
      EXPECT_EQ(stream, grpc::UNAUTHENTICATED);
    } else if ((caller.roles & kRoleIngest) == 0) {
      EXPECT_EQ(stream, grpc::PERMISSION_DENIED);
    } else {
      EXPECT_EQ(stream, grpc::OK);
    }
    // Health stays open for probes.
    EXPECT_EQ(Health(channel), "SERVING");
  }
  // Failures are counted by method and reason, never by token.
  const std::string text =
      testing::HttpGet(server_->metrics_port(), "/metrics");
  const auto samples = testing::ParseExposition(text);
  EXPECT_EQ(
      testing::Find(samples, "tailor_auth_failures_total",
                    {{"grpc_method", "RecommendFor"}, {"reason", "missing"}}),
      1);
  EXPECT_EQ(
      testing::Find(samples, "tailor_auth_failures_total",
                    {{"grpc_method", "RecommendFor"}, {"reason", "unknown"}}),
      1);
  EXPECT_EQ(
      testing::Find(samples, "tailor_auth_failures_total",
                    {{"grpc_method", "Rollback"}, {"reason", "forbidden"}}),
      2);  // the read and the ingest token
  for (const char* token : {kReadToken, kIngestToken, kAdminToken, "not-a"}) {
    EXPECT_EQ(text.find(token), std::string::npos);
  }
}

TEST_F(SecurityTest, AReplacedTokensFileTakesEffectWithoutARestart) {
  const std::string path = dir_.Join("tokens");
  testing::WriteTextFile(
      path, absl::StrCat("old read sha256:", HexOf(Sha256("old-token")), "\n"));
  ASSERT_TRUE(Start([&](ServerOptions* o) {
                o->tokens_file = path;
                o->tokens_reload_interval = absl::Milliseconds(50);
              }).ok());
  const std::string recommend = "/tailor.v1.Recommender/RecommendFor";
  auto old_channel = Channel(WithToken("old-token"));
  auto new_channel = Channel(WithToken("new-token"));
  EXPECT_NE(CallRaw(old_channel, recommend), grpc::UNAUTHENTICATED);
  EXPECT_EQ(CallRaw(new_channel, recommend), grpc::UNAUTHENTICATED);

  // Replaced as Kubernetes replaces a Secret's file: written beside, renamed.
  testing::WriteTextFile(
      path + ".new",
      absl::StrCat("new read sha256:", HexOf(Sha256("new-token")), "\n"));
  ASSERT_EQ(std::rename((path + ".new").c_str(), path.c_str()), 0);
  bool switched = false;
  for (int i = 0; i < 200 && !switched; ++i) {
    switched = CallRaw(new_channel, recommend) != grpc::UNAUTHENTICATED;
    if (!switched) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(switched);
  EXPECT_EQ(CallRaw(old_channel, recommend), grpc::UNAUTHENTICATED);

  // A file that does not parse keeps the tokens there are.
  testing::WriteTextFile(path, "broken line\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_NE(CallRaw(new_channel, recommend), grpc::UNAUTHENTICATED);
}

TEST_F(SecurityTest, ATokensFileThatDoesNotParseFailsTheStart) {
  testing::WriteTextFile(dir_.Join("tokens"), "ops superuser sha256:abcd\n");
  absl::Status s =
      Start([&](ServerOptions* o) { o->tokens_file = dir_.Join("tokens"); });
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
  EXPECT_NE(s.message().find("line 1"), absl::string_view::npos) << s;
  EXPECT_NE(s.message().find("superuser"), absl::string_view::npos) << s;
}

TEST_F(SecurityTest, TlsWithTheRightCaOnlyAndMutualTlsNeedsAClientCertificate) {
  if (!HaveOpenssl()) GTEST_SKIP() << "the openssl command is not installed";
  const std::string d = dir_.path();
  ASSERT_TRUE(MakeCa(d, "ca") && MakeLeaf(d, "ca", "server") &&
              MakeLeaf(d, "ca", "client") && MakeCa(d, "other"));
  ASSERT_TRUE(Start([&](ServerOptions* o) {
                o->tls.cert_file = d + "/server.pem";
                o->tls.key_file = d + "/server.key";
                o->tls.client_ca_file = d + "/ca.pem";
              }).ok());
  const std::string recommend = "/tailor.v1.Recommender/RecommendFor";
  // The right CA and a client certificate.
  auto good =
      Channel(Trusting(d + "/ca.pem", d + "/client.pem", d + "/client.key"));
  EXPECT_EQ(Health(good), "SERVING");
  EXPECT_NE(CallRaw(good, recommend), grpc::UNAVAILABLE);
  // No client certificate: the handshake fails.
  auto anonymous = Channel(Trusting(d + "/ca.pem"));
  EXPECT_EQ(CallRaw(anonymous, recommend), grpc::UNAVAILABLE);
  // A CA that did not sign the server's certificate.
  auto wrong_ca =
      Channel(Trusting(d + "/other.pem", d + "/client.pem", d + "/client.key"));
  EXPECT_EQ(CallRaw(wrong_ca, recommend), grpc::UNAVAILABLE);
  // Plain text to a TLS port.
  auto plain = Channel(ClientSecurity());
  EXPECT_EQ(CallRaw(plain, recommend), grpc::UNAVAILABLE);
}

// A read replica reaches the writer over TLS, checking the writer's
// certificate against the CA it is given, with an ingest token: its
// exposures are stored there. Plaintext beyond loopback and unreadable
// files are refused at start, naming the flag.
TEST_F(SecurityTest, AReplicaForwardsExposuresOverTlsWithAnIngestToken) {
  if (!HaveOpenssl()) GTEST_SKIP() << "the openssl command is not installed";
  // gRPC's own resolver: c-ares keeps 10 bytes of a TLS channel's
  // resolution until exit, which LeakSanitizer reports.
  setenv("GRPC_DNS_RESOLVER", "native", 1);
  const std::string d = dir_.path();
  ASSERT_TRUE(MakeCa(d, "ca") && MakeLeaf(d, "ca", "server"));
  testing::WriteTextFile(dir_.Join("tokens"), TokensFile());
  testing::WriteTextFile(dir_.Join("replica-token"),
                         absl::StrCat(kIngestToken, "\n"));
  ASSERT_TRUE(Start([&](ServerOptions* o) {
                o->tls.cert_file = d + "/server.pem";
                o->tls.key_file = d + "/server.key";
                o->tokens_file = dir_.Join("tokens");
              }).ok());
  auto admin_channel = Channel([&] {
    ClientSecurity s = Trusting(d + "/ca.pem");
    s.token = kAdminToken;
    return s;
  }());
  TailorClient writer(admin_channel, absl::Seconds(10));
  v1::Experiment e;
  e.set_name("homepage");
  e.set_salt("homepage-salt");
  for (const char* name : {"a", "b"}) {
    v1::ExperimentArm* arm = e.add_arms();
    arm->set_name(name);
    arm->set_strategy("popularity");
    arm->set_share_bp(5000);
  }
  auto created = writer.CreateExperiment(e);
  ASSERT_TRUE(created.ok()) << created.status();

  ServerOptions replica_options = Options();
  replica_options.data_dir = dir_.Join("replica-data");
  replica_options.accept_events = false;
  replica_options.writer.address = absl::StrCat("localhost:", server_->port());
  replica_options.writer.ca_file = d + "/ca.pem";
  replica_options.writer.token_file = dir_.Join("replica-token");
  auto replica = TailorServer::Start(replica_options);
  ASSERT_TRUE(replica.ok()) << replica.status();
  TailorClient at_replica(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", (*replica)->port()),
                          grpc::InsecureChannelCredentials()),
      absl::Seconds(10));
  v1::RecommendRequest req;
  req.set_user_id("visitor");
  auto answer = at_replica.Recommend(req);
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->experiment(), "homepage");
  (*replica)->FlushExposures();  // forwarded to the writer
  auto exported = writer.ExportUser("visitor");
  ASSERT_TRUE(exported.ok()) << exported.status();
  ASSERT_EQ(exported->exposures_size(), 1);
  EXPECT_EQ(exported->exposures(0).recommendation_id(),
            answer->recommendation_id());

  // Refused at start, naming the flag.
  replica->reset();
  ServerOptions bad = replica_options;
  bad.writer.ca_file = "";
  bad.writer.address = "10.0.0.5:8980";
  absl::Status s = TailorServer::Start(bad).status();
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("--writer_ca_file"));
  bad = replica_options;
  bad.writer.ca_file = d + "/missing.pem";
  s = TailorServer::Start(bad).status();
  EXPECT_THAT(std::string(s.message()), HasSubstr("--writer_ca_file"));
  bad = replica_options;
  bad.writer.token_file = d + "/missing-token";
  s = TailorServer::Start(bad).status();
  EXPECT_THAT(std::string(s.message()), HasSubstr("--writer_token_file"));
  bad = replica_options;
  bad.accept_events = true;
  s = TailorServer::Start(bad).status();
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("--writer_address: only for read replicas"));
}

TEST_F(SecurityTest, AReplacedCertificateIsServedWithoutARestart) {
  if (!HaveOpenssl()) GTEST_SKIP() << "the openssl command is not installed";
  const std::string d = dir_.path();
  ASSERT_TRUE(MakeCa(d, "ca") && MakeLeaf(d, "ca", "server") &&
              MakeCa(d, "next") && MakeLeaf(d, "next", "renewed"));
  ASSERT_TRUE(Start([&](ServerOptions* o) {
                o->tls.cert_file = d + "/server.pem";
                o->tls.key_file = d + "/server.key";
                o->tls.reload_interval = absl::Seconds(1);
              }).ok());
  EXPECT_EQ(Health(Channel(Trusting(d + "/ca.pem"))), "SERVING");
  // The renewed certificate (another CA) replaces the files.
  ASSERT_TRUE(Shell(d,
                    "cp renewed.key server.key.new && cp renewed.pem "
                    "server.pem.new && mv server.key.new server.key && mv "
                    "server.pem.new server.pem"));
  std::string health;
  for (int i = 0; i < 100 && health != "SERVING"; ++i) {
    // A fresh channel each time: a new handshake.
    health = Health(Channel(Trusting(d + "/next.pem")));
    if (health != "SERVING") {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  EXPECT_EQ(health, "SERVING");
  EXPECT_NE(Health(Channel(Trusting(d + "/ca.pem"))), "SERVING");
}

TEST_F(SecurityTest, BadCertificateFilesFailTheStartNamingTheFlag) {
  if (!HaveOpenssl()) GTEST_SKIP() << "the openssl command is not installed";
  const std::string d = dir_.path();
  ASSERT_TRUE(MakeCa(d, "ca") && MakeLeaf(d, "ca", "server") &&
              MakeLeaf(d, "ca", "client"));
  absl::Status missing = Start([&](ServerOptions* o) {
    o->tls.cert_file = d + "/nope.pem";
    o->tls.key_file = d + "/server.key";
  });
  EXPECT_NE(missing.message().find("--tls_cert_file"), absl::string_view::npos)
      << missing;
  absl::Status mismatched = Start([&](ServerOptions* o) {
    o->tls.cert_file = d + "/server.pem";
    o->tls.key_file = d + "/client.key";
  });
  EXPECT_NE(mismatched.message().find("is not the key of the certificate"),
            absl::string_view::npos)
      << mismatched;
  absl::Status no_ca = Start([&](ServerOptions* o) {
    o->tls.cert_file = d + "/server.pem";
    o->tls.key_file = d + "/server.key";
    o->tls.client_ca_file = d + "/server.key";
  });
  EXPECT_NE(no_ca.message().find("--tls_client_ca_file"),
            absl::string_view::npos)
      << no_ca;
}

TEST_F(SecurityTest, BeyondLoopbackUnprotectedIsAnExplicitChoice) {
  absl::Status refused =
      Start([&](ServerOptions* o) { o->address = "0.0.0.0:0"; });
  EXPECT_TRUE(absl::IsInvalidArgument(refused)) << refused;
  EXPECT_NE(refused.message().find("--allow_insecure"), absl::string_view::npos)
      << refused;
  EXPECT_TRUE(Start([&](ServerOptions* o) {
                o->address = "0.0.0.0:0";
                o->allow_insecure = true;
              }).ok());
  server_.reset();
  testing::WriteTextFile(dir_.Join("tokens"), TokensFile());
  EXPECT_TRUE(Start([&](ServerOptions* o) {
                o->address = "0.0.0.0:0";
                o->tokens_file = dir_.Join("tokens");
              }).ok());
  EXPECT_TRUE(IsLocalAddress("127.0.0.1:8980"));
  EXPECT_TRUE(IsLocalAddress("[::1]:8980"));
  EXPECT_TRUE(IsLocalAddress("localhost:8980"));
  EXPECT_TRUE(IsLocalAddress("unix:/run/tailor.sock"));
  EXPECT_FALSE(IsLocalAddress("0.0.0.0:8980"));
  EXPECT_FALSE(IsLocalAddress("[::]:8980"));
  EXPECT_FALSE(IsLocalAddress("10.0.0.5:8980"));
}

TEST(TokenSetTest, ParsesRolesAndRefusesWhatIsWrongByLine) {
  auto set = TokenSet::Parse(TokensFile());
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ((*set)->size(), 4u);
  const AccessToken* t = (*set)->Find(kAllToken);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->name, "everything");
  EXPECT_EQ(RoleNames(t->roles), "read,ingest,admin");
  EXPECT_EQ((*set)->Find("nope"), nullptr);
  EXPECT_EQ((*set)->Find(""), nullptr);
  const std::string hash = HexOf(Sha256("x"));
  for (const auto& [text, error] :
       std::vector<std::pair<std::string, std::string>>{
           {"a read\n", "line 1: expected NAME ROLES sha256:HEX"},
           {"a write sha256:" + hash, "line 1: unknown role 'write'"},
           {"a read md5:" + hash, "line 1: the hash must be sha256:"},
           {"a read sha256:" + hash.substr(1), "line 1: the hash must be"},
           {"a read sha256:" + hash + "\nb read sha256:" + hash,
            "line 2: token 'b' has the same hash"},
           {"a read sha256:" + hash +
                "\n\na ingest sha256:" + HexOf(Sha256("y")),
            "line 3: the name 'a' is listed twice"},
           {"# nothing\n", "lists no token"}}) {
    auto parsed = TokenSet::Parse(text);
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_NE(parsed.status().message().find(error), absl::string_view::npos)
        << parsed.status();
  }
  // sha256sum's digest of "abc".
  EXPECT_EQ(HexOf(Sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace tailor

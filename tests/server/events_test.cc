// RecordEvents through a real server on port 0: per-event validation,
// idempotency (within a batch, across batches and across a restart), and
// purchases leaving the shopper's next recommendations at once.
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "tests/server/server_fixture.h"

namespace tailor {
namespace {

using ::testing::HasSubstr;

class EventsTest : public ServerTest {
 protected:
  grpc::Status Record(const v1::RecordEventsRequest& req,
                      v1::RecordEventsResponse* resp) {
    grpc::ClientContext ctx;
    return stub_->RecordEvents(&ctx, req, resp);
  }
};

TEST_F(EventsTest, ValidEventsAreStoredInvalidOnesReportedDuplicatesOnce) {
  Publish(TinySnapshot());
  StartServer();
  // alice's list before: A, B, C.
  EXPECT_EQ(Ids("alice"), (std::vector<std::string>{"A", "B", "C"}));
  v1::RecordEventsRequest req;
  *req.add_events() = MakeEvent("e1", "alice", "B", v1::EVENT_TYPE_VIEW);
  *req.add_events() = MakeEvent("e2", "", "B", v1::EVENT_TYPE_VIEW);
  *req.add_events() = MakeEvent("e3", "alice", "A", v1::EVENT_TYPE_PURCHASE);
  *req.add_events() = MakeEvent("e1", "alice", "B", v1::EVENT_TYPE_VIEW);
  v1::RecordEventsResponse resp;
  grpc::Status s = Record(req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(resp.results_size(), 4);
  EXPECT_EQ(resp.results(0).status(), v1::EventResult::STATUS_RECORDED);
  EXPECT_EQ(resp.results(0).sequence(), 1u);
  EXPECT_EQ(resp.results(1).status(), v1::EventResult::STATUS_INVALID);
  EXPECT_EQ(resp.results(1).error(), "user_id: must not be empty");
  EXPECT_EQ(resp.results(2).status(), v1::EventResult::STATUS_RECORDED);
  EXPECT_EQ(resp.results(2).sequence(), 2u);
  EXPECT_EQ(resp.results(3).status(), v1::EventResult::STATUS_DUPLICATE);
  EXPECT_EQ(resp.results(3).sequence(), 1u);
  EXPECT_EQ(resp.recorded(), 2);
  EXPECT_EQ(resp.invalid(), 1);
  EXPECT_EQ(resp.duplicates(), 1);
  // The purchase leaves alice's next list at once; a view does not.
  EXPECT_EQ(Ids("alice"), (std::vector<std::string>{"B", "C", "D"}));

  // The same batch again, after a restart: nothing new is stored.
  StopServer();
  StartServer();
  v1::RecordEventsResponse again;
  ASSERT_TRUE(Record(req, &again).ok());
  EXPECT_EQ(again.recorded(), 0);
  EXPECT_EQ(again.duplicates(), 3);
  EXPECT_EQ(again.results(2).sequence(), 2u);
  EXPECT_EQ(Ids("alice"), (std::vector<std::string>{"B", "C", "D"}));
}

TEST_F(EventsTest, EveryBadFieldIsNamed) {
  Publish(TinySnapshot());
  StartServer();
  struct Case {
    std::function<void(v1::Event*)> mutate;
    std::string error;
  };
  const std::vector<Case> cases = {
      {[](auto* e) { e->set_event_id(""); }, "event_id: must not be empty"},
      {[](auto* e) { e->set_item_id(std::string(129, 'i')); },
       "item_id: is 129 bytes long, the limit is 128"},
      {[](auto* e) { e->set_type(v1::EVENT_TYPE_UNSPECIFIED); },
       "type: 0 is not an event type"},
      {[](auto* e) { e->set_timestamp(0); },
       "timestamp: must be positive Unix seconds, got 0"},
      {[](auto* e) { e->set_quantity(-2); },
       "quantity: must be a positive number, got -2"},
      {[](auto* e) { e->set_rating(4); },
       "rating: only rating events carry a rating"},
      {[](auto* e) { e->set_type(v1::EVENT_TYPE_RATING); },
       "rating: a rating event needs a finite rating"},
      {[](auto* e) { e->set_price(-1); },
       "price: must be a finite number >= 0, got -1"},
      {[](auto* e) {
         e->set_type(v1::EVENT_TYPE_VIEW);
         e->set_price(5);
       },
       "price: only purchases and returns carry a price"},
  };
  v1::RecordEventsRequest req;
  for (size_t i = 0; i < cases.size(); ++i) {
    v1::Event e =
        MakeEvent(absl::StrCat("bad", i), "bob", "C", v1::EVENT_TYPE_PURCHASE);
    cases[i].mutate(&e);
    *req.add_events() = e;
  }
  *req.add_events() = MakeEvent("good", "bob", "C", v1::EVENT_TYPE_PURCHASE);
  v1::RecordEventsResponse resp;
  ASSERT_TRUE(Record(req, &resp).ok());
  for (size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ(resp.results(i).status(), v1::EventResult::STATUS_INVALID);
    EXPECT_THAT(resp.results(i).error(), HasSubstr(cases[i].error));
  }
  EXPECT_EQ(resp.results(cases.size()).status(),
            v1::EventResult::STATUS_RECORDED);
  EXPECT_EQ(resp.recorded(), 1);

  // Whole-batch errors.
  v1::RecordEventsRequest empty;
  grpc::Status s = Record(empty, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "events: at least one is required");
  v1::RecordEventsRequest big;
  for (int i = 0; i < 1001; ++i) {
    *big.add_events() =
        MakeEvent(absl::StrCat("x", i), "bob", "C", v1::EVENT_TYPE_VIEW);
  }
  s = Record(big, &resp);
  EXPECT_EQ(s.error_message(), "events: has 1001 events, the limit is 1000");
}

TEST_F(EventsTest, EventsAreAcceptedBeforeAnyModelIsLoaded) {
  StartServer();  // no snapshot yet
  v1::RecordEventsRequest req;
  *req.add_events() = MakeEvent("first", "zoe", "A", v1::EVENT_TYPE_CLICK);
  v1::RecordEventsResponse resp;
  grpc::Status s = Record(req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resp.recorded(), 1);
}

TEST_F(EventsTest, AReadReplicaRefusesEventsAndStoresNone) {
  Publish(TinySnapshot());
  accept_events_ = false;
  StartServer();
  v1::RecordEventsRequest req;
  *req.add_events() = MakeEvent("r1", "alice", "A", v1::EVENT_TYPE_PURCHASE);
  v1::RecordEventsResponse resp;
  grpc::Status s = Record(req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("--accept_events=false"));
  {
    grpc::ClientContext ctx;
    v1::StreamEventsResponse streamed;
    auto writer = stub_->StreamEvents(&ctx, &streamed);
    writer->Write(req);  // may fail: the server has answered already
    writer->WritesDone();
    grpc::Status st = writer->Finish();
    EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
    EXPECT_THAT(st.error_message(), HasSubstr("StreamEvents"));
  }
  // Reads are served; the purchase was not taken.
  EXPECT_EQ(Ids("alice"), (std::vector<std::string>{"A", "B", "C"}));

  // The same data directory, taking events: nothing was stored before.
  StopServer();
  accept_events_ = true;
  StartServer();
  ASSERT_TRUE(Record(req, &resp).ok());
  EXPECT_EQ(resp.recorded(), 1);
  EXPECT_EQ(resp.results(0).sequence(), 1u);
}

}  // namespace
}  // namespace tailor

namespace tailor {
namespace {

class StreamEventsTest : public ServerTest {};

v1::RecordEventsRequest Batch(int first, int n, const std::string& user) {
  v1::RecordEventsRequest req;
  for (int i = first; i < first + n; ++i) {
    v1::Event* e = req.add_events();
    e->set_event_id(absl::StrCat("s", i));
    e->set_user_id(user);
    e->set_item_id(i % 2 ? "C" : "D");
    e->set_type(v1::EVENT_TYPE_VIEW);
    e->set_timestamp(1767225600 + i);
  }
  return req;
}

TEST_F(StreamEventsTest, BatchesAreStoredAsTheyArriveAndTotalled) {
  Publish(TinySnapshot());
  StartServer();
  grpc::ClientContext ctx;
  v1::StreamEventsResponse resp;
  auto writer = stub_->StreamEvents(&ctx, &resp);
  ASSERT_TRUE(writer->Write(Batch(0, 500, "alice")));
  v1::RecordEventsRequest second = Batch(500, 300, "bob");
  second.mutable_events(7)->set_item_id("");  // invalid: stream index 507
  *second.add_events() = Batch(3, 1, "alice").events(0);  // a duplicate
  ASSERT_TRUE(writer->Write(second));
  ASSERT_TRUE(writer->Write(Batch(800, 200, "carol")));
  ASSERT_TRUE(writer->WritesDone());
  grpc::Status s = writer->Finish();
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resp.batches(), 3);
  EXPECT_EQ(resp.recorded(), 999);
  EXPECT_EQ(resp.duplicates(), 1);
  EXPECT_EQ(resp.invalid(), 1);
  ASSERT_EQ(resp.invalid_events_size(), 1);
  EXPECT_EQ(resp.invalid_events(0).index(), 507);
  EXPECT_EQ(resp.invalid_events(0).event_id(), "s507");
  EXPECT_EQ(resp.invalid_events(0).error(), "item_id: must not be empty");
  EXPECT_EQ(resp.last_sequence(), 999u);

  // All ids again: only the one that was invalid is new.
  grpc::ClientContext ctx2;
  v1::StreamEventsResponse again;
  auto w2 = stub_->StreamEvents(&ctx2, &again);
  ASSERT_TRUE(w2->Write(Batch(0, 1000, "alice")));
  ASSERT_TRUE(w2->WritesDone());
  ASSERT_TRUE(w2->Finish().ok());
  EXPECT_EQ(again.recorded(), 1);
  EXPECT_EQ(again.duplicates(), 999);
  EXPECT_EQ(again.last_sequence(), 1000u);
}

TEST_F(StreamEventsTest, ABadBatchEndsTheStreamAfterTheEarlierOnesAreStored) {
  Publish(TinySnapshot());
  StartServer();
  grpc::ClientContext ctx;
  v1::StreamEventsResponse resp;
  auto writer = stub_->StreamEvents(&ctx, &resp);
  ASSERT_TRUE(writer->Write(Batch(0, 10, "alice")));
  writer->Write(v1::RecordEventsRequest());  // no events
  writer->WritesDone();
  grpc::Status s = writer->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(),
            "batch 2: events: at least one is required (10 events of "
            "earlier batches are stored)");
  // The first batch is there: resending it finds duplicates.
  v1::RecordEventsResponse check;
  grpc::ClientContext ctx2;
  ASSERT_TRUE(stub_->RecordEvents(&ctx2, Batch(0, 10, "alice"), &check).ok());
  EXPECT_EQ(check.duplicates(), 10);
}

}  // namespace
}  // namespace tailor

// The disk under a real server on port 0: a data volume that fills up
// while events are recorded, and one that is read-only at start-up. The
// volume is a real tmpfs of a few megabytes (skipped where this process may
// not mount one).
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "tests/server/server_fixture.h"
#include "tests/tmpfs_volume.h"

namespace tailor {
namespace {

using ::testing::HasSubstr;

class DiskTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    auto volume = testing::TmpfsVolume::Mount(256 << 20);
    if (!volume.ok()) GTEST_SKIP() << volume.status().message();
    volume_ = *std::move(volume);
    data_dir_ = volume_->Join("data");
  }
  void TearDown() override {
    StopServer();
    volume_.reset();
  }

  // `n` views of B by alice, with ids "<prefix>-<k>".
  static v1::RecordEventsRequest Batch(const std::string& prefix, int n) {
    v1::RecordEventsRequest req;
    for (int k = 0; k < n; ++k) {
      v1::Event* e = req.add_events();
      e->set_event_id(absl::StrCat(prefix, "-", k));
      e->set_user_id("alice");
      e->set_item_id("B");
      e->set_type(v1::EVENT_TYPE_VIEW);
      e->set_timestamp(1767225600 + k);
    }
    return req;
  }
  grpc::Status Record(const v1::RecordEventsRequest& req,
                      v1::RecordEventsResponse* resp) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(30));
    return stub_->RecordEvents(&ctx, req, resp);
  }

  std::unique_ptr<testing::TmpfsVolume> volume_;
};

TEST_F(DiskTest, AFullVolumeRefusesEventsClearlyAndRecordingResumes) {
  Publish(TinySnapshot());
  StartServer();
  std::vector<v1::RecordEventsRequest> acknowledged = {Batch("before", 50)};
  v1::RecordEventsResponse resp;
  ASSERT_TRUE(Record(acknowledged[0], &resp).ok());

  volume_->Fill();
  grpc::Status refused;
  v1::RecordEventsRequest refused_batch;
  for (int n = 0; n < 2000 && refused.ok(); ++n) {
    v1::RecordEventsRequest batch = Batch(absl::StrCat("full-", n), 200);
    grpc::Status s = Record(batch, &resp);
    if (s.ok()) {
      ASSERT_EQ(resp.recorded(), 200);
      acknowledged.push_back(batch);
    } else {
      refused = s;
      refused_batch = batch;
    }
  }
  ASSERT_FALSE(refused.ok()) << "the volume never filled up";
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(refused.error_message(), HasSubstr("the data volume is full"));
  // Refused before RocksDB ran out of room (--min_free_disk_mb).
  EXPECT_THAT(refused.error_message(),
              HasSubstr("128 MB kept free (--min_free_disk_mb)"));
  // Still full: still refused, and reads go on.
  EXPECT_EQ(Record(Batch("still-full", 10), &resp).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(Ids("alice").size(), 3u);
  EXPECT_EQ(Health(""), "SERVING");

  volume_->Unfill();
  // Recording resumes by itself, as a client that retries sees; nothing of
  // the refused batch had been stored.
  grpc::Status resumed;
  const absl::Time until = absl::Now() + absl::Seconds(60);
  int retries = 0;
  do {
    resumed = Record(refused_batch, &resp);
    if (!resumed.ok()) {
      EXPECT_EQ(resumed.error_code(), grpc::StatusCode::UNAVAILABLE)
          << resumed.error_message();
      ++retries;
      absl::SleepFor(absl::Milliseconds(100));
    }
  } while (!resumed.ok() && absl::Now() < until);
  ASSERT_TRUE(resumed.ok()) << resumed.error_message();
  std::printf("recording resumed after %d retries\n", retries);
  EXPECT_EQ(resp.recorded(), 200);
  EXPECT_EQ(resp.duplicates(), 0);
  acknowledged.push_back(refused_batch);

  // Every acknowledged event is stored, once, across a restart.
  StopServer();
  StartServer();
  for (const v1::RecordEventsRequest& batch : acknowledged) {
    ASSERT_TRUE(Record(batch, &resp).ok());
    EXPECT_EQ(resp.duplicates(), batch.events_size());
    EXPECT_EQ(resp.recorded(), 0);
  }
}

TEST_F(DiskTest, AReadOnlyVolumeFailsTheStartClearly) {
  Publish(TinySnapshot());
  StartServer();  // creates the database
  StopServer();
  ASSERT_TRUE(volume_->SetReadOnly(true).ok());
  auto server = TailorServer::Start(Options());
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(server.status().message(), HasSubstr("Read-only file system"));
  EXPECT_THAT(server.status().message(), HasSubstr("must be writable"));
  ASSERT_TRUE(volume_->SetReadOnly(false).ok());
}

TEST_F(DiskTest, ATooSmallReserveFailsTheStartClearly) {
  Publish(TinySnapshot());
  min_free_disk_bytes_ = 0;
  auto server = TailorServer::Start(Options());
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(server.status().message(),
              HasSubstr("min_free_disk_mb: must be at least 64"));
}

}  // namespace
}  // namespace tailor

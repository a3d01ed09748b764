// A fixture that runs the same StateStore contract tests against both
// implementations: RocksDB (param true) and the in-memory one (false).
#ifndef TAILOR_TESTS_STORAGE_BOTH_STORES_H_
#define TAILOR_TESTS_STORAGE_BOTH_STORES_H_

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "storage/memory_state_store.h"
#include "storage/state_store.h"
#include "tests/test_util.h"

namespace tailor {

class BothStores : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override { Reopen(); }
  // RocksDB: closes and opens the store again; memory: keeps it.
  void Reopen() {
    store_.reset();
    if (GetParam()) {
      auto s = OpenRocksDbStateStore(dir_.Join("db"));
      ASSERT_TRUE(s.ok()) << s.status();
      store_ = std::move(*s);
    } else if (memory_ == nullptr) {
      memory_ = std::make_shared<MemoryStateStore>();
    }
  }
  StateStore* store() {
    return GetParam() ? store_.get() : static_cast<StateStore*>(memory_.get());
  }

  testing::TempDir dir_;
  std::unique_ptr<StateStore> store_;
  std::shared_ptr<MemoryStateStore> memory_;
};

// The instantiation's names: "RocksDb", "Memory".
inline std::string StoreName(const ::testing::TestParamInfo<bool>& info) {
  return info.param ? "RocksDb" : "Memory";
}

}  // namespace tailor

#endif  // TAILOR_TESTS_STORAGE_BOTH_STORES_H_

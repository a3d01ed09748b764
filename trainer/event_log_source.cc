#include "trainer/event_log_source.h"

#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"

namespace tailor {

absl::StatusOr<std::unique_ptr<EventLogSource>> EventLogSource::Open(
    const std::string& data_dir, const std::string& secondary_dir) {
  TAILOR_ASSIGN_OR_RETURN(std::unique_ptr<EventLogReader> reader,
                          OpenEventLogReader(data_dir, secondary_dir));
  TAILOR_ASSIGN_OR_RETURN(uint64_t through, reader->CatchUp());
  TAILOR_ASSIGN_OR_RETURN(ErasureList erasures, reader->Erasures());
  TAILOR_ASSIGN_OR_RETURN(std::vector<LiveItem> live, reader->LiveCatalog());
  return std::unique_ptr<EventLogSource>(
      new EventLogSource(std::move(reader), data_dir, through,
                         std::move(erasures), std::move(live)));
}

std::function<bool(absl::string_view)> EventLogSource::ErasedCheck() const {
  if (erasures_.empty()) return nullptr;
  return
      [this](absl::string_view user_id) { return erasures_.Contains(user_id); };
}

absl::StatusOr<RemovedUsers> EventLogSource::RemoveErased(Snapshot* snapshot) {
  TAILOR_RETURN_IF_ERROR(reader_->CatchUp().status());
  TAILOR_ASSIGN_OR_RETURN(const ErasureList now, reader_->Erasures());
  if (now.empty()) return RemovedUsers();
  snapshot->info.emplace_back("erasure_list_size", absl::StrCat(now.size()));
  return RemoveUsers(
      [&](absl::string_view user_id) { return now.Contains(user_id); },
      snapshot);
}

absl::Status EventLogSource::ForEach(const EventSink& sink,
                                     ReadReport* report) const {
  report->source = absl::StrCat("event log ", data_dir_, " (through sequence ",
                                through_, ")");
  return reader_->ReadEvents(0, through_, [&](LoggedEvent&& e) {
    ++report->rows;
    if (erasures_.Contains(e.event.user_id)) {
      ++report->erased;
      return;
    }
    ++report->accepted;
    sink(std::move(e.event));
  });
}

}  // namespace tailor

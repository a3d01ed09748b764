#include "trainer/event_log_source.h"

#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"

namespace tailor {

absl::StatusOr<std::unique_ptr<EventLogSource>> EventLogSource::Open(
    const std::string& data_dir, const std::string& secondary_dir) {
  TAILOR_ASSIGN_OR_RETURN(std::unique_ptr<EventLogReader> reader,
                          OpenEventLogReader(data_dir, secondary_dir));
  TAILOR_ASSIGN_OR_RETURN(uint64_t through, reader->CatchUp());
  return std::unique_ptr<EventLogSource>(
      new EventLogSource(std::move(reader), data_dir, through));
}

absl::Status EventLogSource::ForEach(const EventSink& sink,
                                     ReadReport* report) const {
  report->source = absl::StrCat("event log ", data_dir_, " (through sequence ",
                                through_, ")");
  return reader_->ReadEvents(0, through_, [&](LoggedEvent&& e) {
    ++report->rows;
    ++report->accepted;
    sink(std::move(e.event));
  });
}

}  // namespace tailor

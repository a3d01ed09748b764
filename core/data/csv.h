// Streaming CSV reader (RFC 4180 plus the quirks real exports have).
#ifndef TAILOR_CORE_DATA_CSV_H_
#define TAILOR_CORE_DATA_CSV_H_

#include <cstdint>
#include <istream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace tailor {

struct CsvOptions {
  char delimiter = ',';
  // When false, '"' is an ordinary character (MovieLens' u.data, u.item).
  bool quoting = true;
};

// Reads records one at a time from a stream, never holding more than one
// record and a fixed-size buffer in memory. Handles a UTF-8 byte-order mark,
// LF and CRLF line ends, quoted fields with doubled quotes and embedded
// delimiters or newlines. Blank lines are skipped.
// Thread safety: not thread-safe; use one reader per thread.
class CsvReader {
 public:
  CsvReader(std::istream* in, CsvOptions options = {});

  // Reads the next record into `fields`. Returns false at end of input.
  // An unterminated quoted field is an error that names the line it began on.
  absl::StatusOr<bool> Next(std::vector<std::string>* fields);

  // 1-based physical line number on which the last record began.
  int64_t line() const { return record_line_; }

 private:
  bool Fill();  // refills buf_; false at end of input
  int Peek();   // next byte or -1
  int Get();

  std::istream* in_;
  CsvOptions options_;
  std::string buf_;
  size_t pos_ = 0;
  size_t len_ = 0;
  bool started_ = false;
  int64_t current_line_ = 1;
  int64_t record_line_ = 0;
};

}  // namespace tailor

#endif  // TAILOR_CORE_DATA_CSV_H_

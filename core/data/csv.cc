#include "core/data/csv.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace tailor {
namespace {
constexpr size_t kBufferSize = 1 << 20;
}  // namespace

CsvReader::CsvReader(std::istream* in, CsvOptions options)
    : in_(in), options_(options), buf_(kBufferSize, '\0') {}

bool CsvReader::Fill() {
  if (!*in_) return false;
  in_->read(buf_.data(), static_cast<std::streamsize>(buf_.size()));
  len_ = static_cast<size_t>(in_->gcount());
  pos_ = 0;
  return len_ > 0;
}

int CsvReader::Peek() {
  if (pos_ == len_ && !Fill()) return -1;
  return static_cast<unsigned char>(buf_[pos_]);
}

int CsvReader::Get() {
  const int c = Peek();
  if (c >= 0) ++pos_;
  return c;
}

absl::StatusOr<bool> CsvReader::Next(std::vector<std::string>* fields) {
  if (!started_) {
    started_ = true;
    // Skip a UTF-8 byte-order mark.
    if (Peek() == 0xEF) {
      static constexpr unsigned char kBom[3] = {0xEF, 0xBB, 0xBF};
      int matched = 0;
      while (matched < 3 && Peek() == kBom[matched]) {
        Get();
        ++matched;
      }
      if (matched != 3) {
        return absl::InvalidArgumentError(
            "line 1: starts with a truncated byte-order mark");
      }
    }
  }
  fields->clear();
  // Skip blank lines.
  for (;;) {
    const int c = Peek();
    if (c == -1) return false;
    if (c == '\n') {
      Get();
      ++current_line_;
    } else if (c == '\r') {
      Get();
    } else {
      break;
    }
  }
  record_line_ = current_line_;
  std::string field;
  bool in_quotes = false;
  bool was_quoted = false;
  for (;;) {
    const int c = Get();
    if (in_quotes) {
      if (c == -1) {
        return absl::InvalidArgumentError(absl::StrCat(
            "line ", record_line_, ": quoted field is never closed"));
      }
      if (c == '"') {
        if (Peek() == '"') {
          Get();
          field.push_back('"');
        } else {
          in_quotes = false;
        }
      } else {
        if (c == '\n') ++current_line_;
        field.push_back(static_cast<char>(c));
      }
      continue;
    }
    if (c == -1 || c == '\n') {
      if (c == '\n') ++current_line_;
      // Drop the '\r' of a CRLF line end (never part of a quoted field here).
      if (!was_quoted && !field.empty() && field.back() == '\r') {
        field.pop_back();
      }
      fields->push_back(std::move(field));
      return true;
    }
    if (c == options_.delimiter) {
      fields->push_back(std::move(field));
      field.clear();
      was_quoted = false;
      continue;
    }
    if (c == '"' && options_.quoting && field.empty() && !was_quoted) {
      in_quotes = true;
      was_quoted = true;
      continue;
    }
    if (was_quoted && c == '\r') continue;  // "a",\r\n
    if (was_quoted) {
      // Resynchronise on the next line so that a caller may skip this record.
      for (int d = Get(); d != -1 && d != '\n'; d = Get()) {
      }
      ++current_line_;
      return absl::InvalidArgumentError(
          absl::StrCat("line ", record_line_,
                       ": unexpected character after a closing quote"));
    }
    field.push_back(static_cast<char>(c));
  }
}

}  // namespace tailor

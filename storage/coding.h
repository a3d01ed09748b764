// Little-endian binary encoding with bounds-checked decoding.
#ifndef TAILOR_STORAGE_CODING_H_
#define TAILOR_STORAGE_CODING_H_

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>

#include "absl/strings/string_view.h"

namespace tailor {

// Appends fixed-width values and length-prefixed strings to a buffer.
// Thread safety: not thread-safe.
class Encoder {
 public:
  void PutU8(uint8_t v) { buf_.push_back(static_cast<char>(v)); }
  void PutU32(uint32_t v) { PutRaw(&v, sizeof(v)); }
  void PutU64(uint64_t v) { PutRaw(&v, sizeof(v)); }
  void PutI64(int64_t v) { PutRaw(&v, sizeof(v)); }
  void PutF32(float v) { PutRaw(&v, sizeof(v)); }
  void PutF64(double v) { PutRaw(&v, sizeof(v)); }
  void PutString(absl::string_view s) {
    PutU32(static_cast<uint32_t>(s.size()));
    buf_.append(s.data(), s.size());
  }
  void PutRaw(const void* data, size_t n) {
    buf_.append(static_cast<const char*>(data), n);
  }
  std::string& buffer() { return buf_; }

 private:
  std::string buf_;
  static_assert(std::endian::native == std::endian::little,
                "the snapshot format is little-endian");
};

// Reads what Encoder wrote; every Get fails (returns false) instead of
// reading past the end.
// Thread safety: not thread-safe.
class Decoder {
 public:
  explicit Decoder(absl::string_view in) : in_(in) {}
  bool GetU8(uint8_t* v) { return GetRaw(v, sizeof(*v)); }
  bool GetU32(uint32_t* v) { return GetRaw(v, sizeof(*v)); }
  bool GetU64(uint64_t* v) { return GetRaw(v, sizeof(*v)); }
  bool GetI64(int64_t* v) { return GetRaw(v, sizeof(*v)); }
  bool GetF32(float* v) { return GetRaw(v, sizeof(*v)); }
  bool GetF64(double* v) { return GetRaw(v, sizeof(*v)); }
  bool GetString(std::string* s) {
    uint32_t n;
    if (!GetU32(&n) || in_.size() < n) return false;
    s->assign(in_.data(), n);
    in_.remove_prefix(n);
    return true;
  }
  bool GetRaw(void* out, size_t n) {
    if (in_.size() < n) return false;
    if (n > 0) std::memcpy(out, in_.data(), n);
    in_.remove_prefix(n);
    return true;
  }
  // True when at least `count` elements of `size` bytes remain; guards
  // allocations sized by counts read from the input.
  bool Has(uint64_t count, size_t size) const {
    return size == 0 || count <= in_.size() / size;
  }
  size_t remaining() const { return in_.size(); }

 private:
  absl::string_view in_;
};

}  // namespace tailor

#endif  // TAILOR_STORAGE_CODING_H_

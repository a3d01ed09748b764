#include "storage/snapshot_file.h"

#include <zlib.h>

#include <cstdint>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "storage/coding.h"

namespace tailor {
namespace {

constexpr char kMagic[8] = {'T', 'L', 'R', 'S', 'N', 'A', 'P', '1'};
static_assert(kSnapshotFileHeaderSize == sizeof(kMagic) + 4 + 8);

uint32_t Crc32(absl::string_view data) {
  return static_cast<uint32_t>(
      crc32_z(0L, reinterpret_cast<const Bytef*>(data.data()), data.size()));
}

}  // namespace

std::string FrameSnapshotFile(absl::string_view payload) {
  Encoder e;
  e.PutRaw(kMagic, sizeof(kMagic));
  e.PutU32(Crc32(payload));
  e.PutU64(payload.size());
  e.PutRaw(payload.data(), payload.size());
  return std::move(e.buffer());
}

absl::StatusOr<std::string> UnframeSnapshotFile(absl::string_view file,
                                                absl::string_view path) {
  if (file.size() < kSnapshotFileHeaderSize ||
      std::memcmp(file.data(), kMagic, sizeof(kMagic)) != 0) {
    return absl::DataLossError(absl::StrCat("snapshot file '", path,
                                            "': bad header (not a snapshot "
                                            "file, or truncated)"));
  }
  Decoder d(file.substr(sizeof(kMagic)));
  uint32_t crc;
  uint64_t len;
  d.GetU32(&crc);
  d.GetU64(&len);
  if (len != file.size() - kSnapshotFileHeaderSize) {
    return absl::DataLossError(absl::StrCat(
        "snapshot file '", path, "': truncated or padded (header says ", len,
        " payload bytes, file has ", file.size() - kSnapshotFileHeaderSize,
        ")"));
  }
  absl::string_view payload = file.substr(kSnapshotFileHeaderSize);
  if (Crc32(payload) != crc) {
    return absl::DataLossError(
        absl::StrCat("snapshot file '", path, "': checksum mismatch"));
  }
  return std::string(payload);
}

}  // namespace tailor

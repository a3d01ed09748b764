// The framing of every file in a snapshot version directory: a magic
// string, the payload's CRC-32 and length, then the payload. A file whose
// frame does not check out is never decoded.
#ifndef TAILOR_STORAGE_SNAPSHOT_FILE_H_
#define TAILOR_STORAGE_SNAPSHOT_FILE_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tailor {

// Bytes before the payload: 8 of magic, 4 of CRC-32, 8 of length.
inline constexpr size_t kSnapshotFileHeaderSize = 8 + 4 + 8;

// `payload` framed as a snapshot file.
std::string FrameSnapshotFile(absl::string_view payload);

// The payload of `file`, the contents of the snapshot file at `path`.
// DATA_LOSS naming `path` when the magic, the length or the checksum is
// wrong.
absl::StatusOr<std::string> UnframeSnapshotFile(absl::string_view file,
                                                absl::string_view path);

}  // namespace tailor

#endif  // TAILOR_STORAGE_SNAPSHOT_FILE_H_

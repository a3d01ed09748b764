#include "server/wire.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/unknown_field_set.h>
#include <grpcpp/impl/codegen/proto_utils.h>
#include <grpcpp/support/proto_buffer_reader.h>
#include <grpcpp/support/proto_buffer_writer.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "core/base/text.h"

namespace tailor {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::UnknownField;
using google::protobuf::UnknownFieldSet;

// Walks a message parsed as unknown fields and returns the path of the first
// string field (at any depth) that is not valid UTF-8.
std::optional<std::string> FindInvalidUtf8(const Descriptor* descriptor,
                                           const UnknownFieldSet& fields,
                                           const std::string& prefix) {
  absl::flat_hash_map<int, int> seen;  // field number -> occurrences so far
  for (int i = 0; i < fields.field_count(); ++i) {
    const UnknownField& f = fields.field(i);
    if (f.type() != UnknownField::TYPE_LENGTH_DELIMITED) continue;
    const FieldDescriptor* fd = descriptor->FindFieldByNumber(f.number());
    if (fd == nullptr) continue;
    const int index = seen[f.number()]++;
    std::string path = absl::StrCat(prefix, fd->name());
    if (fd->is_repeated()) absl::StrAppend(&path, "[", index, "]");
    if (fd->type() == FieldDescriptor::TYPE_STRING) {
      if (!IsValidUtf8(f.length_delimited())) return path;
    } else if (fd->type() == FieldDescriptor::TYPE_MESSAGE) {
      UnknownFieldSet nested;
      if (nested.ParseFromString(f.length_delimited())) {
        if (auto bad =
                FindInvalidUtf8(fd->message_type(), nested, path + ".")) {
          return bad;
        }
      }
    }
  }
  return std::nullopt;
}

}  // namespace

absl::Status ParseRequest(const grpc::ByteBuffer& buffer,
                          google::protobuf::Message* message) {
  grpc::ByteBuffer copy(buffer);  // shares the slices; the reader consumes it
  {
    grpc::ProtoBufferReader reader(&copy);
    if (message->ParseFromZeroCopyStream(&reader)) return absl::OkStatus();
  }
  std::vector<grpc::Slice> slices;
  std::string bytes;
  if (buffer.Dump(&slices).ok()) {
    for (const grpc::Slice& s : slices) {
      bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
    }
  }
  UnknownFieldSet fields;
  if (fields.ParseFromString(bytes)) {
    if (auto bad = FindInvalidUtf8(message->GetDescriptor(), fields, "")) {
      return absl::InvalidArgumentError(
          absl::StrCat(*bad, ": is not valid UTF-8"));
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat("request: is not a valid ",
                   message->GetDescriptor()->full_name(), " message"));
}

absl::Time DeadlineOf(const grpc::CallbackServerContext& context) {
  const std::chrono::system_clock::time_point deadline = context.deadline();
  if (deadline == std::chrono::system_clock::time_point::max()) {
    return absl::InfiniteFuture();
  }
  return absl::FromChrono(deadline);
}

absl::Status SerializeResponse(const google::protobuf::Message& message,
                               grpc::ByteBuffer* buffer) {
  bool own_buffer = false;
  grpc::Status s =
      grpc::SerializationTraits<google::protobuf::Message>::Serialize(
          message, buffer, &own_buffer);
  if (!s.ok()) {
    return absl::InternalError(
        absl::StrCat("cannot serialise the response: ", s.error_message()));
  }
  return absl::OkStatus();
}

}  // namespace tailor

// A read replica's way to the writer's exposure log: the exposures its
// answers logged, sent to the writer's Admin.RecordExposures.
#ifndef TAILOR_SERVER_EXPOSURE_FORWARDER_H_
#define TAILOR_SERVER_EXPOSURE_FORWARDER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/experiments/exposure.h"
#include "storage/env.h"
#include "tailor/v1/admin.grpc.pb.h"

namespace tailor {

struct ExposureForwarderOptions {
  // host:port of the writer's gRPC port.
  std::string address;
  // PEM file of the CA(s) that signed the writer's certificate: the
  // connection uses TLS and checks it. Empty: plaintext.
  std::string ca_file;
  // A file holding the bearer token sent with each call (a token with the
  // ingest role when the writer checks tokens), re-read per call so that a
  // rotated token takes effect. Empty: none is sent.
  std::string token_file;
  // Each call's deadline.
  absl::Duration deadline = absl::Seconds(10);
};

// Thread safety: Forward may be called from any thread at once (the
// exposure log calls it from its writer thread).
class ExposureForwarder {
 public:
  // INVALID_ARGUMENT naming the flag (--writer_address, --writer_ca_file,
  // --writer_token_file) for a missing address or an unreadable file. Does
  // not connect yet.
  // `env` must outlive the forwarder.
  static absl::StatusOr<std::unique_ptr<ExposureForwarder>> Create(
      const ExposureForwarderOptions& options, Env* env);

  // Sends `exposures` to the writer, in requests of at most
  // kMaxForwardedExposures, and returns once the writer stored them all
  // (its answer), or the first failure, naming the writer. A batch sent
  // again after a failure is stored once (the writer keys exposures by
  // shopper and recommendation id).
  absl::Status Forward(const std::vector<Exposure>& exposures);

 private:
  ExposureForwarder(const ExposureForwarderOptions& options, Env* env,
                    std::unique_ptr<v1::Admin::Stub> stub)
      : options_(options), env_(env), stub_(std::move(stub)) {}

  const ExposureForwarderOptions options_;
  Env* const env_;
  const std::unique_ptr<v1::Admin::Stub> stub_;  // thread-safe
};

}  // namespace tailor

#endif  // TAILOR_SERVER_EXPOSURE_FORWARDER_H_

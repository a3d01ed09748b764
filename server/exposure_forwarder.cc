#include "server/exposure_forwarder.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "server/exposure_messages.h"

namespace tailor {

absl::StatusOr<std::unique_ptr<ExposureForwarder>> ExposureForwarder::Create(
    const ExposureForwarderOptions& options, Env* env) {
  if (options.address.empty()) {
    return absl::InvalidArgumentError(
        "--writer_address: must name the writer's host:port");
  }
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  if (!options.ca_file.empty()) {
    absl::StatusOr<std::string> ca = env->ReadFile(options.ca_file);
    if (!ca.ok() ||
        ca->find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--writer_ca_file: '", options.ca_file,
          "' is not a readable PEM certificate file",
          ca.ok() ? "" : absl::StrCat(" (", ca.status().message(), ")")));
    }
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = *ca;
    credentials = grpc::SslCredentials(ssl);
  } else {
    credentials = grpc::InsecureChannelCredentials();
  }
  if (!options.token_file.empty()) {
    if (absl::StatusOr<std::string> token = env->ReadFile(options.token_file);
        !token.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--writer_token_file: ", token.status().message()));
    }
  }
  std::unique_ptr<v1::Admin::Stub> stub =
      v1::Admin::NewStub(grpc::CreateChannel(options.address, credentials));
  return std::unique_ptr<ExposureForwarder>(
      new ExposureForwarder(options, env, std::move(stub)));
}

absl::Status ExposureForwarder::Forward(
    const std::vector<Exposure>& exposures) {
  std::string token;
  if (!options_.token_file.empty()) {
    absl::StatusOr<std::string> read = env_->ReadFile(options_.token_file);
    if (!read.ok()) {
      return absl::Status(
          read.status().code(),
          absl::StrCat("the token for the writer: ", read.status().message()));
    }
    token = std::string(absl::StripAsciiWhitespace(*read));
  }
  for (size_t begin = 0; begin < exposures.size();
       begin += kMaxForwardedExposures) {
    const size_t end =
        std::min(exposures.size(), begin + kMaxForwardedExposures);
    const v1::RecordExposuresRequest request = ForwardRequestOf(
        absl::MakeConstSpan(exposures).subspan(begin, end - begin));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         absl::ToChronoMilliseconds(options_.deadline));
    if (!token.empty()) {
      context.AddMetadata("authorization", absl::StrCat("Bearer ", token));
    }
    v1::RecordExposuresResponse response;
    const grpc::Status s = stub_->RecordExposures(&context, request, &response);
    if (!s.ok()) {
      return absl::Status(
          static_cast<absl::StatusCode>(s.error_code()),
          absl::StrCat("forwarding ", end - begin,
                       " exposures to the writer at ", options_.address, ": ",
                       s.error_message()));
    }
  }
  return absl::OkStatus();
}

}  // namespace tailor

#include "server/authorizer.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "core/base/logging.h"

namespace tailor {

absl::StatusOr<std::unique_ptr<Authorizer>> Authorizer::Create(
    const std::string& path, Env* env, absl::Duration reload_interval,
    ServerMetrics* metrics) {
  std::unique_ptr<Authorizer> a(new Authorizer(path, env, metrics));
  if (absl::Status s = a->Reload(); !s.ok()) {
    return absl::Status(
        s.code(), absl::StrCat("tokens_file '", path, "': ", s.message()));
  }
  if (reload_interval > absl::ZeroDuration()) {
    a->reloader_ = std::thread(
        [p = a.get(), reload_interval] { p->ReloadLoop(reload_interval); });
  }
  return a;
}

Authorizer::~Authorizer() {
  {
    MutexLock lock(&stop_mu_);
    stopping_ = true;
  }
  if (reloader_.joinable()) reloader_.join();
}

void Authorizer::ReloadLoop(absl::Duration interval) {
  for (;;) {
    {
      MutexLock lock(&stop_mu_);
      auto stopping = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(stop_mu_) {
        return stopping_;
      };
      if (stop_mu_.AwaitWithTimeout(absl::Condition(&stopping), interval)) {
        return;
      }
    }
    (void)Reload();  // logs and counts its own failures
  }
}

absl::Status Authorizer::Reload() {
  absl::StatusOr<std::string> text = env_->ReadFile(path_);
  absl::StatusOr<std::shared_ptr<const TokenSet>> parsed =
      text.ok()
          ? TokenSet::Parse(*text)
          : absl::StatusOr<std::shared_ptr<const TokenSet>>(text.status());
  MutexLock lock(&mu_);
  if (text.ok() && tokens_ != nullptr && *text == text_) {
    return absl::OkStatus();
  }
  if (!parsed.ok()) {
    const bool first = tokens_ == nullptr;
    const std::string error(parsed.status().message());
    if (!first && error != last_error_) {
      // Once per new problem, not at every poll.
      LogError(absl::StrCat("tokens_file '", path_, "' not reloaded: ", error,
                            "; the previous tokens stay"));
      if (metrics_ != nullptr) metrics_->CountTokenReloadFailure();
    }
    last_error_ = error;
    return parsed.status();
  }
  const bool first = tokens_ == nullptr;
  tokens_ = *std::move(parsed);
  text_ = *std::move(text);
  last_error_.clear();
  if (!first) {
    LogInfo(absl::StrCat("tokens_file '", path_,
                         "' reloaded: ", tokens_->size(), " tokens"));
  }
  return absl::OkStatus();
}

absl::Status Authorizer::Check(absl::string_view authorization, Role role,
                               absl::string_view method) const {
  std::shared_ptr<const TokenSet> tokens;
  {
    MutexLock lock(&mu_);
    tokens = tokens_;
  }
  auto refuse = [&](AuthFailure why, absl::Status status) {
    if (metrics_ != nullptr) metrics_->CountAuthFailure(method, why);
    return status;
  };
  absl::string_view token = authorization;
  if (!absl::ConsumePrefix(&token, "Bearer ") || token.empty()) {
    return refuse(AuthFailure::kMissing,
                  absl::UnauthenticatedError(absl::StrCat(
                      method,
                      ": no bearer token: send the metadata 'authorization: "
                      "Bearer <token>' (the tailor CLI and tailor-bench: "
                      "--token)")));
  }
  const AccessToken* found = tokens->Find(token);
  if (found == nullptr) {
    return refuse(AuthFailure::kUnknown,
                  absl::UnauthenticatedError(absl::StrCat(
                      method, ": the bearer token is not in the tokens file")));
  }
  if ((found->roles & role) == 0) {
    return refuse(AuthFailure::kForbidden,
                  absl::PermissionDeniedError(absl::StrCat(
                      method, " needs the role ", RoleName(role), "; token '",
                      found->name, "' has ", RoleNames(found->roles))));
  }
  return absl::OkStatus();
}

absl::Status Authorize(const Authorizer* authorizer,
                       const grpc::ServerContextBase& context, Role role,
                       absl::string_view method) {
  if (authorizer == nullptr) return absl::OkStatus();
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  const absl::string_view value =
      it == metadata.end()
          ? absl::string_view()
          : absl::string_view(it->second.data(), it->second.size());
  return authorizer->Check(value, role, method);
}

}  // namespace tailor

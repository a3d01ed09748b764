// Who may call what: each call's bearer token ("authorization: Bearer
// TOKEN") checked against the tokens file (see access_tokens.h), which is
// re-read while the server runs.
#ifndef TAILOR_SERVER_AUTHORIZER_H_
#define TAILOR_SERVER_AUTHORIZER_H_

#include <grpcpp/server_context.h>

#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/base/mutex.h"
#include "server/access_tokens.h"
#include "server/metrics.h"
#include "storage/env.h"

namespace tailor {

// Thread safety: Check runs on any thread at once, against the token set of
// the moment (an immutable snapshot swapped in by Reload, as Envoy swaps
// its runtime); Reload runs on the reloading thread, or any.
class Authorizer {
 public:
  // Reads and parses `path` (a failure fails the start, naming the file),
  // then re-reads it every `reload_interval` (zero: never) on a thread of
  // its own: a file that changed and parses replaces the tokens; one that
  // does not parse is logged, counted, and the previous tokens stay.
  // `env`, and `metrics` (may be null), must outlive the authorizer.
  static absl::StatusOr<std::unique_ptr<Authorizer>> Create(
      const std::string& path, Env* env, absl::Duration reload_interval,
      ServerMetrics* metrics = nullptr);
  ~Authorizer();
  Authorizer(const Authorizer&) = delete;
  Authorizer& operator=(const Authorizer&) = delete;

  // OK when `authorization` (the header's value, "" when absent) is
  // "Bearer TOKEN" for a token holding `role`. UNAUTHENTICATED for a
  // missing or unknown token, PERMISSION_DENIED (naming the token's name,
  // its roles and the one `method` needs) for one without the role. The
  // token never appears in the message.
  absl::Status Check(absl::string_view authorization, Role role,
                     absl::string_view method) const;

  // Re-reads the file; OK when it is unchanged or was loaded.
  absl::Status Reload();

 private:
  Authorizer(std::string path, Env* env, ServerMetrics* metrics)
      : path_(std::move(path)), env_(env), metrics_(metrics) {}
  void ReloadLoop(absl::Duration interval);

  const std::string path_;
  Env* const env_;
  ServerMetrics* const metrics_;
  mutable Mutex mu_;
  std::shared_ptr<const TokenSet> tokens_ ABSL_GUARDED_BY(mu_);
  std::string text_ ABSL_GUARDED_BY(mu_);  // the file as last loaded
  std::string last_error_ ABSL_GUARDED_BY(mu_);
  Mutex stop_mu_;
  bool stopping_ ABSL_GUARDED_BY(stop_mu_) = false;
  std::thread reloader_;
};

// Checks the call's "authorization" metadata with `authorizer`; OK when it
// is null (no tokens file: every caller is trusted).
absl::Status Authorize(const Authorizer* authorizer,
                       const grpc::ServerContextBase& context, Role role,
                       absl::string_view method);

}  // namespace tailor

#endif  // TAILOR_SERVER_AUTHORIZER_H_

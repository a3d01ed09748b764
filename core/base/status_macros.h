// Early-return helpers for absl::Status / absl::StatusOr.
#ifndef TAILOR_CORE_BASE_STATUS_MACROS_H_
#define TAILOR_CORE_BASE_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define TAILOR_CONCAT_INNER_(a, b) a##b
#define TAILOR_CONCAT_(a, b) TAILOR_CONCAT_INNER_(a, b)

// Evaluates `expr` (an absl::Status) and returns it from the enclosing
// function if it is not OK.
#define TAILOR_RETURN_IF_ERROR(expr)                 \
  do {                                               \
    ::absl::Status tailor_status_ = (expr);          \
    if (!tailor_status_.ok()) return tailor_status_; \
  } while (false)

// Evaluates `rexpr` (an absl::StatusOr<T>); on error returns its status,
// otherwise moves the value into `lhs` (a declaration or an lvalue).
#define TAILOR_ASSIGN_OR_RETURN(lhs, rexpr)                                 \
  TAILOR_ASSIGN_OR_RETURN_IMPL_(TAILOR_CONCAT_(tailor_sor_, __LINE__), lhs, \
                                rexpr)

#define TAILOR_ASSIGN_OR_RETURN_IMPL_(sor, lhs, rexpr) \
  auto sor = (rexpr);                                  \
  if (!sor.ok()) return std::move(sor).status();       \
  lhs = std::move(sor).value()

#endif  // TAILOR_CORE_BASE_STATUS_MACROS_H_

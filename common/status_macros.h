// Status propagation helpers; Abseil 20220623 ships none.
#ifndef RAVEN_COMMON_STATUS_MACROS_H_
#define RAVEN_COMMON_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define RAVEN_STATUS_CONCAT_INNER(a, b) a##b
#define RAVEN_STATUS_CONCAT(a, b) RAVEN_STATUS_CONCAT_INNER(a, b)

#define RETURN_IF_ERROR(expr)                      \
  do {                                             \
    ::absl::Status raven_status_ = (expr);         \
    if (!raven_status_.ok()) return raven_status_; \
  } while (0)

#define RAVEN_ASSIGN_OR_RETURN_IMPL(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                                \
  if (!tmp.ok()) return tmp.status();                \
  lhs = std::move(tmp).value()

#define ASSIGN_OR_RETURN(lhs, rexpr) \
  RAVEN_ASSIGN_OR_RETURN_IMPL(RAVEN_STATUS_CONCAT(raven_statusor_, __LINE__), lhs, rexpr)

#endif  // RAVEN_COMMON_STATUS_MACROS_H_

// Status plumbing shared by every leadflow component: early-return macros and invariant checks.
#pragma once

#include <cstdio>
#include <cstdlib>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define LF_STATUS_CONCAT_INNER(a, b) a##b
#define LF_STATUS_CONCAT(a, b) LF_STATUS_CONCAT_INNER(a, b)

// LF_RETURN_IF_ERROR(expr): returns the status of `expr` from the enclosing function if it is not
// OK.
#define LF_RETURN_IF_ERROR(expr)                              \
  do {                                                        \
    if (absl::Status lf_status_ = (expr); !lf_status_.ok()) { \
      return lf_status_;                                      \
    }                                                         \
  } while (false)

// LF_ASSIGN_OR_RETURN(lhs, expr): evaluates a StatusOr expression; on error returns its status,
// otherwise moves the value into `lhs` (which may be a declaration, e.g. `auto x`).
#define LF_ASSIGN_OR_RETURN(lhs, expr) \
  LF_ASSIGN_OR_RETURN_IMPL(LF_STATUS_CONCAT(lf_statusor_, __LINE__), lhs, expr)
#define LF_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                             \
  if (!tmp.ok()) {                               \
    return tmp.status();                         \
  }                                              \
  lhs = std::move(tmp).value()

// LF_CHECK(cond, msg): an invariant that only a programming error can break. Impossible states
// crash loudly (with the location) instead of limping on; likely errors (network, disk, input) use
// Status.
#define LF_CHECK(cond, msg)                                                                      \
  do {                                                                                           \
    if (!(cond)) [[unlikely]] {                                                                  \
      std::fprintf(stderr, "leadflow: invariant failed at %s:%d: %s (%s)\n", __FILE__, __LINE__, \
                   #cond, msg);                                                                  \
      std::abort();                                                                              \
    }                                                                                            \
  } while (false)

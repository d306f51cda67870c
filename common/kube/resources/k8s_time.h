// metav1.Time ("2006-01-02T15:04:05Z") and metav1.MicroTime
// ("2006-01-02T15:04:05.000000Z") as absl::Time.
#ifndef RAVEN_COMMON_KUBE_RESOURCES_K8S_TIME_H_
#define RAVEN_COMMON_KUBE_RESOURCES_K8S_TIME_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/json_fields.h"

namespace raven::kube {

// RFC 3339 with optional fractional seconds and a Z or ±hh:mm offset; years
// 0001 to 9999.
absl::StatusOr<absl::Time> ParseRfc3339(absl::string_view text);
std::string FormatRfc3339(absl::Time t);    // seconds, UTC
std::string FormatMicroTime(absl::Time t);  // microseconds, UTC

// Reads an optional timestamp field, truncated to the precision of its type
// (seconds for metav1.Time, microseconds for MicroTime) so that encoding it
// again gives the same value; a malformed one is an error naming it.
absl::Status ReadTime(const json::FieldReader& in, const char* name, std::optional<absl::Time>& out,
                      bool micro = false);

}  // namespace raven::kube

#endif  // RAVEN_COMMON_KUBE_RESOURCES_K8S_TIME_H_

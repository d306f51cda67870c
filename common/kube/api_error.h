// Kubernetes API errors as absl::Status. A failed call's body is a
// metav1.Status ({"kind":"Status","code":409,"reason":"Conflict","message":…});
// its message becomes the absl message, prefixed with the request.
//
//   HTTP code (reason)              absl code            meaning for callers
//   400 BadRequest                  InvalidArgument
//   401 Unauthorized                Unauthenticated
//   403 Forbidden                   PermissionDenied
//   404 NotFound                    NotFound
//   405 MethodNotAllowed            Unimplemented
//   409 (reason AlreadyExists)      AlreadyExists        create of an existing name
//   409 (any other reason)          Aborted              stale resourceVersion: re-read, retry
//   410 Gone / Expired              OutOfRange           resourceVersion too old: re-list
//   413 RequestEntityTooLarge       ResourceExhausted
//   415 UnsupportedMediaType        InvalidArgument
//   422 Invalid                     InvalidArgument
//   429 TooManyRequests             ResourceExhausted    retry later
//   500, 502, 503, 504, other 5xx   Unavailable          retry later
//   other codes                     Unknown
//   transport failures              Unavailable          (from the Transport)
//
// The HTTP code and the Status reason ride along as payloads.
#ifndef RAVEN_COMMON_KUBE_API_ERROR_H_
#define RAVEN_COMMON_KUBE_API_ERROR_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "rapidjson/document.h"

namespace raven::kube {

// For a non-2xx response; `what` names the request ("GET /api/v1/nodes/a").
absl::Status ApiError(int code, absl::string_view body, absl::string_view what);

// For a metav1.Status object (a watch ERROR event).
absl::Status ApiErrorFromStatusObject(const rapidjson::Value& status, absl::string_view what);

// The HTTP code / Status reason of an error made above; 0 / "" otherwise.
int HttpCodeOf(const absl::Status& status);
std::string ReasonOf(const absl::Status& status);

inline bool IsConflict(const absl::Status& s) { return absl::IsAborted(s); }
inline bool IsGone(const absl::Status& s) { return absl::IsOutOfRange(s); }

}  // namespace raven::kube

#endif  // RAVEN_COMMON_KUBE_API_ERROR_H_

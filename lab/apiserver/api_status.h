// Kubernetes API errors carried in absl::Status: the HTTP code, reason and
// details ride along as a payload, so a handler can answer with the exact
// meta/v1 Status object ({"kind":"Status","status":"Failure","reason":...})
// that kube-apiserver sends, and an in-process caller still sees an ordinary
// absl::Status with a matching canonical code and the Kubernetes message.
#ifndef RAVEN_LAB_APISERVER_API_STATUS_H_
#define RAVEN_LAB_APISERVER_API_STATUS_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace raven::apiserver {

// The object a failure refers to (Status.details).
struct ErrorTarget {
  std::string group;  // "" for core
  std::string kind;   // as kube-apiserver: the resource (plural), e.g. "gateways"
  std::string name;
};

// One entry of Status.details.causes.
struct ErrorCause {
  std::string type;  // e.g. "FieldValueInvalid", "FieldValueRequired"
  std::string message;
  std::string field;
};

// A failure with an explicit HTTP code and Kubernetes reason ("": none, as
// kube-apiserver's StatusReasonUnknown).
absl::Status ApiError(int code, absl::string_view reason, absl::string_view message,
                      const ErrorTarget& target = {}, const std::vector<ErrorCause>& causes = {});

// The standard failures, with kube-apiserver's messages and details (the
// target's kind is the plural resource, qualified by its group in messages:
// gateways.raven.openyurt.io "gw-a" not found).
absl::Status NotFoundError(const ErrorTarget& target);
absl::Status AlreadyExistsError(const ErrorTarget& target);
absl::Status ConflictError(const ErrorTarget& target, absl::string_view why);
// 422: `kind` is the object's Kind (Gateway.raven.openyurt.io "gw-a" is invalid: ...).
absl::Status InvalidError(const ErrorTarget& target, absl::string_view kind,
                          const std::vector<ErrorCause>& causes);
absl::Status BadRequestError(absl::string_view message);
absl::Status ExpiredError(absl::string_view message);
absl::Status MethodNotAllowedError(absl::string_view message);
absl::Status UnauthorizedError();
// 413: a request body larger than `limit` bytes.
absl::Status RequestEntityTooLargeError(size_t limit);
// An object too large for etcd: kube-apiserver does not map etcd's error, so
// clients get a 500 with etcd's message and no reason.
absl::Status StorageRequestTooLargeError();

// The HTTP code of a status (from the payload, or derived from the canonical
// code for statuses that did not come from ApiError); 200 for OK.
int HttpCode(const absl::Status& status);

// The meta/v1 Status JSON for a failure (built from the canonical code when
// the status carries no payload).
std::string StatusJson(const absl::Status& status);

// The reason kube-apiserver uses for an HTTP code ("NotFound", "InternalError", ...).
absl::string_view ReasonForCode(int code);

}  // namespace raven::apiserver

#endif  // RAVEN_LAB_APISERVER_API_STATUS_H_

#include "lab/apiserver/api_status.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lab/apiserver/json_util.h"
#include "rapidjson/document.h"

namespace raven::apiserver {
namespace {

constexpr absl::string_view kPayloadUrl = "type.raven/k8s.io/apimachinery/meta/v1/Status";

absl::StatusCode CanonicalCode(int code) {
  switch (code) {
    case 400:
    case 415:
    case 422:
      return absl::StatusCode::kInvalidArgument;
    case 401:
      return absl::StatusCode::kUnauthenticated;
    case 403:
      return absl::StatusCode::kPermissionDenied;
    case 404:
      return absl::StatusCode::kNotFound;
    case 405:
    case 406:
      return absl::StatusCode::kUnimplemented;
    case 409:
      return absl::StatusCode::kAborted;
    case 410:
      return absl::StatusCode::kOutOfRange;
    case 413:
    case 429:
      return absl::StatusCode::kResourceExhausted;
    case 503:
      return absl::StatusCode::kUnavailable;
    case 504:
      return absl::StatusCode::kDeadlineExceeded;
    default:
      return absl::StatusCode::kInternal;
  }
}

int CodeForCanonical(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
      return 200;
    case absl::StatusCode::kInvalidArgument:
      return 400;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kAborted:
      return 409;
    case absl::StatusCode::kOutOfRange:
      return 410;
    case absl::StatusCode::kResourceExhausted:
      return 429;
    case absl::StatusCode::kUnavailable:
      return 503;
    case absl::StatusCode::kDeadlineExceeded:
      return 504;
    default:
      return 500;
  }
}

std::string Qualified(const ErrorTarget& t) {
  return t.group.empty() ? t.kind : absl::StrCat(t.kind, ".", t.group);
}

std::string BuildStatusJson(int code, absl::string_view reason, absl::string_view message,
                            const ErrorTarget& target, const std::vector<ErrorCause>& causes) {
  rapidjson::Document d(rapidjson::kObjectType);
  auto& a = d.GetAllocator();
  SetString(d, "kind", "Status", a);
  SetString(d, "apiVersion", "v1", a);
  SetMember(d, "metadata", rapidjson::Value(rapidjson::kObjectType), a);
  SetString(d, "status", "Failure", a);
  SetString(d, "message", message, a);
  if (!reason.empty()) SetString(d, "reason", reason, a);
  if (!target.name.empty() || !target.kind.empty() || !causes.empty()) {
    rapidjson::Value details(rapidjson::kObjectType);
    if (!target.name.empty()) SetString(details, "name", target.name, a);
    if (!target.group.empty()) SetString(details, "group", target.group, a);
    if (!target.kind.empty()) SetString(details, "kind", target.kind, a);
    if (!causes.empty()) {
      rapidjson::Value list(rapidjson::kArrayType);
      for (const ErrorCause& c : causes) {
        rapidjson::Value item(rapidjson::kObjectType);
        SetString(item, "reason", c.type, a);
        SetString(item, "message", c.message, a);
        SetString(item, "field", c.field, a);
        list.PushBack(item, a);
      }
      SetMember(details, "causes", std::move(list), a);
    }
    SetMember(d, "details", std::move(details), a);
  }
  SetMember(d, "code", rapidjson::Value(code), a);
  return ToJson(d);
}

}  // namespace

absl::string_view ReasonForCode(int code) {
  switch (code) {
    case 400:
      return "BadRequest";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "NotFound";
    case 405:
      return "MethodNotAllowed";
    case 406:
      return "NotAcceptable";
    case 409:
      return "Conflict";
    case 410:
      return "Expired";
    case 413:
      return "RequestEntityTooLarge";
    case 415:
      return "UnsupportedMediaType";
    case 422:
      return "Invalid";
    case 429:
      return "TooManyRequests";
    case 503:
      return "ServiceUnavailable";
    case 504:
      return "Timeout";
    default:
      return "InternalError";
  }
}

absl::Status ApiError(int code, absl::string_view reason, absl::string_view message,
                      const ErrorTarget& target, const std::vector<ErrorCause>& causes) {
  absl::StatusCode canonical = CanonicalCode(code);
  if (reason == "AlreadyExists") canonical = absl::StatusCode::kAlreadyExists;
  absl::Status status(canonical, message);
  status.SetPayload(kPayloadUrl,
                    absl::Cord(BuildStatusJson(code, reason, message, target, causes)));
  return status;
}

absl::Status NotFoundError(const ErrorTarget& target) {
  return ApiError(404, "NotFound",
                  absl::StrCat(Qualified(target), " \"", target.name, "\" not found"), target);
}

absl::Status AlreadyExistsError(const ErrorTarget& target) {
  return ApiError(409, "AlreadyExists",
                  absl::StrCat(Qualified(target), " \"", target.name, "\" already exists"), target);
}

absl::Status ConflictError(const ErrorTarget& target, absl::string_view why) {
  return ApiError(409, "Conflict",
                  absl::StrCat("Operation cannot be fulfilled on ", Qualified(target), " \"",
                               target.name, "\": ", why),
                  target);
}

absl::Status InvalidError(const ErrorTarget& target, absl::string_view kind,
                          const std::vector<ErrorCause>& causes) {
  std::vector<std::string> parts;
  for (const ErrorCause& c : causes) {
    parts.push_back(c.field.empty() ? c.message : absl::StrCat(c.field, ": ", c.message));
  }
  std::string list = absl::StrJoin(parts, ", ");
  if (parts.size() > 1) list = absl::StrCat("[", list, "]");
  std::string message = absl::StrCat(kind, target.group.empty() ? "" : ".", target.group, " \"",
                                     target.name, "\" is invalid: ", list);
  // As kube-apiserver: details name the kind (not the resource) of an invalid object.
  return ApiError(422, "Invalid", message, {target.group, std::string(kind), target.name}, causes);
}

absl::Status BadRequestError(absl::string_view message) {
  return ApiError(400, "BadRequest", message);
}

absl::Status ExpiredError(absl::string_view message) { return ApiError(410, "Expired", message); }

absl::Status MethodNotAllowedError(absl::string_view message) {
  return ApiError(405, "MethodNotAllowed", message);
}

absl::Status UnauthorizedError() { return ApiError(401, "Unauthorized", "Unauthorized"); }

absl::Status RequestEntityTooLargeError(size_t limit) {
  return ApiError(413, "RequestEntityTooLarge",
                  absl::StrCat("Request entity too large: limit is ", limit));
}

absl::Status StorageRequestTooLargeError() {
  return ApiError(500, "", "etcdserver: request is too large");
}

int HttpCode(const absl::Status& status) {
  if (status.ok()) return 200;
  auto payload = status.GetPayload(kPayloadUrl);
  if (payload.has_value()) {
    absl::StatusOr<rapidjson::Document> doc = ParseJson(std::string(*payload));
    if (doc.ok()) {
      const rapidjson::Value* code = Member(*doc, "code");
      if (code != nullptr && code->IsInt()) return code->GetInt();
    }
  }
  return CodeForCanonical(status.code());
}

std::string StatusJson(const absl::Status& status) {
  auto payload = status.GetPayload(kPayloadUrl);
  if (payload.has_value()) return std::string(*payload);
  int code = CodeForCanonical(status.code());
  return BuildStatusJson(code, ReasonForCode(code), status.message(), {}, {});
}

}  // namespace raven::apiserver

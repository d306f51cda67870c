#include "common/kube/api_error.h"

#include <optional>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace raven::kube {
namespace {

constexpr absl::string_view kCodePayload = "raven.kube/http-code";
constexpr absl::string_view kReasonPayload = "raven.kube/reason";
constexpr size_t kMaxQuotedBody = 256;

absl::StatusCode CodeFor(int http, absl::string_view reason) {
  switch (http) {
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
      return absl::StatusCode::kUnimplemented;
    case 409:
      return reason == "AlreadyExists" ? absl::StatusCode::kAlreadyExists
                                       : absl::StatusCode::kAborted;
    case 410:
      return absl::StatusCode::kOutOfRange;
    case 413:
    case 429:
      return absl::StatusCode::kResourceExhausted;
    default:
      return http >= 500 && http < 600 ? absl::StatusCode::kUnavailable
                                       : absl::StatusCode::kUnknown;
  }
}

std::string StringMember(const rapidjson::Value& v, const char* name) {
  if (!v.IsObject()) return "";
  auto it = v.FindMember(name);
  if (it == v.MemberEnd() || !it->value.IsString()) return "";
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

absl::Status Make(int http, absl::string_view reason, absl::string_view message,
                  absl::string_view what) {
  std::string text = absl::StrCat(what, ": HTTP ", http);
  if (!reason.empty()) absl::StrAppend(&text, " ", reason);
  if (!message.empty()) absl::StrAppend(&text, ": ", message);
  absl::Status status(CodeFor(http, reason), text);
  status.SetPayload(kCodePayload, absl::Cord(absl::StrCat(http)));
  if (!reason.empty()) status.SetPayload(kReasonPayload, absl::Cord(reason));
  return status;
}

}  // namespace

absl::Status ApiErrorFromStatusObject(const rapidjson::Value& status, absl::string_view what) {
  int http = 0;
  if (status.IsObject()) {
    auto it = status.FindMember("code");
    if (it != status.MemberEnd() && it->value.IsInt()) http = it->value.GetInt();
  }
  return Make(http, StringMember(status, "reason"), StringMember(status, "message"), what);
}

absl::Status ApiError(int code, absl::string_view body, absl::string_view what) {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (!doc.HasParseError() && doc.IsObject() && StringMember(doc, "kind") == "Status") {
    return Make(code, StringMember(doc, "reason"), StringMember(doc, "message"), what);
  }
  // Not a Status (a proxy's error page, say): quote the start of the body.
  absl::string_view quoted = body.substr(0, kMaxQuotedBody);
  return Make(code, "", quoted, what);
}

int HttpCodeOf(const absl::Status& status) {
  auto payload = status.GetPayload(kCodePayload);
  int code = 0;
  if (payload && absl::SimpleAtoi(std::string(*payload), &code)) return code;
  return 0;
}

std::string ReasonOf(const absl::Status& status) {
  auto payload = status.GetPayload(kReasonPayload);
  return payload ? std::string(*payload) : std::string();
}

}  // namespace raven::kube

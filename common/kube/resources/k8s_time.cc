#include "common/kube/resources/k8s_time.h"

#include "absl/strings/str_cat.h"

namespace raven::kube {

absl::StatusOr<absl::Time> ParseRfc3339(absl::string_view text) {
  absl::Time t;
  std::string err;
  if (text.size() > 64 ||
      !absl::ParseTime("%Y-%m-%d%ET%H:%M:%E*S%Ez", std::string(text), &t, &err)) {
    return absl::InvalidArgumentError(
        absl::StrCat("not an RFC 3339 time: \"", text.substr(0, 64), "\""));
  }
  absl::CivilSecond civil = absl::ToCivilSecond(t, absl::UTCTimeZone());
  if (civil.year() < 1 || civil.year() > 9999) {
    return absl::InvalidArgumentError(absl::StrCat("time out of range: \"", text, "\""));
  }
  return t;
}

std::string FormatRfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

std::string FormatMicroTime(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", t, absl::UTCTimeZone());
}

absl::Status ReadTime(const json::FieldReader& in, const char* name, std::optional<absl::Time>& out,
                      bool micro) {
  std::string text;
  RETURN_IF_ERROR(in.String(name, text));
  if (text.empty()) return absl::OkStatus();
  absl::StatusOr<absl::Time> t = ParseRfc3339(text);
  if (!t.ok()) return in.Invalid(name, t.status().message());
  out = absl::UnixEpoch() +
        absl::Floor(*t - absl::UnixEpoch(), micro ? absl::Microseconds(1) : absl::Seconds(1));
  return absl::OkStatus();
}

}  // namespace raven::kube

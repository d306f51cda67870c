#include "lab/apiserver/jsonpath.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "lab/apiserver/json_util.h"

namespace raven::apiserver {
namespace {

absl::Status PathError(absl::string_view text, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("unsupported JSONPath \"", text, "\": ", why));
}

}  // namespace

absl::StatusOr<JsonPath> JsonPath::Parse(absl::string_view text) {
  absl::string_view s = absl::StripAsciiWhitespace(text);
  if (!s.empty() && s.front() == '{' && s.back() == '}') s = s.substr(1, s.size() - 2);
  if (!s.empty() && s.front() == '$') s.remove_prefix(1);
  JsonPath path;
  size_t i = 0;
  while (i < s.size()) {
    Step step;
    if (s[i] == '.') {
      size_t end = i + 1;
      while (end < s.size() && s[end] != '.' && s[end] != '[') {
        if (s[end] == '\\' && end + 1 < s.size()) ++end;  // `\.` escapes a dot
        ++end;
      }
      for (size_t k = i + 1; k < end; ++k) {
        if (s[k] == '\\' && k + 1 < end) ++k;
        step.field.push_back(s[k]);
      }
      if (step.field.empty()) return PathError(text, "empty field name");
      i = end;
    } else if (s[i] != '[') {
      return PathError(text, "expected '.' or '['");
    }
    if (i < s.size() && s[i] == '[') {
      size_t close = s.find(']', i);
      if (close == absl::string_view::npos) return PathError(text, "missing ']'");
      absl::string_view inner = s.substr(i + 1, close - i - 1);
      i = close + 1;
      if (inner.size() >= 2 && (inner.front() == '\'' || inner.front() == '"') &&
          inner.back() == inner.front()) {
        // ['quoted.key'] is a field step.
        Step quoted;
        quoted.field = std::string(inner.substr(1, inner.size() - 2));
        if (!step.field.empty()) path.steps_.push_back(step);
        path.steps_.push_back(quoted);
        continue;
      }
      step.has_index = true;
      if (inner == "*") {
        step.wildcard = true;
      } else if (!absl::SimpleAtoi(inner, &step.index)) {
        return PathError(text, "only [*], [N] and ['key'] are supported");
      }
    }
    path.steps_.push_back(step);
  }
  return path;
}

std::vector<const rapidjson::Value*> JsonPath::Find(const rapidjson::Value& root) const {
  std::vector<const rapidjson::Value*> current = {&root};
  for (const Step& step : steps_) {
    std::vector<const rapidjson::Value*> next;
    for (const rapidjson::Value* v : current) {
      const rapidjson::Value* base = v;
      if (!step.field.empty()) base = Member(*v, step.field);
      if (base == nullptr) continue;
      if (!step.has_index) {
        next.push_back(base);
        continue;
      }
      if (!base->IsArray()) continue;
      if (step.wildcard) {
        for (const auto& item : base->GetArray()) next.push_back(&item);
        continue;
      }
      int size = static_cast<int>(base->Size());
      int index = step.index < 0 ? size + step.index : step.index;
      if (index >= 0 && index < size)
        next.push_back(&(*base)[static_cast<rapidjson::SizeType>(index)]);
    }
    current = std::move(next);
  }
  return current;
}

}  // namespace raven::apiserver

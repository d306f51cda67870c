#include "lab/apiserver/selectors.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "lab/apiserver/api_status.h"
#include "lab/apiserver/json_util.h"

namespace raven::apiserver {
namespace {

// Splits at commas outside parentheses.
std::vector<std::string> SplitTopLevel(absl::string_view text) {
  std::vector<std::string> parts;
  std::string current;
  int depth = 0;
  for (char c : text) {
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (c == ',' && depth == 0) {
      parts.push_back(current);
      current.clear();
      continue;
    }
    current.push_back(c);
  }
  parts.push_back(current);
  return parts;
}

bool ValidKey(absl::string_view key) {
  return !key.empty() && std::none_of(key.begin(), key.end(), [](char c) {
    return absl::ascii_isspace(static_cast<unsigned char>(c)) || c == '(' || c == ')' || c == '=' ||
           c == '!';
  });
}

absl::Status SelectorError(absl::string_view what, absl::string_view text) {
  return BadRequestError(absl::StrCat("unable to parse requirement: ", what, ": \"", text, "\""));
}

absl::StatusOr<LabelSelector::Requirement> ParseLabelRequirement(absl::string_view raw) {
  using Op = LabelSelector::Op;
  absl::string_view text = absl::StripAsciiWhitespace(raw);
  LabelSelector::Requirement req;
  size_t paren = text.find('(');
  if (paren != absl::string_view::npos) {
    if (text.back() != ')') return SelectorError("missing ')'", text);
    std::vector<absl::string_view> head =
        absl::StrSplit(absl::StripAsciiWhitespace(text.substr(0, paren)), ' ', absl::SkipEmpty());
    if (head.size() != 2) return SelectorError("expected '<key> in|notin (<values>)'", text);
    if (head[1] == "in") {
      req.op = Op::kIn;
    } else if (head[1] == "notin") {
      req.op = Op::kNotIn;
    } else {
      return SelectorError("unknown operator", head[1]);
    }
    req.key = std::string(head[0]);
    absl::string_view list = text.substr(paren + 1, text.size() - paren - 2);
    for (absl::string_view v : absl::StrSplit(list, ',')) {
      req.values.emplace_back(absl::StripAsciiWhitespace(v));
    }
    if (req.values.size() == 1 && req.values[0].empty() && req.op == Op::kIn) {
      return SelectorError("for 'in', 'notin' operators, values set can't be empty", text);
    }
  } else if (!text.empty() && text[0] == '!') {
    req.op = Op::kNotExists;
    req.key = std::string(absl::StripAsciiWhitespace(text.substr(1)));
  } else if (size_t pos = text.find("!="); pos != absl::string_view::npos) {
    req.op = Op::kNotEquals;
    req.key = std::string(absl::StripAsciiWhitespace(text.substr(0, pos)));
    req.values.emplace_back(absl::StripAsciiWhitespace(text.substr(pos + 2)));
  } else if (size_t eq = text.find('='); eq != absl::string_view::npos) {
    size_t skip = text.substr(eq, 2) == "==" ? 2 : 1;
    req.op = Op::kEquals;
    req.key = std::string(absl::StripAsciiWhitespace(text.substr(0, eq)));
    req.values.emplace_back(absl::StripAsciiWhitespace(text.substr(eq + skip)));
  } else {
    req.op = Op::kExists;
    req.key = std::string(text);
  }
  if (!ValidKey(req.key)) return SelectorError("invalid label key", text);
  return req;
}

std::string FieldValue(const rapidjson::Value& object, absl::string_view path) {
  const rapidjson::Value* v = &object;
  for (absl::string_view part : absl::StrSplit(path, '.')) {
    v = Member(*v, part);
    if (v == nullptr) return "";
  }
  if (v->IsString()) return std::string(v->GetString(), v->GetStringLength());
  if (v->IsBool()) return v->GetBool() ? "true" : "false";
  if (v->IsInt64()) return absl::StrCat(v->GetInt64());
  if (v->IsNumber()) return absl::StrCat(v->GetDouble());
  return "";
}

}  // namespace

absl::StatusOr<LabelSelector> LabelSelector::Parse(absl::string_view text) {
  LabelSelector selector;
  if (absl::StripAsciiWhitespace(text).empty()) return selector;
  for (const std::string& part : SplitTopLevel(text)) {
    absl::StatusOr<Requirement> req = ParseLabelRequirement(part);
    if (!req.ok()) return req.status();
    selector.requirements_.push_back(*std::move(req));
  }
  return selector;
}

bool LabelSelector::Matches(const std::map<std::string, std::string>& labels) const {
  for (const Requirement& r : requirements_) {
    auto it = labels.find(r.key);
    bool has = it != labels.end();
    bool in_values =
        has && std::find(r.values.begin(), r.values.end(), it->second) != r.values.end();
    bool ok = false;
    switch (r.op) {
      case Op::kEquals:
      case Op::kIn:
        ok = in_values;
        break;
      case Op::kNotEquals:
      case Op::kNotIn:
        ok = !in_values;
        break;
      case Op::kExists:
        ok = has;
        break;
      case Op::kNotExists:
        ok = !has;
        break;
    }
    if (!ok) return false;
  }
  return true;
}

absl::StatusOr<FieldSelector> FieldSelector::Parse(absl::string_view text) {
  FieldSelector selector;
  if (absl::StripAsciiWhitespace(text).empty()) return selector;
  for (absl::string_view raw : absl::StrSplit(text, ',')) {
    absl::string_view part = absl::StripAsciiWhitespace(raw);
    Requirement req;
    size_t pos = part.find("!=");
    size_t skip = 2;
    req.equals = pos == absl::string_view::npos;
    if (req.equals) {
      pos = part.find('=');
      if (pos == absl::string_view::npos) {
        return BadRequestError(
            absl::StrCat("invalid selector: '", text, "'; can't understand '", part, "'"));
      }
      skip = part.substr(pos, 2) == "==" ? 2 : 1;
    }
    req.path = std::string(absl::StripAsciiWhitespace(part.substr(0, pos)));
    req.value = std::string(absl::StripAsciiWhitespace(part.substr(pos + skip)));
    if (req.path.empty()) return BadRequestError(absl::StrCat("invalid field selector: ", text));
    selector.requirements_.push_back(std::move(req));
  }
  return selector;
}

bool FieldSelector::Matches(const rapidjson::Value& object) const {
  for (const Requirement& r : requirements_) {
    if ((FieldValue(object, r.path) == r.value) != r.equals) return false;
  }
  return true;
}

std::string FieldSelector::RequiredName() const {
  for (const Requirement& r : requirements_) {
    if (r.equals && r.path == "metadata.name") return r.value;
  }
  return "";
}

}  // namespace raven::apiserver

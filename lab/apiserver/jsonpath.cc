#include "lab/apiserver/jsonpath.h"

#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "lab/apiserver/json_util.h"

namespace raven::apiserver {

// [?(left op right)]; op is empty for [?(left)] (existence).
struct JsonPath::Filter {
  JsonPath left;
  std::string op;
  std::optional<JsonPath> right_path;  // else right_literal
  rapidjson::Document right_literal;
};

namespace {

absl::Status PathError(absl::string_view text, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("unsupported JSONPath \"", text, "\": ", why));
}

// The end of a filter starting at `open` ("[?("): the index of its ')' (kube's
// parser: the first ')' outside quotes, which must be followed by ']').
absl::StatusOr<size_t> FilterEnd(absl::string_view s, size_t open) {
  char quote = 0;
  for (size_t k = open + 3; k < s.size(); ++k) {
    if (quote != 0) {
      if (s[k] == '\\') {
        ++k;
      } else if (s[k] == quote) {
        quote = 0;
      }
    } else if (s[k] == '\'' || s[k] == '"') {
      quote = s[k];
    } else if (s[k] == ')') {
      if (k + 1 < s.size() && s[k + 1] == ']') return k;
      return PathError(s, "a filter must end with \")]\"");
    }
  }
  return PathError(s, "unterminated filter");
}

// A quoted literal without its quotes, backslash escapes resolved.
std::string Unquote(absl::string_view quoted) {
  std::string out;
  for (size_t k = 1; k + 1 < quoted.size(); ++k) {
    if (quoted[k] == '\\' && k + 2 < quoted.size()) ++k;
    out.push_back(quoted[k]);
  }
  return out;
}

absl::StatusOr<rapidjson::Document> ParseLiteral(absl::string_view text, absl::string_view path) {
  rapidjson::Document literal;
  int64_t i = 0;
  double d = 0;
  if (text.size() >= 2 && (text.front() == '"' || text.front() == '\'') &&
      text.back() == text.front()) {
    std::string s = Unquote(text);
    literal.SetString(s.data(), static_cast<rapidjson::SizeType>(s.size()), literal.GetAllocator());
  } else if (text == "true" || text == "false") {
    literal.SetBool(text == "true");
  } else if (absl::SimpleAtoi(text, &i)) {
    literal.SetInt64(i);
  } else if (absl::SimpleAtod(text, &d)) {
    literal.SetDouble(d);
  } else {
    return PathError(path, absl::StrCat("not a quoted string, number, boolean or @ path: ", text));
  }
  return literal;
}

// The kinds text/template (which client-go's jsonpath uses) compares.
enum class Kind { kString, kInt, kFloat, kBool, kOther };

Kind KindOf(const rapidjson::Value& v) {
  if (v.IsString()) return Kind::kString;
  if (v.IsBool()) return Kind::kBool;
  if (v.IsInt64()) return Kind::kInt;
  if (v.IsNumber()) return Kind::kFloat;
  return Kind::kOther;
}

template <typename T>
bool Ordered(const std::string& op, const T& a, const T& b) {
  if (op == "==") return a == b;
  if (op == "!=") return a != b;
  if (op == "<") return a < b;
  if (op == "<=") return a <= b;
  if (op == ">") return a > b;
  return a >= b;
}

absl::StatusOr<bool> Compare(const std::string& op, const rapidjson::Value& a,
                             const rapidjson::Value& b) {
  Kind kind = KindOf(a);
  if (kind != KindOf(b) || kind == Kind::kOther) {
    return absl::InvalidArgumentError(
        absl::StrCat("incompatible types for comparison: ", ToJson(a), " ", op, " ", ToJson(b)));
  }
  switch (kind) {
    case Kind::kString:
      return Ordered(op, absl::string_view(a.GetString(), a.GetStringLength()),
                     absl::string_view(b.GetString(), b.GetStringLength()));
    case Kind::kInt:
      return Ordered(op, a.GetInt64(), b.GetInt64());
    case Kind::kFloat:
      return Ordered(op, a.GetDouble(), b.GetDouble());
    default:
      if (op != "==" && op != "!=") {
        return absl::InvalidArgumentError(absl::StrCat("invalid type for comparison: ", op));
      }
      return Ordered(op, a.GetBool(), b.GetBool());
  }
}

// The single value a filter side yields for an element: nullptr when none
// (the element is skipped), an error when more than one.
absl::StatusOr<const rapidjson::Value*> One(const std::vector<const rapidjson::Value*>& found) {
  if (found.size() > 1) {
    return absl::InvalidArgumentError("can only compare one element at a time");
  }
  return found.empty() ? nullptr : found.front();
}

}  // namespace

absl::StatusOr<std::shared_ptr<const JsonPath::Filter>> JsonPath::ParseFilter(
    absl::string_view text, absl::string_view inner) {
  auto filter = std::make_shared<Filter>();
  size_t op_at = inner.find_first_of("!<>=");
  absl::string_view left = absl::StripAsciiWhitespace(inner.substr(0, op_at));
  if (left.empty() || left.front() != '@') {
    return PathError(text, "a filter must start with an @ path");
  }
  ASSIGN_OR_RETURN(filter->left, Parse(left.substr(1)));
  if (op_at == absl::string_view::npos) return filter;
  size_t op_end = inner.find_first_not_of("!<>=", op_at);
  filter->op = std::string(inner.substr(op_at, op_end - op_at));
  if (filter->op != "==" && filter->op != "!=" && filter->op != "<" && filter->op != "<=" &&
      filter->op != ">" && filter->op != ">=") {
    return PathError(text, absl::StrCat("unknown filter operator ", filter->op));
  }
  absl::string_view right =
      absl::StripAsciiWhitespace(op_end == absl::string_view::npos ? "" : inner.substr(op_end));
  if (right.empty()) return PathError(text, "a filter comparison needs a right-hand side");
  if (right.front() == '@') {
    ASSIGN_OR_RETURN(filter->right_path, Parse(right.substr(1)));
  } else {
    ASSIGN_OR_RETURN(filter->right_literal, ParseLiteral(right, text));
  }
  return filter;
}

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
    if (i < s.size() && s.substr(i, 3) == "[?(") {
      ASSIGN_OR_RETURN(size_t close, FilterEnd(s, i));
      ASSIGN_OR_RETURN(step.filter, ParseFilter(text, s.substr(i + 3, close - i - 3)));
      i = close + 2;
    } else if (i < s.size() && s[i] == '[') {
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
        return PathError(text, "only [*], [N], ['key'] and [?(...)] are supported");
      }
    }
    path.steps_.push_back(step);
  }
  return path;
}

absl::Status JsonPath::Apply(const Step& step, const rapidjson::Value& base,
                             std::vector<const rapidjson::Value*>& next) {
  if (step.filter != nullptr) {
    if (!base.IsArray()) {
      return absl::InvalidArgumentError(
          absl::StrCat(ToJson(base), " is not array or slice and cannot be filtered"));
    }
    const Filter& f = *step.filter;
    for (const auto& item : base.GetArray()) {
      ASSIGN_OR_RETURN(std::vector<const rapidjson::Value*> lefts, f.left.Find(item));
      if (f.op.empty()) {
        if (!lefts.empty()) next.push_back(&item);
        continue;
      }
      ASSIGN_OR_RETURN(const rapidjson::Value* left, One(lefts));
      if (left == nullptr) continue;
      const rapidjson::Value* right = &f.right_literal;
      if (f.right_path.has_value()) {
        ASSIGN_OR_RETURN(std::vector<const rapidjson::Value*> rights, f.right_path->Find(item));
        ASSIGN_OR_RETURN(right, One(rights));
        if (right == nullptr) continue;
      }
      ASSIGN_OR_RETURN(bool pass, Compare(f.op, *left, *right));
      if (pass) next.push_back(&item);
    }
    return absl::OkStatus();
  }
  if (!step.has_index) {
    next.push_back(&base);
    return absl::OkStatus();
  }
  if (!base.IsArray()) return absl::OkStatus();
  if (step.wildcard) {
    for (const auto& item : base.GetArray()) next.push_back(&item);
    return absl::OkStatus();
  }
  int size = static_cast<int>(base.Size());
  int index = step.index < 0 ? size + step.index : step.index;
  if (index >= 0 && index < size) next.push_back(&base[static_cast<rapidjson::SizeType>(index)]);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<const rapidjson::Value*>> JsonPath::Find(
    const rapidjson::Value& root) const {
  std::vector<const rapidjson::Value*> current = {&root};
  for (const Step& step : steps_) {
    std::vector<const rapidjson::Value*> next;
    for (const rapidjson::Value* v : current) {
      const rapidjson::Value* base = v;
      if (!step.field.empty()) base = Member(*v, step.field);
      if (base == nullptr) continue;
      RETURN_IF_ERROR(Apply(step, *base, next));
    }
    current = std::move(next);
  }
  return current;
}

}  // namespace raven::apiserver

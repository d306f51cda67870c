#include "lab/apiserver/schema.h"

#include <cmath>
#include <optional>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "common/ip_prefix.h"

namespace raven::apiserver {
namespace {

bool Flag(const rapidjson::Value& schema, absl::string_view name) {
  const rapidjson::Value* v = Member(schema, name);
  return v != nullptr && v->IsBool() && v->GetBool();
}

absl::string_view JsonType(const rapidjson::Value& v) {
  if (v.IsNull()) return "null";
  if (v.IsBool()) return "boolean";
  if (v.IsString()) return "string";
  if (v.IsObject()) return "object";
  if (v.IsArray()) return "array";
  if (v.IsInt64() || v.IsUint64()) return "integer";
  return "number";
}

bool HasType(const rapidjson::Value& v, absl::string_view type) {
  if (type == "object") return v.IsObject();
  if (type == "array") return v.IsArray();
  if (type == "string") return v.IsString();
  if (type == "boolean") return v.IsBool();
  if (type == "number") return v.IsNumber();
  if (type == "integer") {
    if (v.IsInt64() || v.IsUint64()) return true;
    return v.IsDouble() && std::trunc(v.GetDouble()) == v.GetDouble();
  }
  return true;  // unknown or absent type: anything goes
}

// A number as Go's %v prints it in kube's messages (integral values without ".0").
std::string Number(const rapidjson::Value& v) {
  if (v.IsInt64()) return absl::StrCat(v.GetInt64());
  if (v.IsUint64()) return absl::StrCat(v.GetUint64());
  return absl::StrCat(v.GetDouble());
}

std::string Repr(const rapidjson::Value& v) {
  if (v.IsString()) return absl::StrCat("\"", v.GetString(), "\"");
  if (v.IsNumber()) return Number(v);
  return ToJson(v);
}

std::string Join(absl::string_view path, absl::string_view field) {
  return path.empty() ? std::string(field) : absl::StrCat(path, ".", field);
}

// Length in characters (UTF-8 code points), as kube-openapi counts maxLength.
int64_t Characters(absl::string_view s) {
  int64_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

// Go's net.ParseIP (as kube's formats use it): inet_pton's grammar (which
// would stop at a NUL).
std::optional<IpAddress> ParseIp(absl::string_view s) {
  absl::StatusOr<IpAddress> ip = IpAddress::Parse(s);
  if (absl::StrContains(s, '\0') || !ip.ok()) return std::nullopt;
  return *ip;
}

// Go's net.ParseCIDR: an address, '/', and decimal digits up to its bit length
// (host bits may be set).
bool IsCidr(absl::string_view s) {
  size_t slash = s.find('/');
  if (slash == absl::string_view::npos) return false;
  std::optional<IpAddress> address = ParseIp(s.substr(0, slash));
  absl::string_view digits = s.substr(slash + 1);
  if (!address.has_value() || digits.empty() || digits.size() > 3) return false;
  int length = 0;
  for (char c : digits) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
    length = length * 10 + (c - '0');
  }
  return length <= address->bit_length();
}

bool Digits(absl::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return !s.empty();
}

// Go's time.Parse("2006-01-02", s) succeeding.
bool IsDate(absl::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  int year = 0, month = 0, day = 0;
  if (!Digits(s.substr(0, 4)) || !Digits(s.substr(5, 2)) || !Digits(s.substr(8, 2)) ||
      !absl::SimpleAtoi(s.substr(0, 4), &year) || !absl::SimpleAtoi(s.substr(5, 2), &month) ||
      !absl::SimpleAtoi(s.substr(8, 2), &day) || month < 1 || month > 12 || day < 1) {
    return false;
  }
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return day <= kDays[month - 1] + (month == 2 && leap ? 1 : 0);
}

// kube-openapi's strfmt.IsDateTime: a date, 't', then (lower-cased)
// `^([0-9]{2}):([0-9]{2}):([0-9]{2})(.[0-9]+)?(z|([+-][0-9]{2}:[0-9]{2}))$`
// with hours <= 23, minutes and seconds <= 59.
bool IsDateTime(absl::string_view s) {
  if (s.size() < 4) return false;
  std::string lower = absl::AsciiStrToLower(s);
  std::vector<absl::string_view> parts = absl::StrSplit(lower, 't');
  if (parts.size() < 2 || !IsDate(parts[0])) return false;
  absl::string_view t = parts[1];
  if (t.size() < 9 || t[2] != ':' || t[5] != ':') return false;
  if (!Digits(t.substr(0, 2)) || !Digits(t.substr(3, 2)) || !Digits(t.substr(6, 2))) return false;
  if (t.substr(0, 2) > "23" || t.substr(3, 2) > "59" || t.substr(6, 2) > "59") return false;
  absl::string_view rest = t.substr(8);
  size_t zone = 0;
  if (rest.back() == 'z') {
    zone = 1;
  } else if (rest.size() >= 6) {
    absl::string_view z = rest.substr(rest.size() - 6);
    if ((z[0] == '+' || z[0] == '-') && Digits(z.substr(1, 2)) && z[3] == ':' &&
        Digits(z.substr(4, 2))) {
      zone = 6;
    }
  }
  if (zone == 0) return false;
  absl::string_view fraction = rest.substr(0, rest.size() - zone);
  return fraction.empty() ||
         (fraction.size() >= 2 && fraction[0] != '\n' && Digits(fraction.substr(1)));
}

// The formats kube-apiserver validates that this server checks too; other
// formats are not checked (kube ignores unknown ones). nullopt: not checked.
std::optional<bool> FormatValid(absl::string_view format, absl::string_view s) {
  std::string name = absl::StrReplaceAll(format, {{"-", ""}});
  if (name == "ipv4") return ParseIp(s).has_value() && absl::StrContains(s, '.');
  if (name == "ipv6") return ParseIp(s).has_value() && absl::StrContains(s, ':');
  if (name == "cidr") return IsCidr(s);
  if (name == "datetime") return IsDateTime(s);
  return std::nullopt;
}

class Walker {
 public:
  explicit Walker(SchemaReport& report) : report_(report) {}

  void Walk(const rapidjson::Value& schema, rapidjson::Value& value, const std::string& path,
            bool preserve) {
    preserve = preserve || Flag(schema, "x-kubernetes-preserve-unknown-fields");
    const rapidjson::Value* type = Member(schema, "type");
    if (Flag(schema, "x-kubernetes-int-or-string")) {
      if (!value.IsString() && !HasType(value, "integer")) TypeError(path, value, "string/int");
      return;
    }
    if (type != nullptr || Member(schema, "format") != nullptr) ++checks_;
    if (type != nullptr && type->IsString() && !HasType(value, type->GetString())) {
      TypeError(path, value, type->GetString());
      return;
    }
    // In kube-openapi's order: anyOf, string, format, number, enum, object.
    CheckAnyOf(schema, value, path);
    if (value.IsString()) CheckString(schema, value, path);
    if (value.IsNumber()) CheckNumber(schema, value, path);
    CheckEnum(schema, value, path);
    if (value.IsObject()) WalkObject(schema, value, path, preserve);
    if (value.IsArray()) {
      const rapidjson::Value* items = Member(schema, "items");
      for (rapidjson::SizeType i = 0; i < value.Size(); ++i) {
        std::string item_path = absl::StrCat(path, "[", i, "]");
        if (items != nullptr && items->IsObject()) {
          Walk(*items, value[i], item_path, preserve);
        }
      }
    }
  }

  // How many type/format checks ran: kube-openapi's MatchCount, which picks
  // the anyOf branch whose errors are reported, as far as it differs between
  // the value validations a structural schema allows in anyOf.
  int checks() const { return checks_; }

 private:
  void WalkObject(const rapidjson::Value& schema, rapidjson::Value& value, const std::string& path,
                  bool preserve) {
    const rapidjson::Value* props = Member(schema, "properties");
    const rapidjson::Value* additional = Member(schema, "additionalProperties");
    bool root = path.empty();
    std::vector<std::string> prune;
    for (auto& m : value.GetObject()) {
      absl::string_view name(m.name.GetString(), m.name.GetStringLength());
      if (root && (name == "apiVersion" || name == "kind" || name == "metadata")) continue;
      const rapidjson::Value* sub = props == nullptr ? nullptr : Member(*props, name);
      if (sub == nullptr && additional != nullptr && additional->IsObject()) sub = additional;
      std::string field_path = Join(path, name);
      if (sub == nullptr) {
        bool keep =
            preserve || (additional != nullptr && additional->IsBool() && additional->GetBool());
        if (!keep) {
          prune.emplace_back(name);
          report_.unknown_fields.push_back(field_path);
        }
        continue;
      }
      if (m.value.IsNull() && !Flag(*sub, "nullable")) {
        prune.emplace_back(name);  // kube-apiserver drops nulls of non-nullable fields
        continue;
      }
      Walk(*sub, m.value, field_path, preserve);
    }
    for (const std::string& name : prune) RemoveMember(value, name);
    const rapidjson::Value* required = Member(schema, "required");
    if (required != nullptr && required->IsArray()) {
      for (const auto& r : required->GetArray()) {
        if (!r.IsString() || Member(value, r.GetString()) != nullptr) continue;
        report_.errors.push_back(
            {"FieldValueRequired", "Required value", Join(path, r.GetString())});
      }
    }
  }

  // anyOf: the value must pass one branch. Failing all, kube reports the
  // anyOf failure (against a nil field path, so "<nil>") and the errors of
  // the branch with the most checks (the first of equals).
  void CheckAnyOf(const rapidjson::Value& schema, const rapidjson::Value& value,
                  const std::string& path) {
    const rapidjson::Value* branches = Member(schema, "anyOf");
    if (branches == nullptr || !branches->IsArray() || branches->Empty()) return;
    SchemaReport best;
    int best_checks = -1;
    for (const auto& branch : branches->GetArray()) {
      SchemaReport attempt;
      Walker walker(attempt);
      rapidjson::Document copy;  // branches validate, never prune
      copy.CopyFrom(value, copy.GetAllocator());
      walker.Walk(branch, copy, path, /*preserve=*/true);
      if (attempt.errors.empty()) return;
      if (walker.checks() > best_checks) {
        best = std::move(attempt);
        best_checks = walker.checks();
      }
    }
    report_.errors.push_back({"FieldValueInvalid",
                              absl::StrCat("Invalid value: \"\": \"", path,
                                           "\" must validate at least one schema (anyOf)"),
                              "<nil>"});
    report_.errors.insert(report_.errors.end(), best.errors.begin(), best.errors.end());
  }

  // maxLength, then minLength (kube stops at the first), then format.
  void CheckString(const rapidjson::Value& schema, const rapidjson::Value& value,
                   const std::string& path) {
    absl::string_view s(value.GetString(), value.GetStringLength());
    const rapidjson::Value* max = Member(schema, "maxLength");
    const rapidjson::Value* min = Member(schema, "minLength");
    if (max != nullptr && max->IsInt64() && Characters(s) > max->GetInt64()) {
      report_.errors.push_back({"FieldValueTooLong",
                                absl::StrCat("Too long: may not be more than ", max->GetInt64(),
                                             max->GetInt64() == 1 ? " byte" : " bytes"),
                                path});
    } else if (min != nullptr && min->IsInt64() && Characters(s) < min->GetInt64()) {
      Invalid(path, value, absl::StrCat("should be at least ", min->GetInt64(), " chars long"));
    }
    const rapidjson::Value* format = Member(schema, "format");
    if (format == nullptr || !format->IsString()) return;
    std::optional<bool> valid = FormatValid(format->GetString(), s);
    if (!valid.has_value()) return;
    ++checks_;
    if (!*valid) {
      report_.errors.push_back(
          {"FieldValueTypeInvalid",
           absl::StrCat("Invalid value: ", Repr(value), ": ", path, " in body must be of type ",
                        format->GetString(), ": ", Repr(value)),
           path});
    }
  }

  // minimum, then maximum (with OpenAPI v3.0's boolean exclusiveMinimum/Maximum).
  void CheckNumber(const rapidjson::Value& schema, const rapidjson::Value& value,
                   const std::string& path) {
    double v = value.GetDouble();
    const rapidjson::Value* min = Member(schema, "minimum");
    if (min != nullptr && min->IsNumber()) {
      bool exclusive = Flag(schema, "exclusiveMinimum");
      if (exclusive ? v <= min->GetDouble() : v < min->GetDouble()) {
        Invalid(
            path, value,
            absl::StrCat("should be greater than ", exclusive ? "" : "or equal to ", Number(*min)));
      }
    }
    const rapidjson::Value* max = Member(schema, "maximum");
    if (max != nullptr && max->IsNumber()) {
      bool exclusive = Flag(schema, "exclusiveMaximum");
      if (exclusive ? v >= max->GetDouble() : v > max->GetDouble()) {
        Invalid(
            path, value,
            absl::StrCat("should be less than ", exclusive ? "" : "or equal to ", Number(*max)));
      }
    }
  }

  void CheckEnum(const rapidjson::Value& schema, const rapidjson::Value& value,
                 const std::string& path) {
    const rapidjson::Value* options = Member(schema, "enum");
    if (options == nullptr || !options->IsArray() || options->Empty()) return;
    std::vector<std::string> supported;
    for (const auto& o : options->GetArray()) {
      if (o == value) return;
      supported.push_back(o.IsString() ? absl::StrCat("\"", o.GetString(), "\"") : ToJson(o));
    }
    report_.errors.push_back({"FieldValueNotSupported",
                              absl::StrCat("Unsupported value: ", Repr(value),
                                           ": supported values: ", absl::StrJoin(supported, ", ")),
                              path});
  }

  // kube's field.Invalid with kube-openapi's "<path> in body <why>".
  void Invalid(const std::string& path, const rapidjson::Value& value, absl::string_view why) {
    report_.errors.push_back(
        {"FieldValueInvalid",
         absl::StrCat("Invalid value: ", Repr(value), ": ", path, " in body ", why), path});
  }

  void TypeError(const std::string& path, const rapidjson::Value& value, absl::string_view want) {
    report_.errors.push_back({"FieldValueTypeInvalid",
                              absl::StrCat("Invalid value: \"", JsonType(value), "\": ", path,
                                           " in body must be of type ", want, ": ", Repr(value)),
                              path});
  }

  SchemaReport& report_;
  int checks_ = 0;
};

}  // namespace

SchemaReport ValidateAndPrune(const rapidjson::Value& schema, rapidjson::Value& object) {
  SchemaReport report;
  Walker walker(report);
  walker.Walk(schema, object, "", false);
  return report;
}

}  // namespace raven::apiserver

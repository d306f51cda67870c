#include "lab/apiserver/object_meta.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace raven::apiserver {
namespace {

bool SameExcept(const rapidjson::Value& a, const rapidjson::Value& b,
                std::initializer_list<absl::string_view> skip) {
  if (!a.IsObject() || !b.IsObject()) return a == b;
  auto skipped = [&](const rapidjson::Value& name) {
    for (absl::string_view s : skip) {
      if (absl::string_view(name.GetString(), name.GetStringLength()) == s) return true;
    }
    return false;
  };
  size_t count_a = 0;
  for (const auto& m : a.GetObject()) {
    if (skipped(m.name)) continue;
    ++count_a;
    auto it = b.FindMember(m.name);
    if (it == b.MemberEnd() || !(it->value == m.value)) return false;
  }
  size_t count_b = 0;
  for (const auto& m : b.GetObject()) count_b += skipped(m.name) ? 0 : 1;
  return count_a == count_b;
}

}  // namespace

std::string FormatTimestamp(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

std::string NewUid(std::mt19937_64& rng) {
  uint64_t hi = rng();
  uint64_t lo = rng();
  hi = (hi & ~0xF000ULL) | 0x4000ULL;                  // version 4
  lo = (lo & ~(0xC000ULL << 48)) | (0x8000ULL << 48);  // RFC 4122 variant
  return absl::StrFormat("%08x-%04x-%04x-%04x-%012x", hi >> 32, (hi >> 16) & 0xFFFF, hi & 0xFFFF,
                         lo >> 48, lo & 0xFFFFFFFFFFFFULL);
}

std::string NameSuffix(std::mt19937_64& rng) {
  static constexpr char kAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";
  std::string out;
  for (int i = 0; i < 5; ++i) out.push_back(kAlphabet[rng() % (sizeof(kAlphabet) - 1)]);
  return out;
}

std::vector<ErrorCause> ValidateName(absl::string_view name, bool is_namespace) {
  std::vector<ErrorCause> causes;
  auto invalid = [&](absl::string_view why) {
    causes.push_back({"FieldValueInvalid", absl::StrCat("Invalid value: \"", name, "\": ", why),
                      "metadata.name"});
  };
  if (name.empty()) {
    causes.push_back({"FieldValueRequired", "Required value: name or generateName is required",
                      "metadata.name"});
  } else if (name == "." || name == ".." || name.find_first_of("/%") != absl::string_view::npos) {
    invalid("may not be '.' or '..' and may not contain '/' or '%'");
  } else if (is_namespace) {
    bool ok = name.size() <= 63 && absl::ascii_isalnum(static_cast<unsigned char>(name.front())) &&
              absl::ascii_isalnum(static_cast<unsigned char>(name.back()));
    for (char c : name) {
      ok = ok && (absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '-' ||
                  (c >= 'a' && c <= 'z'));
    }
    if (!ok)
      invalid(
          "a lowercase RFC 1123 label must consist of lower case alphanumeric "
          "characters or '-', and must start and end with an alphanumeric character");
  }
  return causes;
}

bool SpecChanged(const rapidjson::Value& before, const rapidjson::Value& after) {
  return !SameExcept(before, after, {"metadata", "status"});
}

bool SameObject(const rapidjson::Value& before, const rapidjson::Value& after) {
  if (!SameExcept(before, after, {"metadata"})) return false;
  const rapidjson::Value* ma = Member(before, "metadata");
  const rapidjson::Value* mb = Member(after, "metadata");
  if (ma == nullptr || mb == nullptr) return ma == mb;
  return SameExcept(*ma, *mb, {"resourceVersion", "managedFields"});
}

void KeepServerMetadata(const rapidjson::Value& from, rapidjson::Value& to, JsonAlloc& alloc) {
  const rapidjson::Value* src = Member(from, "metadata");
  rapidjson::Value& dst = EnsureMetadata(to, alloc);
  for (absl::string_view field : {"uid", "creationTimestamp", "generation", "deletionTimestamp",
                                  "deletionGracePeriodSeconds", "name", "namespace"}) {
    const rapidjson::Value* v = src == nullptr ? nullptr : Member(*src, field);
    if (v == nullptr) {
      RemoveMember(dst, field);
    } else {
      SetMember(dst, field, rapidjson::Value(*v, alloc), alloc);
    }
  }
}

size_t AnnotationsSize(const rapidjson::Value& object) {
  const rapidjson::Value* meta = Member(object, "metadata");
  const rapidjson::Value* annotations = meta == nullptr ? nullptr : Member(*meta, "annotations");
  if (annotations == nullptr || !annotations->IsObject()) return 0;
  size_t size = 0;
  for (const auto& m : annotations->GetObject()) {
    size += m.name.GetStringLength();
    if (m.value.IsString()) size += m.value.GetStringLength();
  }
  return size;
}

bool HasFinalizers(const rapidjson::Value& object) {
  const rapidjson::Value* meta = Member(object, "metadata");
  const rapidjson::Value* f = meta == nullptr ? nullptr : Member(*meta, "finalizers");
  return f != nullptr && f->IsArray() && !f->Empty();
}

bool ParseResourceVersion(absl::string_view text, int64_t& rv) {
  rv = 0;
  if (text.empty()) return true;
  return absl::SimpleAtoi(text, &rv) && rv >= 0;
}

}  // namespace raven::apiserver

#include "lab/apiserver/merge_patch.h"

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"

namespace raven::apiserver {
namespace {

constexpr absl::string_view kDeleteFromList = "$deleteFromPrimitiveList/";

absl::string_view NameOf(const rapidjson::Value& name) {
  return absl::string_view(name.GetString(), name.GetStringLength());
}

// The value a patch member produces where the target has nothing: objects
// are merged into an empty object so that their nulls (and directives)
// disappear, as RFC 7386 requires.
rapidjson::Value Fresh(const rapidjson::Value& patch, JsonAlloc& alloc, bool strategic) {
  rapidjson::Value out;
  if (patch.IsObject()) {
    out.SetObject();
    ApplyMergePatch(out, patch, alloc, strategic);
  } else if (patch.IsArray() && strategic) {
    // Elements carrying "$patch" directives (delete-by-merge-key) are dropped.
    out.SetArray();
    for (const auto& item : patch.GetArray()) {
      if (item.IsObject() && Member(item, "$patch") != nullptr) continue;
      out.PushBack(rapidjson::Value(item, alloc), alloc);
    }
  } else {
    out.CopyFrom(patch, alloc);
  }
  return out;
}

void DeleteFromPrimitiveList(rapidjson::Value& target, absl::string_view field,
                             const rapidjson::Value& values) {
  rapidjson::Value* list = MutableMember(target, field);
  if (list == nullptr || !list->IsArray() || !values.IsArray()) return;
  for (const auto& v : values.GetArray()) {
    for (auto it = list->Begin(); it != list->End();) {
      it = *it == v ? list->Erase(it) : it + 1;
    }
  }
}

}  // namespace

void ApplyMergePatch(rapidjson::Value& target, const rapidjson::Value& patch, JsonAlloc& alloc,
                     bool strategic) {
  if (!patch.IsObject()) {
    target = Fresh(patch, alloc, strategic);
    return;
  }
  if (strategic) {
    const rapidjson::Value* directive = Member(patch, "$patch");
    if (directive != nullptr && directive->IsString() && NameOf(*directive) == "replace") {
      target.SetObject();
    }
  }
  if (!target.IsObject()) target.SetObject();
  for (const auto& m : patch.GetObject()) {
    absl::string_view name = NameOf(m.name);
    if (strategic && absl::StartsWith(name, "$")) {
      if (absl::StartsWith(name, kDeleteFromList)) {
        DeleteFromPrimitiveList(target, name.substr(kDeleteFromList.size()), m.value);
      }
      continue;  // $patch, $retainKeys, $setElementOrder/...: handled above or dropped
    }
    bool remove = m.value.IsNull();
    if (strategic && m.value.IsObject()) {
      const rapidjson::Value* d = Member(m.value, "$patch");
      remove = remove || (d != nullptr && d->IsString() && NameOf(*d) == "delete");
    }
    if (remove) {
      RemoveMember(target, name);
      continue;
    }
    rapidjson::Value* existing = MutableMember(target, name);
    if (existing != nullptr && m.value.IsObject() && existing->IsObject()) {
      ApplyMergePatch(*existing, m.value, alloc, strategic);
    } else if (existing != nullptr) {
      *existing = Fresh(m.value, alloc, strategic);
    } else {
      target.AddMember(Str(name, alloc), Fresh(m.value, alloc, strategic), alloc);
    }
  }
}

}  // namespace raven::apiserver

#include "lab/apiserver/admission.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "lab/apiserver/api_status.h"
#include "lab/apiserver/object_meta.h"
#include "lab/apiserver/schema.h"
#include "lab/apiserver/size_limits.h"

namespace raven::apiserver {
namespace {

bool IsCrd(const ResourceInfo& r) {
  return r.group == "apiextensions.k8s.io" && r.plural == "customresourcedefinitions";
}

}  // namespace

absl::Status Admit(const ResourceInfo& r, rapidjson::Document& object, const WriteOptions& options,
                   std::vector<std::string>& warnings, std::vector<ResourceInfo>* crd_resources) {
  auto& a = object.GetAllocator();
  ErrorTarget target{r.group, r.plural, MetaString(object, "name")};
  std::vector<ErrorCause> causes;
  auto expect = [&](absl::string_view field, absl::string_view want) {
    std::string got = StringAt(object, field);
    if (!got.empty() && got != want) {
      causes.push_back({"FieldValueInvalid",
                        absl::StrCat("Invalid value: \"", got, "\": must be ", want),
                        std::string(field)});
    }
  };
  expect("apiVersion", r.api_version());
  expect("kind", r.kind);
  const rapidjson::Value* meta = Member(object, "metadata");
  if (meta != nullptr && !meta->IsObject()) {
    causes.push_back({"FieldValueInvalid", "Invalid value: must be an object", "metadata"});
  }
  if (AnnotationsSize(object) > kMaxAnnotationsBytes) {
    causes.push_back({"FieldValueTooLong",
                      absl::StrCat("Too long: must have at most ", kMaxAnnotationsBytes, " bytes"),
                      "metadata.annotations"});
  }
  if (!causes.empty()) return InvalidError(target, r.kind, causes);
  SetString(object, "apiVersion", r.api_version(), a);
  SetString(object, "kind", r.kind, a);
  RemoveMember(EnsureMetadata(object, a), "managedFields");
  CanonicalOrder(object);
  if (r.schema != nullptr) {
    SchemaReport report = ValidateAndPrune(*r.schema, object);
    if (!report.unknown_fields.empty() && options.validation != FieldValidation::kIgnore) {
      std::vector<std::string> messages;
      for (const std::string& f : report.unknown_fields) {
        messages.push_back(absl::StrCat("unknown field \"", f, "\""));
      }
      if (options.validation == FieldValidation::kStrict) {
        return BadRequestError(
            absl::StrCat(r.kind, " in version \"", r.version, "\" cannot be handled as a ", r.kind,
                         ": strict decoding error: ", absl::StrJoin(messages, ", ")));
      }
      warnings.insert(warnings.end(), messages.begin(), messages.end());
    }
    if (!report.errors.empty()) return InvalidError(target, r.kind, report.errors);
  }
  if (crd_resources != nullptr && IsCrd(r)) {
    ASSIGN_OR_RETURN(*crd_resources, ResourceRegistry::FromCrd(object));
    SetCrdStatus(object, a, FormatTimestamp(absl::Now()));
  }
  return absl::OkStatus();
}

}  // namespace raven::apiserver

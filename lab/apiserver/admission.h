// What every write goes through before it is stored: kind/apiVersion
// checks, the CRD's structural schema (validation and pruning, honouring
// fieldValidation), and for CRDs themselves their own validation and status.
#ifndef RAVEN_LAB_APISERVER_ADMISSION_H_
#define RAVEN_LAB_APISERVER_ADMISSION_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "lab/apiserver/resources.h"
#include "rapidjson/document.h"

namespace raven::apiserver {

enum class FieldValidation { kIgnore, kWarn, kStrict };

struct WriteOptions {
  FieldValidation validation = FieldValidation::kWarn;  // kube-apiserver's default
  bool dry_run = false;
};

// Checks and normalises `object` for resource `r`: apiVersion and kind must
// match the path (they are filled in when absent; 422 otherwise), the
// annotations must fit kMaxAnnotationsBytes (422), members
// are put in kube-apiserver's order, managedFields dropped, the schema
// applied (422 Invalid, 400 for unknown fields under Strict, a warning under
// Warn). For a CRD, the resources it defines are derived into
// `crd_resources` and its status is set.
absl::Status Admit(const ResourceInfo& r, rapidjson::Document& object, const WriteOptions& options,
                   std::vector<std::string>& warnings, std::vector<ResourceInfo>* crd_resources);

}  // namespace raven::apiserver

#endif  // RAVEN_LAB_APISERVER_ADMISSION_H_

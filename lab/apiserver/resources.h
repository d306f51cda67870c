// What the server serves: the built-in resources (core/v1 nodes, namespaces,
// events; coordination.k8s.io/v1 leases; apiextensions.k8s.io/v1
// customresourcedefinitions) and the resources that CRDs define, one
// ResourceInfo per served group/version/resource.
#ifndef RAVEN_LAB_APISERVER_RESOURCES_H_
#define RAVEN_LAB_APISERVER_RESOURCES_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lab/apiserver/json_util.h"
#include "rapidjson/document.h"

namespace raven::apiserver {

struct PrinterColumn {
  std::string name;
  std::string type;  // string, integer, number, boolean, date
  std::string format;
  std::string description;
  std::string json_path;
  int priority = 0;
};

struct ResourceInfo {
  std::string group;  // "" for core
  std::string version;
  std::string plural;
  std::string singular;
  std::string kind;
  std::string list_kind;
  bool namespaced = false;
  std::vector<std::string> short_names;
  std::vector<std::string> categories;
  bool status_subresource = false;
  bool drop_status_on_create = false;  // custom resources with a status subresource
  std::vector<PrinterColumn> columns;  // besides Name; empty means a default Age column
  DocPtr schema;                       // openAPIV3Schema; null: nothing validated or pruned
  std::string crd_name;                // owning CRD, "" for built-ins

  std::string api_version() const;     // "v1", "raven.openyurt.io/v1beta1"
  std::string group_resource() const;  // "nodes", "gateways.raven.openyurt.io": the storage key
};

using ResourcePtr = std::shared_ptr<const ResourceInfo>;

// Kubernetes version priority: true when `a` sorts before `b` (GA before
// beta before alpha, higher numbers first, unparseable names last).
bool VersionBefore(absl::string_view a, absl::string_view b);

class ResourceRegistry {
 public:
  ResourceRegistry();  // the built-ins

  ResourcePtr Find(absl::string_view group, absl::string_view version,
                   absl::string_view plural) const;
  // Any served version of a group/resource (the storage key), or null.
  ResourcePtr FindAnyVersion(absl::string_view group_resource) const;
  std::vector<ResourcePtr> All() const;

  // Validates a CustomResourceDefinition and derives the resources it serves;
  // 422 Invalid (with causes) for a malformed CRD.
  static absl::StatusOr<std::vector<ResourceInfo>> FromCrd(const rapidjson::Value& crd);
  void SetCrd(const std::string& crd_name, const std::vector<ResourceInfo>& resources);
  void RemoveCrd(const std::string& crd_name);

 private:
  void Add(ResourceInfo info);

  // Keyed "group/version/plural".
  std::map<std::string, ResourcePtr> resources_;
};

// Fills a CRD's status as kube-apiserver does once it is established
// (acceptedNames, Established and NamesAccepted conditions, storedVersions).
void SetCrdStatus(rapidjson::Value& crd, JsonAlloc& alloc, absl::string_view now);

}  // namespace raven::apiserver

#endif  // RAVEN_LAB_APISERVER_RESOURCES_H_

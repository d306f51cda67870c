// The object store: every object of every served resource, behind one
// mutex, with kube-apiserver's write semantics (one global resourceVersion,
// uid/creationTimestamp/generation, 409 on stale updates, status
// subresource isolation, finalizers, no-op updates that change nothing,
// etcd's limit on the size of an object).
// Every change is published to the WatchHub under the same mutex, so the
// hub's order is the version order.
#ifndef RAVEN_LAB_APISERVER_STORE_H_
#define RAVEN_LAB_APISERVER_STORE_H_

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "lab/apiserver/admission.h"
#include "lab/apiserver/json_util.h"
#include "lab/apiserver/resources.h"
#include "lab/apiserver/selectors.h"
#include "lab/apiserver/watch_hub.h"
#include "rapidjson/document.h"

namespace raven::apiserver {

enum class PatchType { kMerge, kStrategicMerge };

struct WriteResult {
  DocPtr object;
  bool created = false;
  std::vector<std::string> warnings;  // for the Warning header
};

struct ListOptions {
  LabelSelector labels;
  FieldSelector fields;
  int64_t limit = 0;  // 0: everything
  std::string continue_token;
};

struct ListResult {
  std::vector<DocPtr> items;
  int64_t rv = 0;
  std::string continue_token;
  int64_t remaining = 0;
};

struct DeletePreconditions {
  std::string uid;
  std::string resource_version;
};

struct WatchStart {
  std::shared_ptr<Watcher> watcher;
  std::vector<WatchItem> initial;  // synthetic ADDED events (send_initial_state)
};

class Store {
 public:
  explicit Store(WatchHub& hub);

  ResourcePtr Resolve(absl::string_view group, absl::string_view version,
                      absl::string_view plural) const;
  std::vector<ResourcePtr> Resources() const;
  int64_t resource_version() const;

  absl::StatusOr<DocPtr> Get(const ResourceInfo& r, const std::string& ns,
                             const std::string& name) const;
  absl::StatusOr<ListResult> List(const ResourceInfo& r, const std::string& ns,
                                  const ListOptions& options) const;
  absl::StatusOr<WriteResult> Create(const ResourceInfo& r, const std::string& ns,
                                     rapidjson::Document body, const WriteOptions& options);
  // PUT of the resource, or of its status subresource when `status`.
  absl::StatusOr<WriteResult> Update(const ResourceInfo& r, const std::string& ns,
                                     const std::string& name, rapidjson::Document body, bool status,
                                     const WriteOptions& options);
  absl::StatusOr<WriteResult> Patch(const ResourceInfo& r, const std::string& ns,
                                    const std::string& name, PatchType type,
                                    const rapidjson::Value& patch, bool status,
                                    const WriteOptions& options);
  absl::StatusOr<WriteResult> Delete(const ResourceInfo& r, const std::string& ns,
                                     const std::string& name,
                                     const DeletePreconditions& preconditions);
  absl::StatusOr<std::vector<DocPtr>> DeleteCollection(const ResourceInfo& r, const std::string& ns,
                                                       const ListOptions& options);

  // Opens a watch from the resourceVersion parameter `rv`; "" and "0" mean
  // "from now" (with synthetic ADDED events for the current objects when
  // `send_initial_state`).
  absl::StatusOr<WatchStart> Watch(const ResourceInfo& r, WatchFilter filter, absl::string_view rv,
                                   bool send_initial_state);

 private:
  using Bucket = std::map<std::string, DocPtr>;  // "namespace/name" → object

  absl::StatusOr<WriteResult> UpdateLocked(const ResourceInfo& r, const std::string& ns,
                                           const std::string& name, rapidjson::Document body,
                                           bool status, bool check_rv, const WriteOptions& options)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Stores `object` under a fresh version and publishes the change; fails
  // (as etcd) when the object is larger than kMaxStoredObjectBytes.
  absl::StatusOr<DocPtr> CommitLocked(const ResourceInfo& r, const std::string& key,
                                      rapidjson::Document object, const char* type, DocPtr old)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  DocPtr RemoveLocked(const ResourceInfo& r, const std::string& key)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // CRD and namespace deletions remove what they own.
  void CascadeLocked(const ResourceInfo& r, const rapidjson::Value& deleted)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  WatchHub& hub_;
  mutable absl::Mutex mu_;
  ResourceRegistry registry_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Bucket> objects_ ABSL_GUARDED_BY(mu_);  // by group_resource
  int64_t rv_ ABSL_GUARDED_BY(mu_) = 1;
  std::mt19937_64 rng_ ABSL_GUARDED_BY(mu_);
};

// "namespace/name" (cluster-scoped: "/name").
std::string ObjectKey(absl::string_view ns, absl::string_view name);

}  // namespace raven::apiserver

#endif  // RAVEN_LAB_APISERVER_STORE_H_

// REST paths of a kind, and the paged list that ResourceClient and Informer
// share.
#ifndef RAVEN_COMMON_KUBE_RESOURCE_PATH_H_
#define RAVEN_COMMON_KUBE_RESOURCE_PATH_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/kube/rest_client.h"
#include "rapidjson/document.h"

namespace raven::kube {

struct ListOptions {
  std::string label_selector;
  std::string field_selector;
  int page_size = 500;  // "limit"; 0 asks for everything at once
};

class ResourcePath {
 public:
  // `ns` empty for a namespaced kind addresses all namespaces (list, watch).
  ResourcePath(absl::string_view group_version_path, absl::string_view plural, bool namespaced,
               std::string ns);

  std::string Collection() const;
  std::string Object(absl::string_view name) const;
  std::string Subresource(absl::string_view name, absl::string_view sub) const;
  std::string List(const ListOptions& options, absl::string_view continue_token) const;
  // A watch from resource_version with bookmarks, ended by the server after
  // `timeout` (timeoutSeconds).
  std::string Watch(const ListOptions& options, absl::string_view resource_version,
                    absl::Duration timeout) const;
  // InvalidArgument for names the API could not hold, or an object path
  // without the namespace a namespaced kind needs.
  absl::Status CheckObjectName(absl::string_view name) const;

  bool namespaced() const { return namespaced_; }
  const std::string& ns() const { return ns_; }

 private:
  std::string base_;
  std::string plural_;
  bool namespaced_;
  std::string ns_;
};

// All pages of a list. A continue token that expired (410) restarts the list
// unpaged, as client-go's pager does.
struct RawList {
  std::vector<rapidjson::Document> pages;  // each an object with an "items" array
  std::string resource_version;            // of the whole list
  template <typename F>
  void ForEachItem(F&& f) const {
    for (const rapidjson::Document& page : pages) {
      for (const rapidjson::Value& item : page["items"].GetArray()) f(item);
    }
  }
  size_t size() const;
};
absl::StatusOr<RawList> ListAll(RestClient& rest, const ResourcePath& path,
                                const ListOptions& options, Cancellation* cancel = nullptr);

}  // namespace raven::kube

#endif  // RAVEN_COMMON_KUBE_RESOURCE_PATH_H_

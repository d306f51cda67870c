// Typed CRUD for one kind (see resources/resource_traits.h): get, list,
// create, update (PUT, optimistic concurrency through resourceVersion),
// status update, JSON merge patch, delete, and UpdateWithRetry, the
// get → mutate → update loop that retries on 409 Conflict.
#ifndef RAVEN_COMMON_KUBE_RESOURCE_CLIENT_H_
#define RAVEN_COMMON_KUBE_RESOURCE_CLIENT_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "common/kube/api_error.h"
#include "common/kube/backoff.h"
#include "common/kube/resource_path.h"
#include "common/kube/resources/json_doc.h"
#include "common/kube/resources/object_meta.h"
#include "common/kube/resources/resource_traits.h"
#include "common/kube/rest_client.h"
#include "common/status_macros.h"

namespace raven::kube {

struct DecodeFailure {
  std::string key;  // "namespace/name" or "name"; "" when even that was unreadable
  std::string resource_version;
  absl::Status error;
};

template <typename T>
struct ObjectList {
  std::vector<T> items;
  std::string resource_version;         // of the list: where a watch continues
  std::vector<DecodeFailure> failures;  // items left out because they did not decode
};

struct RetryOptions {
  int max_attempts = 16;
  BackoffOptions backoff = {absl::Milliseconds(5), absl::Milliseconds(500), 2.0, 0.5};
};

// Runs `attempt` until it returns anything but a conflict (Aborted), sleeping
// a jittered backoff between tries; after max_attempts conflicts returns the
// last one.
absl::Status RetryOnConflict(const RetryOptions& options,
                             const std::function<absl::Status()>& attempt);

template <typename T>
class ResourceClient {
 public:
  using Traits = ResourceTraits<T>;
  using Mutator = std::function<absl::Status(T&)>;

  // `ns`: the namespace of a namespaced kind ("" = all namespaces, for List
  // only); must be empty for a cluster-scoped kind.
  explicit ResourceClient(RestClient* rest, std::string ns = "")
      : rest_(rest),
        path_(Traits::kGroupVersionPath, Traits::kPlural, Traits::kNamespaced,
              Traits::kNamespaced ? std::move(ns) : std::string()) {}

  const ResourcePath& path() const { return path_; }
  // Bounds each request's reads and writes (zero: the transport's default).
  void set_request_timeout(absl::Duration timeout) { timeout_ = timeout; }

  absl::StatusOr<T> Get(absl::string_view name) {
    RETURN_IF_ERROR(path_.CheckObjectName(name));
    ASSIGN_OR_RETURN(Response r, Call("GET", path_.Object(name)));
    return DecodeAnswer(r.body, "get");
  }

  // Items that fail to decode are reported in `failures`, not fatal.
  absl::StatusOr<ObjectList<T>> List(const ListOptions& options = {}) {
    ASSIGN_OR_RETURN(RawList raw, ListAll(*rest_, path_, options));
    ObjectList<T> out;
    out.resource_version = raw.resource_version;
    raw.ForEachItem([&](const rapidjson::Value& item) {
      absl::StatusOr<T> obj = Traits::Decode(item);
      if (obj.ok()) {
        out.items.push_back(*std::move(obj));
      } else {
        ObjectIdentity id = PeekIdentity(item);
        out.failures.push_back(
            {ObjectKey(id.namespace_, id.name), id.resource_version, obj.status()});
      }
    });
    return out;
  }

  absl::StatusOr<T> Create(const T& object) {
    ASSIGN_OR_RETURN(Response r, Call("POST", path_.Collection(), Traits::Encode(object)));
    return DecodeAnswer(r.body, "create");
  }

  // PUT: fails with Aborted (409) when object's resourceVersion is stale.
  absl::StatusOr<T> Update(const T& object) {
    static_assert(Traits::kFullyModeled, "PUT would drop fields this codec does not model");
    RETURN_IF_ERROR(path_.CheckObjectName(Traits::Name(object)));
    ASSIGN_OR_RETURN(Response r,
                     Call("PUT", path_.Object(Traits::Name(object)), Traits::Encode(object)));
    return DecodeAnswer(r.body, "update");
  }

  // PUT of the status subresource (the spec in `object` is ignored).
  absl::StatusOr<T> UpdateStatus(const T& object) {
    static_assert(Traits::kFullyModeled, "PUT would drop fields this codec does not model");
    RETURN_IF_ERROR(path_.CheckObjectName(Traits::Name(object)));
    ASSIGN_OR_RETURN(Response r, Call("PUT", path_.Subresource(Traits::Name(object), "status"),
                                      Traits::Encode(object)));
    return DecodeAnswer(r.body, "update status");
  }

  // RFC 7386 JSON merge patch ({"metadata":{"annotations":{"k":"v"}}}).
  absl::StatusOr<T> MergePatch(absl::string_view name, absl::string_view patch) {
    RETURN_IF_ERROR(path_.CheckObjectName(name));
    ASSIGN_OR_RETURN(Response r, Call("PATCH", path_.Object(name), patch, kMergePatchContentType));
    return DecodeAnswer(r.body, "patch");
  }

  absl::StatusOr<T> MergePatchStatus(absl::string_view name, absl::string_view patch) {
    RETURN_IF_ERROR(path_.CheckObjectName(name));
    ASSIGN_OR_RETURN(Response r, Call("PATCH", path_.Subresource(name, "status"), patch,
                                      kMergePatchContentType));
    return DecodeAnswer(r.body, "patch status");
  }

  // With a resource_version precondition the delete fails (Aborted) when the
  // object changed since.
  absl::Status Delete(absl::string_view name, absl::string_view resource_version = "") {
    RETURN_IF_ERROR(path_.CheckObjectName(name));
    std::string body;
    if (!resource_version.empty()) {
      rapidjson::Document doc(rapidjson::kObjectType);
      JsonAlloc& a = doc.GetAllocator();
      doc.AddMember("apiVersion", "v1", a);
      doc.AddMember("kind", "DeleteOptions", a);
      rapidjson::Value pre(rapidjson::kObjectType);
      pre.AddMember("resourceVersion",
                    rapidjson::Value(resource_version.data(), resource_version.size(), a), a);
      doc.AddMember("preconditions", pre, a);
      body = ToJson(doc);
    }
    return Call("DELETE", path_.Object(name), body).status();
  }

  // get → mutate → update until no conflict (bounded; see RetryOptions). A
  // mutation that changes nothing skips the update. An error from `mutate`
  // ends the loop and is returned.
  absl::StatusOr<T> UpdateWithRetry(absl::string_view name, const Mutator& mutate,
                                    const RetryOptions& options = {}) {
    return Retry(name, mutate, options, /*status=*/false);
  }
  absl::StatusOr<T> UpdateStatusWithRetry(absl::string_view name, const Mutator& mutate,
                                          const RetryOptions& options = {}) {
    return Retry(name, mutate, options, /*status=*/true);
  }

 private:
  absl::StatusOr<Response> Call(const char* method, std::string target, absl::string_view body = "",
                                absl::string_view content_type = kJsonContentType) {
    Request request{method, std::move(target), std::string(body),
                    body.empty() ? std::string() : std::string(content_type), timeout_};
    return rest_->Call(std::move(request));
  }

  absl::StatusOr<T> DecodeAnswer(const std::string& body, const char* what) {
    absl::StatusOr<rapidjson::Document> doc = ParseJson(body);
    absl::StatusOr<T> obj = doc.ok() ? Traits::Decode(*doc) : absl::StatusOr<T>(doc.status());
    if (!obj.ok()) {
      return absl::Status(
          obj.status().code(),
          absl::StrCat(Traits::kKind, " ", what, ": undecodable answer: ", obj.status().message()));
    }
    return obj;
  }

  absl::StatusOr<T> Retry(absl::string_view name, const Mutator& mutate,
                          const RetryOptions& options, bool status) {
    T result;
    absl::Status s = RetryOnConflict(options, [&]() -> absl::Status {
      ASSIGN_OR_RETURN(T current, Get(name));
      T desired = current;
      RETURN_IF_ERROR(mutate(desired));
      if (desired == current) {
        result = std::move(current);
        return absl::OkStatus();
      }
      ASSIGN_OR_RETURN(result, status ? UpdateStatus(desired) : Update(desired));
      return absl::OkStatus();
    });
    if (!s.ok()) return s;
    return result;
  }

  RestClient* rest_;
  ResourcePath path_;
  absl::Duration timeout_ = absl::ZeroDuration();
};

}  // namespace raven::kube

#endif  // RAVEN_COMMON_KUBE_RESOURCE_CLIENT_H_

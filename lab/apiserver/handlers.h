// The REST layer: maps requests on /api, /apis, /version, /openapi/v3 and
// the resource paths onto the store, with kube-apiserver's status codes and
// content negotiation (plain objects, Tables, PartialObjectMetadata).
#ifndef RAVEN_LAB_APISERVER_HANDLERS_H_
#define RAVEN_LAB_APISERVER_HANDLERS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lab/apiserver/request.h"
#include "lab/apiserver/store.h"
#include "lab/apiserver/watch_hub.h"
#include "lab/apiserver/watch_stream.h"

namespace raven::apiserver {

struct HandlerOptions {
  std::string server_address;  // host:port, reported by /api
  absl::Duration bookmark_interval = absl::Seconds(1);
  absl::Duration max_watch_timeout = absl::Minutes(30);
  bool watch_sends_initial_state = false;
};

class RestHandler {
 public:
  RestHandler(Store& store, WatchHub& hub, HandlerOptions options)
      : store_(store), hub_(hub), options_(std::move(options)) {}

  // ?watch=true|1 on a GET: served by StartWatch, not Serve.
  static bool IsWatch(const HttpRequest& request);

  HttpResponse Serve(const HttpRequest& request) const;

  // The stream of a watch; an error status when the watch cannot start
  // (unknown resource, bad selector...), to be answered as a plain response.
  absl::StatusOr<std::unique_ptr<WatchStream>> StartWatch(const HttpRequest& request) const;

 private:
  absl::StatusOr<HttpResponse> ServeNonResource(const HttpRequest& request) const;
  absl::StatusOr<HttpResponse> ServeResource(const HttpRequest& request,
                                             const ResourcePath& path) const;
  absl::StatusOr<HttpResponse> ServeRead(const HttpRequest& request, const ResourceInfo& r,
                                         const ResourcePath& path) const;
  absl::StatusOr<HttpResponse> ServeWrite(const HttpRequest& request, const ResourceInfo& r,
                                          const ResourcePath& path) const;
  absl::StatusOr<ResourcePtr> Resolve(const ResourcePath& path) const;

  Store& store_;
  WatchHub& hub_;
  const HandlerOptions options_;
};

// The 404 kube-apiserver sends for paths it does not serve.
absl::Status NoSuchPathError();

}  // namespace raven::apiserver

#endif  // RAVEN_LAB_APISERVER_HANDLERS_H_

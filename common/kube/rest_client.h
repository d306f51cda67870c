// Kubernetes REST calls: each verb returns the 2xx response, or the API's
// error as an absl::Status (mapping in api_error.h). Thread-safe.
#ifndef RAVEN_COMMON_KUBE_REST_CLIENT_H_
#define RAVEN_COMMON_KUBE_REST_CLIENT_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/kube/config.h"
#include "common/kube/http_transport.h"
#include "common/kube/transport.h"

namespace raven::kube {

class RestClient {
 public:
  explicit RestClient(std::unique_ptr<Transport> transport) : transport_(std::move(transport)) {}

  // Over HttpTransport.
  static absl::StatusOr<std::unique_ptr<RestClient>> Create(const ClientConfig& config,
                                                            const HttpOptions& options = {});

  // `target` is the path and query ("/api/v1/nodes?labelSelector=a%3Db").
  // `cancel` (optional) aborts the call from another thread.
  absl::StatusOr<Response> Get(absl::string_view target, Cancellation* cancel = nullptr);
  absl::StatusOr<Response> Post(absl::string_view target, absl::string_view body,
                                absl::string_view content_type = kJsonContentType);
  absl::StatusOr<Response> Put(absl::string_view target, absl::string_view body,
                               absl::string_view content_type = kJsonContentType);
  absl::StatusOr<Response> Patch(absl::string_view target, absl::string_view body,
                                 absl::string_view content_type = kMergePatchContentType);
  absl::StatusOr<Response> Delete(absl::string_view target, absl::string_view body = "");

  // A streaming GET (watch): on_line runs for each line of a 2xx body as it
  // arrives, until the server ends the stream (OK), on_line returns false
  // (OK), Cancel() (Cancelled), silence for options.idle_timeout or a broken
  // connection (Unavailable), or a non-2xx answer (its mapped error).
  absl::Status Stream(absl::string_view target, const StreamOptions& options,
                      const LineHandler& on_line, Cancellation* cancel);

  absl::StatusOr<Response> Call(Request request, Cancellation* cancel = nullptr);

 private:
  std::unique_ptr<Transport> transport_;
};

// Percent-encodes a query parameter value (RFC 3986 unreserved kept).
std::string QueryEscape(absl::string_view value);

}  // namespace raven::kube

#endif  // RAVEN_COMMON_KUBE_REST_CLIENT_H_

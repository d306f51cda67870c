// Transport over cpp-httplib: HTTP or HTTPS with the CA, client certificate
// and key taken from memory, a bearer token (re-read as it rotates),
// connect/read timeouts, and a small pool of keep-alive connections so
// concurrent callers do not queue behind one socket.
#ifndef RAVEN_COMMON_KUBE_HTTP_TRANSPORT_H_
#define RAVEN_COMMON_KUBE_HTTP_TRANSPORT_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/kube/config.h"
#include "common/kube/server_url.h"
#include "common/kube/tls.h"
#include "common/kube/token_source.h"
#include "common/kube/transport.h"

namespace httplib {
class ClientImpl;
}

namespace raven::kube {

struct HttpOptions {
  absl::Duration connect_timeout = absl::Seconds(5);
  // Read and write timeout of ordinary requests (streams use their own).
  absl::Duration request_timeout = absl::Seconds(30);
  size_t max_response_bytes = 256 << 20;
  size_t max_idle_connections = 8;
  std::string user_agent = "raven/0.1";
};

class HttpTransport final : public Transport {
 public:
  static absl::StatusOr<std::unique_ptr<HttpTransport>> Create(const ClientConfig& config,
                                                               const HttpOptions& options = {});
  ~HttpTransport() override;

  absl::StatusOr<Response> Send(const Request& request, Cancellation* cancel) override;
  absl::StatusOr<Response> Stream(const Request& request, const StreamOptions& options,
                                  const LineHandler& on_line, Cancellation* cancel) override;

 private:
  HttpTransport(ServerUrl url, HttpOptions options);

  std::unique_ptr<httplib::ClientImpl> NewClient(absl::Duration read_timeout, bool keep_alive,
                                                 Cancellation* cancel) const;
  std::unique_ptr<httplib::ClientImpl> AcquirePooled();
  void ReleasePooled(std::unique_ptr<httplib::ClientImpl> client);
  void DropIdle();
  // Headers every request carries: Authorization, Accept, User-Agent.
  std::vector<std::pair<std::string, std::string>> CommonHeaders();

  const ServerUrl url_;
  const HttpOptions options_;
  bool insecure_ = false;
  X509StorePtr ca_store_;  // verifies the server when set (only these CAs are trusted)
  X509Ptr client_cert_;
  EvpPkeyPtr client_key_;
  std::unique_ptr<TokenSource> token_;

  absl::Mutex mu_;
  std::vector<std::unique_ptr<httplib::ClientImpl>> idle_ ABSL_GUARDED_BY(mu_);
};

}  // namespace raven::kube

#endif  // RAVEN_COMMON_KUBE_HTTP_TRANSPORT_H_

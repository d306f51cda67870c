// Helpers for the API server's tests: a server on an ephemeral port with an
// HTTP client that speaks to it like any Kubernetes client, and a watch
// reader that collects a streaming response on its own thread.
#ifndef RAVEN_TESTS_APISERVER_TEST_UTIL_H_
#define RAVEN_TESTS_APISERVER_TEST_UTIL_H_

#include <httplib.h>

#include <deque>
#include <memory>
#include <string>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "lab/apiserver/apiserver.h"
#include "rapidjson/document.h"

namespace raven::apiserver::testing {

inline constexpr char kToken[] = "test-token";

// A response with its body parsed (a null document when it is not JSON).
struct Reply {
  int code = 0;  // 0: no response (connection error)
  std::string body;
  rapidjson::Document json;
  httplib::Headers headers;

  std::string Str(const char* pointer) const;  // a JSON Pointer ("/metadata/name") to a string
  int64_t Int(const char* pointer) const;      // -1 when absent
  bool Has(const char* pointer) const;
};

class Client {
 public:
  explicit Client(const ApiServer& server, std::string token = kToken);

  Reply Get(const std::string& path, const std::string& accept = "application/json");
  Reply Post(const std::string& path, const std::string& body);
  Reply Put(const std::string& path, const std::string& body);
  Reply Patch(const std::string& path, const std::string& body,
              const std::string& content_type = "application/merge-patch+json");
  Reply Delete(const std::string& path, const std::string& body = "");

 private:
  httplib::Headers Headers(const std::string& accept) const;
  httplib::Client client_;
  std::string token_;
};

// GETs a watch path on a thread and queues each JSON line.
class WatchReader {
 public:
  WatchReader(const ApiServer& server, const std::string& path,
              const std::string& accept = "application/json", std::string token = kToken);
  ~WatchReader();  // cuts the stream if it is still open

  // The next event, or a null document after `timeout` (or at the end).
  rapidjson::Document Next(absl::Duration timeout = absl::Seconds(5));
  // The next event that is not a BOOKMARK.
  rapidjson::Document NextNonBookmark(absl::Duration timeout = absl::Seconds(5));
  // Waits for the stream to end; true when it did within `timeout`.
  bool WaitEnded(absl::Duration timeout = absl::Seconds(5));
  // How the stream ended (httplib::Error::Success for a clean end).
  httplib::Error error();
  int status();

 private:
  httplib::Client client_;
  absl::Mutex mu_;
  std::deque<std::string> lines_ ABSL_GUARDED_BY(mu_);
  std::string partial_ ABSL_GUARDED_BY(mu_);
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
  httplib::Error error_ ABSL_GUARDED_BY(mu_) = httplib::Error::Success;
  int status_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;
};

// Starts a plain-HTTP server with kToken and a fast bookmark interval.
std::unique_ptr<ApiServer> StartServer(ApiServerOptions options = {});

// The Gateway CRD of crd/ (path from $RAVEN_CRD, else relative to the
// source tree), as JSON.
std::string GatewayCrdJson();
// A small Gateway as JSON.
std::string GatewayJson(const std::string& name, const std::string& extra_spec = "");

}  // namespace raven::apiserver::testing

#endif  // RAVEN_TESTS_APISERVER_TEST_UTIL_H_

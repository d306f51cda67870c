// The HTTP layer under RestClient: one request/response, or one streamed GET
// delivered line by line. HttpTransport is the real one (cpp-httplib); tests
// script fakes. Non-2xx responses are returned, not turned into errors: that
// is RestClient's job.
#ifndef RAVEN_COMMON_KUBE_TRANSPORT_H_
#define RAVEN_COMMON_KUBE_TRANSPORT_H_

#include <atomic>
#include <cstddef>
#include <functional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace raven::kube {

inline constexpr absl::string_view kJsonContentType = "application/json";
inline constexpr absl::string_view kMergePatchContentType = "application/merge-patch+json";

struct Request {
  std::string method;  // GET, POST, PUT, PATCH, DELETE
  std::string target;  // path and query, e.g. "/api/v1/nodes?limit=500"
  std::string body;
  std::string content_type;  // of the body
  // Read/write timeout of this request; zero = the transport's default.
  absl::Duration timeout = absl::ZeroDuration();
};

struct Response {
  int code = 0;
  std::string body;
};

// Lets another thread abort a request in flight. Cancel() is sticky: once
// cancelled, every later request that uses this object fails at once.
class Cancellation {
 public:
  void Cancel();
  bool cancelled() const { return cancelled_.load(std::memory_order_acquire); }

  // For transports: `abort` runs on Cancel() (or at once, returning false,
  // when already cancelled) until ClearAbort(). Cancel() and ClearAbort()
  // serialize, so `abort` never runs after ClearAbort() returns.
  bool SetAbort(std::function<void()> abort);
  void ClearAbort();

 private:
  std::atomic<bool> cancelled_{false};
  absl::Mutex mu_;
  std::function<void()> abort_ ABSL_GUARDED_BY(mu_);
};

// Returns false to end the stream.
using LineHandler = std::function<bool(absl::string_view line)>;

struct StreamOptions {
  // Give up when no byte arrives for this long (a silently dead connection).
  absl::Duration idle_timeout = absl::Seconds(90);
  // A longer line is dropped (reported through on_oversize), not buffered.
  size_t max_line_bytes = 16 << 20;
  std::function<void(size_t bytes)> on_oversize;
};

class Transport {
 public:
  virtual ~Transport() = default;

  // Unavailable for transport failures (connect, TLS, reset, timeout),
  // Cancelled when `cancel` fired, ResourceExhausted for an oversized body.
  virtual absl::StatusOr<Response> Send(const Request& request, Cancellation* cancel) = 0;

  // A GET whose 2xx body is handed to on_line a line at a time as it
  // arrives; a non-2xx body is collected into the Response instead. Returns
  // when the server ends the stream, on_line returns false, or on an error
  // (as for Send).
  virtual absl::StatusOr<Response> Stream(const Request& request, const StreamOptions& options,
                                          const LineHandler& on_line, Cancellation* cancel) = 0;
};

}  // namespace raven::kube

#endif  // RAVEN_COMMON_KUBE_TRANSPORT_H_

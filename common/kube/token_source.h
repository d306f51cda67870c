// The bearer token for requests: a fixed string, or a file re-read whenever
// it changes (projected service-account tokens rotate; the kubelet swaps the
// file through a symlink, so identity and mtime are both compared).
#ifndef RAVEN_COMMON_KUBE_TOKEN_SOURCE_H_
#define RAVEN_COMMON_KUBE_TOKEN_SOURCE_H_

#include <sys/types.h>

#include <ctime>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace raven::kube {

class TokenSource {
 public:
  // With a token_file, its first read must succeed; static_token is then unused.
  static absl::StatusOr<std::unique_ptr<TokenSource>> Create(std::string static_token,
                                                             std::string token_file);

  // The current token ("" = send none). A failed re-read keeps the last good
  // token (and logs), so a half-written rotation does not break requests.
  std::string Token();

 private:
  struct FileStamp {
    dev_t dev = 0;
    ino_t ino = 0;
    off_t size = 0;
    timespec mtime{};
    bool operator==(const FileStamp& o) const {
      return dev == o.dev && ino == o.ino && size == o.size && mtime.tv_sec == o.mtime.tv_sec &&
             mtime.tv_nsec == o.mtime.tv_nsec;
    }
  };
  TokenSource(std::string static_token, std::string token_file)
      : static_token_(std::move(static_token)), token_file_(std::move(token_file)) {}
  absl::Status Reload() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string static_token_;
  const std::string token_file_;
  absl::Mutex mu_;
  std::string token_ ABSL_GUARDED_BY(mu_);
  FileStamp stamp_ ABSL_GUARDED_BY(mu_);
  std::string last_error_ ABSL_GUARDED_BY(mu_);
};

}  // namespace raven::kube

#endif  // RAVEN_COMMON_KUBE_TOKEN_SOURCE_H_

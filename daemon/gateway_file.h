// The Gateway objects from a JSON file (the CRD format), and an inotify watch
// on its directory so that a replaced or rewritten file is noticed at once.
#ifndef RAVEN_DAEMON_GATEWAY_FILE_H_
#define RAVEN_DAEMON_GATEWAY_FILE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/gateway.h"

namespace raven {

absl::StatusOr<std::vector<DecodedGateway>> ReadGatewayFile(const std::string& path);

class FileWatch {
 public:
  static absl::StatusOr<FileWatch> Open(const std::string& path);
  FileWatch(FileWatch&& other) noexcept;
  FileWatch& operator=(FileWatch&&) = delete;
  ~FileWatch();

  int fd() const { return fd_; }
  // Drains pending events; true when one concerned the watched file.
  bool Drain();

 private:
  FileWatch(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}
  int fd_;
  std::string name_;
};

}  // namespace raven

#endif  // RAVEN_DAEMON_GATEWAY_FILE_H_

// Gateways from a JSON file in the CRD format (a GatewayList, an array, or
// one object), watched with inotify on its directory so that a replaced or
// rewritten file is noticed at once.
#ifndef RAVEN_DAEMON_GATEWAY_FILE_H_
#define RAVEN_DAEMON_GATEWAY_FILE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/fd.h"
#include "daemon/gateway_source.h"

namespace raven {

class FileGatewaySource : public GatewaySource {
 public:
  static absl::StatusOr<std::unique_ptr<FileGatewaySource>> Open(const std::string& path);
  FileGatewaySource(const FileGatewaySource&) = delete;
  FileGatewaySource& operator=(const FileGatewaySource&) = delete;

  int fd() const override { return inotify_fd_.get(); }
  bool Drain() override;
  absl::StatusOr<std::vector<kube::DecodedGateway>> Read() override;
  std::string Staleness() const override { return ""; }

 private:
  FileGatewaySource(Fd inotify_fd, std::string path, std::string name)
      : inotify_fd_(std::move(inotify_fd)), path_(std::move(path)), name_(std::move(name)) {}
  Fd inotify_fd_;
  std::string path_;
  std::string name_;  // the file's name within its directory
};

}  // namespace raven

#endif  // RAVEN_DAEMON_GATEWAY_FILE_H_

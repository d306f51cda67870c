// The node-level pieces of the dataplane the agent keeps in place: the tunnel
// devices and the TC program attachments. The interface lets the agent's
// decisions (repair, withheld heartbeat) run against a fake in tests.
#ifndef RAVEN_DAEMON_DATAPLANE_NODE_H_
#define RAVEN_DAEMON_DATAPLANE_NODE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/model/desired_dataplane.h"

namespace raven {

class DataplaneNode {
 public:
  virtual ~DataplaneNode() = default;
  // Creates what is missing (devices, program attachments) and returns the
  // devices as they are now.
  virtual absl::StatusOr<DataplaneDevices> Ensure() = 0;
  // What is missing or detached now, one line each; empty when all is in place.
  virtual std::vector<std::string> Problems() = 0;
  // What an operator should know although nothing is broken (devices the
  // programs cannot go on), one line each.
  virtual std::vector<std::string> Warnings() = 0;
  // Readable when links changed (-1: never); HandleEvents() consumes that and
  // attaches programs to new pod interfaces.
  virtual int fd() const = 0;
  virtual absl::Status HandleEvents() = 0;
};

}  // namespace raven

#endif  // RAVEN_DAEMON_DATAPLANE_NODE_H_

// The path quality a gateway publishes for the other gateways (in the Node
// annotation kPathsAnnotation, then the Gateways' status.paths): what its
// echoes measure, moved only when it clearly changed, so that a jittery path
// does not rewrite the Node and every Gateway's status every second.
#ifndef RAVEN_DAEMON_FAILOVER_PUBLISHED_QUALITY_H_
#define RAVEN_DAEMON_FAILOVER_PUBLISHED_QUALITY_H_

#include <map>
#include <string>

#include "daemon/failover/liveness.h"

namespace raven::failover {

struct PathQuality {
  int rtt_micros = 0;
  int loss_permille = 0;

  bool operator==(const PathQuality&) const = default;
};

class PublishedQuality {
 public:
  // A new round-trip time is published when it differs from the one
  // published by both this share and this much; a loss by this much, or
  // by half the published one if that is less (but at least kMinLossPermille,
  // so that a loss that decays is published again).
  static constexpr double kRttShare = 0.2;
  static constexpr int kRttMicros = 5'000;
  static constexpr int kLossPermille = 50;
  static constexpr int kMinLossPermille = 10;

  // `node_of`: each remote Gateway -> the node its traffic goes to; `echoes`:
  // the measurements by node. True when what is published changed.
  bool Update(const std::map<std::string, std::string>& node_of,
              const std::map<std::string, EndpointLiveness>& echoes);
  // By remote Gateway; a Gateway whose path is not measured has none.
  std::map<std::string, PathQuality> Published() const;

 private:
  struct Entry {
    std::string node;
    PathQuality quality;
  };
  std::map<std::string, Entry> published_;
};

}  // namespace raven::failover

#endif  // RAVEN_DAEMON_FAILOVER_PUBLISHED_QUALITY_H_

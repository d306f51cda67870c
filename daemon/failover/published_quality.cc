#include "daemon/failover/published_quality.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "common/kube/resources/gateway_path.h"

namespace raven::failover {
namespace {

bool ClearlyDifferent(const PathQuality& now, const PathQuality& published) {
  const int rtt_change = std::abs(now.rtt_micros - published.rtt_micros);
  const int loss_step =
      std::min(PublishedQuality::kLossPermille,
               std::max(PublishedQuality::kMinLossPermille, published.loss_permille / 2));
  return (rtt_change >= PublishedQuality::kRttMicros &&
          rtt_change >= PublishedQuality::kRttShare * published.rtt_micros) ||
         std::abs(now.loss_permille - published.loss_permille) >= loss_step;
}

}  // namespace

bool PublishedQuality::Update(const std::map<std::string, std::string>& node_of,
                              const std::map<std::string, EndpointLiveness>& echoes) {
  bool changed = false;
  std::map<std::string, Entry> next;
  for (const auto& [gateway, node] : node_of) {
    auto echo = echoes.find(node);
    if (echo == echoes.end() || !echo->second.smoothed_rtt) continue;
    const PathQuality now{
        static_cast<int>(std::min<int64_t>(absl::ToInt64Microseconds(*echo->second.smoothed_rtt),
                                           kube::kMaxRttMicros)),
        static_cast<int>(std::lround(std::clamp(echo->second.smoothed_loss, 0.0, 1.0) * 1000))};
    auto before = published_.find(gateway);
    if (before != published_.end() && before->second.node == node &&
        !ClearlyDifferent(now, before->second.quality)) {
      next[gateway] = before->second;
      continue;
    }
    next[gateway] = {node, now};
    changed = true;
  }
  changed = changed || next.size() != published_.size();
  published_ = std::move(next);
  return changed;
}

std::map<std::string, PathQuality> PublishedQuality::Published() const {
  std::map<std::string, PathQuality> out;
  for (const auto& [gateway, entry] : published_) out[gateway] = entry.quality;
  return out;
}

}  // namespace raven::failover

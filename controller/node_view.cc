#include "controller/node_view.h"

namespace raven::controller {

NodeView ToNodeView(const kube::Node& node) {
  NodeView v;
  v.name = node.meta.name;
  v.labels = node.meta.labels;
  v.annotations = node.meta.annotations;
  v.internal_ip = node.InternalIP();
  for (const IpAddress& ip : node.InternalIPsPerFamily()) {
    if (v.internal_ip && ip.family != v.internal_ip->family) v.other_internal_ips.push_back(ip);
  }
  v.pod_cidrs = node.PodCidrs();
  v.ready = node.IsReady();
  return v;
}

}  // namespace raven::controller

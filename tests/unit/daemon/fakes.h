// In-memory stand-ins for the BPF route table, the relay members and the
// WireGuard device that count writes, so tests can assert that unchanged
// state is not touched; and for the agent's Gateway source and node
// (devices, program attachments), scripted by the test.
#ifndef RAVEN_TESTS_UNIT_DAEMON_FAKES_H_
#define RAVEN_TESTS_UNIT_DAEMON_FAKES_H_

#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/kube/resources/gateway.h"
#include "daemon/bpf/relay_members.h"
#include "daemon/bpf/route_table.h"
#include "daemon/dataplane_node.h"
#include "daemon/gateway_source.h"
#include "daemon/wireguard/wireguard_device.h"

namespace raven::testing {

class FakeRouteTable : public bpf::RouteTable {
 public:
  absl::StatusOr<bpf::RouteMap> Dump() const override { return routes; }
  absl::Status Upsert(const IpPrefix& prefix, const bpf::RouteValue& value) override {
    ++writes;
    routes[prefix] = value;
    return absl::OkStatus();
  }
  absl::Status Delete(const IpPrefix& prefix) override {
    ++deletes;
    routes.erase(prefix);
    return absl::OkStatus();
  }

  bpf::RouteMap routes;
  int writes = 0;
  int deletes = 0;
};

class FakeRelayMembers : public bpf::RelayMembers {
 public:
  absl::StatusOr<std::set<IpAddress>> Dump() const override { return members; }
  absl::Status Add(const IpAddress& member) override {
    ++adds;
    members.insert(member);
    return absl::OkStatus();
  }
  absl::Status Remove(const IpAddress& member) override {
    ++removes;
    members.erase(member);
    return absl::OkStatus();
  }

  std::set<IpAddress> members;
  int adds = 0;
  int removes = 0;
};

class FakeWireGuardDevice : public wg::WireGuardDevice {
 public:
  std::string backend() const override { return "fake"; }
  absl::Status Ensure(const wg::DeviceConfig&) override { return absl::OkStatus(); }
  bool Exists() override { return true; }
  absl::StatusOr<std::vector<wg::PeerStatus>> GetPeers() override {
    if (!get_peers_error.ok()) return get_peers_error;
    std::vector<wg::PeerStatus> out;
    for (const auto& [key, config] : peers) {
      auto handshake = handshakes.find(key);
      auto tx = tx_bytes.find(key);
      out.push_back({config, handshake != handshakes.end() ? handshake->second : 0, 0,
                     tx != tx_bytes.end() ? tx->second : 0});
    }
    return out;
  }
  absl::Status UpsertPeers(const std::vector<wg::PeerConfig>& list) override {
    if (fail_upserts) return absl::UnavailableError("fake failure");
    for (const auto& p : list) peers[p.public_key] = p;
    upserted += static_cast<int>(list.size());
    return absl::OkStatus();
  }
  absl::Status RemovePeers(const std::vector<wg::Key>& keys) override {
    for (const auto& k : keys) peers.erase(k);
    removed_keys.insert(removed_keys.end(), keys.begin(), keys.end());
    removed += static_cast<int>(keys.size());
    return absl::OkStatus();
  }
  absl::Status Destroy() override { return absl::OkStatus(); }

  std::map<wg::Key, wg::PeerConfig> peers;
  std::map<wg::Key, int64_t> handshakes;  // last handshake, Unix nanoseconds
  std::map<wg::Key, uint64_t> tx_bytes;   // sent to the peer (nothing ever comes back)
  int upserted = 0;
  int removed = 0;
  std::vector<wg::Key> removed_keys;  // every RemovePeers, in order
  bool fail_upserts = false;
  absl::Status get_peers_error;  // not ok: GetPeers() fails with it
};

// Returns `gateways` (or `error`) from Read(); never wakes anyone.
class FakeGatewaySource : public GatewaySource {
 public:
  int fd() const override { return -1; }
  bool Drain() override { return true; }
  absl::StatusOr<std::vector<kube::DecodedGateway>> Read() override {
    ++reads;
    if (!error.ok()) return error;
    return gateways;
  }
  std::string Staleness() const override { return staleness; }

  void Set(const std::vector<kube::Gateway>& list) {
    gateways.clear();
    for (const auto& gw : list) gateways.push_back({gw.meta.name, gw});
  }

  std::vector<kube::DecodedGateway> gateways;
  absl::Status error;     // not ok: Read() fails with it
  std::string staleness;  // what Staleness() says
  int reads = 0;
};

// A node whose problems the test sets; Ensure() repairs them all (and
// returns `devices`) unless `repair_error` is set.
class FakeDataplaneNode : public DataplaneNode {
 public:
  absl::StatusOr<DataplaneDevices> Ensure() override {
    ++ensures;
    if (!repair_error.ok()) return repair_error;
    problems.clear();
    return devices;
  }
  std::vector<std::string> Problems() override { return problems; }
  std::vector<std::string> Warnings() override { return warnings; }
  int fd() const override { return -1; }
  absl::Status HandleEvents() override { return absl::OkStatus(); }

  DataplaneDevices devices{.wireguard_ifindex = 7, .vxlan_ifindex = 9, .path_mtu = 1420};
  std::vector<std::string> problems;  // what is detached or missing now
  std::vector<std::string> warnings;  // what the node says although nothing is broken
  absl::Status repair_error;          // not ok: Ensure() fails with it, repairing nothing
  int ensures = 0;                    // Ensure() calls (setup and repairs)
};

}  // namespace raven::testing

#endif  // RAVEN_TESTS_UNIT_DAEMON_FAKES_H_

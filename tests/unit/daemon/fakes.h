// In-memory stand-ins for the BPF route table, the relay members and the
// WireGuard device that count writes, so tests can assert that unchanged
// state is not touched.
#ifndef RAVEN_TESTS_UNIT_DAEMON_FAKES_H_
#define RAVEN_TESTS_UNIT_DAEMON_FAKES_H_

#include <map>
#include <set>
#include <vector>

#include "daemon/bpf/relay_members.h"
#include "daemon/bpf/route_table.h"
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
    std::vector<wg::PeerStatus> out;
    for (const auto& [key, config] : peers) {
      auto handshake = handshakes.find(key);
      out.push_back({config, handshake != handshakes.end() ? handshake->second : 0});
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
    removed += static_cast<int>(keys.size());
    return absl::OkStatus();
  }
  absl::Status Destroy() override { return absl::OkStatus(); }

  std::map<wg::Key, wg::PeerConfig> peers;
  std::map<wg::Key, int64_t> handshakes;  // last handshake, Unix nanoseconds
  int upserted = 0;
  int removed = 0;
  bool fail_upserts = false;
};

}  // namespace raven::testing

#endif  // RAVEN_TESTS_UNIT_DAEMON_FAKES_H_

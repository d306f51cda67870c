// The WireGuardDevice contract against real devices, each test in a network
// namespace of its own:
//
//   root netns (untouched)
//   └── an anonymous netns          unshare()d by the test, freed after it
//       └── rwgt<pid%10000>         wireguard-go TUN device, or kernel
//                                   wireguard link where the kernel has it
//
// The test thread enters the namespace, so wireguard-go (spawned from it) and
// every netlink socket live there. `wg show <dev> dump` cross-checks what the
// device layer reports. Needs root; skips otherwise.
#include "daemon/wireguard/wireguard_device.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "daemon/netlink/link.h"
#include "daemon/wireguard/wireguard_go.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/netns.h"
#include "tests/unit/wireguard/kill_wireguard_go.h"

namespace raven::wg {
namespace {

using test_support::ScopedNetns;
using test_util::KillWireGuardGo;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kWireGuardGo[] = "/usr/bin/wireguard-go";

IpPrefix P(const char* text) { return IpPrefix::Parse(text).value(); }

KeyPair NewKeys() { return GenerateKeyPair().value(); }

bool Exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

std::vector<PeerConfig> Configs(const std::vector<PeerStatus>& peers) {
  std::vector<PeerConfig> configs;
  for (const PeerStatus& peer : peers) configs.push_back(peer.config);
  return configs;
}

std::vector<PeerConfig> Sorted(std::vector<PeerConfig> peers) {
  for (PeerConfig& peer : peers) std::sort(peer.allowed_ips.begin(), peer.allowed_ips.end());
  std::sort(peers.begin(), peers.end(),
            [](const PeerConfig& a, const PeerConfig& b) { return a.public_key < b.public_key; });
  return peers;
}

class WireGuardDeviceTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root for network namespaces and TUN devices";
    if (GetParam() == "userspace" && access(kWireGuardGo, X_OK) != 0) {
      GTEST_SKIP() << kWireGuardGo << " not installed";
    }
    name_ = absl::StrCat("rwgt", getpid() % 10000);
    absl::StatusOr<std::unique_ptr<ScopedNetns>> netns = ScopedNetns::Create();
    ASSERT_TRUE(netns.ok()) << netns.status();
    netns_ = std::move(*netns);
    if (GetParam() == "kernel") {
      absl::Status probe = nl::CreateLink(name_, "wireguard");
      if (!probe.ok()) {
        kernel_missing_ = probe;
        return;
      }
      ASSERT_TRUE(nl::DeleteLink(name_).ok());
    }
    BackendOptions options;
    options.mode = GetParam();
    options.wireguard_go = kWireGuardGo;
    absl::StatusOr<std::unique_ptr<WireGuardDevice>> device = OpenDevice(name_, options);
    ASSERT_TRUE(device.ok()) << device.status();
    device_ = std::move(*device);
    ASSERT_EQ(device_->backend(), GetParam());
  }

  void TearDown() override {
    if (device_ != nullptr) {
      EXPECT_TRUE(device_->Destroy().ok());
    }
    if (!name_.empty()) KillWireGuardGo(kWireGuardGo, name_);  // even after failures
    netns_.reset();
  }

  // On a kernel without WireGuard the kernel backend's tests check what it
  // does there instead: asked for explicitly, it refuses to create the device
  // with a clear error (it never falls back to wireguard-go) and leaves
  // nothing behind. Returns true when that was the test.
  bool CheckedRefusalWithoutKernelWireGuard() {
    if (kernel_missing_.ok()) return false;
    RecordProperty("kernel_wireguard", std::string(kernel_missing_.message()));
    BackendOptions options;
    options.mode = "kernel";
    absl::StatusOr<std::unique_ptr<WireGuardDevice>> device = OpenDevice(name_, options);
    absl::Status ensured =
        device.ok() ? (*device)->Ensure(Config(NewKeys().private_key)) : device.status();
    EXPECT_FALSE(ensured.ok());
    EXPECT_NE(ensured.message().find("wireguard"), absl::string_view::npos) << ensured;
    EXPECT_FALSE(*nl::LinkKind(name_)) << "a failed kernel device left a link behind";
    EXPECT_THAT(FindWireGuardGo(kWireGuardGo, name_), ::testing::IsEmpty());
    return true;
  }

  DeviceConfig Config(const Key& private_key) { return {name_, private_key, 4500, 0x1234}; }
  std::string SocketPath() const { return absl::StrCat("/var/run/wireguard/", name_, ".sock"); }

  // `wg show <name> dump`, one vector of tab-separated fields per line.
  std::vector<std::vector<std::string>> WgDump() {
    std::string out;
    EXPECT_EQ(test_support::Run(absl::StrCat("wg show ", name_, " dump"), &out), 0);
    std::vector<std::vector<std::string>> lines;
    for (absl::string_view line : absl::StrSplit(out, '\n', absl::SkipEmpty())) {
      lines.push_back(absl::StrSplit(line, '\t'));
    }
    return lines;
  }

  std::string name_;
  std::unique_ptr<ScopedNetns> netns_;
  std::unique_ptr<WireGuardDevice> device_;
  absl::Status kernel_missing_;  // the kernel backend's probe, when it failed
};

TEST_P(WireGuardDeviceTest, Lifecycle) {
  if (CheckedRefusalWithoutKernelWireGuard()) return;
  EXPECT_FALSE(device_->Exists());
  EXPECT_EQ(device_->GetPeers().status().code(), absl::StatusCode::kNotFound);

  KeyPair keys = NewKeys();
  ASSERT_TRUE(device_->Ensure(Config(keys.private_key)).ok());
  EXPECT_TRUE(device_->Exists());
  std::vector<std::vector<std::string>> dump = WgDump();
  ASSERT_EQ(dump.size(), 1u);
  EXPECT_THAT(dump[0], ElementsAre(keys.private_key.ToBase64(), keys.public_key.ToBase64(), "4500",
                                   "0x1234"));
  std::vector<pid_t> daemons = FindWireGuardGo(kWireGuardGo, name_);
  if (GetParam() == "userspace") {
    EXPECT_EQ(daemons.size(), 1u);
  }

  // Idempotent: no second daemon, same settings.
  ASSERT_TRUE(device_->Ensure(Config(keys.private_key)).ok());
  EXPECT_EQ(FindWireGuardGo(kWireGuardGo, name_), daemons);

  absl::StatusOr<std::vector<PeerStatus>> peers = device_->GetPeers();
  ASSERT_TRUE(peers.ok()) << peers.status();
  EXPECT_TRUE(peers->empty());

  PeerConfig a{NewKeys().public_key, "192.0.2.1:4500", {P("10.1.0.0/16"), P("fd00:a::/64")}, 25};
  PeerConfig b{NewKeys().public_key, "[2001:db8::2]:51820", {P("10.2.0.0/16")}, 0};
  PeerConfig c{NewKeys().public_key, std::nullopt, {}, 0};
  ASSERT_TRUE(device_->UpsertPeers({a, b, c}).ok());
  peers = device_->GetPeers();
  ASSERT_TRUE(peers.ok()) << peers.status();
  EXPECT_EQ(Configs(*peers), Sorted({a, b, c}));
  EXPECT_EQ(WgDump().size(), 4u);

  // Re-route: a loses 10.1/16 and gains two prefixes; b is not mentioned.
  PeerConfig a2{a.public_key, "192.0.2.9:4501", {P("10.3.0.0/16"), P("10.4.0.0/24")}, 0};
  ASSERT_TRUE(device_->UpsertPeers({a2}).ok());
  peers = device_->GetPeers();
  ASSERT_TRUE(peers.ok()) << peers.status();
  EXPECT_EQ(Configs(*peers), Sorted({a2, b, c}));

  // A prefix moves from b to c (the device enforces one owner per prefix).
  PeerConfig c2{c.public_key, std::nullopt, {P("10.2.0.0/16")}, 0};
  PeerConfig b2{b.public_key, b.endpoint, {}, 0};
  ASSERT_TRUE(device_->UpsertPeers({b2, c2}).ok());
  peers = device_->GetPeers();
  ASSERT_TRUE(peers.ok());
  EXPECT_EQ(Configs(*peers), Sorted({a2, b2, c2}));

  // Removing includes an unknown key, which is not an error.
  ASSERT_TRUE(device_->RemovePeers({b.public_key, NewKeys().public_key}).ok());
  peers = device_->GetPeers();
  ASSERT_TRUE(peers.ok());
  EXPECT_EQ(Configs(*peers), Sorted({a2, c2}));

  ASSERT_TRUE(device_->Destroy().ok());
  EXPECT_FALSE(device_->Exists());
  EXPECT_FALSE(Exists(SocketPath()));
  EXPECT_THAT(FindWireGuardGo(kWireGuardGo, name_), ::testing::IsEmpty());
  EXPECT_TRUE(WaitForExit(daemons, absl::ZeroDuration()));
  absl::StatusOr<std::optional<std::string>> kind = nl::LinkKind(name_);
  ASSERT_TRUE(kind.ok());
  EXPECT_FALSE(*kind) << "link left behind, kind " << kind->value_or("");
  EXPECT_TRUE(device_->Destroy().ok());  // idempotent
}

TEST_P(WireGuardDeviceTest, EnsureUpdatesSettingsButKeepsPeers) {
  if (CheckedRefusalWithoutKernelWireGuard()) return;
  KeyPair first = NewKeys();
  ASSERT_TRUE(device_->Ensure(Config(first.private_key)).ok());
  PeerConfig peer{NewKeys().public_key, "192.0.2.1:4500", {P("10.1.0.0/16")}, 0};
  ASSERT_TRUE(device_->UpsertPeers({peer}).ok());

  KeyPair second = NewKeys();
  ASSERT_TRUE(device_->Ensure({name_, second.private_key, 4600, 0}).ok());
  std::vector<std::vector<std::string>> dump = WgDump();
  ASSERT_EQ(dump.size(), 2u);
  EXPECT_THAT(dump[0], ElementsAre(second.private_key.ToBase64(), second.public_key.ToBase64(),
                                   "4600", "off"));
  absl::StatusOr<std::vector<PeerStatus>> peers = device_->GetPeers();
  ASSERT_TRUE(peers.ok());
  EXPECT_EQ(Configs(*peers), std::vector<PeerConfig>{peer});
}

TEST_P(WireGuardDeviceTest, RejectsInvalidPeersWithoutTouchingDevice) {
  if (CheckedRefusalWithoutKernelWireGuard()) return;
  ASSERT_TRUE(device_->Ensure(Config(NewKeys().private_key)).ok());
  absl::Status status = device_->UpsertPeers({{NewKeys().public_key, "not-an-endpoint", {}, 0}});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("endpoint"));
  absl::StatusOr<std::vector<PeerStatus>> peers = device_->GetPeers();
  ASSERT_TRUE(peers.ok());
  EXPECT_TRUE(peers->empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, WireGuardDeviceTest, ::testing::Values("userspace", "kernel"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

// Userspace-only behaviour: wireguard-go outliving the agent, stale sockets.
class WireGuardGoTest : public WireGuardDeviceTest {};

TEST_P(WireGuardGoTest, DaemonSurvivesAgentProcessGroupKill) {
  KeyPair keys = NewKeys();
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  pid_t agent = fork();
  ASSERT_GE(agent, 0);
  if (agent == 0) {
    // The "agent": its own process group; starts the device, reports the
    // result, then waits to be killed.
    setpgid(0, 0);
    char ok = device_->Ensure(Config(keys.private_key)).ok() ? 'y' : 'n';
    if (write(ready[1], &ok, 1) != 1) _exit(1);
    pause();
    _exit(0);
  }
  close(ready[1]);
  absl::Cleanup reap = [agent] {  // on every path, even failed assertions
    kill(agent, SIGKILL);
    waitpid(agent, nullptr, 0);
  };
  char ok = 0;
  ASSERT_EQ(read(ready[0], &ok, 1), 1);
  close(ready[0]);
  ASSERT_EQ(ok, 'y');
  ASSERT_TRUE(device_->Exists());
  std::vector<pid_t> daemons = FindWireGuardGo(kWireGuardGo, name_);
  ASSERT_EQ(daemons.size(), 1u);
  EXPECT_NE(getsid(daemons[0]), getsid(agent)) << "wireguard-go shares the agent's session";
  ASSERT_NE(getpgid(daemons[0]), agent) << "wireguard-go is in the agent's process group";

  ASSERT_EQ(kill(-agent, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(waitpid(agent, &status, 0), agent);
  EXPECT_TRUE(WIFSIGNALED(status));
  EXPECT_TRUE(device_->Exists());
  EXPECT_EQ(FindWireGuardGo(kWireGuardGo, name_), daemons);
  // The restarted agent adopts the running device.
  EXPECT_TRUE(device_->Ensure(Config(keys.private_key)).ok());
  EXPECT_EQ(FindWireGuardGo(kWireGuardGo, name_), daemons);
}

TEST_P(WireGuardGoTest, EnsureRestartsAfterStaleSocket) {
  KeyPair keys = NewKeys();
  ASSERT_TRUE(device_->Ensure(Config(keys.private_key)).ok());
  std::vector<pid_t> daemons = FindWireGuardGo(kWireGuardGo, name_);
  ASSERT_EQ(daemons.size(), 1u);
  ASSERT_EQ(kill(daemons[0], SIGKILL), 0);
  ASSERT_TRUE(WaitForExit(daemons, absl::Seconds(5)));
  EXPECT_TRUE(Exists(SocketPath())) << "SIGKILL should leave the socket file behind";
  EXPECT_FALSE(device_->Exists());

  ASSERT_TRUE(device_->Ensure(Config(keys.private_key)).ok());
  EXPECT_TRUE(device_->Exists());
  std::vector<pid_t> restarted = FindWireGuardGo(kWireGuardGo, name_);
  ASSERT_EQ(restarted.size(), 1u);
  EXPECT_NE(restarted, daemons);
  EXPECT_EQ(WgDump()[0][0], keys.private_key.ToBase64());
}

TEST_P(WireGuardGoTest, LaunchFailureCarriesWireGuardGoError) {
  // A second wireguard-go for a name whose TUN device is in use fails.
  ASSERT_TRUE(device_->Ensure(Config(NewKeys().private_key)).ok());
  absl::Status status = LaunchWireGuardGo(kWireGuardGo, name_, absl::Seconds(5));
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(status.message(), HasSubstr("Failed to create TUN device"));
  EXPECT_TRUE(device_->Exists());
}

TEST_P(WireGuardGoTest, MissingBinaryIsAClearError) {
  BackendOptions options;
  options.mode = "userspace";
  options.wireguard_go = "/nonexistent/wireguard-go";
  absl::StatusOr<std::unique_ptr<WireGuardDevice>> device = OpenDevice(name_, options);
  ASSERT_TRUE(device.ok());
  absl::Status status = (*device)->Ensure(Config(NewKeys().private_key));
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound) << status;
  EXPECT_THAT(status.message(), HasSubstr("start /nonexistent/wireguard-go"));
}

TEST_P(WireGuardGoTest, DestroyWithoutDeviceIsOk) {
  EXPECT_TRUE(device_->Destroy().ok());
  EXPECT_FALSE(Exists(SocketPath()));
}

INSTANTIATE_TEST_SUITE_P(Userspace, WireGuardGoTest, ::testing::Values("userspace"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

}  // namespace
}  // namespace raven::wg

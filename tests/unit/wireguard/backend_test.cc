// OpenDevice's and DestroyDevice's backend choice, in a network namespace the
// test creates.
#include <unistd.h>

#include <iostream>

#include "absl/strings/str_cat.h"
#include "daemon/netlink/link.h"
#include "daemon/wireguard/uapi_device.h"
#include "daemon/wireguard/wireguard_device.h"
#include "daemon/wireguard/wireguard_go.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/netns.h"
#include "tests/unit/wireguard/kill_wireguard_go.h"

namespace raven::wg {
namespace {

using ::testing::HasSubstr;

constexpr char kWireGuardGo[] = "/usr/bin/wireguard-go";

TEST(OpenDeviceTest, RejectsBadModeAndNames) {
  BackendOptions options;
  options.mode = "magic";
  EXPECT_EQ(OpenDevice("wg0", options).status().code(), absl::StatusCode::kInvalidArgument);
  options.mode = "userspace";
  for (const char* bad : {"", "a/b", "..", "sixteen-chars-xx", "has space"}) {
    EXPECT_FALSE(OpenDevice(bad, options).ok()) << "accepted \"" << bad << "\"";
  }
  absl::StatusOr<std::unique_ptr<WireGuardDevice>> kernel =
      OpenDevice("wg0", BackendOptions{.mode = "kernel"});
  ASSERT_TRUE(kernel.ok());
  EXPECT_EQ((*kernel)->backend(), "kernel");
}

TEST(DestroyDeviceTest, RejectsBadModeAndNames) {
  BackendOptions options;
  options.mode = "magic";
  EXPECT_EQ(DestroyDevice("wg0", options).code(), absl::StatusCode::kInvalidArgument);
  options.mode = "auto";
  for (const char* bad : {"", "a/b", "..", "sixteen-chars-xx", "has space"}) {
    EXPECT_EQ(DestroyDevice(bad, options).code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

class AutoBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root for network namespaces";
    name_ = absl::StrCat("rwgb", getpid() % 10000);
    absl::StatusOr<std::unique_ptr<test_support::ScopedNetns>> netns =
        test_support::ScopedNetns::Create();
    ASSERT_TRUE(netns.ok()) << netns.status();
    netns_ = std::move(*netns);
  }
  void TearDown() override {
    if (device_ != nullptr) {
      EXPECT_TRUE(device_->Destroy().ok());
    }
    if (!name_.empty()) test_util::KillWireGuardGo(kWireGuardGo, name_);
    netns_.reset();
  }

  // Whether this kernel can create WireGuard links (probed in the test netns).
  bool KernelHasWireGuard() {
    std::string probe = name_ + "p";
    bool ok = nl::CreateLink(probe, "wireguard").ok();
    if (ok) {
      EXPECT_TRUE(nl::DeleteLink(probe).ok());
    }
    return ok;
  }

  std::string name_;
  std::unique_ptr<test_support::ScopedNetns> netns_;
  std::unique_ptr<WireGuardDevice> device_;
};

TEST_F(AutoBackendTest, PicksKernelWhenAvailableElseFallsBackToUserspaceWithLog) {
  bool kernel = KernelHasWireGuard();
  ::testing::internal::CaptureStderr();
  absl::StatusOr<std::unique_ptr<WireGuardDevice>> device = OpenDevice(name_, BackendOptions{});
  std::string log = ::testing::internal::GetCapturedStderr();
  std::cerr << log;
  ASSERT_TRUE(device.ok()) << device.status();
  device_ = std::move(*device);
  if (kernel) {
    EXPECT_EQ(device_->backend(), "kernel");
    EXPECT_THAT(log, HasSubstr("using the kernel backend"));
    return;
  }
  EXPECT_EQ(device_->backend(), "userspace");
  EXPECT_THAT(log, HasSubstr("kernel WireGuard unavailable"));
  EXPECT_THAT(log, HasSubstr("using the userspace backend"));
  // The failed probe left nothing behind.
  absl::StatusOr<std::optional<std::string>> kind = nl::LinkKind(name_);
  ASSERT_TRUE(kind.ok());
  EXPECT_FALSE(*kind);
  // And the kernel backend, asked for explicitly, says why it cannot work.
  absl::StatusOr<std::unique_ptr<WireGuardDevice>> forced =
      OpenDevice(name_, BackendOptions{.mode = "kernel"});
  ASSERT_TRUE(forced.ok());
  absl::Status status = (*forced)->Ensure({name_, GenerateKeyPair()->private_key, 4500, 0});
  EXPECT_EQ(status.code(), absl::StatusCode::kUnimplemented) << status;
  EXPECT_FALSE((*forced)->Exists());
  absl::StatusOr<std::vector<PeerStatus>> peers = (*forced)->GetPeers();
  EXPECT_EQ(peers.status().code(), absl::StatusCode::kUnimplemented) << peers.status();
  EXPECT_THAT(peers.status().message(), HasSubstr("no WireGuard"));
}

TEST_F(AutoBackendTest, PrefersARunningWireGuardGo) {
  if (access(kWireGuardGo, X_OK) != 0) GTEST_SKIP() << kWireGuardGo << " not installed";
  absl::StatusOr<std::unique_ptr<WireGuardDevice>> userspace =
      OpenDevice(name_, BackendOptions{.mode = "userspace"});
  ASSERT_TRUE(userspace.ok());
  device_ = std::move(*userspace);
  ASSERT_TRUE(device_->Ensure({name_, GenerateKeyPair()->private_key, 0, 0}).ok());
  absl::StatusOr<std::unique_ptr<WireGuardDevice>> chosen = OpenDevice(name_, BackendOptions{});
  ASSERT_TRUE(chosen.ok()) << chosen.status();
  EXPECT_EQ((*chosen)->backend(), "userspace");
  EXPECT_TRUE((*chosen)->Exists());
}

// Unlike OpenDevice's "auto", which creates a kernel link to probe.
TEST_F(AutoBackendTest, DestroyWithoutDeviceCreatesNothing) {
  for (const char* mode : {"auto", "kernel", "userspace"}) {
    absl::Status status = DestroyDevice(name_, BackendOptions{.mode = mode});
    EXPECT_TRUE(status.ok()) << mode << ": " << status;
    absl::StatusOr<std::optional<std::string>> kind = nl::LinkKind(name_);
    ASSERT_TRUE(kind.ok());
    EXPECT_FALSE(*kind) << mode << " left a link of kind " << kind->value_or("");
  }
  EXPECT_THAT(FindWireGuardGo(kWireGuardGo, name_), ::testing::IsEmpty());
}

TEST_F(AutoBackendTest, DestroyStopsARunningWireGuardGo) {
  if (access(kWireGuardGo, X_OK) != 0) GTEST_SKIP() << kWireGuardGo << " not installed";
  BackendOptions options{.mode = "userspace", .wireguard_go = kWireGuardGo};
  UserspaceDevice userspace(name_, options);
  ASSERT_TRUE(userspace.Ensure({name_, GenerateKeyPair()->private_key, 0, 0}).ok());
  ASSERT_EQ(FindWireGuardGo(kWireGuardGo, name_).size(), 1u);

  options.mode = "auto";
  absl::Status status = DestroyDevice(name_, options);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_FALSE(userspace.Exists());
  EXPECT_EQ(access(userspace.socket_path().c_str(), F_OK), -1) << "socket left behind";
  EXPECT_THAT(FindWireGuardGo(kWireGuardGo, name_), ::testing::IsEmpty());
  EXPECT_FALSE(*nl::LinkKind(name_));
}

TEST_F(AutoBackendTest, DestroyDeletesAKernelDevice) {
  if (!KernelHasWireGuard()) {
    // Nothing of the kind can exist here: destroying it is the no-op it must be.
    RecordProperty("kernel_wireguard", "unavailable");
    EXPECT_TRUE(DestroyDevice(name_, BackendOptions{.mode = "kernel"}).ok());
    EXPECT_FALSE(*nl::LinkKind(name_));
    return;
  }
  ASSERT_TRUE(nl::CreateLink(name_, "wireguard").ok());
  absl::Status status = DestroyDevice(name_, BackendOptions{});
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_FALSE(*nl::LinkKind(name_));
}

TEST_F(AutoBackendTest, DestroyLeavesOtherLinksAlone) {
  ASSERT_TRUE(nl::CreateLink(name_, "bridge").ok());
  absl::Status status = DestroyDevice(name_, BackendOptions{});
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_EQ(nl::LinkKind(name_).value(), "bridge");
  // Asked for the kernel backend explicitly, it says why it does nothing.
  status = DestroyDevice(name_, BackendOptions{.mode = "kernel"});
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  EXPECT_EQ(nl::LinkKind(name_).value(), "bridge");
}

}  // namespace
}  // namespace raven::wg

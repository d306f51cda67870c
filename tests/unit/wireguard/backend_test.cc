// OpenDevice's backend choice, in a network namespace the test creates.
#include <unistd.h>

#include <iostream>

#include "absl/strings/str_cat.h"
#include "daemon/wireguard/link_ops.h"
#include "daemon/wireguard/wireguard_device.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/wireguard/test_netns.h"

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

class AutoBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root for network namespaces";
    name_ = absl::StrCat("rwgb", getpid() % 10000);
    absl::StatusOr<std::unique_ptr<test_util::ScopedNetns>> netns =
        test_util::ScopedNetns::Create(absl::StrCat("raven-wgtest-", getpid(), "-auto"));
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
    bool ok = CreateLink(probe, "wireguard").ok();
    if (ok) {
      EXPECT_TRUE(DeleteLink(probe).ok());
    }
    return ok;
  }

  std::string name_;
  std::unique_ptr<test_util::ScopedNetns> netns_;
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
  absl::StatusOr<std::optional<std::string>> kind = LinkKind(name_);
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

}  // namespace
}  // namespace raven::wg

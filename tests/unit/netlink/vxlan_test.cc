#include "daemon/netlink/vxlan.h"

#include <string>

#include "daemon/netlink/link.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/netns.h"

namespace raven::nl {
namespace {

using test_support::NetnsTest;

using ::testing::HasSubstr;
using ::testing::Not;

using VxlanTest = NetnsTest;

constexpr char kName[] = "raven-vx0";

TEST_F(VxlanTest, CreatesExternalDeviceUp) {
  absl::Status status = EnsureVxlanExternal({kName, 4472, 1450, false});
  ASSERT_TRUE(status.ok()) << status;

  std::string shown = Output("ip -d -j link show dev raven-vx0");
  EXPECT_THAT(shown, HasSubstr("\"info_kind\":\"vxlan\""));
  EXPECT_THAT(shown, HasSubstr("\"external\":true"));
  EXPECT_THAT(shown, HasSubstr("\"port\":4472"));
  EXPECT_THAT(shown, HasSubstr("\"learning\":false"));
  EXPECT_THAT(shown, HasSubstr("\"udp_zero_csum6_rx\":false"));
  EXPECT_THAT(shown, HasSubstr("\"mtu\":1450"));
  EXPECT_THAT(shown, HasSubstr("\"UP\""));

  absl::StatusOr<LinkInfo> link = GetLink(kName);
  ASSERT_TRUE(link.ok()) << link.status();
  EXPECT_EQ(link->kind, "vxlan");
  EXPECT_TRUE(link->up);
  EXPECT_EQ(link->mtu, 1450);
}

TEST_F(VxlanTest, IsIdempotentAndRepairsMtuAndState) {
  ASSERT_TRUE(EnsureVxlanExternal({kName, 4472, 1450, false}).ok());
  absl::StatusOr<int> first = IfIndex(kName);
  ASSERT_TRUE(first.ok()) << first.status();

  ASSERT_TRUE(EnsureVxlanExternal({kName, 4472, 1450, false}).ok());
  EXPECT_EQ(IfIndex(kName).value_or(-1), *first);

  ASSERT_EQ(Run("ip link set dev raven-vx0 down mtu 1300"), 0);
  absl::Status status = EnsureVxlanExternal({kName, 4472, 1450, false});
  ASSERT_TRUE(status.ok()) << status;
  absl::StatusOr<LinkInfo> link = GetLink(kName);
  ASSERT_TRUE(link.ok()) << link.status();
  EXPECT_EQ(link->ifindex, *first);
  EXPECT_EQ(link->mtu, 1450);
  EXPECT_TRUE(link->up);
}

TEST_F(VxlanTest, RecreatesOnPortChange) {
  ASSERT_TRUE(EnsureVxlanExternal({kName, 4472, 1450, false}).ok());
  absl::StatusOr<int> first = IfIndex(kName);
  ASSERT_TRUE(first.ok()) << first.status();

  absl::Status status = EnsureVxlanExternal({kName, 4473, 1450, false});
  ASSERT_TRUE(status.ok()) << status;
  absl::StatusOr<int> second = IfIndex(kName);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_NE(*second, *first);
  std::string shown = Output("ip -d -j link show dev raven-vx0");
  EXPECT_THAT(shown, HasSubstr("\"port\":4473"));
  EXPECT_THAT(shown, HasSubstr("\"external\":true"));
  EXPECT_THAT(shown, HasSubstr("\"UP\""));
}

TEST_F(VxlanTest, ReplacesLinkOfOtherKind) {
  ASSERT_EQ(Run("ip link add raven-vx0 type veth peer name raven-vx0p"), 0);
  absl::Status status = EnsureVxlanExternal({kName, 4472, 0, false});
  ASSERT_TRUE(status.ok()) << status;
  absl::StatusOr<LinkInfo> link = GetLink(kName);
  ASSERT_TRUE(link.ok()) << link.status();
  EXPECT_EQ(link->kind, "vxlan");
  EXPECT_EQ(link->mtu, 1500);  // mtu 0 keeps the kernel default
}

TEST_F(VxlanTest, ReplacesVxlanWithoutExternalMode) {
  ASSERT_EQ(Run("ip link add raven-vx0 type vxlan id 7 dstport 4472"), 0);
  absl::Status status = EnsureVxlanExternal({kName, 4472, 1450, false});
  ASSERT_TRUE(status.ok()) << status;
  std::string shown = Output("ip -d -j link show dev raven-vx0");
  EXPECT_THAT(shown, HasSubstr("\"external\":true"));
  EXPECT_THAT(shown, HasSubstr("\"learning\":false"));
  EXPECT_THAT(shown, Not(HasSubstr("\"id\":7")));
}

TEST_F(VxlanTest, Ipv6UnderlayAcceptsZeroChecksums) {
  ASSERT_TRUE(EnsureVxlanExternal({kName, 4472, 1430, true}).ok());
  EXPECT_THAT(Output("ip -d -j link show dev raven-vx0"), HasSubstr("\"udp_zero_csum6_rx\":true"));
  absl::StatusOr<int> first = IfIndex(kName);
  ASSERT_TRUE(first.ok()) << first.status();

  // Dropping the IPv6 underlay is a change the kernel cannot make in place.
  ASSERT_TRUE(EnsureVxlanExternal({kName, 4472, 1430, false}).ok());
  EXPECT_THAT(Output("ip -d -j link show dev raven-vx0"), HasSubstr("\"udp_zero_csum6_rx\":false"));
  EXPECT_NE(IfIndex(kName).value_or(*first), *first);
}

TEST_F(VxlanTest, RejectsBadConfig) {
  EXPECT_EQ(EnsureVxlanExternal({kName, 0, 1450, false}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(EnsureVxlanExternal({"", 4472, 1450, false}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(EnsureVxlanExternal({kName, 4472, -1, false}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(GetLink(kName).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(VxlanTest, SecondExternalDeviceOnSamePortFailsWithKernelReason) {
  ASSERT_TRUE(EnsureVxlanExternal({kName, 4472, 1450, false}).ok());
  absl::Status status = EnsureVxlanExternal({"raven-vx1", 4472, 1450, false});
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists) << status;
  EXPECT_THAT(status.message(), HasSubstr("create vxlan raven-vx1"));
}

}  // namespace
}  // namespace raven::nl

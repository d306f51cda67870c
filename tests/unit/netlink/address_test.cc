#include "daemon/netlink/address.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/netns.h"

namespace raven::nl {
namespace {

using test_support::NetnsTest;

class AddressTest : public NetnsTest {
 protected:
  void SetUp() override {
    NetnsTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_EQ(Run("ip link add rvn-up type veth peer name rvn-peer"), 0);
    ASSERT_EQ(Run("ip link set dev rvn-up mtu 1420"), 0);
    ASSERT_EQ(Run("ip addr add 198.18.0.1/24 dev rvn-up"), 0);
    ASSERT_EQ(Run("ip addr add 198.18.1.1/24 dev rvn-peer"), 0);
    ASSERT_EQ(Run("ip addr add fd00:198:18::1/64 dev rvn-peer nodad"), 0);
  }

  static IpAddress Ip(const char* text) { return IpAddress::Parse(text).value(); }
};

TEST_F(AddressTest, FindsTheLinkHoldingAnIPv4Address) {
  absl::StatusOr<LinkInfo> link = LinkWithAddress(Ip("198.18.0.1"));
  ASSERT_TRUE(link.ok()) << link.status();
  EXPECT_EQ(link->name, "rvn-up");
  EXPECT_EQ(link->mtu, 1420);
}

TEST_F(AddressTest, FindsTheLinkHoldingAnIPv6Address) {
  absl::StatusOr<LinkInfo> link = LinkWithAddress(Ip("fd00:198:18::1"));
  ASSERT_TRUE(link.ok()) << link.status();
  EXPECT_EQ(link->name, "rvn-peer");
  EXPECT_EQ(link->mtu, 1500);
}

TEST_F(AddressTest, AddressInASubnetIsNotHeld) {
  absl::StatusOr<LinkInfo> link = LinkWithAddress(Ip("198.18.0.2"));
  EXPECT_EQ(link.status().code(), absl::StatusCode::kNotFound) << link.status();
  EXPECT_THAT(link.status().message(), ::testing::HasSubstr("198.18.0.2"));
}

TEST_F(AddressTest, ListsAddressesByFamily) {
  absl::StatusOr<std::vector<InterfaceAddress>> v4 = ListAddresses(IpFamily::kV4);
  ASSERT_TRUE(v4.ok()) << v4.status();
  std::vector<std::string> texts;
  for (const InterfaceAddress& a : *v4) {
    EXPECT_EQ(a.address.family, IpFamily::kV4);
    texts.push_back(absl::StrCat(a.address.ToString(), "/", a.prefix_length));
  }
  EXPECT_THAT(texts, ::testing::UnorderedElementsAre("198.18.0.1/24", "198.18.1.1/24"));

  absl::StatusOr<std::vector<InterfaceAddress>> all = ListAddresses();
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_THAT(*all, ::testing::Contains(
                        ::testing::Field(&InterfaceAddress::address, Ip("fd00:198:18::1"))));
}

}  // namespace
}  // namespace raven::nl

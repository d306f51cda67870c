#include "common/ip_prefix.h"

#include <gtest/gtest.h>

namespace raven {
namespace {

TEST(IpPrefixTest, ParsesBothFamilies) {
  auto v4 = IpPrefix::Parse("100.64.1.0/24");
  ASSERT_TRUE(v4.ok()) << v4.status();
  EXPECT_EQ(v4->family(), IpFamily::kV4);
  EXPECT_EQ(v4->length, 24);
  EXPECT_EQ(v4->ToString(), "100.64.1.0/24");

  auto v6 = IpPrefix::Parse("fd64:1::/64");
  ASSERT_TRUE(v6.ok()) << v6.status();
  EXPECT_EQ(v6->family(), IpFamily::kV6);
  EXPECT_EQ(v6->ToString(), "fd64:1::/64");
}

TEST(IpPrefixTest, BareAddressIsHostPrefix) {
  auto host = IpPrefix::Parse("198.18.0.1");
  ASSERT_TRUE(host.ok());
  EXPECT_EQ(host->length, 32);
  auto host6 = IpPrefix::Parse("fd00::1");
  ASSERT_TRUE(host6.ok());
  EXPECT_EQ(host6->length, 128);
}

TEST(IpPrefixTest, RejectsInvalidCidrs) {
  for (const char* bad : {"100.64.2.0/33", "fd00::/129", "10.0.0.1/8", "10.0.0.0/", "10.0.0/8",
                          "abc", "", "10.0.0.0/-1", "10.0.0.0/8x", "1.2.3.4/0001"}) {
    auto p = IpPrefix::Parse(bad);
    EXPECT_FALSE(p.ok()) << bad;
    if (!p.ok()) {
      EXPECT_NE(p.status().message().find("invalid"), std::string::npos) << bad;
    }
  }
}

TEST(IpPrefixTest, ContainsRespectsLengthAndFamily) {
  auto p = *IpPrefix::Parse("100.64.0.0/10");
  EXPECT_TRUE(p.Contains(*IpAddress::Parse("100.127.255.255")));
  EXPECT_FALSE(p.Contains(*IpAddress::Parse("100.128.0.0")));
  EXPECT_FALSE(p.Contains(*IpAddress::Parse("::ffff:100.64.0.1")));
  auto all = *IpPrefix::Parse("0.0.0.0/0");
  EXPECT_TRUE(all.Contains(*IpAddress::Parse("1.2.3.4")));
}

TEST(IpPrefixTest, OrdersByFamilyThenAddressThenLength) {
  auto a = *IpPrefix::Parse("10.0.0.0/8");
  auto b = *IpPrefix::Parse("10.0.0.0/16");
  auto c = *IpPrefix::Parse("fd00::/8");
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace raven

namespace raven {
namespace {

TEST(IsUnicastHostTest, OnlyAddressesOneHostCanHold) {
  for (const char* ok : {"100.127.2.12", "198.18.0.1", "10.0.0.1", "fd7f:2::12", "2001:db8::1"}) {
    EXPECT_TRUE(IsUnicastHost(*IpAddress::Parse(ok))) << ok;
  }
  for (const char* bad : {"0.0.0.0", "127.0.0.1", "169.254.1.1", "224.0.0.1", "255.255.255.255",
                          "::", "::1", "fe80::1", "febf::1", "ff02::1:ff00:12"}) {
    EXPECT_FALSE(IsUnicastHost(*IpAddress::Parse(bad))) << bad;
  }
}

}  // namespace
}  // namespace raven

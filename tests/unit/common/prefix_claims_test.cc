#include "common/prefix_claims.h"

#include <gtest/gtest.h>

namespace raven {
namespace {

PrefixClaim C(const char* prefix, const char* owner) {
  return {IpPrefix::Parse(prefix).value(), owner};
}

TEST(PrefixClaimsTest, FirstClaimOfAPrefixWins) {
  PrefixClaims claims;
  EXPECT_EQ(claims.Claim(C("10.1.0.0/24", "gw-b")), std::nullopt);
  EXPECT_EQ(claims.Claim(C("10.1.0.0/24", "gw-a")), C("10.1.0.0/24", "gw-b"));
}

TEST(PrefixClaimsTest, NestedPrefixesOfAnotherOwnerAreRefusedBothWays) {
  PrefixClaims claims;
  EXPECT_EQ(claims.Claim(C("10.1.2.0/24", "gw-b")), std::nullopt);
  EXPECT_EQ(claims.Claim(C("10.0.0.0/8", "gw-x")), C("10.1.2.0/24", "gw-b"));     // over it
  EXPECT_EQ(claims.Claim(C("10.1.2.128/25", "gw-x")), C("10.1.2.0/24", "gw-b"));  // inside it
  EXPECT_EQ(claims.Claim(C("10.1.2.7/32", "gw-x")), C("10.1.2.0/24", "gw-b"));
  EXPECT_EQ(claims.Claim(C("0.0.0.0/0", "gw-x")), C("10.1.2.0/24", "gw-b"));
}

TEST(PrefixClaimsTest, NeighboursAndOtherFamiliesDoNotOverlap) {
  PrefixClaims claims;
  EXPECT_EQ(claims.Claim(C("10.1.2.0/24", "gw-b")), std::nullopt);
  EXPECT_EQ(claims.Claim(C("10.1.3.0/24", "gw-x")), std::nullopt);
  EXPECT_EQ(claims.Claim(C("10.1.0.0/23", "gw-y")), std::nullopt);
  EXPECT_EQ(claims.Claim(C("::/0", "gw-z")), std::nullopt);
  EXPECT_EQ(claims.granted().size(), 4u);
}

TEST(PrefixClaimsTest, OneOwnerMayHoldOverlappingPrefixes) {
  PrefixClaims claims;
  EXPECT_EQ(claims.Claim(C("10.1.0.0/16", "gw-b")), std::nullopt);
  EXPECT_EQ(claims.Claim(C("10.1.2.0/24", "gw-b")), std::nullopt);
  EXPECT_EQ(claims.Claim(C("10.1.2.0/24", "gw-b")), std::nullopt);
  EXPECT_EQ(claims.Claim(C("10.1.9.0/24", "gw-c")), C("10.1.0.0/16", "gw-b"));
}

TEST(PrefixClaimsTest, FindsAContainedPrefixAmongManyNeighbours) {
  PrefixClaims claims;
  for (int i = 0; i < 256; ++i) {
    std::string p = "10.2." + std::to_string(i) + ".0/24";
    ASSERT_EQ(claims.Claim(C(p.c_str(), i == 200 ? "gw-b" : "gw-a")), std::nullopt);
  }
  EXPECT_EQ(claims.Claim(C("10.2.192.0/18", "gw-a")), C("10.2.200.0/24", "gw-b"));
  EXPECT_EQ(claims.Claim(C("10.2.0.0/17", "gw-a")), std::nullopt);  // all gw-a's own
}

}  // namespace
}  // namespace raven

#include "daemon/netlink/sysctl.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/netns.h"

namespace raven::nl {
namespace {

using test_support::NetnsTest;

using SysctlTest = NetnsTest;

TEST_F(SysctlTest, WritesAndReadsPerInterfaceValue) {
  ASSERT_EQ(Run("ip link add rvn-a type veth peer name rvn-b"), 0);
  absl::Status written = WriteSysctl("net/ipv4/conf/rvn-a/rp_filter", "2");
  ASSERT_TRUE(written.ok()) << written;
  absl::StatusOr<std::string> value = ReadSysctl("net/ipv4/conf/rvn-a/rp_filter");
  ASSERT_TRUE(value.ok()) << value.status();
  EXPECT_EQ(*value, "2");
  EXPECT_EQ(ReadSysctl("net/ipv4/conf/rvn-b/rp_filter").value_or(""), "0");
  EXPECT_EQ(Output("cat /proc/sys/net/ipv4/conf/rvn-a/rp_filter"), "2\n");
}

TEST_F(SysctlTest, BelongsToTheNamespace) {
  // A fresh namespace starts with forwarding off, whatever the host has.
  EXPECT_EQ(ReadSysctl("net/ipv4/ip_forward").value_or(""), "0");
  ASSERT_TRUE(WriteSysctl("net/ipv4/ip_forward", "1").ok());
  EXPECT_EQ(ReadSysctl("net/ipv4/ip_forward").value_or(""), "1");
}

TEST_F(SysctlTest, ReportsMissingAndRejectsEscapingPaths) {
  absl::StatusOr<std::string> missing = ReadSysctl("net/ipv4/conf/rvn-none/rp_filter");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(),
              ::testing::HasSubstr("/proc/sys/net/ipv4/conf/rvn-none/rp_filter"));
  EXPECT_EQ(WriteSysctl("net/ipv4/conf/rvn-none/rp_filter", "1").code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(WriteSysctl("net/ipv4/ip_forward", "banana").code(),
            absl::StatusCode::kInvalidArgument);
  for (const char* bad :
       {"", "/proc/sys/net/ipv4/ip_forward", "net/../../etc/passwd", "net//ipv4", "net/ipv4/"}) {
    EXPECT_EQ(ReadSysctl(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace raven::nl

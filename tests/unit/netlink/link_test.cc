#include "daemon/netlink/link.h"

#include <algorithm>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/netlink/netns_fixture.h"

namespace raven::nl {
namespace {

using ::testing::HasSubstr;

class LinkTest : public NetnsTest {
 protected:
  void SetUp() override {
    NetnsTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_EQ(Run("ip link add rvn-a type veth peer name rvn-b"), 0);
  }
};

TEST_F(LinkTest, GetLinkDescribesVeth) {
  absl::StatusOr<LinkInfo> link = GetLink("rvn-a");
  ASSERT_TRUE(link.ok()) << link.status();
  EXPECT_EQ(link->name, "rvn-a");
  EXPECT_EQ(link->kind, "veth");
  EXPECT_EQ(link->mtu, 1500);
  EXPECT_FALSE(link->up);
  EXPECT_EQ(link->mac.size(), 17u);
  EXPECT_THAT(Output("ip -j link show dev rvn-a"), HasSubstr("\"address\":\"" + link->mac + "\""));

  absl::StatusOr<int> ifindex = IfIndex("rvn-a");
  ASSERT_TRUE(ifindex.ok()) << ifindex.status();
  EXPECT_EQ(*ifindex, link->ifindex);

  absl::StatusOr<LinkInfo> by_index = GetLinkByIndex(link->ifindex);
  ASSERT_TRUE(by_index.ok()) << by_index.status();
  EXPECT_EQ(by_index->name, "rvn-a");
}

TEST_F(LinkTest, SetMtuAndSetUp) {
  ASSERT_TRUE(SetMtu("rvn-a", 1400).ok());
  absl::Status up = nl::SetUp("rvn-a");
  ASSERT_TRUE(up.ok()) << up;

  absl::StatusOr<LinkInfo> link = GetLink("rvn-a");
  ASSERT_TRUE(link.ok()) << link.status();
  EXPECT_EQ(link->mtu, 1400);
  EXPECT_TRUE(link->up);
  std::string shown = Output("ip -j link show dev rvn-a");
  EXPECT_THAT(shown, HasSubstr("\"mtu\":1400"));
  EXPECT_THAT(shown, HasSubstr("\"UP\""));
}

TEST_F(LinkTest, KernelRefusalCarriesItsReason) {
  absl::Status status = SetMtu("rvn-a", 10);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_THAT(status.message(), HasSubstr("set MTU of rvn-a to 10"));
  // Extended ack text from the kernel, then strerror.
  EXPECT_THAT(status.message(), HasSubstr("mtu less than device minimum"));
  EXPECT_THAT(status.message(), HasSubstr("Invalid argument"));
}

TEST_F(LinkTest, ListLinksHasEveryLink) {
  absl::StatusOr<std::vector<LinkInfo>> links = ListLinks();
  ASSERT_TRUE(links.ok()) << links.status();
  std::vector<std::string> names;
  for (const LinkInfo& link : *links) names.push_back(link.name);
  EXPECT_THAT(names, ::testing::UnorderedElementsAre("lo", "rvn-a", "rvn-b"));
  auto lo = std::find_if(links->begin(), links->end(),
                         [](const LinkInfo& link) { return link.name == "lo"; });
  EXPECT_EQ(lo->kind, "");
  EXPECT_EQ(lo->ifindex, 1);
}

TEST_F(LinkTest, DeleteLinkThenNotFound) {
  absl::Status deleted = DeleteLink("rvn-a");
  ASSERT_TRUE(deleted.ok()) << deleted;
  EXPECT_EQ(GetLink("rvn-a").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(IfIndex("rvn-b").status().code(), absl::StatusCode::kNotFound);  // the peer goes too

  absl::Status again = DeleteLink("rvn-a");
  EXPECT_EQ(again.code(), absl::StatusCode::kNotFound) << again;
  EXPECT_THAT(again.message(), HasSubstr("rvn-a"));
  EXPECT_EQ(nl::SetUp("rvn-a").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(SetMtu("rvn-a", 1400).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(GetLinkByIndex(4242).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(LinkTest, RejectsImpossibleNames) {
  EXPECT_EQ(GetLink("").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(GetLink("sixteen-chars-xx").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DeleteLink("a/b").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SetMtu("rvn-a", 0).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(GetLinkByIndex(0).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace raven::nl

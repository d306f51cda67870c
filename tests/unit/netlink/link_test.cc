#include "daemon/netlink/link.h"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/netns.h"

namespace raven::nl {
namespace {

using test_support::NetnsTest;

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
  EXPECT_TRUE(link->ethernet);

  absl::StatusOr<int> ifindex = IfIndex("rvn-a");
  ASSERT_TRUE(ifindex.ok()) << ifindex.status();
  EXPECT_EQ(*ifindex, link->ifindex);

  absl::StatusOr<LinkInfo> by_index = GetLinkByIndex(link->ifindex);
  ASSERT_TRUE(by_index.ok()) << by_index.status();
  EXPECT_EQ(by_index->name, "rvn-a");
}

TEST_F(LinkTest, TunIsNoEthernetDevice) {
  ASSERT_EQ(Run("ip tuntap add dev rvn-tun mode tun"), 0);
  absl::StatusOr<LinkInfo> link = GetLink("rvn-tun");
  ASSERT_TRUE(link.ok()) << link.status();
  EXPECT_FALSE(link->ethernet);
}

TEST_F(LinkTest, SetMtuAndSetLinkUp) {
  ASSERT_TRUE(SetMtu("rvn-a", 1400).ok());
  absl::Status up = SetLinkUp("rvn-a");
  ASSERT_TRUE(up.ok()) << up;

  absl::StatusOr<LinkInfo> link = GetLink("rvn-a");
  ASSERT_TRUE(link.ok()) << link.status();
  EXPECT_EQ(link->mtu, 1400);
  EXPECT_TRUE(link->up);
  std::string shown = Output("ip -j link show dev rvn-a");
  EXPECT_THAT(shown, HasSubstr("\"mtu\":1400"));
  EXPECT_THAT(shown, HasSubstr("\"UP\""));
}

TEST_F(LinkTest, LinkKindLooksUpLinksByName) {
  absl::StatusOr<std::optional<std::string>> lo = LinkKind("lo");
  ASSERT_TRUE(lo.ok()) << lo.status();
  ASSERT_TRUE(lo->has_value());
  EXPECT_EQ(**lo, "");  // loopback has no kind
  absl::StatusOr<std::optional<std::string>> veth = LinkKind("rvn-a");
  ASSERT_TRUE(veth.ok()) << veth.status();
  EXPECT_EQ(*veth, "veth");
  absl::StatusOr<std::optional<std::string>> missing = LinkKind("raven-nosuch0");
  ASSERT_TRUE(missing.ok()) << missing.status();
  EXPECT_FALSE(missing->has_value());
  EXPECT_EQ(LinkKind("this-name-is-too-long").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(LinkTest, CreateLinkByKind) {
  absl::Status created = CreateLink("rvn-br", "bridge");
  ASSERT_TRUE(created.ok()) << created;
  EXPECT_THAT(Output("ip -d -j link show dev rvn-br"), HasSubstr("\"info_kind\":\"bridge\""));
  EXPECT_EQ(LinkKind("rvn-br").value(), "bridge");

  absl::Status again = CreateLink("rvn-br", "bridge");
  EXPECT_EQ(again.code(), absl::StatusCode::kAlreadyExists) << again;
  EXPECT_THAT(again.message(), HasSubstr("create bridge link rvn-br"));
  // EOPNOTSUPP: how the kernel says it has no such link type (a missing
  // wireguard module looks the same).
  absl::Status unknown = CreateLink("rvn-x", "raven-nosuch");
  EXPECT_EQ(unknown.code(), absl::StatusCode::kUnimplemented) << unknown;
  EXPECT_FALSE(LinkKind("rvn-x").value().has_value());
  EXPECT_EQ(CreateLink("", "bridge").code(), absl::StatusCode::kInvalidArgument);
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
  EXPECT_EQ(SetLinkUp("rvn-a").code(), absl::StatusCode::kNotFound);
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

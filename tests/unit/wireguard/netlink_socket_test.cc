// The netlink plumbing against the running kernel, read-only: generic
// netlink controller queries and link lookups change nothing.
#include "daemon/wireguard/netlink_socket.h"

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>

#include "daemon/wireguard/link_ops.h"
#include "gtest/gtest.h"

namespace raven::wg {
namespace {

TEST(NetlinkSocketTest, ResolvesGenericNetlinkFamilies) {
  absl::StatusOr<NetlinkSocket> socket = NetlinkSocket::Open(NETLINK_GENERIC);
  ASSERT_TRUE(socket.ok()) << socket.status();
  absl::StatusOr<uint16_t> ctrl = ResolveGenlFamily(*socket, "nlctrl");
  ASSERT_TRUE(ctrl.ok()) << ctrl.status();
  EXPECT_EQ(*ctrl, GENL_ID_CTRL);
  // The same socket serves several requests.
  absl::StatusOr<uint16_t> missing = ResolveGenlFamily(*socket, "raven-nosuch");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound) << missing.status();
}

TEST(NetlinkSocketTest, DumpRunsHandlerUntilDone) {
  absl::StatusOr<NetlinkSocket> socket = NetlinkSocket::Open(NETLINK_GENERIC);
  ASSERT_TRUE(socket.ok());
  NetlinkMessage msg(MNL_SOCKET_BUFFER_SIZE);
  nlmsghdr* nlh = mnl_nlmsg_put_header(msg.header());
  nlh->nlmsg_type = GENL_ID_CTRL;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP;
  auto* genl = static_cast<genlmsghdr*>(mnl_nlmsg_put_extra_header(nlh, sizeof(genlmsghdr)));
  genl->cmd = CTRL_CMD_GETFAMILY;
  genl->version = 1;
  int families = 0;
  absl::Status status = socket->Transact(
      msg,
      [&families](const nlmsghdr*) {
        ++families;
        return absl::OkStatus();
      },
      "dump families");
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_GT(families, 1);
}

TEST(NetlinkSocketTest, HandlerErrorsStopTheExchange) {
  absl::StatusOr<NetlinkSocket> socket = NetlinkSocket::Open(NETLINK_GENERIC);
  ASSERT_TRUE(socket.ok());
  NetlinkMessage msg(MNL_SOCKET_BUFFER_SIZE);
  nlmsghdr* nlh = mnl_nlmsg_put_header(msg.header());
  nlh->nlmsg_type = GENL_ID_CTRL;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  auto* genl = static_cast<genlmsghdr*>(mnl_nlmsg_put_extra_header(nlh, sizeof(genlmsghdr)));
  genl->cmd = CTRL_CMD_GETFAMILY;
  genl->version = 1;
  mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, "nlctrl");
  absl::Status status = socket->Transact(
      msg, [](const nlmsghdr*) { return absl::DataLossError("handler says no"); }, "get nlctrl");
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
}

TEST(LinkOpsTest, LooksUpLinksByName) {
  absl::StatusOr<std::optional<std::string>> lo = LinkKind("lo");
  ASSERT_TRUE(lo.ok()) << lo.status();
  ASSERT_TRUE(lo->has_value());
  EXPECT_EQ(**lo, "");  // loopback has no kind
  absl::StatusOr<std::optional<std::string>> missing = LinkKind("raven-nosuch0");
  ASSERT_TRUE(missing.ok()) << missing.status();
  EXPECT_FALSE(missing->has_value());
  EXPECT_EQ(LinkKind("this-name-is-too-long").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace raven::wg

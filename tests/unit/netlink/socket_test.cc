// The socket on the generic netlink bus against the running kernel,
// read-only: controller queries change nothing. (The rtnetlink side is
// exercised by every other test here.)
#include "daemon/netlink/socket.h"

#include <linux/genetlink.h>

#include "daemon/netlink/genl_family.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace raven::nl {
namespace {

using ::testing::HasSubstr;

// CTRL_CMD_GETFAMILY, a dump of all families unless `name` is given.
Request GetFamily(uint16_t flags, const char* name = nullptr) {
  Request request(GENL_ID_CTRL, flags);
  auto* genl = request.PutHeader<genlmsghdr>();
  genl->cmd = CTRL_CMD_GETFAMILY;
  genl->version = 1;
  if (name != nullptr) mnl_attr_put_strz(request.nlh(), CTRL_ATTR_FAMILY_NAME, name);
  return request;
}

TEST(GenericSocketTest, ResolvesGenericNetlinkFamilies) {
  absl::StatusOr<Socket> socket = Socket::Open(Bus::kGeneric);
  ASSERT_TRUE(socket.ok()) << socket.status();
  absl::StatusOr<uint16_t> ctrl = ResolveGenlFamily(*socket, "nlctrl");
  ASSERT_TRUE(ctrl.ok()) << ctrl.status();
  EXPECT_EQ(*ctrl, GENL_ID_CTRL);
  // The same socket serves several requests.
  absl::StatusOr<uint16_t> missing = ResolveGenlFamily(*socket, "raven-nosuch");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound) << missing.status();
  EXPECT_THAT(missing.status().message(), HasSubstr("raven-nosuch"));
}

TEST(GenericSocketTest, DumpRunsHandlerUntilDone) {
  absl::StatusOr<Socket> socket = Socket::Open(Bus::kGeneric);
  ASSERT_TRUE(socket.ok());
  Request request = GetFamily(NLM_F_ACK | NLM_F_DUMP);
  int families = 0;
  absl::Status status = socket->Transact(request, "dump families", [&families](const nlmsghdr&) {
    ++families;
    return absl::OkStatus();
  });
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_GT(families, 1);
}

TEST(GenericSocketTest, HandlerErrorsStopTheExchange) {
  absl::StatusOr<Socket> socket = Socket::Open(Bus::kGeneric);
  ASSERT_TRUE(socket.ok());
  Request request = GetFamily(NLM_F_ACK, "nlctrl");
  absl::Status status = socket->Transact(request, "get nlctrl", [](const nlmsghdr&) {
    return absl::DataLossError("handler says no");
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  // The reply left unread does not confuse the next exchange.
  absl::StatusOr<uint16_t> ctrl = ResolveGenlFamily(*socket, "nlctrl");
  ASSERT_TRUE(ctrl.ok()) << ctrl.status();
  EXPECT_EQ(*ctrl, GENL_ID_CTRL);
}

}  // namespace
}  // namespace raven::nl

#include "daemon/netlink/genl_family.h"

#include <linux/genetlink.h>

#include <optional>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "daemon/netlink/attr.h"

namespace raven::nl {

absl::StatusOr<uint16_t> ResolveGenlFamily(Socket& socket, const std::string& name) {
  Request request(GENL_ID_CTRL, 0);
  auto* genl = request.PutHeader<genlmsghdr>();
  genl->cmd = CTRL_CMD_GETFAMILY;
  genl->version = 1;
  mnl_attr_put_strz(request.nlh(), CTRL_ATTR_FAMILY_NAME, name.c_str());

  std::string what = absl::StrCat("resolve generic netlink family ", name);
  std::optional<uint16_t> id;
  // The kernel answers an unknown name with ENOENT, which is NotFound.
  RETURN_IF_ERROR(socket.Transact(request, what, [&id](const nlmsghdr& reply) {
    id = Attrs::OfMessage(reply, sizeof(genlmsghdr)).U16(CTRL_ATTR_FAMILY_ID);
    return absl::OkStatus();
  }));
  if (!id.has_value()) return absl::NotFoundError(absl::StrCat(what, ": reply without an id"));
  return *id;
}

}  // namespace raven::nl

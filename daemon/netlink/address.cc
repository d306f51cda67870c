#include "daemon/netlink/address.h"

#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "daemon/netlink/attr.h"
#include "daemon/netlink/socket.h"

namespace raven::nl {
namespace {

// The address in an RTM_NEWADDR message, or nullopt for families we ignore.
std::optional<InterfaceAddress> ParseAddressMessage(const nlmsghdr& nlh) {
  if (nlh.nlmsg_len < mnl_nlmsg_size(sizeof(ifaddrmsg))) return std::nullopt;
  const auto* ifa = static_cast<const ifaddrmsg*>(mnl_nlmsg_get_payload(&nlh));
  InterfaceAddress result;
  size_t size;
  if (ifa->ifa_family == AF_INET) {
    result.address.family = IpFamily::kV4;
    size = 4;
  } else if (ifa->ifa_family == AF_INET6) {
    result.address.family = IpFamily::kV6;
    size = 16;
  } else {
    return std::nullopt;
  }
  Attrs attrs = Attrs::OfMessage(nlh, sizeof(ifaddrmsg));
  // On point-to-point links IFA_ADDRESS is the peer; IFA_LOCAL is ours.
  absl::Span<const uint8_t> bytes = attrs.Bytes(IFA_LOCAL);
  if (bytes.empty()) bytes = attrs.Bytes(IFA_ADDRESS);
  if (bytes.size() != size) return std::nullopt;
  std::copy(bytes.begin(), bytes.end(), result.address.bytes.begin());
  result.ifindex = static_cast<int>(ifa->ifa_index);
  result.prefix_length = ifa->ifa_prefixlen;
  return result;
}

}  // namespace

absl::StatusOr<std::vector<InterfaceAddress>> ListAddresses(std::optional<IpFamily> family) {
  uint8_t af = AF_UNSPEC;
  if (family.has_value()) af = *family == IpFamily::kV4 ? AF_INET : AF_INET6;
  ASSIGN_OR_RETURN(Socket socket, Socket::Open());
  Request request(RTM_GETADDR, NLM_F_DUMP);
  request.PutHeader<ifaddrmsg>()->ifa_family = af;
  std::vector<InterfaceAddress> addresses;
  RETURN_IF_ERROR(socket.Dump(
      request, "list addresses", [&addresses] { addresses.clear(); },
      [&](const nlmsghdr& nlh) {
        if (nlh.nlmsg_type != RTM_NEWADDR) return absl::OkStatus();
        std::optional<InterfaceAddress> address = ParseAddressMessage(nlh);
        // The kernel filters dumps by family only loosely on older kernels.
        if (address.has_value() && (!family.has_value() || address->address.family == *family)) {
          addresses.push_back(*address);
        }
        return absl::OkStatus();
      }));
  return addresses;
}

absl::StatusOr<LinkInfo> LinkWithAddress(const IpAddress& address) {
  ASSIGN_OR_RETURN(std::vector<InterfaceAddress> addresses, ListAddresses(address.family));
  for (const InterfaceAddress& candidate : addresses) {
    if (candidate.address == address) return GetLinkByIndex(candidate.ifindex);
  }
  return absl::NotFoundError(absl::StrCat("no interface holds address ", address.ToString()));
}

absl::Status EnsureAddress(int ifindex, const IpAddress& address, int prefix_length) {
  ASSIGN_OR_RETURN(std::vector<InterfaceAddress> addresses, ListAddresses(address.family));
  for (const InterfaceAddress& have : addresses) {
    if (have.ifindex == ifindex && have.address == address) return absl::OkStatus();
  }
  const bool v6 = address.family == IpFamily::kV6;
  ASSIGN_OR_RETURN(Socket socket, Socket::Open());
  Request request(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
  auto* ifa = request.PutHeader<ifaddrmsg>();
  ifa->ifa_family = v6 ? AF_INET6 : AF_INET;
  ifa->ifa_prefixlen = static_cast<uint8_t>(prefix_length);
  ifa->ifa_index = static_cast<uint32_t>(ifindex);
  ifa->ifa_flags = v6 ? IFA_F_NODAD : 0;
  mnl_attr_put(request.nlh(), IFA_LOCAL, v6 ? 16 : 4, address.bytes.data());
  mnl_attr_put(request.nlh(), IFA_ADDRESS, v6 ? 16 : 4, address.bytes.data());
  return socket.Transact(request, absl::StrCat("add address ", address.ToString(), "/",
                                               prefix_length, " to interface ", ifindex));
}

}  // namespace raven::nl

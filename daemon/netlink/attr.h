// Read access to the netlink attributes of one message or one nest.
#ifndef RAVEN_DAEMON_NETLINK_ATTR_H_
#define RAVEN_DAEMON_NETLINK_ATTR_H_

#include <linux/netlink.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/types/span.h"

namespace raven::nl {

// Attributes indexed by type; a type the message lacks (or repeats after the
// first) reads as absent. Accessors check the payload length, so a malformed
// attribute reads as absent rather than out of bounds.
class Attrs {
 public:
  // The attributes following the `header_len`-byte family header of `nlh`.
  static Attrs OfMessage(const nlmsghdr& nlh, size_t header_len);
  // The attributes nested inside `nest`; empty if `nest` is null.
  static Attrs OfNest(const nlattr* nest);

  const nlattr* Get(uint16_t type) const;
  bool Has(uint16_t type) const { return Get(type) != nullptr; }
  // Up to the first NUL, or the whole payload if it has none.
  std::optional<std::string> String(uint16_t type) const;
  std::optional<uint8_t> U8(uint16_t type) const;
  // Host byte order as stored; network-order attributes need ntohs.
  std::optional<uint16_t> U16(uint16_t type) const;
  std::optional<uint32_t> U32(uint16_t type) const;
  absl::Span<const uint8_t> Bytes(uint16_t type) const;

 private:
  // Indexes the attributes from `attr` up to `end`, stopping at a malformed one.
  void AddAll(const nlattr* attr, const char* end);

  std::vector<const nlattr*> by_type_;
};

}  // namespace raven::nl

#endif  // RAVEN_DAEMON_NETLINK_ATTR_H_

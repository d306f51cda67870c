// Read access to the netlink attributes of one message or one nest: indexed
// by type (Attrs) or visited in order (ForEachAttribute, ForEachNested).
#ifndef RAVEN_DAEMON_NETLINK_ATTR_H_
#define RAVEN_DAEMON_NETLINK_ATTR_H_

#include <linux/netlink.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/types/span.h"

namespace raven::nl {

// Both walks stop at the first malformed (truncated) attribute, as libmnl's
// do, and at the first error `visit` returns, which they return.
using AttributeVisitor = absl::FunctionRef<absl::Status(const nlattr*)>;
// The attributes following the `header_len`-byte family header of `nlh`.
absl::Status ForEachAttribute(const nlmsghdr& nlh, size_t header_len, AttributeVisitor visit);
// The attributes nested inside `nest`; none if `nest` is null.
absl::Status ForEachNested(const nlattr* nest, AttributeVisitor visit);

// Attributes indexed by type; a type the message lacks (or repeats after the
// first) reads as absent. Accessors check the payload length, so a malformed
// attribute reads as absent rather than out of bounds.
class Attrs {
 public:
  static Attrs OfMessage(const nlmsghdr& nlh, size_t header_len);
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
  // Keeps `attr` unless one of its type came first.
  void Add(const nlattr* attr);

  std::vector<const nlattr*> by_type_;
};

}  // namespace raven::nl

#endif  // RAVEN_DAEMON_NETLINK_ATTR_H_

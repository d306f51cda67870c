#include "daemon/netlink/attr.h"

#include <libmnl/libmnl.h>

#include <cstring>

#include "common/status_macros.h"

namespace raven::nl {
namespace {

// Visits the attributes from `attr` up to `end`.
absl::Status Walk(const nlattr* attr, const char* end, AttributeVisitor visit) {
  while (mnl_attr_ok(attr, static_cast<int>(end - reinterpret_cast<const char*>(attr)))) {
    RETURN_IF_ERROR(visit(attr));
    attr = mnl_attr_next(attr);
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ForEachAttribute(const nlmsghdr& nlh, size_t header_len, AttributeVisitor visit) {
  if (nlh.nlmsg_len < MNL_NLMSG_HDRLEN + MNL_ALIGN(header_len)) return absl::OkStatus();
  const char* end = static_cast<const char*>(mnl_nlmsg_get_payload_tail(&nlh));
  return Walk(static_cast<const nlattr*>(mnl_nlmsg_get_payload_offset(&nlh, header_len)), end,
              visit);
}

absl::Status ForEachNested(const nlattr* nest, AttributeVisitor visit) {
  if (nest == nullptr || mnl_attr_get_len(nest) < MNL_ATTR_HDRLEN) return absl::OkStatus();
  const char* end = reinterpret_cast<const char*>(nest) + mnl_attr_get_len(nest);
  return Walk(static_cast<const nlattr*>(mnl_attr_get_payload(nest)), end, visit);
}

// The walks that build an Attrs cannot fail: their visitor never does.
Attrs Attrs::OfMessage(const nlmsghdr& nlh, size_t header_len) {
  Attrs attrs;
  ForEachAttribute(nlh, header_len, [&attrs](const nlattr* attr) {
    attrs.Add(attr);
    return absl::OkStatus();
  }).IgnoreError();
  return attrs;
}

Attrs Attrs::OfNest(const nlattr* nest) {
  Attrs attrs;
  ForEachNested(nest, [&attrs](const nlattr* attr) {
    attrs.Add(attr);
    return absl::OkStatus();
  }).IgnoreError();
  return attrs;
}

void Attrs::Add(const nlattr* attr) {
  uint16_t type = mnl_attr_get_type(attr);
  if (type >= by_type_.size()) by_type_.resize(type + 1, nullptr);
  if (by_type_[type] == nullptr) by_type_[type] = attr;
}

const nlattr* Attrs::Get(uint16_t type) const {
  return type < by_type_.size() ? by_type_[type] : nullptr;
}

std::optional<std::string> Attrs::String(uint16_t type) const {
  const nlattr* attr = Get(type);
  if (attr == nullptr) return std::nullopt;
  const char* payload = static_cast<const char*>(mnl_attr_get_payload(attr));
  return std::string(payload, strnlen(payload, mnl_attr_get_payload_len(attr)));
}

std::optional<uint8_t> Attrs::U8(uint16_t type) const {
  const nlattr* attr = Get(type);
  if (attr == nullptr || mnl_attr_get_payload_len(attr) < sizeof(uint8_t)) return std::nullopt;
  return mnl_attr_get_u8(attr);
}

std::optional<uint16_t> Attrs::U16(uint16_t type) const {
  const nlattr* attr = Get(type);
  if (attr == nullptr || mnl_attr_get_payload_len(attr) < sizeof(uint16_t)) return std::nullopt;
  return mnl_attr_get_u16(attr);
}

std::optional<uint32_t> Attrs::U32(uint16_t type) const {
  const nlattr* attr = Get(type);
  if (attr == nullptr || mnl_attr_get_payload_len(attr) < sizeof(uint32_t)) return std::nullopt;
  return mnl_attr_get_u32(attr);
}

absl::Span<const uint8_t> Attrs::Bytes(uint16_t type) const {
  const nlattr* attr = Get(type);
  if (attr == nullptr) return {};
  return {static_cast<const uint8_t*>(mnl_attr_get_payload(attr)), mnl_attr_get_payload_len(attr)};
}

}  // namespace raven::nl

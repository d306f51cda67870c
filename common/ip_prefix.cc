#include "common/ip_prefix.h"

#include <arpa/inet.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace raven {

absl::StatusOr<IpAddress> IpAddress::Parse(absl::string_view text) {
  std::string s(text);
  IpAddress ip;
  if (inet_pton(AF_INET, s.c_str(), ip.bytes.data()) == 1) {
    ip.family = IpFamily::kV4;
    return ip;
  }
  if (inet_pton(AF_INET6, s.c_str(), ip.bytes.data()) == 1) {
    ip.family = IpFamily::kV6;
    return ip;
  }
  return absl::InvalidArgumentError(absl::StrCat("invalid IP address \"", text, "\""));
}

std::string IpAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(family == IpFamily::kV4 ? AF_INET : AF_INET6, bytes.data(), buf, sizeof(buf));
  return buf;
}

absl::StatusOr<IpPrefix> IpPrefix::Parse(absl::string_view text) {
  size_t slash = text.find('/');
  auto address = IpAddress::Parse(text.substr(0, slash));
  if (!address.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("invalid CIDR \"", text, "\": bad address"));
  }
  if (slash == absl::string_view::npos) return Host(*address);
  int length = 0;
  absl::string_view len_text = text.substr(slash + 1);
  if (len_text.empty() || len_text.size() > 3 || !absl::SimpleAtoi(len_text, &length) ||
      length < 0 || length > address->bit_length()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid CIDR \"", text, "\": bad prefix length"));
  }
  IpPrefix prefix{*address, length};
  for (int bit = length; bit < address->bit_length(); ++bit) {
    if (address->bytes[bit / 8] & (0x80 >> (bit % 8))) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid CIDR \"", text, "\": host bits set (did you mean a network?)"));
    }
  }
  return prefix;
}

IpPrefix IpPrefix::Host(const IpAddress& address) { return {address, address.bit_length()}; }

bool IpPrefix::Contains(const IpAddress& ip) const {
  if (ip.family != address.family) return false;
  for (int bit = 0; bit < length; ++bit) {
    uint8_t mask = 0x80 >> (bit % 8);
    if ((ip.bytes[bit / 8] & mask) != (address.bytes[bit / 8] & mask)) return false;
  }
  return true;
}

IpPrefix IpPrefix::Truncated(int to) const {
  IpPrefix out{address, to < length ? to : length};
  for (int bit = out.length; bit < address.bit_length(); ++bit) {
    out.address.bytes[bit / 8] &= static_cast<uint8_t>(~(0x80 >> (bit % 8)));
  }
  return out;
}

std::string IpPrefix::ToString() const { return absl::StrCat(address.ToString(), "/", length); }

}  // namespace raven

#include "common/ip_prefix.h"

#include <arpa/inet.h>

#include <algorithm>

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

bool IsUnicastHost(const IpAddress& ip) {
  const auto& b = ip.bytes;
  if (ip.family == IpFamily::kV4) {
    if (b[0] == 0 || b[0] == 127 || b[0] >= 224) return false;  // this network, loopback, class D/E
    return !(b[0] == 169 && b[1] == 254);                       // link-local
  }
  if (b[0] == 0xff) return false;                           // multicast
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return false;  // link-local fe80::/10
  bool zero_head = std::all_of(b.begin(), b.end() - 1, [](uint8_t x) { return x == 0; });
  return !(zero_head && (b[15] == 0 || b[15] == 1));  // :: and ::1
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

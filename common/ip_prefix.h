// IPv4/IPv6 addresses and CIDR prefixes, parsed strictly from text.
#ifndef RAVEN_COMMON_IP_PREFIX_H_
#define RAVEN_COMMON_IP_PREFIX_H_

#include <array>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace raven {

enum class IpFamily : uint8_t { kV4 = 4, kV6 = 6 };

struct IpAddress {
  IpFamily family = IpFamily::kV4;
  // Network byte order; IPv4 uses the first 4 bytes, the rest stay zero.
  std::array<uint8_t, 16> bytes{};

  static absl::StatusOr<IpAddress> Parse(absl::string_view text);
  int bit_length() const { return family == IpFamily::kV4 ? 32 : 128; }
  std::string ToString() const;

  friend bool operator==(const IpAddress& a, const IpAddress& b) {
    return a.family == b.family && a.bytes == b.bytes;
  }
  friend bool operator!=(const IpAddress& a, const IpAddress& b) { return !(a == b); }
  friend bool operator<(const IpAddress& a, const IpAddress& b) {
    return a.family != b.family ? a.family < b.family : a.bytes < b.bytes;
  }
};

// Whether `ip` can be one host's address: not unspecified, loopback,
// link-local, multicast or the IPv4 limited broadcast.
bool IsUnicastHost(const IpAddress& ip);

// A CIDR prefix with the host bits cleared.
struct IpPrefix {
  IpAddress address;
  int length = 0;

  // Accepts "a.b.c.d/n", "x::y/n", or a bare address (a host prefix). Host
  // bits must be zero: "10.0.0.1/8" is an error, as Kubernetes validation says.
  static absl::StatusOr<IpPrefix> Parse(absl::string_view text);
  static IpPrefix Host(const IpAddress& address);
  IpFamily family() const { return address.family; }
  bool Contains(const IpAddress& ip) const;
  // Whether the two share an address: one contains the other (or they are equal).
  bool Overlaps(const IpPrefix& other) const {
    return Contains(other.address) || other.Contains(address);
  }
  // The prefix of `length` bits (at most this one's) that contains this one.
  IpPrefix Truncated(int length) const;
  std::string ToString() const;

  friend bool operator==(const IpPrefix& a, const IpPrefix& b) {
    return a.address == b.address && a.length == b.length;
  }
  friend bool operator!=(const IpPrefix& a, const IpPrefix& b) { return !(a == b); }
  friend bool operator<(const IpPrefix& a, const IpPrefix& b) {
    return a.address != b.address ? a.address < b.address : a.length < b.length;
  }
  template <typename H>
  friend H AbslHashValue(H h, const IpPrefix& p) {
    return H::combine(std::move(h), p.address.family, p.address.bytes, p.length);
  }
};

}  // namespace raven

#endif  // RAVEN_COMMON_IP_PREFIX_H_

#include "tests/bpf/packet_checks.h"

#include <netinet/in.h>

#include <cstring>

#include "tests/bpf/checksum.h"

namespace raven::bpf::testing {
namespace {

constexpr size_t kEthernetLength = 14;
constexpr size_t kIpv4Length = 20;
constexpr size_t kIpv6Length = 40;

bool IsIpv4(const Bytes& frame) { return frame.at(12) == 0x08 && frame.at(13) == 0x00; }

bool IsIpv6(const Bytes& frame) { return frame.at(12) == 0x86 && frame.at(13) == 0xdd; }

size_t L4Offset(const Bytes& frame) {
  return kEthernetLength + (IsIpv4(frame) ? kIpv4Length : kIpv6Length);
}

uint8_t ProtocolOf(const Bytes& frame) {
  return frame.at(kEthernetLength + (IsIpv4(frame) ? 9 : 6));
}

IpAddress AddressAt(const Bytes& frame, size_t offset, IpFamily family) {
  IpAddress address;
  address.family = family;
  std::memcpy(address.bytes.data(), &frame.at(offset), family == IpFamily::kV4 ? 4 : 16);
  return address;
}

}  // namespace

bool IpHeaderTruncated(const Bytes& frame) {
  if (frame.size() < kEthernetLength) return false;
  if (IsIpv4(frame)) return frame.size() < kEthernetLength + kIpv4Length;
  return IsIpv6(frame) && frame.size() < kEthernetLength + kIpv6Length;
}

bool IsCompleteIpPacket(const Bytes& frame) {
  if (frame.size() < kEthernetLength || IpHeaderTruncated(frame)) return false;
  const bool v4 = IsIpv4(frame);
  if (!v4 && !IsIpv6(frame)) return false;
  const size_t length_at = kEthernetLength + (v4 ? 2 : 4);
  const size_t ip_length = (frame[length_at] << 8 | frame[length_at + 1]) + (v4 ? 0 : kIpv6Length);
  return frame.size() == kEthernetLength + ip_length;
}

uint8_t TtlOf(const Bytes& frame) { return frame.at(kEthernetLength + (IsIpv4(frame) ? 8 : 7)); }

bool IpHeaderChecksumValid(const Bytes& frame) {
  if (!IsIpv4(frame)) return true;
  return ChecksumFinish(ChecksumAdd(0, &frame.at(kEthernetLength), kIpv4Length)) == 0;
}

bool L4ChecksumValid(const Bytes& frame) {
  const size_t l4 = L4Offset(frame);
  const uint8_t protocol = ProtocolOf(frame);
  const size_t length = frame.size() - l4;
  uint32_t sum = 0;
  if (protocol != IPPROTO_ICMP) {
    const bool v4 = IsIpv4(frame);
    const IpFamily family = v4 ? IpFamily::kV4 : IpFamily::kV6;
    const size_t src = kEthernetLength + (v4 ? 12 : 8);
    const size_t dst = kEthernetLength + (v4 ? 16 : 24);
    sum = PseudoHeaderSum(AddressAt(frame, src, family), AddressAt(frame, dst, family), protocol,
                          length);
  }
  return ChecksumFinish(ChecksumAdd(sum, &frame.at(l4), length)) == 0;
}

std::optional<uint16_t> TcpMssOf(const Bytes& frame) {
  if (ProtocolOf(frame) != IPPROTO_TCP) return std::nullopt;
  const size_t l4 = L4Offset(frame);
  const size_t options_end = l4 + (frame.at(l4 + 12) >> 4) * 4;
  for (size_t i = l4 + 20; i < options_end && frame.at(i) != 0;) {
    if (frame.at(i) == 1) {  // NOP
      ++i;
      continue;
    }
    if (frame.at(i) == 2) return (frame.at(i + 2) << 8) | frame.at(i + 3);
    if (frame.at(i + 1) < 2) break;  // malformed length: stop rather than loop
    i += frame.at(i + 1);
  }
  return std::nullopt;
}

}  // namespace raven::bpf::testing

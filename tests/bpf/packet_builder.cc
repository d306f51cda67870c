#include "tests/bpf/packet_builder.h"

#include <netinet/in.h>

#include <algorithm>

#include "tests/bpf/checksum.h"

namespace raven::bpf::testing {
namespace {

constexpr uint8_t kDstMac[] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};
constexpr uint8_t kSrcMac[] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
constexpr uint16_t kEtherTypeIpv4 = 0x0800;
constexpr uint16_t kEtherTypeIpv6 = 0x86dd;
constexpr uint16_t kEtherTypeArp = 0x0806;

void Put16(Bytes& out, uint16_t value) {
  out.push_back(value >> 8);
  out.push_back(value & 0xff);
}

void Put32(Bytes& out, uint32_t value) {
  Put16(out, value >> 16);
  Put16(out, value & 0xffff);
}

void PutBytes(Bytes& out, const uint8_t* data, size_t length) {
  out.insert(out.end(), data, data + length);
}

Bytes EthernetHeader(uint16_t ether_type) {
  Bytes eth;
  PutBytes(eth, kDstMac, sizeof(kDstMac));
  PutBytes(eth, kSrcMac, sizeof(kSrcMac));
  Put16(eth, ether_type);
  return eth;
}

IpAddress ParseAddress(absl::string_view text) { return IpAddress::Parse(text).value(); }

}  // namespace

Bytes MssOption(uint16_t mss) {
  return {2, 4, static_cast<uint8_t>(mss >> 8), static_cast<uint8_t>(mss)};
}

Bytes NopOption() { return {1}; }

Bytes SackPermittedOption() { return {4, 2}; }

Bytes TimestampOption(uint32_t value, uint32_t echo) {
  Bytes option = {8, 10};
  Put32(option, value);
  Put32(option, echo);
  return option;
}

Bytes Concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& part : parts) out.insert(out.end(), part.begin(), part.end());
  return out;
}

PacketBuilder PacketBuilder::Ipv4(absl::string_view src, absl::string_view dst) {
  return PacketBuilder(ParseAddress(src), ParseAddress(dst));
}

PacketBuilder PacketBuilder::Ipv6(absl::string_view src, absl::string_view dst) {
  return PacketBuilder(ParseAddress(src), ParseAddress(dst));
}

PacketBuilder& PacketBuilder::Ttl(uint8_t ttl) {
  ttl_ = ttl;
  return *this;
}

PacketBuilder& PacketBuilder::Tcp(uint16_t sport, uint16_t dport, uint8_t flags, Bytes options) {
  while (options.size() % 4) options.push_back(0);  // EOL padding
  protocol_ = IPPROTO_TCP;
  l4_header_.clear();
  Put16(l4_header_, sport);
  Put16(l4_header_, dport);
  Put32(l4_header_, 0x01020304);                          // sequence number
  Put32(l4_header_, (flags & kTcpAck) ? 0x0a0b0c0d : 0);  // acknowledgment number
  l4_header_.push_back(((20 + options.size()) / 4) << 4);
  l4_header_.push_back(flags);
  Put16(l4_header_, 64240);  // window
  Put16(l4_header_, 0);      // checksum
  Put16(l4_header_, 0);      // urgent pointer
  l4_header_.insert(l4_header_.end(), options.begin(), options.end());
  l4_checksum_offset_ = 16;
  return *this;
}

PacketBuilder& PacketBuilder::Udp(uint16_t sport, uint16_t dport) {
  protocol_ = IPPROTO_UDP;
  l4_header_.clear();
  Put16(l4_header_, sport);
  Put16(l4_header_, dport);
  Put16(l4_header_, 0);  // length, filled in by BuildL4
  Put16(l4_header_, 0);  // checksum
  l4_checksum_offset_ = 6;
  return *this;
}

PacketBuilder& PacketBuilder::Icmp() {
  const bool v4 = src_.family == IpFamily::kV4;
  protocol_ = v4 ? uint8_t{IPPROTO_ICMP} : uint8_t{IPPROTO_ICMPV6};
  l4_header_ = {static_cast<uint8_t>(v4 ? 8 : 128), 0, 0, 0};  // echo request, checksum 0
  Put16(l4_header_, 1);                                        // identifier
  Put16(l4_header_, 1);                                        // sequence number
  l4_checksum_offset_ = 2;
  return *this;
}

PacketBuilder& PacketBuilder::Payload(Bytes payload) {
  payload_ = std::move(payload);
  return *this;
}

Bytes PacketBuilder::BuildL4() const {
  if (l4_header_.empty()) return payload_;  // no L4 header chosen: nothing to checksum
  Bytes l4 = l4_header_;
  l4.insert(l4.end(), payload_.begin(), payload_.end());
  if (protocol_ == IPPROTO_UDP) {
    l4[4] = l4.size() >> 8;
    l4[5] = l4.size() & 0xff;
  }
  const uint32_t pseudo =
      protocol_ == IPPROTO_ICMP ? 0 : PseudoHeaderSum(src_, dst_, protocol_, l4.size());
  uint16_t checksum = ChecksumFinish(ChecksumAdd(pseudo, l4.data(), l4.size()));
  if (protocol_ == IPPROTO_UDP && checksum == 0) checksum = 0xffff;  // 0 means "none" in UDP
  l4[l4_checksum_offset_] = checksum >> 8;
  l4[l4_checksum_offset_ + 1] = checksum & 0xff;
  return l4;
}

Bytes PacketBuilder::BuildIpHeader(size_t l4_length) const {
  Bytes ip;
  if (src_.family == IpFamily::kV4) {
    ip = {0x45, 0};  // version 4, 20-byte header, TOS 0
    Put16(ip, 20 + l4_length);
    Put16(ip, 0x1234);  // identification
    Put16(ip, 0x4000);  // don't fragment
    ip.push_back(ttl_);
    ip.push_back(protocol_);
    Put16(ip, 0);  // header checksum
    PutBytes(ip, src_.bytes.data(), 4);
    PutBytes(ip, dst_.bytes.data(), 4);
    const uint16_t checksum = ChecksumFinish(ChecksumAdd(0, ip.data(), ip.size()));
    ip[10] = checksum >> 8;
    ip[11] = checksum & 0xff;
    return ip;
  }
  Put32(ip, 0x60000000);  // version 6, traffic class and flow label 0
  Put16(ip, l4_length);
  ip.push_back(protocol_);
  ip.push_back(ttl_);
  PutBytes(ip, src_.bytes.data(), 16);
  PutBytes(ip, dst_.bytes.data(), 16);
  return ip;
}

Bytes PacketBuilder::Build() const {
  const Bytes l4 = BuildL4();
  return Concat({EthernetHeader(src_.family == IpFamily::kV4 ? kEtherTypeIpv4 : kEtherTypeIpv6),
                 BuildIpHeader(l4.size()), l4});
}

Bytes ArpRequest() {
  Bytes frame = EthernetHeader(kEtherTypeArp);
  Put16(frame, 1);       // hardware type: Ethernet
  Put16(frame, 0x0800);  // protocol type: IPv4
  frame.push_back(6);    // hardware address length
  frame.push_back(4);    // protocol address length
  Put16(frame, 1);       // operation: request
  PutBytes(frame, kSrcMac, sizeof(kSrcMac));
  PutBytes(frame, ParseAddress("10.0.0.1").bytes.data(), 4);
  frame.insert(frame.end(), 6, 0);  // target hardware address: unknown
  PutBytes(frame, ParseAddress("10.20.5.9").bytes.data(), 4);
  return frame;
}

Bytes Truncated(const Bytes& frame, size_t length) {
  return Bytes(frame.begin(), frame.begin() + std::min(length, frame.size()));
}

}  // namespace raven::bpf::testing

// Builds the Ethernet frames fed to the TC programs: IPv4 or IPv6 carrying
// TCP (with options), UDP or ICMP, with correct IP header and L4 checksums,
// plus non-IP and truncated frames.
#ifndef RAVEN_TESTS_BPF_PACKET_BUILDER_H_
#define RAVEN_TESTS_BPF_PACKET_BUILDER_H_

#include <cstdint>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/ip_prefix.h"

namespace raven::bpf::testing {

using Bytes = std::vector<uint8_t>;

inline constexpr uint8_t kTcpSyn = 0x02;
inline constexpr uint8_t kTcpAck = 0x10;

// TCP options, concatenated in the order given to PacketBuilder::Tcp.
Bytes MssOption(uint16_t mss);
Bytes NopOption();
Bytes SackPermittedOption();
Bytes TimestampOption(uint32_t value, uint32_t echo);
Bytes Concat(std::initializer_list<Bytes> parts);

class PacketBuilder {
 public:
  // Addresses are literals ("10.0.0.1", "fd00::1"); an invalid one aborts the test.
  static PacketBuilder Ipv4(absl::string_view src, absl::string_view dst);
  static PacketBuilder Ipv6(absl::string_view src, absl::string_view dst);

  PacketBuilder& Ttl(uint8_t ttl);  // the hop limit for IPv6; default 64
  // Options are padded with EOL to a multiple of 4 bytes.
  PacketBuilder& Tcp(uint16_t sport, uint16_t dport, uint8_t flags, Bytes options = {});
  PacketBuilder& Udp(uint16_t sport, uint16_t dport);
  PacketBuilder& Icmp();  // an echo request: ICMP for IPv4, ICMPv6 for IPv6
  PacketBuilder& Payload(Bytes payload);

  Bytes Build() const;

 private:
  PacketBuilder(IpAddress src, IpAddress dst) : src_(src), dst_(dst) {}
  Bytes BuildL4() const;
  Bytes BuildIpHeader(size_t l4_length) const;

  IpAddress src_;
  IpAddress dst_;
  uint8_t ttl_ = 64;
  uint8_t protocol_ = 0;
  Bytes l4_header_;  // without checksum; filled in by Build
  size_t l4_checksum_offset_ = 0;
  Bytes payload_;
};

// An ARP request from 10.0.0.1 for 10.20.5.9: a frame that is not IP.
Bytes ArpRequest();

// The first length bytes of frame: a frame cut inside its headers.
Bytes Truncated(const Bytes& frame, size_t length);

}  // namespace raven::bpf::testing

#endif  // RAVEN_TESTS_BPF_PACKET_BUILDER_H_

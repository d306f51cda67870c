// Reads back the fields the TC programs rewrite in a frame built by
// PacketBuilder (Ethernet + IPv4 without options or IPv6 without extension
// headers) and recomputes its checksums.
#ifndef RAVEN_TESTS_BPF_PACKET_CHECKS_H_
#define RAVEN_TESTS_BPF_PACKET_CHECKS_H_

#include <cstdint>
#include <optional>

#include "tests/bpf/packet_builder.h"

namespace raven::bpf::testing {

// True for a frame whose EtherType says IPv4 or IPv6 but that ends before the
// fixed IP header does.
bool IpHeaderTruncated(const Bytes& frame);

// True for an IPv4 or IPv6 frame whose IP length covers exactly the rest of
// the frame; the functions below are only meaningful for such frames.
bool IsCompleteIpPacket(const Bytes& frame);

// The IPv4 TTL or the IPv6 hop limit.
uint8_t TtlOf(const Bytes& frame);

// True when the IPv4 header checksum is correct; always true for IPv6.
bool IpHeaderChecksumValid(const Bytes& frame);

// True when the TCP, UDP or ICMP checksum over the whole L4 segment (with the
// pseudo header where the protocol has one) is correct.
bool L4ChecksumValid(const Bytes& frame);

// The value of the TCP MSS option, if the frame is TCP and carries one.
std::optional<uint16_t> TcpMssOf(const Bytes& frame);

}  // namespace raven::bpf::testing

#endif  // RAVEN_TESTS_BPF_PACKET_CHECKS_H_

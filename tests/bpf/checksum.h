// The Internet checksum (RFC 1071) over packet bytes, for building test frames
// and for checking the frames the BPF programs return.
#ifndef RAVEN_TESTS_BPF_CHECKSUM_H_
#define RAVEN_TESTS_BPF_CHECKSUM_H_

#include <cstddef>
#include <cstdint>

#include "common/ip_prefix.h"

namespace raven::bpf::testing {

// Adds data, read as big-endian 16-bit words, to a running 32-bit sum.
uint32_t ChecksumAdd(uint32_t sum, const uint8_t* data, size_t length);

// Folds a running sum and complements it: the value to store in a checksum
// field, in host order. Over bytes that include a correct checksum it is 0.
uint16_t ChecksumFinish(uint32_t sum);

// The running sum of the TCP/UDP/ICMPv6 pseudo header.
uint32_t PseudoHeaderSum(const IpAddress& src, const IpAddress& dst, uint8_t protocol,
                         uint32_t l4_length);

}  // namespace raven::bpf::testing

#endif  // RAVEN_TESTS_BPF_CHECKSUM_H_

#include "tests/bpf/checksum.h"

namespace raven::bpf::testing {

uint32_t ChecksumAdd(uint32_t sum, const uint8_t* data, size_t length) {
  for (size_t i = 0; i + 1 < length; i += 2) sum += (data[i] << 8) | data[i + 1];
  if (length % 2) sum += data[length - 1] << 8;
  return sum;
}

uint16_t ChecksumFinish(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

uint32_t PseudoHeaderSum(const IpAddress& src, const IpAddress& dst, uint8_t protocol,
                         uint32_t l4_length) {
  const size_t address_length = src.family == IpFamily::kV4 ? 4 : 16;
  uint32_t sum = ChecksumAdd(0, src.bytes.data(), address_length);
  sum = ChecksumAdd(sum, dst.bytes.data(), address_length);
  return sum + protocol + (l4_length >> 16) + (l4_length & 0xffff);
}

}  // namespace raven::bpf::testing

// What the generic netlink message tests share: a family id, a device name,
// keys and prefixes from short literals, and decoding a whole message.
#ifndef RAVEN_TESTS_UNIT_WIREGUARD_GENL_TEST_UTIL_H_
#define RAVEN_TESTS_UNIT_WIREGUARD_GENL_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "daemon/wireguard/genl_messages.h"

namespace raven::wg::genl::testing {

inline constexpr uint16_t kFamily = 0x1234;
inline const std::string kIfname = "raven-wg0";

inline Key KeyOf(uint8_t fill) {
  Key key;
  key.bytes.fill(fill);
  return key;
}

inline IpPrefix P(const std::string& text) { return IpPrefix::Parse(text).value(); }

inline Device Decode(const nl::Request& msg) {
  Device device;
  absl::Status status = DecodeDeviceMessage(*msg.nlh(), device);
  EXPECT_TRUE(status.ok()) << status;
  return device;
}

}  // namespace raven::wg::genl::testing

#endif  // RAVEN_TESTS_UNIT_WIREGUARD_GENL_TEST_UTIL_H_

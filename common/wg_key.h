// A WireGuard key: 32 bytes (a Curve25519 value) and its text forms. Shared
// by the Gateway model (a node's public key travels in its Gateway) and the
// agent's WireGuard layer; key generation lives in daemon/wireguard/keys.h.
#ifndef RAVEN_COMMON_WG_KEY_H_
#define RAVEN_COMMON_WG_KEY_H_

#include <array>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace raven::wg {

inline constexpr size_t kKeyLen = 32;

struct Key {
  std::array<uint8_t, kKeyLen> bytes{};

  // Standard base64 with padding (44 characters), as `wg` prints keys.
  std::string ToBase64() const;
  static absl::StatusOr<Key> FromBase64(absl::string_view text);
  // Lowercase hex (64 characters), as the UAPI protocol carries keys.
  std::string ToHex() const;
  static absl::StatusOr<Key> FromHex(absl::string_view text);

  bool IsZero() const;

  friend bool operator==(const Key& a, const Key& b) { return a.bytes == b.bytes; }
  friend bool operator!=(const Key& a, const Key& b) { return !(a == b); }
  friend bool operator<(const Key& a, const Key& b) { return a.bytes < b.bytes; }
  template <typename H>
  friend H AbslHashValue(H h, const Key& k) {
    return H::combine(std::move(h), k.bytes);
  }
};

}  // namespace raven::wg

#endif  // RAVEN_COMMON_WG_KEY_H_

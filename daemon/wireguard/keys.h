// WireGuard keys: 32-byte Curve25519 values, their text forms, and key generation.
#ifndef RAVEN_DAEMON_WIREGUARD_KEYS_H_
#define RAVEN_DAEMON_WIREGUARD_KEYS_H_

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

struct KeyPair {
  Key private_key;
  Key public_key;
};

// The private key with Curve25519 clamping applied, as WireGuard stores it.
Key Clamped(const Key& private_key);

// A fresh clamped private key from libsodium's CSPRNG and its public key.
absl::StatusOr<KeyPair> GenerateKeyPair();

// X25519 base-point multiplication (the scalar is clamped, as WireGuard does).
absl::StatusOr<Key> PublicKeyOf(const Key& private_key);

}  // namespace raven::wg

#endif  // RAVEN_DAEMON_WIREGUARD_KEYS_H_

// WireGuard key pairs and their generation (the key itself: common/wg_key.h).
#ifndef RAVEN_DAEMON_WIREGUARD_KEYS_H_
#define RAVEN_DAEMON_WIREGUARD_KEYS_H_

#include "absl/status/statusor.h"
#include "common/wg_key.h"

namespace raven::wg {

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

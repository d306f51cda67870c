#include "daemon/wireguard/keys.h"

#include <sodium.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace raven::wg {
namespace {

absl::Status InitSodium() {
  if (sodium_init() < 0) return absl::InternalError("libsodium initialisation failed");
  return absl::OkStatus();
}

}  // namespace

Key Clamped(const Key& private_key) {
  Key key = private_key;
  key.bytes[0] &= 248;
  key.bytes[31] &= 127;
  key.bytes[31] |= 64;
  return key;
}

absl::StatusOr<KeyPair> GenerateKeyPair() {
  RETURN_IF_ERROR(InitSodium());
  Key random;
  randombytes_buf(random.bytes.data(), random.bytes.size());
  KeyPair pair;
  pair.private_key = Clamped(random);
  sodium_memzero(random.bytes.data(), random.bytes.size());
  ASSIGN_OR_RETURN(pair.public_key, PublicKeyOf(pair.private_key));
  return pair;
}

absl::StatusOr<Key> PublicKeyOf(const Key& private_key) {
  RETURN_IF_ERROR(InitSodium());
  Key clamped = Clamped(private_key);
  Key public_key;
  int rc = crypto_scalarmult_curve25519_base(public_key.bytes.data(), clamped.bytes.data());
  sodium_memzero(clamped.bytes.data(), clamped.bytes.size());
  if (rc != 0) return absl::InvalidArgumentError("X25519 base-point multiplication failed");
  return public_key;
}

}  // namespace raven::wg

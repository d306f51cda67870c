#include "daemon/wireguard/keys.h"

#include <sodium.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace raven::wg {
namespace {

constexpr size_t kBase64Len = 44;  // 4 * ceil(32 / 3)
constexpr size_t kHexLen = 2 * kKeyLen;

absl::Status InitSodium() {
  if (sodium_init() < 0) return absl::InternalError("libsodium initialisation failed");
  return absl::OkStatus();
}

}  // namespace

std::string Key::ToBase64() const {
  char out[kBase64Len + 1];
  sodium_bin2base64(out, sizeof(out), bytes.data(), bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  return std::string(out, kBase64Len);
}

absl::StatusOr<Key> Key::FromBase64(absl::string_view text) {
  // The last character encodes 2 bits plus 4 zero bits, so only 1 in 16
  // letters is canonical; libsodium rejects the others.
  if (text.size() != kBase64Len || text.back() != '=') {
    return absl::InvalidArgumentError(
        absl::StrCat("WireGuard key must be 44 base64 characters, got ", text.size()));
  }
  Key key;
  size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(key.bytes.data(), key.bytes.size(), text.data(), text.size(), nullptr, &len,
                        &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
      len != kKeyLen || end != text.data() + text.size()) {
    return absl::InvalidArgumentError("WireGuard key is not valid base64");
  }
  return key;
}

std::string Key::ToHex() const {
  char out[kHexLen + 1];
  sodium_bin2hex(out, sizeof(out), bytes.data(), bytes.size());
  return std::string(out, kHexLen);
}

absl::StatusOr<Key> Key::FromHex(absl::string_view text) {
  if (text.size() != kHexLen) {
    return absl::InvalidArgumentError(
        absl::StrCat("WireGuard key must be 64 hex digits, got ", text.size()));
  }
  Key key;
  size_t len = 0;
  const char* end = nullptr;
  if (sodium_hex2bin(key.bytes.data(), key.bytes.size(), text.data(), text.size(), nullptr, &len,
                     &end) != 0 ||
      len != kKeyLen || end != text.data() + text.size()) {
    return absl::InvalidArgumentError("WireGuard key is not valid hex");
  }
  return key;
}

bool Key::IsZero() const { return sodium_is_zero(bytes.data(), bytes.size()) == 1; }

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

#include "common/wg_key.h"

#include <sodium.h>

#include "absl/strings/str_cat.h"

namespace raven::wg {
namespace {

constexpr size_t kBase64Len = 44;  // 4 * ceil(32 / 3)
constexpr size_t kHexLen = 2 * kKeyLen;

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

}  // namespace raven::wg

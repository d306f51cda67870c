#include "daemon/nat_relay/registration.h"

#include <sodium.h>
#include <string.h>

#include "absl/status/status.h"

namespace raven::nat_relay {
namespace {

constexpr uint8_t kMagic[4] = {'R', 'V', 'R', 'L'};
constexpr uint8_t kVersion = 1;
constexpr size_t kMacOffset = kRegistrationSize - 16;
constexpr char kKdfLabel[] = "raven nat relay registration v1";

uint64_t LoadBe64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

void StoreBe64(uint8_t* p, uint64_t v) {
  for (int i = 7; i >= 0; --i, v >>= 8) p[i] = static_cast<uint8_t>(v);
}

// The common head: magic, version, type, relay port, counter.
std::array<uint8_t, kRegistrationSize> Head(RegistrationType type, uint16_t port,
                                            uint64_t counter) {
  std::array<uint8_t, kRegistrationSize> out{};
  memcpy(out.data(), kMagic, sizeof(kMagic));
  out[4] = kVersion;
  out[5] = static_cast<uint8_t>(type);
  out[6] = static_cast<uint8_t>(port >> 8);
  out[7] = static_cast<uint8_t>(port);
  StoreBe64(&out[8], counter);
  return out;
}

void Seal(std::array<uint8_t, kRegistrationSize>& out, const RegistrationKey& key) {
  crypto_generichash(&out[kMacOffset], 16, out.data(), kMacOffset, key.bytes.data(),
                     key.bytes.size());
}

// The type of a datagram with the magic, size and version, or none.
std::optional<RegistrationType> TypeOf(absl::Span<const uint8_t> datagram) {
  if (!LooksLikeRegistration(datagram) || datagram[4] != kVersion) return std::nullopt;
  if (datagram[5] < 1 || datagram[5] > 6) return std::nullopt;
  return static_cast<RegistrationType>(datagram[5]);
}

}  // namespace

absl::StatusOr<RegistrationKey> DeriveRegistrationKey(const wg::Key& own_private,
                                                      const wg::Key& other_public,
                                                      const wg::Key& sender_public,
                                                      const wg::Key& relay_public) {
  if (sodium_init() < 0) return absl::InternalError("libsodium initialisation failed");
  uint8_t shared[crypto_scalarmult_BYTES];
  // Fails for a low-order public key (an all-zero shared secret).
  if (crypto_scalarmult(shared, own_private.bytes.data(), other_public.bytes.data()) != 0) {
    return absl::InvalidArgumentError("X25519 with a low-order public key");
  }
  crypto_generichash_state state;
  crypto_generichash_init(&state, reinterpret_cast<const uint8_t*>(kKdfLabel),
                          sizeof(kKdfLabel) - 1, 32);
  crypto_generichash_update(&state, shared, sizeof(shared));
  crypto_generichash_update(&state, sender_public.bytes.data(), sender_public.bytes.size());
  crypto_generichash_update(&state, relay_public.bytes.data(), relay_public.bytes.size());
  RegistrationKey key;
  crypto_generichash_final(&state, key.bytes.data(), key.bytes.size());
  sodium_memzero(shared, sizeof(shared));
  return key;
}

std::array<uint8_t, kRegistrationSize> EncodeRegistration(const Registration& r,
                                                          const RegistrationKey& key) {
  std::array<uint8_t, kRegistrationSize> out = Head(r.type, r.relay_port, r.counter);
  memcpy(&out[16], r.sender.bytes.data(), r.sender.bytes.size());
  Seal(out, key);
  return out;
}

std::array<uint8_t, kRegistrationSize> EncodeAck(const RegistrationAck& ack,
                                                 const RegistrationKey& key) {
  std::array<uint8_t, kRegistrationSize> out = Head(ack.type, ack.relay_port, ack.counter);
  out[16] = ack.observed.ip.family == IpFamily::kV6 ? 6 : 4;
  out[18] = static_cast<uint8_t>(ack.observed.port >> 8);
  out[19] = static_cast<uint8_t>(ack.observed.port);
  memcpy(&out[20], ack.observed.ip.bytes.data(), 16);
  if (ack.type == RegistrationType::kAck && ack.peer && ack.peer->ip.family == IpFamily::kV4) {
    out[36] = 4;
    out[38] = static_cast<uint8_t>(ack.peer->port >> 8);
    out[39] = static_cast<uint8_t>(ack.peer->port);
    memcpy(&out[40], ack.peer->ip.bytes.data(), 4);
  }
  if (ack.type == RegistrationType::kAck && ack.filter_acks) out[44] = 1;
  Seal(out, key);
  return out;
}

bool LooksLikeRegistration(absl::Span<const uint8_t> datagram) {
  return datagram.size() == kRegistrationSize && memcmp(datagram.data(), kMagic, 4) == 0;
}

std::optional<Registration> ParseRegistration(absl::Span<const uint8_t> datagram) {
  std::optional<RegistrationType> type = TypeOf(datagram);
  if (!type || *type == RegistrationType::kAck || *type == RegistrationType::kDirectAck) {
    return std::nullopt;
  }
  Registration r;
  r.type = *type;
  r.relay_port = static_cast<uint16_t>(datagram[6] << 8 | datagram[7]);
  r.counter = LoadBe64(&datagram[8]);
  memcpy(r.sender.bytes.data(), &datagram[16], r.sender.bytes.size());
  return r;
}

std::optional<RegistrationAck> ParseAck(absl::Span<const uint8_t> datagram) {
  std::optional<RegistrationType> type = TypeOf(datagram);
  if (type != RegistrationType::kAck && type != RegistrationType::kDirectAck) return std::nullopt;
  if (datagram[16] != 4 && datagram[16] != 6) return std::nullopt;
  RegistrationAck ack;
  ack.type = *type;
  ack.relay_port = static_cast<uint16_t>(datagram[6] << 8 | datagram[7]);
  ack.counter = LoadBe64(&datagram[8]);
  ack.observed.ip.family = datagram[16] == 6 ? IpFamily::kV6 : IpFamily::kV4;
  ack.observed.port = static_cast<uint16_t>(datagram[18] << 8 | datagram[19]);
  memcpy(ack.observed.ip.bytes.data(), &datagram[20],
         ack.observed.ip.family == IpFamily::kV6 ? 16 : 4);
  if (ack.type == RegistrationType::kAck && datagram[36] == 4) {
    UdpAddress peer;
    peer.port = static_cast<uint16_t>(datagram[38] << 8 | datagram[39]);
    memcpy(peer.ip.bytes.data(), &datagram[40], 4);
    ack.peer = peer;
  }
  ack.filter_acks = ack.type == RegistrationType::kAck && datagram[44] == 1;
  return ack;
}

bool CounterNearClock(uint64_t counter, absl::Time now, absl::Duration window) {
  if (counter > INT64_MAX) return false;
  return absl::AbsDuration(absl::FromUnixNanos(static_cast<int64_t>(counter)) - now) <= window;
}

bool VerifyRegistration(absl::Span<const uint8_t> datagram, const RegistrationKey& key) {
  if (datagram.size() != kRegistrationSize) return false;
  uint8_t mac[16];
  crypto_generichash(mac, sizeof(mac), datagram.data(), kMacOffset, key.bytes.data(),
                     key.bytes.size());
  return crypto_verify_16(mac, &datagram[kMacOffset]) == 0;
}

}  // namespace raven::nat_relay

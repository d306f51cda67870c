#include "daemon/wireguard/uapi_protocol.h"

#include <cstdint>
#include <cstdlib>
#include <limits>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"
#include "daemon/wireguard/endpoint.h"

namespace raven::wg::uapi {
namespace {

// `line` is quoted in the error, so never pass one that holds a secret.
absl::Status Malformed(absl::string_view line, absl::string_view why) {
  return absl::InternalError(absl::StrCat("malformed UAPI response \"", line, "\": ", why));
}

// The status for "errno=N" (OK for 0).
absl::Status ErrnoStatus(absl::string_view line, absl::string_view value) {
  int64_t code = 0;
  if (!absl::SimpleAtoi(value, &code)) return Malformed(line, "bad errno");
  if (code == 0) return absl::OkStatus();
  int err = static_cast<int>(std::llabs(code));
  return absl::ErrnoToStatus(err, absl::StrCat("wireguard-go UAPI errno=", code));
}

template <typename T>
absl::Status ParseNumber(absl::string_view line, absl::string_view value, T* out) {
  uint64_t n = 0;
  if (!absl::SimpleAtoi(value, &n) || n > static_cast<uint64_t>(std::numeric_limits<T>::max())) {
    return Malformed(line, "bad number");
  }
  *out = static_cast<T>(n);
  return absl::OkStatus();
}

// Applies one key=value line of a get response to `state`.
absl::Status ApplyLine(absl::string_view line, absl::string_view key, absl::string_view value,
                       DeviceState& state) {
  PeerStatus* peer = state.peers.empty() ? nullptr : &state.peers.back();
  if (key == "public_key") {
    absl::StatusOr<Key> public_key = Key::FromHex(value);
    if (!public_key.ok()) return Malformed(line, public_key.status().message());
    state.peers.emplace_back().config.public_key = *public_key;
    return absl::OkStatus();
  }
  if (peer == nullptr) {  // device section
    if (key == "private_key") {
      absl::StatusOr<Key> private_key = Key::FromHex(value);
      if (!private_key.ok()) return Malformed("private_key=<redacted>", "bad key");
      if (!private_key->IsZero()) state.private_key = *private_key;
      return absl::OkStatus();
    }
    if (key == "listen_port") return ParseNumber(line, value, &state.listen_port);
    if (key == "fwmark") return ParseNumber(line, value, &state.fwmark);
    return absl::OkStatus();  // keys newer than us
  }
  if (key == "endpoint") {
    absl::StatusOr<Endpoint> endpoint = Endpoint::Parse(value);
    if (!endpoint.ok()) return Malformed(line, endpoint.status().message());
    peer->config.endpoint = endpoint->ToString();
  } else if (key == "allowed_ip") {
    absl::StatusOr<IpPrefix> prefix = IpPrefix::Parse(value);
    if (!prefix.ok()) return Malformed(line, prefix.status().message());
    peer->config.allowed_ips.push_back(*prefix);
  } else if (key == "persistent_keepalive_interval") {
    return ParseNumber(line, value, &peer->config.persistent_keepalive_seconds);
  } else if (key == "last_handshake_time_sec" || key == "last_handshake_time_nsec") {
    int64_t n = 0;
    RETURN_IF_ERROR(ParseNumber(line, value, &n));
    peer->last_handshake_unix_nanos += key == "last_handshake_time_sec" ? n * 1000000000 : n;
  } else if (key == "rx_bytes") {
    return ParseNumber(line, value, &peer->rx_bytes);
  } else if (key == "tx_bytes") {
    return ParseNumber(line, value, &peer->tx_bytes);
  }
  return absl::OkStatus();  // preshared_key, protocol_version, newer keys
}

}  // namespace

std::string EncodeSetDevice(const DeviceSettings& settings) {
  std::string out = "set=1\n";
  if (settings.private_key)
    absl::StrAppend(&out, "private_key=", settings.private_key->ToHex(), "\n");
  if (settings.listen_port) absl::StrAppend(&out, "listen_port=", *settings.listen_port, "\n");
  if (settings.fwmark) absl::StrAppend(&out, "fwmark=", *settings.fwmark, "\n");
  out += "\n";
  return out;
}

absl::StatusOr<std::string> EncodeUpsertPeers(const std::vector<PeerConfig>& peers) {
  RETURN_IF_ERROR(ValidatePeers(peers));
  std::string out = "set=1\n";
  for (const PeerConfig& peer : peers) {
    absl::StrAppend(&out, "public_key=", peer.public_key.ToHex(), "\n");
    if (peer.endpoint) {
      ASSIGN_OR_RETURN(Endpoint endpoint, Endpoint::Parse(*peer.endpoint));
      absl::StrAppend(&out, "endpoint=", endpoint.ToString(), "\n");
    }
    absl::StrAppend(&out, "persistent_keepalive_interval=", peer.persistent_keepalive_seconds,
                    "\nreplace_allowed_ips=true\n");
    for (const IpPrefix& prefix : peer.allowed_ips) {
      absl::StrAppend(&out, "allowed_ip=", prefix.ToString(), "\n");
    }
  }
  out += "\n";
  return out;
}

std::string EncodeRemovePeers(const std::vector<Key>& public_keys) {
  std::string out = "set=1\n";
  for (const Key& key : public_keys)
    absl::StrAppend(&out, "public_key=", key.ToHex(), "\nremove=true\n");
  out += "\n";
  return out;
}

bool ResponseComplete(absl::string_view buffer) { return absl::EndsWith(buffer, "\n\n"); }

absl::Status ParseSetResponse(absl::string_view response) {
  if (!absl::ConsumePrefix(&response, "errno=") || !absl::ConsumeSuffix(&response, "\n\n")) {
    return Malformed(response, "want errno=N");
  }
  return ErrnoStatus(response, response);
}

absl::StatusOr<DeviceState> ParseGetResponse(absl::string_view response) {
  if (!absl::ConsumeSuffix(&response, "\n\n")) return Malformed(response, "truncated");
  DeviceState state;
  bool saw_errno = false;
  for (absl::string_view line : absl::StrSplit(response, '\n')) {
    if (saw_errno) return Malformed(line, "after errno");
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(line, absl::MaxSplits('=', 1));
    if (kv.first.empty() || kv.first.size() == line.size())
      return Malformed(line, "want key=value");
    if (kv.first == "errno") {
      RETURN_IF_ERROR(ErrnoStatus(line, kv.second));
      saw_errno = true;
      continue;
    }
    RETURN_IF_ERROR(ApplyLine(line, kv.first, kv.second, state));
  }
  if (!saw_errno) return Malformed(response, "no errno line");
  Normalize(state.peers);
  return state;
}

}  // namespace raven::wg::uapi

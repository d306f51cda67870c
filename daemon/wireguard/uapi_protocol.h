// The text of wireguard-go's cross-platform UAPI protocol
// (https://www.wireguard.com/xplatform/): pure encoding and parsing, no I/O.
//
// A request is "get=1\n\n" or "set=1\n" + key=value lines + "\n"; every
// response ends with "errno=N\n\n" (wireguard-go sends N negative). Keys are
// lowercase hex. We never send replace_peers: peers change one at a time.
#ifndef RAVEN_DAEMON_WIREGUARD_UAPI_PROTOCOL_H_
#define RAVEN_DAEMON_WIREGUARD_UAPI_PROTOCOL_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "daemon/wireguard/device_state.h"

namespace raven::wg::uapi {

inline constexpr absl::string_view kGetRequest = "get=1\n\n";

std::string EncodeSetDevice(const DeviceSettings& settings);
// Per peer: public_key, endpoint (when given), persistent_keepalive_interval,
// replace_allowed_ips=true, then one allowed_ip line per prefix. Fails on
// peers ValidatePeers rejects.
absl::StatusOr<std::string> EncodeUpsertPeers(const std::vector<PeerConfig>& peers);
std::string EncodeRemovePeers(const std::vector<Key>& public_keys);

// True once `buffer` holds a whole response (it ends with a blank line).
bool ResponseComplete(absl::string_view buffer);
// OK for "errno=0"; the errno as a status otherwise.
absl::Status ParseSetResponse(absl::string_view response);
// Device fields and peers of a get response; peers are Normalize()d.
absl::StatusOr<DeviceState> ParseGetResponse(absl::string_view response);

}  // namespace raven::wg::uapi

#endif  // RAVEN_DAEMON_WIREGUARD_UAPI_PROTOCOL_H_

#include "daemon/wireguard/endpoint.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace raven::wg {

absl::StatusOr<Endpoint> Endpoint::Parse(absl::string_view text) {
  auto invalid = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("invalid endpoint \"", text, "\": ", why));
  };
  absl::string_view host;
  absl::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find("]:");
    if (close == absl::string_view::npos) return invalid("want [IPv6]:port");
    host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
  } else {
    size_t colon = text.rfind(':');
    if (colon == absl::string_view::npos) return invalid("missing :port");
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  }
  absl::StatusOr<IpAddress> address = IpAddress::Parse(host);
  if (!address.ok()) return invalid("bad address");
  bool bracketed = text.front() == '[';
  if ((address->family == IpFamily::kV6) != bracketed) {
    return invalid(bracketed ? "brackets are for IPv6 only" : "IPv6 needs brackets");
  }
  uint32_t port = 0;
  bool digits = !port_text.empty() && port_text.size() <= 5 &&
                std::all_of(port_text.begin(), port_text.end(), absl::ascii_isdigit);
  if (!digits || !absl::SimpleAtoi(port_text, &port) || port == 0 || port > 65535) {
    return invalid("bad port");
  }
  return Endpoint{*address, static_cast<uint16_t>(port)};
}

std::string Endpoint::ToString() const {
  if (address.family == IpFamily::kV6) return absl::StrCat("[", address.ToString(), "]:", port);
  return absl::StrCat(address.ToString(), ":", port);
}

}  // namespace raven::wg

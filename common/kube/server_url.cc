#include "common/kube/server_url.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace raven::kube {

absl::StatusOr<ServerUrl> ParseServerUrl(absl::string_view url) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("server \"", url, "\": ", why));
  };
  ServerUrl out;
  absl::string_view rest = url;
  if (absl::ConsumePrefix(&rest, "https://")) {
    out.https = true;
  } else if (absl::ConsumePrefix(&rest, "http://")) {
    out.https = false;
  } else if (absl::StrContains(rest, "://")) {
    return bad("scheme must be http or https");
  }
  size_t slash = rest.find('/');
  absl::string_view authority = rest.substr(0, slash);
  if (slash != absl::string_view::npos) {
    absl::string_view prefix = rest.substr(slash);
    while (absl::ConsumeSuffix(&prefix, "/")) {
    }
    if (absl::StrContains(prefix, "?") || absl::StrContains(prefix, "#")) {
      return bad("no query or fragment allowed");
    }
    out.path_prefix = std::string(prefix);
  }
  if (absl::StrContains(authority, "@")) return bad("user information is not supported");
  absl::string_view port_text;
  if (absl::ConsumePrefix(&authority, "[")) {
    size_t close = authority.find(']');
    if (close == absl::string_view::npos) return bad("unterminated [IPv6] host");
    out.host = std::string(authority.substr(0, close));
    absl::string_view after = authority.substr(close + 1);
    if (!after.empty() && !absl::ConsumePrefix(&after, ":")) return bad("junk after ]");
    port_text = after;
  } else {
    size_t colon = authority.rfind(':');
    if (colon != absl::string_view::npos && authority.find(':') != colon) {
      return bad("an IPv6 host must be in brackets");
    }
    out.host = std::string(authority.substr(0, colon));
    if (colon != absl::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (out.host.empty()) return bad("no host");
  out.port = out.https ? 443 : 80;
  if (!port_text.empty() &&
      (!absl::SimpleAtoi(port_text, &out.port) || out.port <= 0 || out.port > 65535)) {
    return bad("bad port");
  }
  return out;
}

}  // namespace raven::kube

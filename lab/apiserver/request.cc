#include "lab/apiserver/request.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace raven::apiserver {

std::string HttpRequest::Param(absl::string_view name) const {
  auto it = params.find(std::string(name));
  return it == params.end() ? "" : it->second;
}

bool HttpRequest::HasParam(absl::string_view name) const {
  return params.count(std::string(name)) != 0;
}

bool HttpRequest::BoolParam(absl::string_view name) const {
  std::string v = absl::AsciiStrToLower(Param(name));
  return v == "true" || v == "1";
}

std::optional<ResourcePath> ParseResourcePath(absl::string_view path) {
  std::vector<std::string> parts = absl::StrSplit(path, '/', absl::SkipEmpty());
  ResourcePath out;
  size_t i = 0;
  if (parts.size() >= 3 && parts[0] == "api") {
    out.version = parts[1];
    i = 2;
  } else if (parts.size() >= 4 && parts[0] == "apis") {
    out.group = parts[1];
    out.version = parts[2];
    i = 3;
  } else {
    return std::nullopt;
  }
  std::vector<std::string> rest(parts.begin() + static_cast<ptrdiff_t>(i), parts.end());
  // /api/v1/namespaces/<name>[/status|/finalize] is the Namespace itself.
  bool namespace_object = out.group.empty() && rest.size() >= 1 && rest.size() <= 3 &&
                          rest[0] == "namespaces" &&
                          (rest.size() < 3 || rest[2] == "status" || rest[2] == "finalize");
  if (!namespace_object && rest.size() >= 3 && rest[0] == "namespaces") {
    out.ns = rest[1];
    rest.erase(rest.begin(), rest.begin() + 2);
  }
  if (rest.empty() || rest.size() > 3) return std::nullopt;
  out.plural = rest[0];
  if (rest.size() >= 2) out.name = rest[1];
  if (rest.size() == 3) out.subresource = rest[2];
  return out;
}

Negotiation Negotiate(absl::string_view accept) {
  Negotiation n;
  for (absl::string_view entry : absl::StrSplit(accept, ',')) {
    std::vector<absl::string_view> fields = absl::StrSplit(entry, ';');
    std::string media = absl::AsciiStrToLower(absl::StripAsciiWhitespace(fields[0]));
    std::string as, g, v;
    for (size_t k = 1; k < fields.size(); ++k) {
      std::pair<std::string, std::string> kv =
          absl::StrSplit(absl::StripAsciiWhitespace(fields[k]), absl::MaxSplits('=', 1));
      if (kv.first == "as") as = kv.second;
      if (kv.first == "g") g = kv.second;
      if (kv.first == "v") v = kv.second;
    }
    if (media != "application/json" && media != "*/*" && media != "application/*") continue;
    if (as.empty()) return n;  // plain JSON is acceptable: the object itself
    if (g != "meta.k8s.io" || (v != "v1" && v != "v1beta1")) continue;
    if (as == "Table") {
      n.table = true;
      n.table_api_version = absl::StrCat("meta.k8s.io/", v);
      return n;
    }
    if (as == "PartialObjectMetadata" || as == "PartialObjectMetadataList") {
      n.partial_metadata = true;
      return n;
    }
  }
  return n;
}

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string PercentDecode(absl::string_view s, bool plus_is_space) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 && HexValue(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2])));
      i += 2;
    } else if (s[i] == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

}  // namespace

void SplitTarget(absl::string_view target, std::string& path,
                 std::multimap<std::string, std::string>& params) {
  size_t q = target.find('?');
  path = PercentDecode(target.substr(0, q), false);
  if (q == absl::string_view::npos) return;
  for (absl::string_view pair : absl::StrSplit(target.substr(q + 1), '&', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(pair, absl::MaxSplits('=', 1));
    params.emplace(PercentDecode(kv.first, true), PercentDecode(kv.second, true));
  }
}

std::string MediaType(absl::string_view content_type) {
  std::vector<absl::string_view> fields = absl::StrSplit(content_type, ';');
  return absl::AsciiStrToLower(absl::StripAsciiWhitespace(fields[0]));
}

}  // namespace raven::apiserver

#include "common/kube/resources/gateway_path.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/kube/resources/object_meta.h"
#include "common/status_macros.h"

namespace raven::kube {
namespace {

using json::Quoted;

constexpr PathKind kKinds[] = {PathKind::kDirect, PathKind::kHolePunched, PathKind::kRelay,
                               PathKind::kNone};

// What is wrong with an entry wherever it was read from, as (field, why).
std::optional<std::pair<const char*, std::string>> EntryProblem(const GatewayPath& p) {
  if (!IsObjectName(p.gateway)) {
    return std::make_pair("gateway", absl::StrCat(Quoted(p.gateway), " is not an object name"));
  }
  if (p.path == PathKind::kRelay && !IsObjectName(p.via)) {
    return std::make_pair("via",
                          absl::StrCat("a Relay path needs a Gateway name, not ", Quoted(p.via)));
  }
  if (!p.reason.empty() && p.reason != kReasonEndpointUnanswered && p.reason != kReasonDetour) {
    return std::make_pair("reason", absl::StrCat("unknown reason ", Quoted(p.reason)));
  }
  if (p.rtt_micros && (*p.rtt_micros < 0 || *p.rtt_micros > kMaxRttMicros)) {
    return std::make_pair("rttMicroseconds", absl::StrCat(*p.rtt_micros, " is out of range"));
  }
  if (p.loss_permille && (*p.loss_permille < 0 || *p.loss_permille > 1000)) {
    return std::make_pair("lossPermille", absl::StrCat(*p.loss_permille, " is out of range"));
  }
  if (p.rtt_micros.has_value() != p.loss_permille.has_value()) {
    return std::make_pair("rttMicroseconds", std::string("needs lossPermille, and the other way"));
  }
  if (p.path != PathKind::kRelay && !p.via.empty()) {
    return std::make_pair("via",
                          absl::StrCat(Quoted(p.via), " on a ", PathKindName(p.path), " path"));
  }
  return std::nullopt;
}

}  // namespace

const char* PathKindName(PathKind kind) {
  switch (kind) {
    case PathKind::kDirect:
      return "Direct";
    case PathKind::kHolePunched:
      return "HolePunched";
    case PathKind::kRelay:
      return "Relay";
    case PathKind::kNone:
      break;
  }
  return "None";
}

std::optional<PathKind> ParsePathKind(absl::string_view name) {
  for (PathKind kind : kKinds) {
    if (name == PathKindName(kind)) return kind;
  }
  return std::nullopt;
}

bool IsObjectName(absl::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  auto alnum = [](char c) { return absl::ascii_islower(c) || absl::ascii_isdigit(c); };
  if (!alnum(name.front()) || !alnum(name.back())) return false;
  return std::all_of(name.begin(), name.end(),
                     [&](char c) { return alnum(c) || c == '-' || c == '.'; });
}

std::string FormatPathsAnnotation(std::vector<GatewayPath> paths) {
  std::sort(paths.begin(), paths.end(),
            [](const GatewayPath& a, const GatewayPath& b) { return a.gateway < b.gateway; });
  std::string out;
  for (size_t i = 0; i < paths.size() && i < kMaxPathEntries; ++i) {
    absl::StrAppend(&out, i ? "," : "", paths[i].gateway, "=", PathKindName(paths[i].path),
                    paths[i].via.empty() ? "" : "/", paths[i].via,
                    paths[i].reason.empty() ? "" : ":", paths[i].reason);
    if (paths[i].rtt_micros && paths[i].loss_permille) {
      absl::StrAppend(&out, "@", *paths[i].rtt_micros, "+", *paths[i].loss_permille);
    }
  }
  return out;
}

absl::StatusOr<std::vector<GatewayPath>> ParsePathsAnnotation(absl::string_view text) {
  std::vector<GatewayPath> out;
  if (text.empty()) return out;
  std::set<std::string> seen;
  for (absl::string_view entry : absl::StrSplit(text, ',')) {
    if (out.size() == kMaxPathEntries) {
      return absl::InvalidArgumentError(absl::StrCat("more than ", kMaxPathEntries, " entries"));
    }
    std::pair<absl::string_view, absl::string_view> path_quality =
        absl::StrSplit(entry, absl::MaxSplits('@', 1));
    std::pair<absl::string_view, absl::string_view> name_path =
        absl::StrSplit(path_quality.first, absl::MaxSplits('=', 1));
    std::pair<absl::string_view, absl::string_view> route_reason =
        absl::StrSplit(name_path.second, absl::MaxSplits(':', 1));
    std::pair<absl::string_view, absl::string_view> path_via =
        absl::StrSplit(route_reason.first, absl::MaxSplits('/', 1));
    GatewayPath p{"", std::string(name_path.first), PathKind::kNone, std::string(path_via.second),
                  std::string(route_reason.second)};
    if (p.reason.empty() && route_reason.first.size() != name_path.second.size()) {
      return absl::InvalidArgumentError(absl::StrCat("entry ", Quoted(entry), ": empty reason"));
    }
    std::optional<PathKind> kind = ParsePathKind(path_via.first);
    if (!kind) {
      return absl::InvalidArgumentError(
          absl::StrCat("entry ", Quoted(entry), ": unknown path ", Quoted(path_via.first)));
    }
    p.path = *kind;
    if (path_quality.first.size() != entry.size()) {
      std::pair<absl::string_view, absl::string_view> rtt_loss =
          absl::StrSplit(path_quality.second, absl::MaxSplits('+', 1));
      int rtt = 0;
      int loss = 0;
      if (!absl::SimpleAtoi(rtt_loss.first, &rtt) || !absl::SimpleAtoi(rtt_loss.second, &loss) ||
          !absl::ascii_isdigit(rtt_loss.first.front()) ||
          !absl::ascii_isdigit(rtt_loss.second.front())) {
        return absl::InvalidArgumentError(
            absl::StrCat("entry ", Quoted(entry), ": quality is not <rtt>+<loss>"));
      }
      p.rtt_micros = rtt;
      p.loss_permille = loss;
    }
    if (auto problem = EntryProblem(p)) {
      return absl::InvalidArgumentError(
          absl::StrCat("entry ", Quoted(entry), ": ", problem->first, " ", problem->second));
    }
    if (!seen.insert(p.gateway).second) {
      return absl::InvalidArgumentError(absl::StrCat("gateway ", Quoted(p.gateway), " twice"));
    }
    out.push_back(std::move(p));
  }
  return out;
}

absl::StatusOr<GatewayPath> DecodeGatewayPath(const json::FieldReader& in) {
  GatewayPath p;
  RETURN_IF_ERROR(in.String("nodeName", p.node_name));
  if (!IsObjectName(p.node_name)) return in.Invalid("nodeName", "not an object name");
  RETURN_IF_ERROR(in.String("gateway", p.gateway));
  std::string path;
  RETURN_IF_ERROR(in.String("path", path));
  std::optional<PathKind> kind = ParsePathKind(path);
  if (!kind) return in.Invalid("path", absl::StrCat("unknown path ", Quoted(path)));
  p.path = *kind;
  RETURN_IF_ERROR(in.String("via", p.via));
  RETURN_IF_ERROR(in.String("reason", p.reason));
  for (auto [name, field] :
       {std::pair{"rttMicroseconds", &p.rtt_micros}, std::pair{"lossPermille", &p.loss_permille}}) {
    int value = -1;  // absent
    RETURN_IF_ERROR(in.Int(name, value));
    if (value != -1) *field = value;
  }
  if (auto problem = EntryProblem(p)) return in.Invalid(problem->first, problem->second);
  return p;
}

rapidjson::Value EncodeGatewayPath(const GatewayPath& path, rapidjson::Document::AllocatorType& a) {
  rapidjson::Value out(rapidjson::kObjectType);
  PutString(out, "nodeName", path.node_name, a);
  PutString(out, "gateway", path.gateway, a);
  out.AddMember("path", rapidjson::StringRef(PathKindName(path.path)), a);
  PutString(out, "via", path.via, a);
  PutString(out, "reason", path.reason, a);
  if (path.rtt_micros) out.AddMember("rttMicroseconds", *path.rtt_micros, a);
  if (path.loss_permille) out.AddMember("lossPermille", *path.loss_permille, a);
  return out;
}

}  // namespace raven::kube

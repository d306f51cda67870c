// LoadKubeconfig / ParseKubeconfig, on yaml-cpp. yaml-cpp throws: every
// YAML::Exception is caught in ParseKubeconfig and becomes InvalidArgument.
#include <yaml-cpp/yaml.h>

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/kube/config.h"
#include "common/kube/file_util.h"
#include "common/kube/yaml_error.h"
#include "common/status_macros.h"

namespace raven::kube {
namespace {

using YAML::Node;

constexpr size_t kMaxKubeconfigBytes = 8 << 20;
constexpr size_t kMaxCredentialFileBytes = 1 << 20;

int Line(const Node& node) { return node.Mark().line + 1; }

absl::Status FieldError(const Node& node, absl::string_view path, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("line ", Line(node), ": ", path, ": ", what));
}

const char* KindName(const Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return "a scalar";
    case YAML::NodeType::Sequence:
      return "a sequence";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      break;
  }
  return "null";
}

// The value of `key` in a mapping; a null node when absent or `map` is not a
// mapping. yaml-cpp keeps every copy of a repeated key: which one counts
// would be a guess, so that is an error.
absl::StatusOr<Node> Find(const Node& map, absl::string_view key, absl::string_view path) {
  Node value;
  bool found = false;
  if (!map.IsMap()) return value;
  for (const auto& member : map) {
    if (!member.first.IsScalar() || member.first.Scalar() != key) continue;
    if (found) return FieldError(member.first, absl::StrCat(path, ".", key), "duplicate key");
    value = member.second;
    found = true;
  }
  return value;
}

// A string; "" when null.
absl::StatusOr<std::string> AsString(const Node& v, absl::string_view path) {
  if (v.IsNull()) return std::string();
  if (!v.IsScalar()) {
    return FieldError(v, path, absl::StrCat("expected a string, got ", KindName(v)));
  }
  return v.Scalar();
}

absl::StatusOr<std::string> StringField(const Node& parent, absl::string_view key,
                                        absl::string_view path) {
  ASSIGN_OR_RETURN(Node v, Find(parent, key, path));
  return AsString(v, absl::StrCat(path, ".", key));
}

// "true"/"false" and the YAML 1.1 spellings go-yaml accepts (yes/no/on/off,
// any case); quoted scalars are strings, never booleans.
absl::StatusOr<bool> BoolField(const Node& parent, absl::string_view key, absl::string_view path) {
  ASSIGN_OR_RETURN(Node v, Find(parent, key, path));
  if (v.IsNull()) return false;
  // yaml-cpp tags plain scalars "?"; quoted and block scalars "!".
  if (v.IsScalar() && v.Tag() == "?") {
    std::string s = absl::AsciiStrToLower(v.Scalar());
    if (s == "true" || s == "yes" || s == "on") return true;
    if (s == "false" || s == "no" || s == "off") return false;
  }
  return FieldError(v, absl::StrCat(path, ".", key), "expected true or false");
}

// In a list of {name: N, <kind>: {...}} entries, the <kind> mapping of the
// entry named `name` (null when that entry has none).
absl::StatusOr<Node> NamedEntry(const Node& root, const char* list, const char* kind,
                                absl::string_view name, absl::string_view referrer) {
  ASSIGN_OR_RETURN(Node entries, Find(root, list, ""));
  if (!entries.IsNull() && !entries.IsSequence()) {
    return FieldError(entries, list, "expected a sequence");
  }
  size_t i = 0;
  for (const Node& item : entries) {
    std::string path = absl::StrCat(list, "[", i++, "]");
    if (!item.IsMap()) return FieldError(item, path, "expected a mapping");
    ASSIGN_OR_RETURN(std::string entry_name, StringField(item, "name", path));
    if (entry_name != name) continue;
    ASSIGN_OR_RETURN(Node body, Find(item, kind, path));
    if (!body.IsNull() && !body.IsMap()) {
      return FieldError(body, absl::StrCat(path, ".", kind), "expected a mapping");
    }
    return body;
  }
  return absl::InvalidArgumentError(
      absl::StrCat(referrer, " refers to ", kind, " \"", name, "\", which is not in ", list));
}

absl::StatusOr<std::string> Base64Field(const Node& parent, absl::string_view key,
                                        absl::string_view path) {
  ASSIGN_OR_RETURN(Node v, Find(parent, key, path));
  std::string field = absl::StrCat(path, ".", key);
  ASSIGN_OR_RETURN(std::string encoded, AsString(v, field));
  if (encoded.empty()) return encoded;
  std::string compact;
  for (char c : encoded) {
    if (!absl::ascii_isspace(static_cast<unsigned char>(c))) compact += c;
  }
  std::string decoded;
  if (!absl::Base64Unescape(compact, &decoded) || decoded.empty()) {
    return FieldError(v, field, "invalid base64");
  }
  return decoded;
}

// Inline data (base64) wins over the file, as in client-go.
absl::StatusOr<std::string> DataOrFile(const Node& parent, absl::string_view data_key,
                                       absl::string_view file_key, absl::string_view path,
                                       absl::string_view base_dir) {
  ASSIGN_OR_RETURN(std::string data, Base64Field(parent, data_key, path));
  if (!data.empty()) return data;
  ASSIGN_OR_RETURN(std::string file, StringField(parent, file_key, path));
  if (file.empty()) return std::string();
  absl::StatusOr<std::string> contents =
      ReadFileBounded(ResolvePath(base_dir, file), kMaxCredentialFileBytes);
  if (!contents.ok()) {
    return absl::Status(contents.status().code(),
                        absl::StrCat(path, ".", file_key, ": ", contents.status().message()));
  }
  return contents;
}

absl::Status Unsupported(const Node& entry, absl::string_view path, const char* key) {
  ASSIGN_OR_RETURN(Node v, Find(entry, key, path));
  if (v.IsNull()) return absl::OkStatus();
  return absl::UnimplementedError(
      absl::StrCat("line ", Line(v), ": ", path, ".", key, " is not supported by this client"));
}

absl::Status LoadCluster(const Node& cluster, absl::string_view path, absl::string_view base_dir,
                         ClientConfig& out) {
  ASSIGN_OR_RETURN(out.server, StringField(cluster, "server", path));
  if (out.server.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ".server: missing"));
  }
  ASSIGN_OR_RETURN(out.ca_pem, DataOrFile(cluster, "certificate-authority-data",
                                          "certificate-authority", path, base_dir));
  ASSIGN_OR_RETURN(out.insecure_skip_tls_verify,
                   BoolField(cluster, "insecure-skip-tls-verify", path));
  RETURN_IF_ERROR(Unsupported(cluster, path, "proxy-url"));
  return Unsupported(cluster, path, "tls-server-name");
}

absl::Status LoadUser(const Node& user, absl::string_view path, absl::string_view base_dir,
                      ClientConfig& out) {
  for (const char* key : {"exec", "auth-provider", "username", "password"}) {
    RETURN_IF_ERROR(Unsupported(user, path, key));
  }
  ASSIGN_OR_RETURN(out.bearer_token, StringField(user, "token", path));
  ASSIGN_OR_RETURN(std::string token_file, StringField(user, "tokenFile", path));
  if (!token_file.empty()) out.token_file = ResolvePath(base_dir, token_file);
  ASSIGN_OR_RETURN(out.client_cert_pem, DataOrFile(user, "client-certificate-data",
                                                   "client-certificate", path, base_dir));
  ASSIGN_OR_RETURN(out.client_key_pem,
                   DataOrFile(user, "client-key-data", "client-key", path, base_dir));
  if (out.client_cert_pem.empty() != out.client_key_pem.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": a client certificate needs a client key and vice versa"));
  }
  return absl::OkStatus();
}

absl::StatusOr<ClientConfig> Decode(const Node& root, absl::string_view base_dir,
                                    absl::string_view context_override) {
  if (!root.IsMap()) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected a mapping at the top, got ", KindName(root)));
  }
  std::string context_name(context_override);
  if (context_name.empty()) {
    ASSIGN_OR_RETURN(context_name, StringField(root, "current-context", ""));
  }
  if (context_name.empty()) {
    return absl::InvalidArgumentError("no current-context and no context given");
  }
  std::string referrer = absl::StrCat("context \"", context_name, "\"");
  ASSIGN_OR_RETURN(Node context,
                   NamedEntry(root, "contexts", "context", context_name, "the configuration"));
  ASSIGN_OR_RETURN(std::string cluster_name, StringField(context, "cluster", referrer));
  ASSIGN_OR_RETURN(std::string user_name, StringField(context, "user", referrer));
  ClientConfig out;
  ASSIGN_OR_RETURN(out.default_namespace, StringField(context, "namespace", referrer));
  ASSIGN_OR_RETURN(Node cluster, NamedEntry(root, "clusters", "cluster", cluster_name, referrer));
  RETURN_IF_ERROR(
      LoadCluster(cluster, absl::StrCat("cluster \"", cluster_name, "\""), base_dir, out));
  if (!user_name.empty()) {
    ASSIGN_OR_RETURN(Node user, NamedEntry(root, "users", "user", user_name, referrer));
    RETURN_IF_ERROR(LoadUser(user, absl::StrCat("user \"", user_name, "\""), base_dir, out));
  }
  out.source = absl::StrCat("context ", context_name);
  return out;
}

}  // namespace

absl::StatusOr<ClientConfig> ParseKubeconfig(absl::string_view text, absl::string_view base_dir,
                                             absl::string_view context_override) {
  try {
    return Decode(YAML::Load(std::string(text)), base_dir, context_override);
  } catch (const YAML::Exception& e) {
    return yaml::ErrorStatus(e);
  }
}

absl::StatusOr<ClientConfig> LoadKubeconfig(const std::string& path,
                                            absl::string_view context_override) {
  ASSIGN_OR_RETURN(std::string text, ReadFileBounded(path, kMaxKubeconfigBytes));
  absl::StatusOr<ClientConfig> config = ParseKubeconfig(text, DirName(path), context_override);
  if (!config.ok()) {
    return absl::Status(config.status().code(),
                        absl::StrCat("kubeconfig ", path, ": ", config.status().message()));
  }
  config->source = absl::StrCat("kubeconfig ", path, ", ", config->source);
  return config;
}

}  // namespace raven::kube

// LoadKubeconfig / ParseKubeconfig.
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/kube/config.h"
#include "common/kube/file_util.h"
#include "common/kube/yaml_lite.h"
#include "common/status_macros.h"

namespace raven::kube {
namespace {

using yaml::Node;

constexpr size_t kMaxCredentialFileBytes = 1 << 20;

absl::Status FieldError(const Node& node, absl::string_view path, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("line ", node.line, ": ", path, ": ", what));
}

// A string field of a mapping; "" when absent or null.
absl::StatusOr<std::string> StringField(const Node& parent, absl::string_view key,
                                        absl::string_view path) {
  const Node* v = parent.Find(key);
  if (v == nullptr || v->IsNull()) return std::string();
  if (!v->IsScalar()) {
    return FieldError(*v, absl::StrCat(path, ".", key),
                      absl::StrCat("expected a string, got ", yaml::KindName(v->kind)));
  }
  return v->scalar;
}

absl::StatusOr<bool> BoolField(const Node& parent, absl::string_view key, absl::string_view path) {
  const Node* v = parent.Find(key);
  if (v == nullptr || v->IsNull()) return false;
  absl::StatusOr<bool> b = yaml::ScalarToBool(*v);
  if (!b.ok()) return FieldError(*v, absl::StrCat(path, ".", key), "expected true or false");
  return b;
}

// In a list of {name: N, <kind>: {...}} entries, the <kind> mapping of the
// entry named `name`; `empty` when that entry has none.
absl::StatusOr<const Node*> NamedEntry(const Node& root, const char* list, const char* kind,
                                       absl::string_view name, absl::string_view referrer,
                                       const Node* empty) {
  const Node* entries = root.Find(list);
  if (entries != nullptr && !entries->IsNull() && !entries->IsSequence()) {
    return FieldError(*entries, list, "expected a sequence");
  }
  if (entries != nullptr && entries->IsSequence()) {
    for (size_t i = 0; i < entries->items.size(); ++i) {
      const Node& item = entries->items[i];
      std::string path = absl::StrCat(list, "[", i, "]");
      if (!item.IsMapping()) return FieldError(item, path, "expected a mapping");
      ASSIGN_OR_RETURN(std::string entry_name, StringField(item, "name", path));
      if (entry_name != name) continue;
      const Node* body = item.Find(kind);
      if (body == nullptr || body->IsNull()) return empty;
      if (!body->IsMapping()) {
        return FieldError(*body, absl::StrCat(path, ".", kind), "expected a mapping");
      }
      return body;
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat(referrer, " refers to ", kind, " \"", name, "\", which is not in ", list));
}

absl::StatusOr<std::string> DecodeBase64Field(const Node& parent, absl::string_view key,
                                              absl::string_view path) {
  ASSIGN_OR_RETURN(std::string encoded, StringField(parent, key, path));
  if (encoded.empty()) return encoded;
  std::string compact;
  for (char c : encoded) {
    if (!absl::ascii_isspace(static_cast<unsigned char>(c))) compact += c;
  }
  std::string decoded;
  if (!absl::Base64Unescape(compact, &decoded) || decoded.empty()) {
    return FieldError(*parent.Find(key), absl::StrCat(path, ".", key), "invalid base64");
  }
  return decoded;
}

// Inline data (base64) wins over the file, as in client-go.
absl::StatusOr<std::string> DataOrFile(const Node& parent, absl::string_view data_key,
                                       absl::string_view file_key, absl::string_view path,
                                       absl::string_view base_dir) {
  ASSIGN_OR_RETURN(std::string data, DecodeBase64Field(parent, data_key, path));
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
  const Node* v = entry.Find(key);
  if (v == nullptr || v->IsNull()) return absl::OkStatus();
  return absl::UnimplementedError(
      absl::StrCat("line ", v->line, ": ", path, ".", key, " is not supported by this client"));
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

}  // namespace

absl::StatusOr<ClientConfig> ParseKubeconfig(absl::string_view text, absl::string_view base_dir,
                                             absl::string_view context_override) {
  ASSIGN_OR_RETURN(Node root, yaml::Parse(text));
  if (!root.IsMapping()) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected a mapping at the top, got ", yaml::KindName(root.kind)));
  }
  std::string context_name(context_override);
  if (context_name.empty()) {
    ASSIGN_OR_RETURN(context_name, StringField(root, "current-context", ""));
  }
  if (context_name.empty()) {
    return absl::InvalidArgumentError("no current-context and no context given");
  }
  std::string referrer = absl::StrCat("context \"", context_name, "\"");
  Node empty;
  empty.kind = Node::Kind::kMapping;
  ASSIGN_OR_RETURN(const Node* context, NamedEntry(root, "contexts", "context", context_name,
                                                   "the configuration", &empty));
  ASSIGN_OR_RETURN(std::string cluster_name, StringField(*context, "cluster", referrer));
  ASSIGN_OR_RETURN(std::string user_name, StringField(*context, "user", referrer));
  ClientConfig out;
  ASSIGN_OR_RETURN(out.default_namespace, StringField(*context, "namespace", referrer));
  ASSIGN_OR_RETURN(const Node* cluster,
                   NamedEntry(root, "clusters", "cluster", cluster_name, referrer, &empty));
  RETURN_IF_ERROR(
      LoadCluster(*cluster, absl::StrCat("cluster \"", cluster_name, "\""), base_dir, out));
  if (!user_name.empty()) {
    ASSIGN_OR_RETURN(const Node* user,
                     NamedEntry(root, "users", "user", user_name, referrer, &empty));
    RETURN_IF_ERROR(LoadUser(*user, absl::StrCat("user \"", user_name, "\""), base_dir, out));
  }
  out.source = absl::StrCat("context ", context_name);
  return out;
}

absl::StatusOr<ClientConfig> LoadKubeconfig(const std::string& path,
                                            absl::string_view context_override) {
  ASSIGN_OR_RETURN(std::string text, ReadFileBounded(path, yaml::kMaxInputBytes));
  absl::StatusOr<ClientConfig> config = ParseKubeconfig(text, DirName(path), context_override);
  if (!config.ok()) {
    return absl::Status(config.status().code(),
                        absl::StrCat("kubeconfig ", path, ": ", config.status().message()));
  }
  config->source = absl::StrCat("kubeconfig ", path, ", ", config->source);
  return config;
}

}  // namespace raven::kube

#include "common/kube/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <map>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/kube/file_util.h"
#include "common/kube/token_source.h"
#include "tests/unit/kube/test_util.h"

namespace raven::kube {
namespace {

using ::raven::kube::testing::IsOk;
using ::raven::kube::testing::ScratchDir;
using ::raven::kube::testing::StatusIs;
using ::testing::HasSubstr;

constexpr char kCaPem[] = "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n";
constexpr char kCertPem[] = "-----BEGIN CERTIFICATE-----\nCLIENT\n-----END CERTIFICATE-----\n";
constexpr char kKeyPem[] = "-----BEGIN PRIVATE KEY-----\nKEY\n-----END PRIVATE KEY-----\n";

EnvLookup FakeEnv(std::map<std::string, std::string> vars) {
  return [vars](const char* name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

// Two contexts; "edge" is current.
std::string TwoContexts() {
  return absl::StrCat(R"(apiVersion: v1
kind: Config
clusters:
- name: cloud
  cluster:
    server: https://198.18.0.1:6443
    certificate-authority-data: )",
                      absl::Base64Escape(kCaPem), R"(
- name: edge-cluster
  cluster:
    server: "https://[fd00::1]:443"
    insecure-skip-tls-verify: true
contexts:
- name: cloud
  context: {cluster: cloud, user: admin, namespace: kube-system}
- name: edge
  context:
    cluster: edge-cluster
    user: robot
current-context: edge
users:
- name: admin
  user:
    client-certificate-data: )",
                      absl::Base64Escape(kCertPem), R"(
    client-key-data: )",
                      absl::Base64Escape(kKeyPem), R"(
- name: robot
  user:
    token: robot-token   # comment
)");
}

TEST(KubeconfigTest, CurrentContextWithToken) {
  absl::StatusOr<ClientConfig> c = ParseKubeconfig(TwoContexts(), "/etc");
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->server, "https://[fd00::1]:443");
  EXPECT_TRUE(c->insecure_skip_tls_verify);
  EXPECT_EQ(c->bearer_token, "robot-token");
  EXPECT_TRUE(c->ca_pem.empty());
  EXPECT_TRUE(c->client_cert_pem.empty());
  EXPECT_EQ(c->source, "context edge");
}

TEST(KubeconfigTest, ContextOverrideWithInlineData) {
  absl::StatusOr<ClientConfig> c = ParseKubeconfig(TwoContexts(), "/etc", "cloud");
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->server, "https://198.18.0.1:6443");
  EXPECT_FALSE(c->insecure_skip_tls_verify);
  EXPECT_EQ(c->ca_pem, kCaPem);
  EXPECT_EQ(c->client_cert_pem, kCertPem);
  EXPECT_EQ(c->client_key_pem, kKeyPem);
  EXPECT_EQ(c->default_namespace, "kube-system");
  EXPECT_TRUE(c->bearer_token.empty());
}

TEST(KubeconfigTest, UnknownContext) {
  EXPECT_THAT(ParseKubeconfig(TwoContexts(), "/etc", "nope"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "refers to context \"nope\", which is not in contexts"));
  std::string no_current = absl::StrReplaceAll(TwoContexts(), {{"current-context: edge", ""}});
  EXPECT_THAT(ParseKubeconfig(no_current, "/etc"),
              StatusIs(absl::StatusCode::kInvalidArgument, "no current-context"));
  std::string dangling = absl::StrReplaceAll(TwoContexts(), {{"user: robot", "user: ghost"}});
  EXPECT_THAT(
      ParseKubeconfig(dangling, "/etc"),
      StatusIs(absl::StatusCode::kInvalidArgument, "context \"edge\" refers to user \"ghost\""));
}

TEST(KubeconfigTest, FilesResolvedRelativeToTheKubeconfig) {
  ScratchDir dir;
  dir.Write("pki/ca.crt", kCaPem);
  dir.Write("pki/client.crt", kCertPem);
  std::string key = dir.Write("client.key", kKeyPem);
  dir.Write("token", "file-token\n");
  std::string path = dir.Write("conf/kubeconfig", absl::StrCat(R"(
clusters:
- name: c
  cluster:
    server: https://127.0.0.1:6443
    certificate-authority: ../pki/ca.crt
users:
- name: u
  user:
    client-certificate: ../pki/client.crt
    client-key: )",
                                                               key, R"(
    tokenFile: ../token
contexts:
- name: x
  context:
    cluster: c
    user: u
current-context: x
)"));
  absl::StatusOr<ClientConfig> c = LoadKubeconfig(path);
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->ca_pem, kCaPem);
  EXPECT_EQ(c->client_cert_pem, kCertPem);
  EXPECT_EQ(c->client_key_pem, kKeyPem);
  EXPECT_EQ(c->token_file, dir.path() + "/conf/../token");
  EXPECT_THAT(c->source, HasSubstr(path));
}

TEST(KubeconfigTest, InlineDataWinsOverFiles) {
  std::string text = absl::StrCat(R"(
clusters: [{name: c, cluster: {server: "https://h", certificate-authority: /nonexistent,
            certificate-authority-data: ")",
                                  absl::Base64Escape(kCaPem), R"("}}]
contexts: [{name: x, context: {cluster: c}}]
current-context: x
)");
  absl::StatusOr<ClientConfig> c = ParseKubeconfig(text, "/");
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->ca_pem, kCaPem);
}

TEST(KubeconfigTest, JsonKubeconfig) {
  std::string json = absl::StrCat(R"({
  "apiVersion": "v1", "kind": "Config",
  "clusters": [{"name": "c", "cluster": {"server": "http://127.0.0.1:8080",
                "certificate-authority-data": ")",
                                  absl::Base64Escape(kCaPem), R"("}}],
  "users": [{"name": "u", "user": {"token": "json-token"}}],
  "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u", "namespace": "ns"}}],
  "current-context": "x"
})");
  absl::StatusOr<ClientConfig> c = ParseKubeconfig(json, "/");
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->server, "http://127.0.0.1:8080");
  EXPECT_EQ(c->bearer_token, "json-token");
  EXPECT_EQ(c->default_namespace, "ns");
  EXPECT_EQ(c->ca_pem, kCaPem);
}

TEST(KubeconfigTest, MalformedYamlNamesFileLineAndColumn) {
  ScratchDir dir;
  std::string path = dir.Write("config", "clusters:\n- name: c\n  cluster:\n\tserver: x\n");
  EXPECT_THAT(LoadKubeconfig(path),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       absl::StrCat("kubeconfig ", path, ": line 4, column 2: ")));
  path = dir.Write("config2", "current-context: x\ncontexts: [\n");
  EXPECT_THAT(LoadKubeconfig(path),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       absl::StrCat("kubeconfig ", path, ": line 3, column 1: ")));
  EXPECT_THAT(ParseKubeconfig("current-context: *nowhere\n", "/"),
              StatusIs(absl::StatusCode::kInvalidArgument, "line 1, column 18: "));
}

// yaml-cpp throws; whatever it throws comes back as a status.
TEST(KubeconfigTest, ParserExceptionsBecomeStatuses) {
  EXPECT_THAT(ParseKubeconfig(std::string(5000, '['), "/"),
              StatusIs(absl::StatusCode::kInvalidArgument, "nested too deeply"));
  EXPECT_THAT(ParseKubeconfig("a: b: c\n", "/"),
              StatusIs(absl::StatusCode::kInvalidArgument, "line 1, column 5: "));
}

TEST(KubeconfigTest, RepeatedKeysAreRejected) {
  std::string twice =
      absl::StrReplaceAll(TwoContexts(), {{"token: robot-token", "token: a\n    token: b"}});
  EXPECT_THAT(
      ParseKubeconfig(twice, "/"),
      StatusIs(absl::StatusCode::kInvalidArgument, "line 28: user \"robot\".token: duplicate key"));
}

TEST(KubeconfigTest, BooleansArePlainScalars) {
  for (const char* yes : {"yes", "On", "TRUE"}) {
    std::string text = absl::StrReplaceAll(
        TwoContexts(),
        {{"insecure-skip-tls-verify: true", absl::StrCat("insecure-skip-tls-verify: ", yes)}});
    absl::StatusOr<ClientConfig> c = ParseKubeconfig(text, "/");
    ASSERT_THAT(c, IsOk()) << yes;
    EXPECT_TRUE(c->insecure_skip_tls_verify) << yes;
  }
  std::string quoted = absl::StrReplaceAll(
      TwoContexts(), {{"insecure-skip-tls-verify: true", "insecure-skip-tls-verify: \"true\""}});
  EXPECT_THAT(ParseKubeconfig(quoted, "/"),
              StatusIs(absl::StatusCode::kInvalidArgument, "expected true or false"));
}

TEST(KubeconfigTest, AnchorsAndAliases) {
  const char* kAliased = R"(
clusters: [{name: c, cluster: {server: &s "https://h"}}]
users: [{name: u, user: {token: *s}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
)";
  absl::StatusOr<ClientConfig> c = ParseKubeconfig(kAliased, "/");
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->bearer_token, "https://h");
}

TEST(KubeconfigTest, WrongTypesNameTheLine) {
  EXPECT_THAT(
      ParseKubeconfig("current-context: [a]\n", "/"),
      StatusIs(absl::StatusCode::kInvalidArgument, "line 1: .current-context: expected a string"));
  EXPECT_THAT(ParseKubeconfig("- a\n", "/"),
              StatusIs(absl::StatusCode::kInvalidArgument, "expected a mapping at the top"));
  std::string bad_bool = absl::StrReplaceAll(
      TwoContexts(), {{"insecure-skip-tls-verify: true", "insecure-skip-tls-verify: maybe"}});
  EXPECT_THAT(ParseKubeconfig(bad_bool, "/"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "line 11: cluster \"edge-cluster\".insecure-skip-tls-verify"));
  std::string bad_b64 = absl::StrReplaceAll(
      TwoContexts(), {{"certificate-authority-data: ", "certificate-authority-data: x!"}});
  EXPECT_THAT(ParseKubeconfig(bad_b64, "/", "cloud"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "line 7: cluster \"cloud\".certificate-authority-data: invalid base64"));
}

TEST(KubeconfigTest, RejectsWhatItCannotHonour) {
  const char* kExec = R"(
clusters: [{name: c, cluster: {server: "https://h"}}]
users:
- name: u
  user:
    exec:
      command: aws
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
)";
  EXPECT_THAT(ParseKubeconfig(kExec, "/"),
              StatusIs(absl::StatusCode::kUnimplemented, "line 7: user \"u\".exec"));
  const char* kHalfCert = R"(
clusters: [{name: c, cluster: {server: "https://h"}}]
users: [{name: u, user: {client-certificate-data: aGk=}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
)";
  EXPECT_THAT(ParseKubeconfig(kHalfCert, "/"),
              StatusIs(absl::StatusCode::kInvalidArgument, "needs a client key"));
  const char* kNoServer = R"(
clusters: [{name: c, cluster: {}}]
contexts: [{name: x, context: {cluster: c}}]
current-context: x
)";
  EXPECT_THAT(ParseKubeconfig(kNoServer, "/"),
              StatusIs(absl::StatusCode::kInvalidArgument, ".server: missing"));
  const char* kMissingFile = R"(
clusters: [{name: c, cluster: {server: "https://h", certificate-authority: ca.pem}}]
contexts: [{name: x, context: {cluster: c}}]
current-context: x
)";
  EXPECT_THAT(ParseKubeconfig(kMissingFile, "/nonexistent-dir"),
              StatusIs(absl::StatusCode::kNotFound, "/nonexistent-dir/ca.pem"));
}

class InClusterTest : public ::testing::Test {
 protected:
  InClusterTest() {
    paths_.token_file = dir_.Write("token", "sa-token\n");
    paths_.ca_file = dir_.Write("ca.crt", kCaPem);
    paths_.namespace_file = dir_.Write("namespace", "raven-system\n");
  }
  ScratchDir dir_;
  InClusterPaths paths_;
};

TEST_F(InClusterTest, ReadsServiceAccountAndEnvironment) {
  absl::StatusOr<ClientConfig> c = LoadInCluster(
      paths_,
      FakeEnv({{"KUBERNETES_SERVICE_HOST", "10.96.0.1"}, {"KUBERNETES_SERVICE_PORT", "443"}}));
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->server, "https://10.96.0.1:443");
  EXPECT_EQ(c->token_file, paths_.token_file);
  EXPECT_EQ(c->ca_pem, kCaPem);
  EXPECT_EQ(c->default_namespace, "raven-system");
}

TEST_F(InClusterTest, BracketsIpv6Hosts) {
  absl::StatusOr<ClientConfig> c = LoadInCluster(
      paths_,
      FakeEnv({{"KUBERNETES_SERVICE_HOST", "fd00:10:96::1"}, {"KUBERNETES_SERVICE_PORT", "6443"}}));
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->server, "https://[fd00:10:96::1]:6443");
}

TEST_F(InClusterTest, Failures) {
  EXPECT_THAT(LoadInCluster(paths_, FakeEnv({})),
              StatusIs(absl::StatusCode::kFailedPrecondition, "not running in a pod"));
  EXPECT_THAT(LoadInCluster(paths_, FakeEnv({{"KUBERNETES_SERVICE_HOST", "h"},
                                             {"KUBERNETES_SERVICE_PORT", "https"}})),
              StatusIs(absl::StatusCode::kInvalidArgument, "not a port"));
  InClusterPaths missing = paths_;
  missing.token_file = dir_.path() + "/missing";
  EXPECT_THAT(LoadInCluster(missing, FakeEnv({{"KUBERNETES_SERVICE_HOST", "h"},
                                              {"KUBERNETES_SERVICE_PORT", "1"}})),
              StatusIs(absl::StatusCode::kNotFound, "missing"));
}

TEST_F(InClusterTest, DefaultSearchOrder) {
  std::string a = dir_.Write("a.yaml", R"(
clusters: [{name: c, cluster: {server: "https://a"}}]
contexts: [{name: x, context: {cluster: c}}]
current-context: x
)");
  std::string home_config = dir_.Write("home/.kube/config", R"(
clusters: [{name: c, cluster: {server: "https://home"}}]
contexts: [{name: x, context: {cluster: c}}]
current-context: x
)");
  DefaultSources sources;
  sources.in_cluster = paths_;
  sources.env = FakeEnv({{"KUBECONFIG", absl::StrCat("/nonexistent:", a, ":", home_config)},
                         {"KUBERNETES_SERVICE_HOST", "10.0.0.1"},
                         {"KUBERNETES_SERVICE_PORT", "443"},
                         {"HOME", dir_.path() + "/home"}});
  EXPECT_EQ(LoadDefault(home_config, sources)->server, "https://home");  // the flag
  EXPECT_EQ(LoadDefault("", sources)->server, "https://a");              // $KUBECONFIG
  sources.env = FakeEnv({{"KUBERNETES_SERVICE_HOST", "10.0.0.1"},
                         {"KUBERNETES_SERVICE_PORT", "443"},
                         {"HOME", dir_.path() + "/home"}});
  EXPECT_EQ(LoadDefault("", sources)->server, "https://10.0.0.1:443");  // in-cluster
  sources.env = FakeEnv({{"HOME", dir_.path() + "/home"}});
  EXPECT_EQ(LoadDefault("", sources)->server, "https://home");  // ~/.kube/config
  sources.env = FakeEnv({{"HOME", "/nonexistent"}});
  EXPECT_THAT(LoadDefault("", sources), StatusIs(absl::StatusCode::kNotFound));
  sources.env = FakeEnv({{"KUBECONFIG", "/nonexistent"}});
  EXPECT_THAT(LoadDefault("", sources), StatusIs(absl::StatusCode::kNotFound, "KUBECONFIG"));
}

TEST(FileUtilTest, ReadsOnlyBoundedRegularFiles) {
  ScratchDir dir;
  std::string path = dir.Write("f", "0123456789");
  EXPECT_EQ(*ReadFileBounded(path), "0123456789");
  EXPECT_THAT(ReadFileBounded(path, 5), StatusIs(absl::StatusCode::kInvalidArgument, "limit"));
  EXPECT_THAT(ReadFileBounded("/dev/null"),
              StatusIs(absl::StatusCode::kInvalidArgument, "not a regular file"));
  EXPECT_THAT(ReadFileBounded(dir.path()),
              StatusIs(absl::StatusCode::kInvalidArgument, "not a regular file"));
  EXPECT_THAT(ReadFileBounded(dir.path() + "/missing"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(ResolvePath("/etc/kube", "ca.crt"), "/etc/kube/ca.crt");
  EXPECT_EQ(ResolvePath("/etc/kube", "/abs/ca.crt"), "/abs/ca.crt");
  EXPECT_EQ(DirName("/a/b/config"), "/a/b");
  EXPECT_EQ(DirName("config"), ".");
}

TEST(TokenSourceTest, StaticToken) {
  absl::StatusOr<std::unique_ptr<TokenSource>> t = TokenSource::Create("fixed", "");
  ASSERT_THAT(t, IsOk());
  EXPECT_EQ((*t)->Token(), "fixed");
}

TEST(TokenSourceTest, RereadsTheFileWhenItRotates) {
  ScratchDir dir;
  std::string path = dir.Write("token", "first\n");
  absl::StatusOr<std::unique_ptr<TokenSource>> t = TokenSource::Create("ignored", path);
  ASSERT_THAT(t, IsOk());
  EXPECT_EQ((*t)->Token(), "first");
  // Rotation the kubelet way: a new file renamed over the old one.
  dir.Write("token.new", "second");
  ASSERT_EQ(std::rename((dir.path() + "/token.new").c_str(), path.c_str()), 0);
  EXPECT_EQ((*t)->Token(), "second");
  // Rewritten in place.
  dir.Write("token", "third-token");
  EXPECT_EQ((*t)->Token(), "third-token");
  // A failed read keeps the last good token.
  ASSERT_EQ(::unlink(path.c_str()), 0);
  EXPECT_EQ((*t)->Token(), "third-token");
  dir.Write("token", "");
  EXPECT_EQ((*t)->Token(), "third-token");
  dir.Write("token", "fourth");
  EXPECT_EQ((*t)->Token(), "fourth");
}

TEST(TokenSourceTest, FirstReadMustSucceed) {
  EXPECT_THAT(TokenSource::Create("", "/nonexistent/token"), StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace raven::kube

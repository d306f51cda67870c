#include "common/kube/yaml_lite.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "tests/unit/kube/test_util.h"

namespace raven::kube::yaml {
namespace {

using ::raven::kube::testing::IsOk;
using ::raven::kube::testing::StatusIs;

const Node& At(const Node& n, absl::string_view key) {
  const Node* v = n.Find(key);
  if (v == nullptr) {
    ADD_FAILURE() << "no key " << key;
    static const Node kNull;
    return kNull;
  }
  return *v;
}

TEST(YamlLiteTest, KubectlStyleKubeconfig) {
  constexpr char kText[] = R"(apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: LS0tLS1CRUdJTg==
    server: https://127.0.0.1:6443
  name: kind-kind
contexts:
- context:
    cluster: kind-kind
    namespace: raven-system
    user: kind-kind
  name: kind-kind
current-context: kind-kind
kind: Config
preferences: {}
users:
- name: kind-kind
  user:
    token: abc.def
)";
  absl::StatusOr<Node> root = Parse(kText);
  ASSERT_THAT(root, IsOk());
  ASSERT_TRUE(root->IsMapping());
  EXPECT_EQ(At(*root, "apiVersion").scalar, "v1");
  const Node& clusters = At(*root, "clusters");
  ASSERT_TRUE(clusters.IsSequence());
  ASSERT_EQ(clusters.items.size(), 1u);
  EXPECT_EQ(At(clusters.items[0], "name").scalar, "kind-kind");
  EXPECT_EQ(At(At(clusters.items[0], "cluster"), "server").scalar, "https://127.0.0.1:6443");
  EXPECT_EQ(At(clusters.items[0], "cluster").line, 4);
  EXPECT_TRUE(At(*root, "preferences").IsMapping());
  EXPECT_TRUE(At(*root, "preferences").members.empty());
  EXPECT_EQ(At(At(At(*root, "users").items[0], "user"), "token").scalar, "abc.def");
  EXPECT_EQ(At(*root, "current-context").line, 13);
  // Document order is kept.
  EXPECT_EQ(root->members[0].key, "apiVersion");
  EXPECT_EQ(root->members.back().key, "users");
}

TEST(YamlLiteTest, IndentedSequencesAndNesting) {
  absl::StatusOr<Node> root = Parse(R"(
a:
  - 1
  - - x
    - y
  -
    k: v
  - k2: v2
    k3:
      - deep
b: [1, [2, 3], {c: d}]
)");
  ASSERT_THAT(root, IsOk());
  const Node& a = At(*root, "a");
  ASSERT_EQ(a.items.size(), 4u);
  EXPECT_EQ(a.items[0].scalar, "1");
  ASSERT_TRUE(a.items[1].IsSequence());
  EXPECT_EQ(a.items[1].items[1].scalar, "y");
  EXPECT_EQ(At(a.items[2], "k").scalar, "v");
  EXPECT_EQ(At(a.items[3], "k3").items[0].scalar, "deep");
  const Node& b = At(*root, "b");
  ASSERT_EQ(b.items.size(), 3u);
  EXPECT_EQ(b.items[1].items[1].scalar, "3");
  EXPECT_EQ(At(b.items[2], "c").scalar, "d");
}

TEST(YamlLiteTest, Scalars) {
  absl::StatusOr<Node> root = Parse(R"(plain: hello world   # a comment
hash: a#b
url: http://x:8080/p?q=1
dq: "tab\there \"q\" \u00e9 \U0001F600 \x41"
sq: 'it''s # not a comment'
empty_dq: ""
null1:
null2: ~
null3: null
"quoted key": 1
'single key': 2
bool: true
folded: this is
  one line

  and another
)");
  ASSERT_THAT(root, IsOk());
  EXPECT_EQ(At(*root, "plain").scalar, "hello world");
  EXPECT_EQ(At(*root, "hash").scalar, "a#b");
  EXPECT_EQ(At(*root, "url").scalar, "http://x:8080/p?q=1");
  EXPECT_EQ(At(*root, "dq").scalar, "tab\there \"q\" \xC3\xA9 \xF0\x9F\x98\x80 A");
  EXPECT_TRUE(At(*root, "dq").quoted);
  EXPECT_EQ(At(*root, "sq").scalar, "it's # not a comment");
  EXPECT_TRUE(At(*root, "empty_dq").IsScalar());
  EXPECT_EQ(At(*root, "empty_dq").scalar, "");
  EXPECT_TRUE(At(*root, "null1").IsNull());
  EXPECT_TRUE(At(*root, "null2").IsNull());
  EXPECT_TRUE(At(*root, "null3").IsNull());
  EXPECT_EQ(At(*root, "quoted key").scalar, "1");
  EXPECT_EQ(At(*root, "single key").scalar, "2");
  EXPECT_THAT(ScalarToBool(At(*root, "bool")), IsOk());
  EXPECT_TRUE(*ScalarToBool(At(*root, "bool")));
  EXPECT_EQ(At(*root, "folded").scalar, "this is one line\nand another");
}

TEST(YamlLiteTest, MultiLineQuotedScalars) {
  absl::StatusOr<Node> root = Parse("a: \"one\n  two\n\n  three\\\n  four\"\nb: 'x\n  y'\n");
  ASSERT_THAT(root, IsOk());
  EXPECT_EQ(At(*root, "a").scalar, "one two\nthreefour");
  EXPECT_EQ(At(*root, "b").scalar, "x y");
}

TEST(YamlLiteTest, BlockScalars) {
  absl::StatusOr<Node> root = Parse(R"(lit: |
  line 1
    indented
  # not a comment

keep: |+
  k

strip: >-
  folded
  text

  para
next: x
)");
  ASSERT_THAT(root, IsOk());
  EXPECT_EQ(At(*root, "lit").scalar, "line 1\n  indented\n# not a comment\n");
  EXPECT_EQ(At(*root, "keep").scalar, "k\n\n");
  EXPECT_EQ(At(*root, "strip").scalar, "folded text\npara");
  EXPECT_EQ(At(*root, "next").scalar, "x");
}

TEST(YamlLiteTest, JsonDocument) {
  absl::StatusOr<Node> root = Parse(R"({
  "apiVersion": "v1",
  "clusters": [
    {"name": "c", "cluster": {"server": "https://[::1]:6443",
                              "insecure-skip-tls-verify": true}}
  ],
  "n": null, "num": -1.5e3, "esc": "a\/b\n"
})");
  ASSERT_THAT(root, IsOk());
  EXPECT_EQ(At(*root, "apiVersion").scalar, "v1");
  const Node& cluster = At(At(*root, "clusters").items[0], "cluster");
  EXPECT_EQ(At(cluster, "server").scalar, "https://[::1]:6443");
  EXPECT_TRUE(*ScalarToBool(At(cluster, "insecure-skip-tls-verify")));
  EXPECT_TRUE(At(*root, "n").IsNull());
  EXPECT_EQ(At(*root, "num").scalar, "-1.5e3");
  EXPECT_EQ(At(*root, "esc").scalar, "a/b\n");
}

TEST(YamlLiteTest, DocumentMarkersCommentsAndEmpty) {
  ASSERT_THAT(Parse("# only a comment\n\n"), IsOk());
  EXPECT_TRUE(Parse("")->IsNull());
  absl::StatusOr<Node> root = Parse("---\n# c\na: 1 # c\n...\n");
  ASSERT_THAT(root, IsOk());
  EXPECT_EQ(At(*root, "a").scalar, "1");
  ASSERT_THAT(Parse("a: 1\r\nb: 2\r\n"), IsOk());
  EXPECT_EQ(At(*Parse("a: 1\r\nb: 2\r\n"), "b").scalar, "2");
}

struct ErrorCase {
  const char* name;
  const char* text;
  const char* message;  // expected substring, including the line number
};

class YamlLiteErrorTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(YamlLiteErrorTest, RejectsWithLineNumber) {
  EXPECT_THAT(Parse(GetParam().text),
              StatusIs(absl::StatusCode::kInvalidArgument, GetParam().message));
}

INSTANTIATE_TEST_SUITE_P(
    Errors, YamlLiteErrorTest,
    ::testing::Values(
        ErrorCase{"BadIndent", "a:\n  b:\n    c: 1\n   d: 2\n", "line 4: unexpected indentation"},
        ErrorCase{"DeeperKey", "a:\n  b: 1\n   c: 2\n", "line 3: mapping values are not allowed"},
        ErrorCase{"Tab", "a:\n\tb: 1\n", "line 2: tabs are not allowed"},
        ErrorCase{"Anchor", "a: &x 1\nb: *x\n", "line 1: anchors, aliases and tags"},
        ErrorCase{"Tag", "a: !!binary aGk=\n", "line 1: anchors, aliases and tags"},
        ErrorCase{"Duplicate", "a: 1\nb: 2\na: 3\n", "line 3: duplicate key \"a\""},
        ErrorCase{"UnterminatedDq", "a: 1\nb: \"abc\n", "line 2: unterminated double-quoted"},
        ErrorCase{"UnterminatedSq", "b: 'abc\n", "line 1: unterminated single-quoted"},
        ErrorCase{"UnterminatedFlow", "a: [1, 2\n", "line 1: unterminated flow sequence"},
        ErrorCase{"UnterminatedFlowMap", "a: {\"b\": 1,\n", "line 1: unterminated flow mapping"},
        ErrorCase{"FlowRunsIntoBlock", "a: [1, 2\nb: 3\n", "line 2: expected ',' or ']'"},
        ErrorCase{"FlowJunk", "a: {b: 1} x\n", "line 1: unexpected characters after a value"},
        ErrorCase{"TwoDocs", "a: 1\n---\nb: 2\n", "line 2: several documents"},
        ErrorCase{"MappingInPlain", "a: b: c\n", "line 1: mapping values are not allowed"},
        ErrorCase{"Directive", "%YAML 1.2\n---\na: 1\n", "line 1: directives are not supported"},
        ErrorCase{"ComplexKey", "? a\n: b\n", "line 1: complex keys are not supported"},
        ErrorCase{"IndentIndicator", "a: |2\n  x\n", "line 1: explicit indentation"},
        ErrorCase{"ItemInMapping", "a: 1\n- b\n", "line 2: a sequence item where a mapping key"},
        ErrorCase{"Dedent", "  a: 1\nb: 2\n", "line 2: unexpected content"},
        ErrorCase{"BadEscape", "a: \"\\q\"\n", "line 1: invalid escape"},
        ErrorCase{"LoneSurrogate", "a: \"\\ud800\"\n", "line 1: invalid Unicode escape"},
        ErrorCase{"MissingColon", "{\"a\" 1}\n", "line 1: expected ':'"},
        ErrorCase{"FlowDuplicate", "{\"a\": 1,\n \"a\": 2}\n", "line 2: duplicate key"}),
    [](const ::testing::TestParamInfo<ErrorCase>& info) { return info.param.name; });

TEST(YamlLiteTest, BoundsNestingDepth) {
  std::string deep(200, '[');
  EXPECT_THAT(Parse(deep), StatusIs(absl::StatusCode::kInvalidArgument, "nesting deeper"));
  std::string block;
  for (int i = 0; i < 100; ++i) block += std::string(i, ' ') + "k:\n";
  block += std::string(100, ' ') + "v\n";
  EXPECT_THAT(Parse(block), StatusIs(absl::StatusCode::kInvalidArgument, "nesting deeper"));
}

TEST(YamlLiteTest, BoundsInputSize) {
  std::string big(kMaxInputBytes + 1, 'a');
  EXPECT_THAT(Parse(big), StatusIs(absl::StatusCode::kInvalidArgument, "exceeds the limit"));
}

}  // namespace
}  // namespace raven::kube::yaml

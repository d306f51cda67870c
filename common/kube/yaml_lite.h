// A small YAML-subset parser, enough for kubeconfig files as kubectl (and
// go-yaml) writes them, and for JSON kubeconfigs:
//
//   - block mappings and block sequences, including "- name: x" items and
//     sequences indented at their parent key's column ("key:\n- a");
//   - plain scalars (also folded over continuation lines), single- and
//     double-quoted scalars (all escapes; line folding), literal "|" and
//     folded ">" block scalars with "-"/"+" chomping;
//   - flow collections ({...}, [...]) over any number of lines: a JSON
//     document is a YAML flow document;
//   - comments, a leading "---" and a trailing "..." marker.
//
// Anything else (anchors and aliases, tags, complex "?" keys, directives,
// several documents, explicit indentation indicators, tabs in indentation,
// duplicate keys) is rejected with "line N: what" rather than guessed at.
// Scalars are kept as text: the caller decides what "true" or "8080" means.
#ifndef RAVEN_COMMON_KUBE_YAML_LITE_H_
#define RAVEN_COMMON_KUBE_YAML_LITE_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace raven::kube::yaml {

// Bounds on what one document may cost.
inline constexpr size_t kMaxInputBytes = 8 << 20;
inline constexpr int kMaxDepth = 64;

struct Node {
  enum class Kind { kNull, kScalar, kSequence, kMapping };
  struct Member;

  Kind kind = Kind::kNull;
  int line = 0;                 // 1-based line where the node starts
  std::string scalar;           // kScalar
  bool quoted = false;          // kScalar written in quotes (so never null/bool/number)
  std::vector<Node> items;      // kSequence
  std::vector<Member> members;  // kMapping, in document order, keys unique

  bool IsNull() const { return kind == Kind::kNull; }
  bool IsScalar() const { return kind == Kind::kScalar; }
  bool IsSequence() const { return kind == Kind::kSequence; }
  bool IsMapping() const { return kind == Kind::kMapping; }
  // The value of `key` in a mapping; nullptr when absent or not a mapping.
  const Node* Find(absl::string_view key) const;
};

struct Node::Member {
  std::string key;
  Node value;
};

// Parses one document. An empty document (only comments) is a null node.
absl::StatusOr<Node> Parse(absl::string_view text);

// "true"/"false" and the YAML 1.1 spellings go-yaml accepts (yes/no/on/off,
// any case). Quoted scalars are strings, never booleans.
absl::StatusOr<bool> ScalarToBool(const Node& node);

const char* KindName(Node::Kind kind);

// A document as JSON, the way sigs.k8s.io/yaml converts manifests: unquoted
// true/false and numbers become JSON booleans and numbers, null stays null,
// every other scalar is a string.
absl::StatusOr<std::string> ToJson(absl::string_view yaml);

}  // namespace raven::kube::yaml

#endif  // RAVEN_COMMON_KUBE_YAML_LITE_H_

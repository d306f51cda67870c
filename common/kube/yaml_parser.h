// Internal to yaml_lite: the parser class, split over yaml_block.cc (block
// structure, plain and block scalars) and yaml_flow.cc (flow collections and
// quoted scalars, which may span lines).
#ifndef RAVEN_COMMON_KUBE_YAML_PARSER_H_
#define RAVEN_COMMON_KUBE_YAML_PARSER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/kube/yaml_lite.h"

namespace raven::kube::yaml::internal {

inline bool IsSpace(char c) { return c == ' ' || c == '\t'; }
inline bool IsBreak(char c) { return c == '\n' || c == '\r'; }
inline bool IsFlowIndicator(char c) {
  return c == ',' || c == '[' || c == ']' || c == '{' || c == '}';
}

inline bool IsNullScalar(absl::string_view s) {
  return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL";
}

// One physical line. `indent` and `content` are rewritten when the parser
// treats the text after "- " as a line of its own.
struct Line {
  int number = 0;
  size_t begin = 0;    // first byte of the line
  size_t end = 0;      // one past the last content byte (before "\r\n" or "\n")
  size_t content = 0;  // first non-whitespace byte (== end for a blank line)
  int indent = 0;      // column of `content` counted in spaces
  bool blank = false;  // empty, whitespace only, or a comment only
  bool tab_indent = false;
};

void AppendUtf8(uint32_t cp, std::string& out);

class Parser {
 public:
  explicit Parser(absl::string_view text) : text_(text) {}

  absl::StatusOr<Node> Run();

 private:
  absl::Status ErrorAt(int line, absl::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat("line ", line, ": ", what));
  }
  absl::Status ErrorAtOffset(size_t offset, absl::string_view what) const {
    return ErrorAt(LineNumberOf(offset), what);
  }

  void SplitLines();
  absl::string_view Content(const Line& l) const {
    return text_.substr(l.content, l.end - l.content);
  }
  size_t SkipBlank(size_t i) const {
    while (i < lines_.size() && lines_[i].blank) ++i;
    return i;
  }
  size_t LineIndexOf(size_t offset) const;
  int LineNumberOf(size_t offset) const { return lines_[LineIndexOf(offset)].number; }
  bool IsDocMarker(const Line& l) const;
  static bool IsDashItem(absl::string_view c) {
    return c == "-" || absl::StartsWith(c, "- ") || absl::StartsWith(c, "-\t");
  }

  // Block structure; each starts at lines_[cur_] and leaves cur_ at the
  // first line it did not consume.
  absl::StatusOr<Node> BlockNode(int parent_indent, int depth);
  absl::StatusOr<Node> Mapping(int indent, int depth);
  absl::StatusOr<Node> Sequence(int indent, int depth);
  absl::StatusOr<Node> ValueAfterIndicator(size_t li, size_t offset, int owner_indent,
                                           bool allow_sequence_at_owner, int depth);
  absl::StatusOr<Node> InlineValue(size_t li, size_t offset, int owner_indent, int depth);
  absl::StatusOr<Node> PlainScalar(size_t li, size_t offset, int owner_indent);
  absl::StatusOr<Node> BlockScalar(size_t li, size_t offset, int owner_indent);

  struct Key {
    std::string text;
    size_t value_offset;  // first byte after the ':'
  };
  absl::StatusOr<std::optional<Key>> SplitKey(const Line& l) const;
  // Text of a plain scalar on [begin, end): stops at a comment; rejects ": ".
  absl::StatusOr<std::string> PlainPiece(size_t begin, size_t end, bool& saw_comment) const;

  // Character level (flow collections and quoted scalars may span lines).
  absl::StatusOr<Node> Flow(size_t& pos, int depth);
  absl::StatusOr<std::string> FlowPlain(size_t& pos) const;
  void SkipFlowSpace(size_t& pos) const;
  absl::StatusOr<std::string> DoubleQuoted(size_t& pos) const;
  absl::StatusOr<std::string> SingleQuoted(size_t& pos) const;
  void FoldBreak(size_t& pos, std::string& out) const;
  // The rest of the line holding `pos` must be blank or a comment; moves
  // cur_ past that line.
  absl::Status FinishLineAt(size_t pos);

  absl::string_view text_;
  std::vector<Line> lines_;
  size_t cur_ = 0;
};

}  // namespace raven::kube::yaml::internal

#endif  // RAVEN_COMMON_KUBE_YAML_PARSER_H_

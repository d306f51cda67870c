// yaml_lite: lines, block mappings and sequences, plain and block scalars.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/kube/yaml_parser.h"
#include "common/status_macros.h"

namespace raven::kube::yaml::internal {

void Parser::SplitLines() {
  size_t pos = 0;
  int number = 1;
  while (pos <= text_.size()) {
    Line l;
    l.number = number++;
    l.begin = pos;
    size_t nl = text_.find('\n', pos);
    size_t stop = nl == absl::string_view::npos ? text_.size() : nl;
    l.end = stop;
    if (l.end > l.begin && text_[l.end - 1] == '\r') --l.end;
    size_t c = l.begin;
    while (c < l.end && text_[c] == ' ') ++c;
    l.indent = static_cast<int>(c - l.begin);
    size_t first = c;
    while (first < l.end && IsSpace(text_[first])) ++first;
    l.tab_indent = first != c && first < l.end;
    l.content = first;
    l.blank = first == l.end || text_[first] == '#';
    lines_.push_back(l);
    if (nl == absl::string_view::npos) break;
    pos = nl + 1;
  }
}

size_t Parser::LineIndexOf(size_t offset) const {
  auto it = std::upper_bound(lines_.begin(), lines_.end(), offset,
                             [](size_t off, const Line& l) { return off < l.begin; });
  return it == lines_.begin() ? 0 : static_cast<size_t>(it - lines_.begin()) - 1;
}

bool Parser::IsDocMarker(const Line& l) const {
  if (l.indent != 0 || l.content != l.begin) return false;
  absl::string_view c = Content(l);
  for (absl::string_view marker : {"---", "..."}) {
    if (c == marker || (absl::StartsWith(c, marker) && IsSpace(c[3]))) return true;
  }
  return false;
}

absl::StatusOr<Node> Parser::Run() {
  if (text_.size() > kMaxInputBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("document of ", text_.size(), " bytes exceeds the limit of ", kMaxInputBytes));
  }
  if (absl::StartsWith(text_, "\xEF\xBB\xBF")) text_.remove_prefix(3);
  SplitLines();
  cur_ = SkipBlank(0);
  if (cur_ < lines_.size() && lines_[cur_].indent == 0 && text_[lines_[cur_].content] == '%') {
    return ErrorAt(lines_[cur_].number, "directives are not supported");
  }
  if (cur_ < lines_.size() && IsDocMarker(lines_[cur_])) {
    absl::string_view c = Content(lines_[cur_]);
    if (absl::StartsWith(c, "..."))
      return ErrorAt(lines_[cur_].number, "document end before start");
    absl::string_view rest = absl::StripLeadingAsciiWhitespace(c.substr(3));
    if (!rest.empty() && rest[0] != '#') {
      return ErrorAt(lines_[cur_].number, "content on the '---' line is not supported");
    }
    cur_ = SkipBlank(cur_ + 1);
  }
  Node root;
  if (cur_ < lines_.size() && !IsDocMarker(lines_[cur_])) {
    ASSIGN_OR_RETURN(root, BlockNode(-1, 0));
  }
  cur_ = SkipBlank(cur_);
  if (cur_ < lines_.size()) {
    const Line& l = lines_[cur_];
    if (IsDocMarker(l) && absl::StartsWith(Content(l), "...")) {
      if (SkipBlank(cur_ + 1) < lines_.size()) {
        return ErrorAt(lines_[SkipBlank(cur_ + 1)].number, "several documents are not supported");
      }
    } else if (IsDocMarker(l)) {
      return ErrorAt(l.number, "several documents are not supported");
    } else {
      return ErrorAt(l.number, "unexpected content (check the indentation)");
    }
  }
  return root;
}

absl::StatusOr<std::optional<Parser::Key>> Parser::SplitKey(const Line& l) const {
  absl::string_view c = Content(l);
  if (c.empty()) return std::nullopt;
  if (c[0] == '"' || c[0] == '\'') {
    size_t pos = l.content;
    absl::StatusOr<std::string> key = c[0] == '"' ? DoubleQuoted(pos) : SingleQuoted(pos);
    if (!key.ok() || pos > l.end) return std::nullopt;  // not a one-line quoted key
    while (pos < l.end && IsSpace(text_[pos])) ++pos;
    if (pos < l.end && text_[pos] == ':' && (pos + 1 == l.end || IsSpace(text_[pos + 1]))) {
      return Key{*std::move(key), pos + 1};
    }
    return std::nullopt;
  }
  switch (c[0]) {
    case '[':
    case '{':
    case '|':
    case '>':
    case '&':
    case '*':
    case '!':
    case '%':
    case '@':
    case '`':
    case '#':
      return std::nullopt;
    case '-':
    case '?':
      if (c.size() == 1 || IsSpace(c[1])) return std::nullopt;
      break;
    default:
      break;
  }
  for (size_t i = 0; i < c.size(); ++i) {
    if (c[i] == '#' && i > 0 && IsSpace(c[i - 1])) return std::nullopt;
    if (c[i] == ':' && (i + 1 == c.size() || IsSpace(c[i + 1]))) {
      absl::string_view key = absl::StripTrailingAsciiWhitespace(c.substr(0, i));
      if (key.empty()) return ErrorAt(l.number, "empty mapping key");
      return Key{std::string(key), l.content + i + 1};
    }
  }
  return std::nullopt;
}

absl::StatusOr<Node> Parser::BlockNode(int parent_indent, int depth) {
  if (depth > kMaxDepth) {
    return ErrorAt(lines_[cur_].number, absl::StrCat("nesting deeper than ", kMaxDepth));
  }
  const Line& l = lines_[cur_];
  if (l.tab_indent) return ErrorAt(l.number, "tabs are not allowed in indentation");
  if (IsDashItem(Content(l))) return Sequence(l.indent, depth);
  ASSIGN_OR_RETURN(std::optional<Key> key, SplitKey(l));
  if (key) return Mapping(l.indent, depth);
  return InlineValue(cur_, l.content, parent_indent, depth);
}

absl::StatusOr<Node> Parser::Mapping(int indent, int depth) {
  Node m;
  m.kind = Node::Kind::kMapping;
  m.line = lines_[cur_].number;
  while (true) {
    cur_ = SkipBlank(cur_);
    if (cur_ >= lines_.size()) break;
    const Line& l = lines_[cur_];
    if (IsDocMarker(l) || l.indent < indent) break;
    if (l.tab_indent) return ErrorAt(l.number, "tabs are not allowed in indentation");
    if (l.indent > indent) return ErrorAt(l.number, "unexpected indentation");
    if (IsDashItem(Content(l))) {
      return ErrorAt(l.number, "a sequence item where a mapping key was expected");
    }
    ASSIGN_OR_RETURN(std::optional<Key> key, SplitKey(l));
    if (!key) return ErrorAt(l.number, "expected \"key: value\"");
    for (const Node::Member& existing : m.members) {
      if (existing.key == key->text) {
        return ErrorAt(l.number, absl::StrCat("duplicate key \"", key->text, "\""));
      }
    }
    ASSIGN_OR_RETURN(Node value, ValueAfterIndicator(cur_, key->value_offset, indent,
                                                     /*allow_sequence_at_owner=*/true, depth + 1));
    m.members.push_back({std::move(key->text), std::move(value)});
  }
  return m;
}

absl::StatusOr<Node> Parser::Sequence(int indent, int depth) {
  Node s;
  s.kind = Node::Kind::kSequence;
  s.line = lines_[cur_].number;
  while (true) {
    cur_ = SkipBlank(cur_);
    if (cur_ >= lines_.size()) break;
    Line& l = lines_[cur_];
    if (IsDocMarker(l) || l.indent < indent) break;
    if (l.tab_indent) return ErrorAt(l.number, "tabs are not allowed in indentation");
    if (l.indent > indent) return ErrorAt(l.number, "unexpected indentation");
    if (!IsDashItem(Content(l))) break;  // e.g. the next key of the parent mapping
    size_t after = l.content + 1;
    while (after < l.end && IsSpace(text_[after])) ++after;
    Node item;
    if (after == l.end || text_[after] == '#') {
      ASSIGN_OR_RETURN(item, ValueAfterIndicator(cur_, after, indent,
                                                 /*allow_sequence_at_owner=*/false, depth + 1));
    } else {
      // The item's content is a node of its own, indented at its column.
      l.indent += static_cast<int>(after - l.content);
      l.content = after;
      ASSIGN_OR_RETURN(item, BlockNode(indent, depth + 1));
    }
    s.items.push_back(std::move(item));
  }
  return s;
}

absl::StatusOr<Node> Parser::ValueAfterIndicator(size_t li, size_t offset, int owner_indent,
                                                 bool allow_sequence_at_owner, int depth) {
  const Line& l = lines_[li];
  while (offset < l.end && IsSpace(text_[offset])) ++offset;
  if (offset < l.end && text_[offset] != '#') return InlineValue(li, offset, owner_indent, depth);
  cur_ = li + 1;
  size_t next = SkipBlank(cur_);
  if (next < lines_.size() && !IsDocMarker(lines_[next])) {
    const Line& n = lines_[next];
    if (n.indent > owner_indent) {
      cur_ = next;
      return BlockNode(owner_indent, depth);
    }
    if (allow_sequence_at_owner && n.indent == owner_indent && IsDashItem(Content(n))) {
      cur_ = next;
      return Sequence(owner_indent, depth);
    }
  }
  Node null;
  null.line = l.number;
  return null;
}

absl::StatusOr<Node> Parser::InlineValue(size_t li, size_t offset, int owner_indent, int depth) {
  const Line& l = lines_[li];
  char c = text_[offset];
  bool followed_by_space = offset + 1 >= l.end || IsSpace(text_[offset + 1]);
  switch (c) {
    case '{':
    case '[': {
      size_t pos = offset;
      ASSIGN_OR_RETURN(Node node, Flow(pos, depth));
      RETURN_IF_ERROR(FinishLineAt(pos));
      return node;
    }
    case '"':
    case '\'': {
      size_t pos = offset;
      Node node;
      node.kind = Node::Kind::kScalar;
      node.line = l.number;
      node.quoted = true;
      ASSIGN_OR_RETURN(node.scalar, c == '"' ? DoubleQuoted(pos) : SingleQuoted(pos));
      RETURN_IF_ERROR(FinishLineAt(pos));
      return node;
    }
    case '|':
    case '>':
      return BlockScalar(li, offset, owner_indent);
    case '&':
    case '*':
    case '!':
      return ErrorAt(l.number, "anchors, aliases and tags are not supported");
    case '%':
    case '@':
    case '`':
      return ErrorAt(l.number, absl::StrCat("a plain scalar cannot start with '", std::string(1, c),
                                            "'; quote it"));
    case '?':
      if (followed_by_space) return ErrorAt(l.number, "complex keys are not supported");
      break;
    case '-':
      if (followed_by_space) return ErrorAt(l.number, "a sequence item is not allowed here");
      break;
    default:
      break;
  }
  return PlainScalar(li, offset, owner_indent);
}

absl::StatusOr<std::string> Parser::PlainPiece(size_t begin, size_t end, bool& saw_comment) const {
  size_t stop = end;
  saw_comment = false;
  for (size_t i = begin; i < end; ++i) {
    char c = text_[i];
    if (c == '#' && i > begin && IsSpace(text_[i - 1])) {
      stop = i;
      saw_comment = true;
      break;
    }
    if (c == ':' && (i + 1 == end || IsSpace(text_[i + 1]))) {
      return ErrorAtOffset(i, "mapping values are not allowed here (quote the value)");
    }
  }
  return std::string(absl::StripTrailingAsciiWhitespace(text_.substr(begin, stop - begin)));
}

absl::StatusOr<Node> Parser::PlainScalar(size_t li, size_t offset, int owner_indent) {
  Node node;
  node.line = lines_[li].number;
  bool saw_comment = false;
  ASSIGN_OR_RETURN(std::string text, PlainPiece(offset, lines_[li].end, saw_comment));
  cur_ = li + 1;
  size_t pending_breaks = 0;
  for (size_t j = li + 1; !saw_comment && j < lines_.size(); ++j) {
    const Line& l = lines_[j];
    if (l.content == l.end) {  // empty: a line break inside the scalar
      ++pending_breaks;
      continue;
    }
    if (l.blank || l.indent <= owner_indent || IsDocMarker(l)) break;
    if (l.tab_indent) return ErrorAt(l.number, "tabs are not allowed in indentation");
    ASSIGN_OR_RETURN(std::string piece, PlainPiece(l.content, l.end, saw_comment));
    text += pending_breaks ? std::string(pending_breaks, '\n') : " ";
    text += piece;
    pending_breaks = 0;
    cur_ = j + 1;
  }
  if (IsNullScalar(text)) return node;
  node.kind = Node::Kind::kScalar;
  node.scalar = std::move(text);
  return node;
}

absl::StatusOr<Node> Parser::BlockScalar(size_t li, size_t offset, int owner_indent) {
  const Line& header = lines_[li];
  const bool literal = text_[offset] == '|';
  char chomp = 'c';  // clip
  size_t pos = offset + 1;
  if (pos < header.end && (text_[pos] == '-' || text_[pos] == '+')) chomp = text_[pos++];
  if (pos < header.end && absl::ascii_isdigit(static_cast<unsigned char>(text_[pos]))) {
    return ErrorAt(header.number, "explicit indentation indicators are not supported");
  }
  if (pos < header.end && !IsSpace(text_[pos])) {
    return ErrorAt(header.number, "unexpected characters after a block scalar indicator");
  }
  while (pos < header.end && IsSpace(text_[pos])) ++pos;
  if (pos < header.end && text_[pos] != '#') {
    return ErrorAt(header.number, "unexpected characters after a block scalar indicator");
  }

  // The first non-empty line sets the content indentation.
  auto raw = [&](const Line& l) { return text_.substr(l.begin, l.end - l.begin); };
  auto whitespace_only = [&](const Line& l) { return absl::StripAsciiWhitespace(raw(l)).empty(); };
  int content_indent = -1;
  for (size_t j = li + 1; j < lines_.size(); ++j) {
    if (whitespace_only(lines_[j])) continue;
    int spaces = 0;
    absl::string_view r = raw(lines_[j]);
    while (static_cast<size_t>(spaces) < r.size() && r[spaces] == ' ') ++spaces;
    content_indent = spaces;
    break;
  }
  std::vector<absl::string_view> body;
  size_t j = li + 1;
  if (content_indent > owner_indent) {
    for (; j < lines_.size(); ++j) {
      absl::string_view r = raw(lines_[j]);
      if (whitespace_only(lines_[j])) {
        body.push_back(r.size() > static_cast<size_t>(content_indent) && literal
                           ? r.substr(content_indent)
                           : absl::string_view());
        continue;
      }
      int spaces = 0;
      while (static_cast<size_t>(spaces) < r.size() && r[spaces] == ' ') ++spaces;
      if (spaces < content_indent) break;
      body.push_back(r.substr(content_indent));
    }
  }
  // Blank lines that follow the content belong to it only for "+".
  size_t trailing = 0;
  while (!body.empty() && absl::StripAsciiWhitespace(body.back()).empty()) {
    body.pop_back();
    ++trailing;
  }
  cur_ = j;

  std::string out;
  if (literal) {
    for (size_t k = 0; k < body.size(); ++k) {
      if (k) out += '\n';
      out.append(body[k].data(), body[k].size());
    }
  } else {
    size_t empties = 0;
    bool first = true, prev_more = false;
    for (absl::string_view b : body) {
      if (b.empty()) {
        ++empties;
        continue;
      }
      bool more = IsSpace(b[0]);
      if (first) {
        out.append(empties, '\n');
      } else if (!more && !prev_more) {
        out += empties ? std::string(empties, '\n') : " ";
      } else {
        out.append(empties + 1, '\n');
      }
      out.append(b.data(), b.size());
      first = false;
      prev_more = more;
      empties = 0;
    }
  }
  if (!body.empty() && chomp != '-') out += '\n';
  if (chomp == '+') out.append(trailing, '\n');

  Node node;
  node.kind = Node::Kind::kScalar;
  node.line = header.number;
  node.quoted = true;  // a block scalar is always a string
  node.scalar = std::move(out);
  return node;
}

absl::Status Parser::FinishLineAt(size_t pos) {
  size_t li = LineIndexOf(pos);
  const Line& l = lines_[li];
  size_t p = std::max(pos, l.begin);
  while (p < l.end && IsSpace(text_[p])) ++p;
  // A comment must be separated from the value by whitespace.
  if (p < l.end && !(text_[p] == '#' && p > pos)) {
    return ErrorAt(l.number, "unexpected characters after a value");
  }
  cur_ = li + 1;
  return absl::OkStatus();
}

}  // namespace raven::kube::yaml::internal

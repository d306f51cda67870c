// yaml_lite: flow collections and quoted scalars (they may span lines).
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

void AppendUtf8(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}
void Parser::SkipFlowSpace(size_t& pos) const {
  while (pos < text_.size()) {
    char c = text_[pos];
    if (IsSpace(c) || IsBreak(c)) {
      ++pos;
    } else if (c == '#' && (pos == 0 || IsSpace(text_[pos - 1]) || IsBreak(text_[pos - 1]))) {
      while (pos < text_.size() && text_[pos] != '\n') ++pos;
    } else {
      break;
    }
  }
}

absl::StatusOr<std::string> Parser::FlowPlain(size_t& pos) const {
  std::string out;
  while (pos < text_.size()) {
    char c = text_[pos];
    if (IsFlowIndicator(c)) break;
    if (c == ':') {
      char n = pos + 1 < text_.size() ? text_[pos + 1] : ' ';
      if (IsSpace(n) || IsBreak(n) || IsFlowIndicator(n)) break;
    }
    if (c == '#' && pos > 0 && IsSpace(text_[pos - 1])) break;
    if (IsBreak(c)) {
      // A plain scalar may continue on the next line unless that line starts
      // with something that ends it.
      size_t look = pos;
      while (look < text_.size() && (IsSpace(text_[look]) || IsBreak(text_[look]))) ++look;
      if (look >= text_.size() || IsFlowIndicator(text_[look]) || text_[look] == ':' ||
          text_[look] == '#') {
        break;
      }
      out = std::string(absl::StripTrailingAsciiWhitespace(out));
      out += ' ';
      pos = look;
      continue;
    }
    out += c;
    ++pos;
  }
  return std::string(absl::StripTrailingAsciiWhitespace(out));
}

absl::StatusOr<Node> Parser::Flow(size_t& pos, int depth) {
  if (depth > kMaxDepth) {
    return ErrorAtOffset(pos, absl::StrCat("nesting deeper than ", kMaxDepth));
  }
  SkipFlowSpace(pos);
  if (pos >= text_.size()) {
    return ErrorAtOffset(text_.size(), "unexpected end of input in a flow collection");
  }
  Node node;
  node.line = LineNumberOf(pos);
  const char c = text_[pos];
  if (c == '{' || c == '[') {
    const bool mapping = c == '{';
    const char close = mapping ? '}' : ']';
    node.kind = mapping ? Node::Kind::kMapping : Node::Kind::kSequence;
    const int open_line = node.line;
    ++pos;
    while (true) {
      SkipFlowSpace(pos);
      if (pos >= text_.size()) {
        return ErrorAt(open_line,
                       absl::StrCat("unterminated flow ", mapping ? "mapping" : "sequence"));
      }
      if (text_[pos] == close) {
        ++pos;
        return node;
      }
      if (mapping) {
        size_t key_pos = pos;
        std::string key;
        if (text_[pos] == '"') {
          ASSIGN_OR_RETURN(key, DoubleQuoted(pos));
        } else if (text_[pos] == '\'') {
          ASSIGN_OR_RETURN(key, SingleQuoted(pos));
        } else if (IsFlowIndicator(text_[pos]) || text_[pos] == ':') {
          return ErrorAtOffset(pos, absl::StrCat("expected a mapping key, found '",
                                                 std::string(1, text_[pos]), "'"));
        } else {
          ASSIGN_OR_RETURN(key, FlowPlain(pos));
        }
        for (const Node::Member& existing : node.members) {
          if (existing.key == key) {
            return ErrorAtOffset(key_pos, absl::StrCat("duplicate key \"", key, "\""));
          }
        }
        SkipFlowSpace(pos);
        Node value;
        if (pos < text_.size() && text_[pos] == ':') {
          ++pos;
          SkipFlowSpace(pos);
          if (pos < text_.size() && (text_[pos] == ',' || text_[pos] == close)) {
            value.line = LineNumberOf(pos);
          } else {
            ASSIGN_OR_RETURN(value, Flow(pos, depth + 1));
          }
        } else if (pos < text_.size() && (text_[pos] == ',' || text_[pos] == close)) {
          value.line = LineNumberOf(pos);
        } else {
          return ErrorAtOffset(std::min(pos, text_.size()), "expected ':' after a mapping key");
        }
        node.members.push_back({std::move(key), std::move(value)});
      } else {
        ASSIGN_OR_RETURN(Node item, Flow(pos, depth + 1));
        node.items.push_back(std::move(item));
      }
      SkipFlowSpace(pos);
      if (pos >= text_.size()) {
        return ErrorAt(open_line,
                       absl::StrCat("unterminated flow ", mapping ? "mapping" : "sequence"));
      }
      if (text_[pos] == ',') {
        ++pos;
      } else if (text_[pos] != close) {
        return ErrorAtOffset(std::min(pos, text_.size()),
                             absl::StrCat("expected ',' or '", std::string(1, close), "'"));
      }
    }
  }
  switch (c) {
    case '"':
    case '\'': {
      node.kind = Node::Kind::kScalar;
      node.quoted = true;
      ASSIGN_OR_RETURN(node.scalar, c == '"' ? DoubleQuoted(pos) : SingleQuoted(pos));
      return node;
    }
    case ']':
    case '}':
    case ',':
    case ':':
      return ErrorAtOffset(pos, absl::StrCat("unexpected '", std::string(1, c), "'"));
    case '&':
    case '*':
    case '!':
      return ErrorAtOffset(pos, "anchors, aliases and tags are not supported");
    case '|':
    case '>':
    case '%':
    case '@':
    case '`':
      return ErrorAtOffset(pos, absl::StrCat("a plain scalar cannot start with '",
                                             std::string(1, c), "'; quote it"));
    case '-':
    case '?':
      if (pos + 1 >= text_.size() || IsSpace(text_[pos + 1]) || IsBreak(text_[pos + 1])) {
        return ErrorAtOffset(
            pos, absl::StrCat("unexpected '", std::string(1, c), "' in a flow collection"));
      }
      break;
    default:
      break;
  }
  ASSIGN_OR_RETURN(std::string text, FlowPlain(pos));
  if (IsNullScalar(text)) return node;
  node.kind = Node::Kind::kScalar;
  node.scalar = std::move(text);
  return node;
}

// Folds a line break inside a quoted scalar: one break becomes a space, n+1
// breaks become n newlines; leading whitespace of the next line is dropped.
void Parser::FoldBreak(size_t& pos, std::string& out) const {
  size_t breaks = 0;
  while (pos < text_.size() && IsBreak(text_[pos])) {
    if (text_[pos] == '\r' && pos + 1 < text_.size() && text_[pos + 1] == '\n') ++pos;
    ++pos;
    ++breaks;
    while (pos < text_.size() && IsSpace(text_[pos])) ++pos;
  }
  out += breaks > 1 ? std::string(breaks - 1, '\n') : " ";
}

absl::StatusOr<std::string> Parser::DoubleQuoted(size_t& pos) const {
  const size_t open = pos++;
  std::string out;
  size_t keep = 0;  // out's length without trailing unescaped whitespace
  auto hex = [&](int digits) -> absl::StatusOr<uint32_t> {
    uint32_t v = 0;
    for (int i = 0; i < digits; ++i, ++pos) {
      if (pos >= text_.size() || !absl::ascii_isxdigit(static_cast<unsigned char>(text_[pos]))) {
        return ErrorAtOffset(std::min(pos, text_.size()), "invalid hexadecimal escape");
      }
      char h = text_[pos];
      v = v * 16 + static_cast<uint32_t>(absl::ascii_isdigit(static_cast<unsigned char>(h))
                                             ? h - '0'
                                             : absl::ascii_tolower(static_cast<unsigned char>(h)) -
                                                   'a' + 10);
    }
    return v;
  };
  while (true) {
    if (pos >= text_.size()) return ErrorAtOffset(open, "unterminated double-quoted scalar");
    char c = text_[pos];
    if (c == '"') {
      ++pos;
      return out;
    }
    if (IsBreak(c)) {
      out.resize(keep);
      FoldBreak(pos, out);
      keep = out.size();
      continue;
    }
    if (c != '\\') {
      out += c;
      ++pos;
      if (!IsSpace(c)) keep = out.size();
      continue;
    }
    ++pos;
    if (pos >= text_.size()) return ErrorAtOffset(open, "unterminated double-quoted scalar");
    char e = text_[pos++];
    switch (e) {
      case '0':
        out += '\0';
        break;
      case 'a':
        out += '\a';
        break;
      case 'b':
        out += '\b';
        break;
      case 't':
      case '\t':
        out += '\t';
        break;
      case 'n':
        out += '\n';
        break;
      case 'v':
        out += '\v';
        break;
      case 'f':
        out += '\f';
        break;
      case 'r':
        out += '\r';
        break;
      case 'e':
        out += '\x1b';
        break;
      case ' ':
        out += ' ';
        break;
      case '"':
        out += '"';
        break;
      case '/':
        out += '/';
        break;
      case '\\':
        out += '\\';
        break;
      case 'N':
        AppendUtf8(0x85, out);
        break;
      case '_':
        AppendUtf8(0xA0, out);
        break;
      case 'L':
        AppendUtf8(0x2028, out);
        break;
      case 'P':
        AppendUtf8(0x2029, out);
        break;
      case 'x':
      case 'u':
      case 'U': {
        ASSIGN_OR_RETURN(uint32_t cp, hex(e == 'x' ? 2 : e == 'u' ? 4 : 8));
        if (cp >= 0xD800 && cp <= 0xDBFF && e == 'u' && pos + 1 < text_.size() &&
            text_[pos] == '\\' && text_[pos + 1] == 'u') {
          pos += 2;
          ASSIGN_OR_RETURN(uint32_t low, hex(4));
          if (low < 0xDC00 || low > 0xDFFF) return ErrorAtOffset(pos, "invalid surrogate pair");
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        }
        if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
          return ErrorAtOffset(pos, "invalid Unicode escape");
        }
        AppendUtf8(cp, out);
        break;
      }
      case '\r':
      case '\n':
        // An escaped line break joins the lines without a space.
        if (e == '\r' && pos < text_.size() && text_[pos] == '\n') ++pos;
        while (pos < text_.size() && IsSpace(text_[pos])) ++pos;
        break;
      default:
        return ErrorAtOffset(pos - 1, absl::StrCat("invalid escape '\\", std::string(1, e), "'"));
    }
    keep = out.size();
  }
}

absl::StatusOr<std::string> Parser::SingleQuoted(size_t& pos) const {
  const size_t open = pos++;
  std::string out;
  size_t keep = 0;
  while (true) {
    if (pos >= text_.size()) return ErrorAtOffset(open, "unterminated single-quoted scalar");
    char c = text_[pos];
    if (c == '\'') {
      if (pos + 1 < text_.size() && text_[pos + 1] == '\'') {
        out += '\'';
        pos += 2;
        keep = out.size();
        continue;
      }
      ++pos;
      return out;
    }
    if (IsBreak(c)) {
      out.resize(keep);
      FoldBreak(pos, out);
      keep = out.size();
      continue;
    }
    out += c;
    ++pos;
    if (!IsSpace(c)) keep = out.size();
  }
}

}  // namespace raven::kube::yaml::internal

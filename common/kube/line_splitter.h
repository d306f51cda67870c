// Splits a byte stream into '\n'-terminated lines ("\r\n" too), bounding
// the length of a line: a longer one is skipped up to its newline and
// reported by its size instead of being buffered.
#ifndef RAVEN_COMMON_KUBE_LINE_SPLITTER_H_
#define RAVEN_COMMON_KUBE_LINE_SPLITTER_H_

#include <cstddef>
#include <functional>
#include <string>

#include "absl/strings/string_view.h"

namespace raven::kube {

class LineSplitter {
 public:
  LineSplitter(size_t max_line_bytes, std::function<bool(absl::string_view)> on_line,
               std::function<void(size_t)> on_oversize)
      : max_(max_line_bytes), on_line_(std::move(on_line)), on_oversize_(std::move(on_oversize)) {}

  // Returns false when on_line asked to stop.
  bool Feed(absl::string_view chunk);
  // Delivers an unterminated last line, if any.
  bool Finish();

 private:
  bool Emit(absl::string_view line);

  const size_t max_;
  std::function<bool(absl::string_view)> on_line_;
  std::function<void(size_t)> on_oversize_;
  std::string pending_;
  size_t skipped_ = 0;  // > 0 while discarding an oversized line
};

}  // namespace raven::kube

#endif  // RAVEN_COMMON_KUBE_LINE_SPLITTER_H_

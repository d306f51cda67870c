#include "common/kube/line_splitter.h"

namespace raven::kube {

bool LineSplitter::Emit(absl::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.empty()) return true;
  return on_line_(line);
}

bool LineSplitter::Feed(absl::string_view chunk) {
  while (!chunk.empty()) {
    size_t nl = chunk.find('\n');
    absl::string_view piece = chunk.substr(0, nl);
    if (skipped_ > 0) {
      skipped_ += piece.size();
    } else if (pending_.size() + piece.size() > max_) {
      skipped_ = pending_.size() + piece.size();
      pending_.clear();
    } else if (nl != absl::string_view::npos && pending_.empty()) {
      if (!Emit(piece)) return false;  // the common case: no copy
      chunk.remove_prefix(nl + 1);
      continue;
    } else {
      pending_.append(piece.data(), piece.size());
    }
    if (nl == absl::string_view::npos) break;
    chunk.remove_prefix(nl + 1);
    if (skipped_ > 0) {
      if (on_oversize_) on_oversize_(skipped_);
      skipped_ = 0;
      continue;
    }
    std::string line = std::move(pending_);
    pending_.clear();
    if (!Emit(line)) return false;
  }
  return true;
}

bool LineSplitter::Finish() {
  if (skipped_ > 0) {
    if (on_oversize_) on_oversize_(skipped_);
    skipped_ = 0;
    return true;
  }
  std::string line = std::move(pending_);
  pending_.clear();
  return Emit(line);
}

}  // namespace raven::kube

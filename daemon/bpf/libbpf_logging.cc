#include "daemon/bpf/libbpf_logging.h"

#include <bpf/libbpf.h>

#include <cstdarg>
#include <cstdio>

#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "common/logging.h"

namespace raven::bpf {
namespace {

int ForwardLibbpfLog(enum libbpf_print_level level, const char* format, va_list args) {
  char line[1024];
  std::vsnprintf(line, sizeof(line), format, args);
  absl::string_view text = absl::StripTrailingAsciiWhitespace(line);
  // The kernel's extended ack repeats an error libbpf also returns, which the
  // caller reports with context, or one it expects (EEXIST from an existing
  // clsact qdisc): not worth a warning of its own.
  const bool extack = absl::StrContains(text, "Kernel error message:");
  if (level == LIBBPF_WARN && !extack) {
    RAVEN_LOG(kWarning, text);
  } else {
    RAVEN_LOG(kDebug, text);
  }
  return 0;
}

}  // namespace

void ForwardLibbpfLogs() { libbpf_set_print(ForwardLibbpfLog); }

}  // namespace raven::bpf

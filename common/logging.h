// Minimal leveled logging to stderr: "2026-11-25T08:59:01.123Z I file.cc:42] message".
#ifndef RAVEN_COMMON_LOGGING_H_
#define RAVEN_COMMON_LOGGING_H_

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace raven {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

void SetMinLogLevel(LogLevel level);
// "debug", "info", "warning" or "error" (the --log_level flag); false otherwise.
bool ParseLogLevel(absl::string_view text, LogLevel& level);
bool LogEnabled(LogLevel level);
void LogLine(LogLevel level, const char* file, int line, absl::string_view message);

}  // namespace raven

#define RAVEN_LOG(level, ...)                                                                      \
  do {                                                                                             \
    if (::raven::LogEnabled(::raven::LogLevel::level))                                             \
      ::raven::LogLine(::raven::LogLevel::level, __FILE__, __LINE__, ::absl::StrCat(__VA_ARGS__)); \
  } while (0)

#endif  // RAVEN_COMMON_LOGGING_H_

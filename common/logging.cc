#include "common/logging.h"

#include <atomic>
#include <cstdio>
#include <cstring>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace raven {
namespace {

std::atomic<int> min_level{static_cast<int>(LogLevel::kInfo)};

char LevelLetter(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return 'D';
    case LogLevel::kInfo:
      return 'I';
    case LogLevel::kWarning:
      return 'W';
    case LogLevel::kError:
      return 'E';
  }
  return '?';
}

}  // namespace

void SetMinLogLevel(LogLevel level) { min_level = static_cast<int>(level); }

bool LogEnabled(LogLevel level) { return static_cast<int>(level) >= min_level; }

void LogLine(LogLevel level, const char* file, int line, absl::string_view message) {
  const char* base = std::strrchr(file, '/');
  std::string stamp = absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone());
  // One fprintf per line keeps lines from concurrent threads whole.
  std::fprintf(stderr, "%s %c %s:%d] %.*s\n", stamp.c_str(), LevelLetter(level),
               base ? base + 1 : file, line, static_cast<int>(message.size()), message.data());
}

bool ParseLogLevel(absl::string_view text, LogLevel& level) {
  if (text == "debug") {
    level = LogLevel::kDebug;
  } else if (text == "info") {
    level = LogLevel::kInfo;
  } else if (text == "warning") {
    level = LogLevel::kWarning;
  } else if (text == "error") {
    level = LogLevel::kError;
  } else {
    return false;
  }
  return true;
}

}  // namespace raven

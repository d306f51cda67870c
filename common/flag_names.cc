#include "common/flag_names.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace raven {
namespace {

// Abseil records where a flag is defined as the compiler saw the file
// ("../daemon/main.cc" in a meson build).
bool DefinedInMain(absl::string_view file) {
  return file == "main.cc" || absl::EndsWith(file, "/main.cc");
}

bool WantsHelp(const std::vector<char*>& args) {
  for (size_t i = 1; i < args.size(); ++i) {
    absl::string_view arg = args[i];
    if (arg == "--") return false;
    if (arg == "--help" || arg == "-help" || arg == "-h") return true;
  }
  return false;
}

// Returns argv with dashes in flag names (not values) turned into
// underscores; storage owns the strings the result points into.
std::vector<char*> NormalizeFlagNames(int argc, char** argv, std::vector<std::string>& storage) {
  storage.assign(argv, argv + argc);
  std::vector<char*> out;
  for (auto& arg : storage) {
    if (arg.rfind("--", 0) == 0) {
      size_t end = std::min(arg.find('='), arg.size());
      for (size_t i = 2; i < end; ++i) {
        if (arg[i] == '-') arg[i] = '_';
      }
    }
    out.push_back(arg.data());
  }
  return out;
}

// `usage`, then the flags defined in main.cc.
std::string MainFlagsHelp(absl::string_view usage) {
  std::vector<const absl::CommandLineFlag*> flags;
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    if (DefinedInMain(flag->Filename())) flags.push_back(flag);
  }
  std::sort(flags.begin(), flags.end(),
            [](const auto* a, const auto* b) { return a->Name() < b->Name(); });
  std::string out = absl::StrCat(usage, "\n\nFlags (--name=value; names take - or _):\n");
  for (const absl::CommandLineFlag* flag : flags) {
    std::string default_value = flag->DefaultValue();
    if (flag->IsOfType<std::string>()) default_value = absl::StrCat("\"", default_value, "\"");
    absl::StrAppend(&out, "  --", absl::StrReplaceAll(flag->Name(), {{"_", "-"}}), " (default ",
                    default_value, ")\n      ", flag->Help(), "\n");
  }
  absl::StrAppend(&out, "\n--helpfull also lists Abseil's flags (--flagfile, --fromenv, ...).\n");
  return out;
}

}  // namespace

void ParseFlags(int argc, char** argv, absl::string_view usage) {
  // For the help flags Abseil still handles (--helpshort, --helppackage).
  absl::FlagsUsageConfig config;
  config.contains_help_flags = DefinedInMain;
  config.contains_helpshort_flags = DefinedInMain;
  config.contains_helppackage_flags = DefinedInMain;
  absl::SetFlagsUsageConfig(config);
  absl::SetProgramUsageMessage(usage);

  std::vector<std::string> storage;
  std::vector<char*> args = NormalizeFlagNames(argc, argv, storage);
  if (WantsHelp(args)) {
    std::fputs(MainFlagsHelp(usage).c_str(), stdout);
    std::exit(0);
  }
  absl::ParseCommandLine(static_cast<int>(args.size()), args.data());
}

}  // namespace raven

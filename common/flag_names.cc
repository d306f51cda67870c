#include "common/flag_names.h"

#include <algorithm>

namespace raven {

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

}  // namespace raven

// Helpers shared by the kube tests: status matchers, a scratch directory,
// and a throwaway CA with a server and a client certificate.
#ifndef RAVEN_TESTS_UNIT_KUBE_TEST_UTIL_H_
#define RAVEN_TESTS_UNIT_KUBE_TEST_UTIL_H_

#include <gmock/gmock.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace raven::kube::testing {

MATCHER(IsOk, "is OK") {
  if constexpr (std::is_same_v<std::decay_t<arg_type>, absl::Status>) {
    *result_listener << arg;
    return arg.ok();
  } else {
    *result_listener << arg.status();
    return arg.ok();
  }
}

MATCHER_P(StatusIs, code, "has code " + absl::StatusCodeToString(code)) {
  absl::Status s;
  if constexpr (std::is_same_v<std::decay_t<arg_type>, absl::Status>) {
    s = arg;
  } else {
    s = arg.status();
  }
  *result_listener << s;
  return s.code() == code;
}

MATCHER_P2(StatusIs, code, substring,
           "has code " + absl::StatusCodeToString(code) + " and a message containing " +
               ::testing::PrintToString(substring)) {
  absl::Status s;
  if constexpr (std::is_same_v<std::decay_t<arg_type>, absl::Status>) {
    s = arg;
  } else {
    s = arg.status();
  }
  *result_listener << s;
  return s.code() == code && std::string(s.message()).find(substring) != std::string::npos;
}

// A fresh directory under $TMPDIR, removed (recursively) on destruction.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::string& path() const { return path_; }
  std::string Write(const std::string& name, const std::string& contents) const;

 private:
  std::string path_;
};

std::string ReadFileOrDie(const std::string& path);

// A CA, a server certificate for 127.0.0.1 (and localhost), and a client
// certificate, made with the openssl command into `dir`.
struct TestPki {
  std::string ca_cert, ca_key;                          // paths
  std::string server_cert, server_key;                  // paths
  std::string client_cert, client_key;                  // paths
  std::string ca_pem, client_cert_pem, client_key_pem;  // contents
  std::string other_ca_pem;                             // an unrelated CA, for negative tests
};
absl::StatusOr<TestPki> MakeTestPki(const std::string& dir);

// YAML (through yaml-cpp) to JSON: unquoted true/false/numbers become JSON
// booleans and numbers, null stays null, everything else is a string.
absl::StatusOr<std::string> YamlToJson(absl::string_view yaml);

}  // namespace raven::kube::testing

#endif  // RAVEN_TESTS_UNIT_KUBE_TEST_UTIL_H_

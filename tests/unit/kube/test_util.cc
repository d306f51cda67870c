#include "tests/unit/kube/test_util.h"

#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/kube/yaml_json.h"

namespace raven::kube::testing {

ScratchDir::ScratchDir() {
  const char* base = std::getenv("TMPDIR");
  std::string templ = absl::StrCat(base ? base : "/tmp", "/raven-kube-test-XXXXXX");
  char* made = ::mkdtemp(templ.data());
  if (made == nullptr) std::abort();
  path_ = made;
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string ScratchDir::Write(const std::string& name, const std::string& contents) const {
  std::string path = absl::StrCat(path_, "/", name);
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << contents;
  return path;
}

std::string ReadFileOrDie(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) std::abort();
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

namespace {

absl::Status Run(const std::string& command) {
  std::string quiet = absl::StrCat(command, " >/dev/null 2>&1");
  int rc = std::system(quiet.c_str());
  if (rc != 0) return absl::InternalError(absl::StrCat("command failed (", rc, "): ", command));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<TestPki> MakeTestPki(const std::string& dir) {
  TestPki pki;
  pki.ca_cert = dir + "/ca.crt";
  pki.ca_key = dir + "/ca.key";
  pki.server_cert = dir + "/server.crt";
  pki.server_key = dir + "/server.key";
  pki.client_cert = dir + "/client.crt";
  pki.client_key = dir + "/client.key";
  std::string ext = dir + "/san.ext";
  std::ofstream(ext) << "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                        "extendedKeyUsage=serverAuth\n";
  std::string client_ext = dir + "/client.ext";
  std::ofstream(client_ext) << "extendedKeyUsage=clientAuth\n";
  const std::string ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
  absl::Status s = Run(absl::StrCat("openssl req -x509 ", ec, " -keyout ", pki.ca_key, " -out ",
                                    pki.ca_cert, " -days 2 -subj /CN=raven-test-ca"));
  if (s.ok()) {
    s = Run(absl::StrCat("openssl req ", ec, " -keyout ", pki.server_key, " -out ", dir,
                         "/server.csr -subj /CN=127.0.0.1"));
  }
  if (s.ok()) {
    s = Run(absl::StrCat("openssl x509 -req -in ", dir, "/server.csr -CA ", pki.ca_cert, " -CAkey ",
                         pki.ca_key, " -CAcreateserial -days 2 -extfile ", ext, " -out ",
                         pki.server_cert));
  }
  if (s.ok()) {
    s = Run(absl::StrCat("openssl req ", ec, " -keyout ", pki.client_key, " -out ", dir,
                         "/client.csr -subj /CN=raven-agent/O=raven"));
  }
  if (s.ok()) {
    s = Run(absl::StrCat("openssl x509 -req -in ", dir, "/client.csr -CA ", pki.ca_cert, " -CAkey ",
                         pki.ca_key, " -CAcreateserial -days 2 -extfile ", client_ext, " -out ",
                         pki.client_cert));
  }
  if (s.ok()) {
    s = Run(absl::StrCat("openssl req -x509 ", ec, " -keyout ", dir, "/other.key -out ", dir,
                         "/other.crt -days 2 -subj /CN=other-ca"));
  }
  if (!s.ok()) return s;
  pki.ca_pem = ReadFileOrDie(pki.ca_cert);
  pki.client_cert_pem = ReadFileOrDie(pki.client_cert);
  pki.client_key_pem = ReadFileOrDie(pki.client_key);
  pki.other_ca_pem = ReadFileOrDie(dir + "/other.crt");
  return pki;
}

absl::StatusOr<std::string> YamlToJson(absl::string_view yaml_text) {
  return yaml::ToJson(yaml_text);
}

}  // namespace raven::kube::testing

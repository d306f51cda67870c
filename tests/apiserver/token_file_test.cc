// --token-file: the token is read from a file only its owner can read.
#include "lab/apiserver/token_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace raven::apiserver {
namespace {

class TokenFileTest : public ::testing::Test {
 protected:
  // Writes `content` to a fresh file with `mode` and returns its path.
  std::string Write(const std::string& content, mode_t mode) {
    std::string path = absl::StrCat(::testing::TempDir(), "/token-", getpid(), "-", files_++);
    ::unlink(path.c_str());
    std::ofstream(path) << content;
    EXPECT_EQ(::chmod(path.c_str(), mode), 0);
    paths_.push_back(path);
    return path;
  }
  ~TokenFileTest() override {
    for (const std::string& p : paths_) ::unlink(p.c_str());
  }

 private:
  int files_ = 0;
  std::vector<std::string> paths_;
};

TEST_F(TokenFileTest, AnOwnerOnlyFileIsRead) {
  absl::StatusOr<std::string> token = ReadTokenFile(Write("s3cret\n", 0600));
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(*token, "s3cret");
  EXPECT_EQ(*ReadTokenFile(Write("s3cret", 0400)), "s3cret");
  EXPECT_EQ(*ReadTokenFile(Write("s3cret\r\n", 0600)), "s3cret");
}

TEST_F(TokenFileTest, AFileOthersCanAccessIsRefused) {
  std::string path = Write("s3cret\n", 0644);
  absl::StatusOr<std::string> token = ReadTokenFile(path);
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(token.status().message(), path)) << token.status();
  EXPECT_TRUE(absl::StrContains(token.status().message(), "mode 0644")) << token.status();
  for (mode_t mode : {0640, 0604, 0610, 0602}) {
    EXPECT_FALSE(ReadTokenFile(Write("s3cret\n", mode)).ok()) << std::oct << mode;
  }
}

TEST_F(TokenFileTest, EmptyOrMissingFilesAreRefused) {
  EXPECT_EQ(ReadTokenFile(Write("\n", 0600)).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReadTokenFile("/nonexistent/token").status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace raven::apiserver

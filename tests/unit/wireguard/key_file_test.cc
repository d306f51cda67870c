#include "daemon/wireguard/key_file.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace raven::wg {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class KeyFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "raven-keyfile-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/wg.key";
  }
  void TearDown() override {
    std::string cmd = "rm -rf '" + dir_ + "'";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
  }

  void Write(const std::string& text, mode_t mode) {
    std::ofstream(path_) << text;
    ASSERT_EQ(chmod(path_.c_str(), mode), 0);
  }
  std::string Read() {
    std::ifstream in(path_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  std::vector<std::string> DirEntries() {
    std::vector<std::string> names;
    DIR* d = opendir(dir_.c_str());
    while (dirent* e = readdir(d)) {
      std::string name = e->d_name;
      if (name != "." && name != "..") names.push_back(name);
    }
    closedir(d);
    return names;
  }

  std::string dir_;
  std::string path_;
};

TEST_F(KeyFileTest, CreatesPrivateFileAndReloadsSameKey) {
  absl::StatusOr<KeyPair> created = LoadOrCreateKeyFile(path_);
  ASSERT_TRUE(created.ok()) << created.status();
  struct stat st;
  ASSERT_EQ(stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(st.st_uid, geteuid());
  EXPECT_EQ(Read(), created->private_key.ToBase64() + "\n");
  EXPECT_THAT(DirEntries(), ::testing::ElementsAre("wg.key"));  // no temp file left

  absl::StatusOr<KeyPair> loaded = LoadOrCreateKeyFile(path_);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->private_key, created->private_key);
  EXPECT_EQ(loaded->public_key, created->public_key);
}

TEST_F(KeyFileTest, CreatesWith0600EvenUnderPermissiveUmask) {
  mode_t old = umask(0);
  absl::StatusOr<KeyPair> created = LoadOrCreateKeyFile(path_);
  umask(old);
  ASSERT_TRUE(created.ok()) << created.status();
  struct stat st;
  ASSERT_EQ(stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
}

TEST_F(KeyFileTest, LoadsKeyWrittenByWgGenkey) {
  // `wg genkey` output: base64 and a newline. RFC 7748 Alice.
  Write("dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=\n", 0600);
  absl::StatusOr<KeyPair> loaded = LoadOrCreateKeyFile(path_);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->public_key.ToBase64(), "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=");
}

TEST_F(KeyFileTest, AcceptsReadOnlyOwnerMode) {
  Write("dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=\n", 0400);
  EXPECT_TRUE(LoadOrCreateKeyFile(path_).ok());
}

TEST_F(KeyFileTest, RejectsGroupOrWorldReadableFile) {
  for (mode_t mode : {0644, 0640, 0604, 0700}) {
    Write("dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=\n", mode);
    absl::StatusOr<KeyPair> loaded = LoadOrCreateKeyFile(path_);
    ASSERT_FALSE(loaded.ok()) << "mode " << std::oct << mode;
    EXPECT_EQ(loaded.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(loaded.status().message(), HasSubstr("mode"));
  }
  // The rejected key was not replaced.
  EXPECT_EQ(Read(), "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=\n");
}

TEST_F(KeyFileTest, RejectsFileOwnedBySomeoneElse) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to chown";
  Write("dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=\n", 0600);
  ASSERT_EQ(chown(path_.c_str(), 65534, 65534), 0);
  absl::StatusOr<KeyPair> loaded = LoadOrCreateKeyFile(path_);
  ASSERT_FALSE(loaded.ok());
  EXPECT_THAT(loaded.status().message(), HasSubstr("owned by uid 65534"));
}

TEST_F(KeyFileTest, RejectsGarbageWithoutEchoingIt) {
  for (const char* garbage : {"", "hunter2\n", "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo",
                              "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=\nextra\n"}) {
    Write(garbage, 0600);
    absl::StatusOr<KeyPair> loaded = LoadOrCreateKeyFile(path_);
    ASSERT_FALSE(loaded.ok()) << "accepted \"" << garbage << "\"";
    EXPECT_EQ(loaded.status().code(), absl::StatusCode::kInvalidArgument);
    if (*garbage != '\0') {
      EXPECT_THAT(loaded.status().message(), Not(HasSubstr(std::string(garbage, 7))));
    }
  }
}

TEST_F(KeyFileTest, RejectsDirectoryAndMissingParent) {
  ASSERT_EQ(mkdir(path_.c_str(), 0700), 0);
  EXPECT_FALSE(LoadOrCreateKeyFile(path_).ok());
  EXPECT_FALSE(LoadOrCreateKeyFile(dir_ + "/missing/wg.key").ok());
}

}  // namespace
}  // namespace raven::wg

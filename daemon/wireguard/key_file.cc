#include "daemon/wireguard/key_file.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/fd.h"
#include "common/logging.h"
#include "common/status_macros.h"

namespace raven::wg {
namespace {

constexpr size_t kMaxKeyFileSize = 256;

absl::Status ErrnoError(absl::string_view what, const std::string& path) {
  int err = errno;
  return absl::ErrnoToStatus(err, absl::StrCat(what, " ", path));
}

std::string DirectoryOf(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

absl::StatusOr<KeyPair> PairFromPrivate(const Key& private_key) {
  KeyPair pair{private_key, {}};
  ASSIGN_OR_RETURN(pair.public_key, PublicKeyOf(private_key));
  return pair;
}

// Returns NotFound when the file does not exist.
absl::StatusOr<KeyPair> LoadKeyFile(const std::string& path) {
  Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return ErrnoError("open key file", path);
  struct stat st;
  if (fstat(fd.get(), &st) != 0) return ErrnoError("stat key file", path);
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat("key file ", path, " is not a regular file"));
  }
  if (st.st_uid != geteuid()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "key file ", path, " is owned by uid ", st.st_uid, ", not by us (uid ", geteuid(), ")"));
  }
  mode_t perms = st.st_mode & 07777;
  if (perms != 0600 && perms != 0400) {
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(perms));
    return absl::FailedPreconditionError(
        absl::StrCat("key file ", path, " has mode ", mode, "; want 0600 (chmod 600 ", path, ")"));
  }
  char buf[kMaxKeyFileSize + 1];
  ssize_t n = read(fd.get(), buf, sizeof(buf));
  if (n < 0) return ErrnoError("read key file", path);
  absl::StatusOr<Key> key =
      n > static_cast<ssize_t>(kMaxKeyFileSize)
          ? absl::InvalidArgumentError("file too large")
          : Key::FromBase64(absl::StripAsciiWhitespace(absl::string_view(buf, n)));
  sodium_memzero(buf, sizeof(buf));
  if (!key.ok()) {
    // The contents are secret: never echo them.
    return absl::InvalidArgumentError(absl::StrCat(
        "key file ", path, " does not hold a base64 WireGuard key: ", key.status().message()));
  }
  return PairFromPrivate(*key);
}

absl::Status WriteAll(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return absl::ErrnoToStatus(errno, "write");
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

// Writes `pair` to `path` unless a key appears there first. Returns
// AlreadyExists in that case.
absl::Status CreateKeyFile(const std::string& path, const KeyPair& pair) {
  std::string tmp = path + ".tmp.XXXXXX";
  // mkostemp creates the file with O_EXCL and mode 0600.
  Fd fd(mkostemp(tmp.data(), O_CLOEXEC));
  if (fd.get() < 0) return ErrnoError("create temporary key file", tmp);
  std::string text = pair.private_key.ToBase64() + "\n";
  absl::Status status = WriteAll(fd.get(), text);
  sodium_memzero(text.data(), text.size());
  if (status.ok() && fchmod(fd.get(), 0600) != 0) status = ErrnoError("chmod", tmp);
  if (status.ok() && fsync(fd.get()) != 0) status = ErrnoError("fsync", tmp);
  if (status.ok() && renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE)) {
    status = errno == EEXIST ? absl::AlreadyExistsError(path) : ErrnoError("rename to", path);
  }
  if (!status.ok()) {
    unlink(tmp.c_str());
    return status;
  }
  std::string dir = DirectoryOf(path);
  Fd dir_fd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir_fd.get() < 0 || fsync(dir_fd.get()) != 0) return ErrnoError("fsync directory", dir);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<KeyPair> LoadOrCreateKeyFile(const std::string& path) {
  absl::StatusOr<KeyPair> loaded = LoadKeyFile(path);
  if (!absl::IsNotFound(loaded.status())) return loaded;
  ASSIGN_OR_RETURN(KeyPair pair, GenerateKeyPair());
  absl::Status created = CreateKeyFile(path, pair);
  if (absl::IsAlreadyExists(created)) return LoadKeyFile(path);  // lost a race: use theirs
  RETURN_IF_ERROR(created);
  RAVEN_LOG(kInfo, "generated new WireGuard key in ", path, " (public key ",
            pair.public_key.ToBase64(), ")");
  return pair;
}

}  // namespace raven::wg

#include "common/kube/token_source.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/kube/file_util.h"
#include "common/logging.h"
#include "common/status_macros.h"

namespace raven::kube {

absl::StatusOr<std::unique_ptr<TokenSource>> TokenSource::Create(std::string static_token,
                                                                 std::string token_file) {
  std::unique_ptr<TokenSource> source(
      new TokenSource(std::move(static_token), std::move(token_file)));
  if (!source->token_file_.empty()) {
    absl::MutexLock lock(&source->mu_);
    RETURN_IF_ERROR(source->Reload());
  }
  return source;
}

absl::Status TokenSource::Reload() {
  struct stat st;
  if (::stat(token_file_.c_str(), &st) != 0) {
    return absl::NotFoundError(absl::StrCat("stat ", token_file_, ": ", std::strerror(errno)));
  }
  FileStamp stamp{st.st_dev, st.st_ino, st.st_size, st.st_mtim};
  if (stamp == stamp_ && !token_.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::string contents, ReadFileBounded(token_file_, 1 << 20));
  std::string token(absl::StripAsciiWhitespace(contents));
  if (token.empty()) return absl::InvalidArgumentError(absl::StrCat(token_file_, ": empty token"));
  token_ = std::move(token);
  stamp_ = stamp;
  return absl::OkStatus();
}

std::string TokenSource::Token() {
  if (token_file_.empty()) return static_token_;
  absl::MutexLock lock(&mu_);
  absl::Status status = Reload();
  if (!status.ok() && status.ToString() != last_error_) {  // once per distinct failure
    RAVEN_LOG(kWarning, "keeping the previous token: ", status.ToString());
  }
  last_error_ = status.ok() ? "" : status.ToString();
  return token_;
}

}  // namespace raven::kube

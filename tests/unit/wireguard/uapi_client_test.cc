// The UAPI client and the userspace device against an in-process fake
// server on a socket in a temporary directory: no root, no wireguard-go.
#include "daemon/wireguard/uapi_client.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "common/fd.h"
#include "daemon/wireguard/uapi_device.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace raven::wg {
namespace {

using ::testing::HasSubstr;

// Listens on `path`; Serve() answers one connection with `response` after
// reading a whole request (or closes without answering when it is empty).
class FakeServer {
 public:
  explicit FakeServer(const std::string& path) {
    fd_ = Fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
    EXPECT_EQ(bind(fd_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(listen(fd_.get(), 4), 0);
  }
  ~FakeServer() {
    if (thread_.joinable()) thread_.join();
  }
  void Serve(std::string response) {
    thread_ = std::thread([this, response] {
      // Connections that send nothing (Exists() probes) are skipped.
      while (request_.empty()) {
        int conn = accept(fd_.get(), nullptr, nullptr);
        if (conn < 0) return;
        char buf[4096];
        ssize_t n;
        while (request_.find("\n\n") == std::string::npos &&
               (n = read(conn, buf, sizeof(buf))) > 0) {
          request_.append(buf, static_cast<size_t>(n));
        }
        if (!request_.empty() && !response.empty()) {
          EXPECT_EQ(send(conn, response.data(), response.size(), MSG_NOSIGNAL),
                    static_cast<ssize_t>(response.size()));
        }
        close(conn);
      }
    });
  }
  // The request received; valid after the exchange.
  const std::string& request() {
    if (thread_.joinable()) thread_.join();
    return request_;
  }

 private:
  Fd fd_;
  std::thread thread_;
  std::string request_;
};

class UapiClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "raven-uapi-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/wgfake.sock";
  }
  void TearDown() override {
    unlink(path_.c_str());
    rmdir(dir_.c_str());
  }
  std::string dir_;
  std::string path_;
};

TEST_F(UapiClientTest, ProbeTellsListeningStaleAndMissing) {
  EXPECT_EQ(uapi::ProbeSocket(path_).value(), uapi::SocketState::kMissing);
  {
    FakeServer server(path_);
    EXPECT_EQ(uapi::ProbeSocket(path_).value(), uapi::SocketState::kListening);
  }
  // The listener is gone, its socket file is not: what a SIGKILLed
  // wireguard-go leaves behind.
  EXPECT_EQ(uapi::ProbeSocket(path_).value(), uapi::SocketState::kStale);
}

TEST_F(UapiClientTest, TransactReturnsWholeResponse) {
  FakeServer server(path_);
  server.Serve("listen_port=1\nerrno=0\n\n");
  absl::StatusOr<std::string> response = uapi::Transact(path_, "get=1\n\n");
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(*response, "listen_port=1\nerrno=0\n\n");
  EXPECT_EQ(server.request(), "get=1\n\n");
}

TEST_F(UapiClientTest, TransactErrors) {
  EXPECT_EQ(uapi::Transact(path_, "get=1\n\n").status().code(), absl::StatusCode::kNotFound);
  FakeServer server(path_);
  server.Serve("");  // hangs up without an answer
  absl::StatusOr<std::string> closed = uapi::Transact(path_, "get=1\n\n");
  EXPECT_EQ(closed.status().code(), absl::StatusCode::kInternal) << closed.status();
  // Nobody accepts this one: the connection queues and the read times out.
  absl::StatusOr<std::string> silent = uapi::Transact(path_, "get=1\n\n", absl::Milliseconds(100));
  EXPECT_EQ(silent.status().code(), absl::StatusCode::kDeadlineExceeded) << silent.status();
}

TEST_F(UapiClientTest, UserspaceDeviceReportsServerErrno) {
  BackendOptions options;
  options.uapi_dir = dir_;
  UserspaceDevice device("wgfake", options);
  FakeServer server(path_);
  EXPECT_TRUE(device.Exists());

  Key key;
  key.bytes.fill(0x11);
  server.Serve("errno=-22\n\n");
  absl::Status status = device.UpsertPeers({{key, "1.2.3.4:5", {}, 0}});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("upsert peers on wgfake"));
  EXPECT_THAT(status.message(), HasSubstr("errno=-22"));
  EXPECT_EQ(server.request(), "set=1\npublic_key=" + key.ToHex() +
                                  "\nendpoint=1.2.3.4:5\npersistent_keepalive_interval=0\n"
                                  "replace_allowed_ips=true\n\n");
}

TEST_F(UapiClientTest, UserspaceDeviceWithoutServer) {
  BackendOptions options;
  options.uapi_dir = dir_;
  UserspaceDevice device("wgfake", options);
  EXPECT_FALSE(device.Exists());
  EXPECT_EQ(device.GetPeers().status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(device.UpsertPeers({}).ok());  // nothing to do: no connection
  EXPECT_TRUE(device.RemovePeers({}).ok());
}

}  // namespace
}  // namespace raven::wg

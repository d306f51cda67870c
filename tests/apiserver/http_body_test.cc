// Request bodies over a raw socket, as clients other than httplib's send
// them: no Content-Length at all (RFC 7230 §3.3.3: the body is empty), other
// transfer codings, chunked bodies, multipart forms. Every reply must come
// within kReadTimeout, well under httplib's 5 s read timeout: a server that
// waits for a body that never comes fails here instead of answering late.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "common/fd.h"
#include "rapidjson/pointer.h"
#include "tests/apiserver/test_util.h"

namespace raven::apiserver::testing {
namespace {

constexpr absl::Duration kReadTimeout = absl::Seconds(2);

struct RawReply {
  int code = 0;  // 0: no complete response within kReadTimeout
  std::string body;

  std::string Str(const char* pointer) const {
    rapidjson::Document json;
    json.Parse(body.c_str());
    const rapidjson::Value* v =
        json.HasParseError() ? nullptr : rapidjson::Pointer(pointer).Get(json);
    return v != nullptr && v->IsString() ? v->GetString() : "";
  }
};

// One keep-alive TCP connection to the server.
class RawConnection {
 public:
  explicit RawConnection(const ApiServer& server) {
    fd_ = Fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    timeval tv = absl::ToTimeval(kReadTimeout);
    ::setsockopt(fd_.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(server.port()));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  bool connected() const { return connected_; }

  // Sends `request` as it is and reads one response.
  RawReply RoundTrip(const std::string& request) {
    if (::send(fd_.get(), request.data(), request.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(request.size())) {
      return {};
    }
    size_t header_end;
    while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!Receive()) return {};
    }
    RawReply reply;
    size_t length = 0;
    std::vector<std::string> lines = absl::StrSplit(buffer_.substr(0, header_end), "\r\n");
    std::vector<std::string> status = absl::StrSplit(lines[0], ' ');
    if (status.size() < 2 || !absl::SimpleAtoi(status[1], &reply.code)) return {};
    for (const std::string& line : lines) {
      std::pair<std::string, std::string> kv = absl::StrSplit(line, absl::MaxSplits(':', 1));
      if (absl::AsciiStrToLower(kv.first) == "content-length") {
        EXPECT_TRUE(absl::SimpleAtoi(absl::StripAsciiWhitespace(kv.second), &length)) << line;
      }
    }
    size_t body_start = header_end + 4;
    while (buffer_.size() < body_start + length) {
      if (!Receive()) return {};
    }
    reply.body = buffer_.substr(body_start, length);
    buffer_.erase(0, body_start + length);
    return reply;
  }

 private:
  bool Receive() {
    char chunk[4096];
    ssize_t n = ::recv(fd_.get(), chunk, sizeof(chunk), 0);
    if (n <= 0) return false;  // closed, or nothing within kReadTimeout
    buffer_.append(chunk, static_cast<size_t>(n));
    return true;
  }

  Fd fd_;
  bool connected_ = false;
  std::string buffer_;
};

// A request head; `headers` are extra "Name: value\r\n" lines.
std::string Head(const std::string& method, const std::string& path,
                 const std::string& token = kToken, const std::string& headers = "") {
  std::string auth = token.empty() ? "" : absl::StrCat("Authorization: Bearer ", token, "\r\n");
  return absl::StrCat(method, " ", path, " HTTP/1.1\r\nHost: x\r\n", auth, headers, "\r\n");
}

constexpr char kEvents[] = "/api/v1/namespaces/default/events";

TEST(HttpBodyTest, APostWithoutLengthHasAnEmptyBody) {
  std::unique_ptr<ApiServer> server = StartServer();
  ASSERT_NE(server, nullptr);
  RawConnection conn(*server);
  ASSERT_TRUE(conn.connected());
  RawReply reply = conn.RoundTrip(Head("POST", kEvents));
  ASSERT_EQ(reply.code, 400) << "no answer within " << kReadTimeout;
  EXPECT_EQ(reply.Str("/kind"), "Status");
  EXPECT_EQ(reply.Str("/reason"), "BadRequest");
  EXPECT_EQ(reply.Str("/message"),
            "the object provided is unrecognized (must be of type Event): the request body is "
            "empty");
  // Nothing was left unread: the connection serves the next request.
  EXPECT_EQ(conn.RoundTrip(Head("GET", "/version")).code, 200);
  RawReply put = conn.RoundTrip(Head("PUT", absl::StrCat(kEvents, "/e1")));
  EXPECT_EQ(put.code, 400);
  EXPECT_EQ(put.Str("/reason"), "BadRequest");
  RawReply patch = conn.RoundTrip(
      Head("PATCH", "/api/v1/nodes/n1", kToken, "Content-Type: application/merge-patch+json\r\n"));
  EXPECT_EQ(patch.code, 400);
  EXPECT_EQ(patch.Str("/message"), "Invalid JSON Patch: the request body is empty");
}

TEST(HttpBodyTest, AWrongTokenIs401EvenWithoutLength) {
  std::unique_ptr<ApiServer> server = StartServer();
  ASSERT_NE(server, nullptr);
  RawConnection conn(*server);
  ASSERT_TRUE(conn.connected());
  RawReply wrong = conn.RoundTrip(Head("POST", kEvents, "wrong"));
  ASSERT_EQ(wrong.code, 401) << "no answer within " << kReadTimeout;
  EXPECT_EQ(wrong.Str("/reason"), "Unauthorized");
  EXPECT_EQ(conn.RoundTrip(Head("PATCH", "/api/v1/nodes/n1", "")).code, 401);
}

TEST(HttpBodyTest, BodylessCommandsWork) {
  std::unique_ptr<ApiServer> server = StartServer();
  ASSERT_NE(server, nullptr);
  ASSERT_TRUE(server->CreateJson("/api/v1/nodes", R"({"metadata":{"name":"n1"}})").ok());
  server->FailNext(1);
  RawConnection conn(*server);
  ASSERT_TRUE(conn.connected());
  // What `curl -X POST` sends to the fault endpoints.
  EXPECT_EQ(conn.RoundTrip(Head("POST", "/debug/faults/reset")).code, 200);
  EXPECT_EQ(conn.RoundTrip(Head("DELETE", "/api/v1/nodes/n1")).code, 200);
  EXPECT_EQ(server->GetJson("/api/v1/nodes/n1").status().code(), absl::StatusCode::kNotFound);
}

TEST(HttpBodyTest, ChunkedBodiesAreRead) {
  std::unique_ptr<ApiServer> server = StartServer();
  ASSERT_NE(server, nullptr);
  RawConnection conn(*server);
  ASSERT_TRUE(conn.connected());
  std::string json = R"({"metadata":{"name":"n1"}})";
  RawReply created = conn.RoundTrip(
      absl::StrCat(Head("POST", "/api/v1/nodes", kToken,
                        "Transfer-Encoding: chunked\r\nContent-Type: application/json\r\n"),
                   absl::Hex(json.size()), "\r\n", json, "\r\n0\r\n\r\n"));
  EXPECT_EQ(created.code, 201) << created.body;
  EXPECT_EQ(conn.RoundTrip(Head("GET", "/api/v1/nodes/n1")).code, 200);
}

TEST(HttpBodyTest, OtherTransferCodingsAreRefusedAtOnce) {
  std::unique_ptr<ApiServer> server = StartServer();
  ASSERT_NE(server, nullptr);
  RawConnection conn(*server);
  ASSERT_TRUE(conn.connected());
  RawReply reply = conn.RoundTrip(Head("POST", kEvents, kToken, "Transfer-Encoding: gzip\r\n"));
  ASSERT_EQ(reply.code, 400) << "no answer within " << kReadTimeout;
  EXPECT_EQ(reply.Str("/message"), "unsupported transfer encoding: gzip");
}

TEST(HttpBodyTest, MultipartFormsAreUnsupported) {
  std::unique_ptr<ApiServer> server = StartServer();
  ASSERT_NE(server, nullptr);
  RawConnection conn(*server);
  ASSERT_TRUE(conn.connected());
  std::string form = "--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n{}\r\n--b--\r\n";
  RawReply reply = conn.RoundTrip(absl::StrCat(
      Head("POST", kEvents, kToken,
           absl::StrCat("Content-Type: multipart/form-data; boundary=b\r\nContent-Length: ",
                        form.size(), "\r\n")),
      form));
  EXPECT_EQ(reply.code, 415);
  EXPECT_EQ(reply.Str("/reason"), "UnsupportedMediaType");
  EXPECT_EQ(conn.RoundTrip(Head("GET", "/version")).code, 200);
}

}  // namespace
}  // namespace raven::apiserver::testing

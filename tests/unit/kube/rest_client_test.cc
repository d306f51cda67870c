// RestClient and HttpTransport against small local cpp-httplib servers
// (HTTP, and HTTPS with a throwaway CA and client certificates).
#include "common/kube/rest_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/kube/api_error.h"
#include "common/kube/line_splitter.h"
#include "common/kube/server_url.h"
#include "tests/unit/kube/test_util.h"

namespace raven::kube {
namespace {

using ::raven::kube::testing::IsOk;
using ::raven::kube::testing::ScratchDir;
using ::raven::kube::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(ServerUrlTest, Parses) {
  absl::StatusOr<ServerUrl> u = ParseServerUrl("https://10.0.0.1:6443");
  ASSERT_THAT(u, IsOk());
  EXPECT_TRUE(u->https);
  EXPECT_EQ(u->host, "10.0.0.1");
  EXPECT_EQ(u->port, 6443);
  u = ParseServerUrl("http://[fd00::1]/k8s/clusters/c-1/");
  ASSERT_THAT(u, IsOk());
  EXPECT_FALSE(u->https);
  EXPECT_EQ(u->host, "fd00::1");
  EXPECT_EQ(u->port, 80);
  EXPECT_EQ(u->path_prefix, "/k8s/clusters/c-1");
  u = ParseServerUrl("kube.example:443");
  ASSERT_THAT(u, IsOk());
  EXPECT_TRUE(u->https);
  EXPECT_EQ(u->host, "kube.example");
  for (const char* bad : {"ftp://h", "https://", "https://fd00::1", "https://h:99999",
                          "https://[::1", "https://u@h", "https://h/p?q"}) {
    EXPECT_THAT(ParseServerUrl(bad), StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
  }
}

TEST(LineSplitterTest, SplitsAcrossChunksAndBoundsLines) {
  std::vector<std::string> lines;
  std::vector<size_t> oversize;
  LineSplitter s(
      8,
      [&](absl::string_view l) {
        lines.emplace_back(l);
        return true;
      },
      [&](size_t n) { oversize.push_back(n); });
  EXPECT_TRUE(s.Feed("ab"));
  EXPECT_TRUE(s.Feed("c\r\nde\n\nf"));
  EXPECT_TRUE(s.Feed("0123456789"));  // "f0123456789": too long
  EXPECT_TRUE(s.Feed("xyz\nok\nlast"));
  EXPECT_TRUE(s.Finish());
  EXPECT_THAT(lines, ElementsAre("abc", "de", "ok", "last"));
  EXPECT_THAT(oversize, ElementsAre(14u));
}

TEST(LineSplitterTest, HandlerCanStop) {
  int seen = 0;
  LineSplitter s(
      100, [&](absl::string_view) { return ++seen < 2; }, nullptr);
  EXPECT_FALSE(s.Feed("a\nb\nc\n"));
  EXPECT_EQ(seen, 2);
}

TEST(ApiErrorTest, MapsCodesAndReasons) {
  auto status_body = [](int code, const char* reason, const char* message) {
    return absl::StrCat(R"({"kind":"Status","apiVersion":"v1","status":"Failure","code":)", code,
                        R"(,"reason":")", reason, R"(","message":")", message, R"("})");
  };
  struct Case {
    int code;
    const char* reason;
    absl::StatusCode want;
  } cases[] = {
      {400, "BadRequest", absl::StatusCode::kInvalidArgument},
      {401, "Unauthorized", absl::StatusCode::kUnauthenticated},
      {403, "Forbidden", absl::StatusCode::kPermissionDenied},
      {404, "NotFound", absl::StatusCode::kNotFound},
      {409, "AlreadyExists", absl::StatusCode::kAlreadyExists},
      {409, "Conflict", absl::StatusCode::kAborted},
      {410, "Expired", absl::StatusCode::kOutOfRange},
      {410, "Gone", absl::StatusCode::kOutOfRange},
      {422, "Invalid", absl::StatusCode::kInvalidArgument},
      {429, "TooManyRequests", absl::StatusCode::kResourceExhausted},
      {500, "InternalError", absl::StatusCode::kUnavailable},
      {503, "ServiceUnavailable", absl::StatusCode::kUnavailable},
      {418, "", absl::StatusCode::kUnknown},
  };
  for (const Case& c : cases) {
    absl::Status s = ApiError(c.code, status_body(c.code, c.reason, "the message"), "GET /x");
    EXPECT_EQ(s.code(), c.want) << c.code << " " << c.reason;
    EXPECT_THAT(std::string(s.message()), HasSubstr("GET /x: HTTP "));
    EXPECT_THAT(std::string(s.message()), HasSubstr("the message"));
    EXPECT_EQ(HttpCodeOf(s), c.code);
    EXPECT_EQ(ReasonOf(s), c.reason);
  }
  absl::Status s = ApiError(502, "<html>bad gateway</html>", "GET /y");
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kUnavailable, "GET /y: HTTP 502: <html>bad gateway"));
  EXPECT_EQ(HttpCodeOf(absl::OkStatus()), 0);
}

// A local server on 127.0.0.1 (port 0) running in a thread.
class LocalServer {
 public:
  explicit LocalServer(std::unique_ptr<httplib::Server> server) : server_(std::move(server)) {}
  ~LocalServer() { Stop(); }
  httplib::Server& server() { return *server_; }
  void Start() {
    port_ = server_->bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    while (!server_->is_running()) std::this_thread::yield();
  }
  void Stop() {
    stopping_ = true;
    if (thread_.joinable()) {
      server_->stop();
      thread_.join();
    }
  }
  int port() const { return port_; }
  bool stopping() const { return stopping_; }

 private:
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
};

class RestClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<LocalServer>(std::make_unique<httplib::Server>());
    httplib::Server& s = server_->server();
    s.set_tcp_nodelay(true);
    s.Get("/echo", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(absl::StrCat("auth=", req.get_header_value("Authorization"),
                                   " accept=", req.get_header_value("Accept"),
                                   " query=", req.get_param_value("q")),
                      "text/plain");
    });
    for (const char* method : {"POST", "PUT", "PATCH", "DELETE"}) {
      auto handler = [method](const httplib::Request& req, httplib::Response& res) {
        res.status = std::string(method) == "POST" ? 201 : 200;
        res.set_content(
            absl::StrCat(method, " ", req.get_header_value("Content-Type"), " ", req.body),
            "text/plain");
      };
      if (std::string(method) == "POST") s.Post("/body", handler);
      if (std::string(method) == "PUT") s.Put("/body", handler);
      if (std::string(method) == "PATCH") s.Patch("/body", handler);
      if (std::string(method) == "DELETE") s.Delete("/body", handler);
    }
    s.Get("/conflict", [](const httplib::Request&, httplib::Response& res) {
      res.status = 409;
      res.set_content(R"({"kind":"Status","status":"Failure","reason":"Conflict","code":409,)"
                      R"("message":"the object has been modified"})",
                      "application/json");
    });
    s.Get("/stream", [this](const httplib::Request&, httplib::Response& res) {
      res.set_chunked_content_provider("application/json", [this](size_t, httplib::DataSink& sink) {
        for (int i = 0; i < 3; ++i) {
          std::string line = absl::StrCat("{\"n\":", i, "}\n");
          sink.write(line.data(), line.size());
        }
        // Then hang, silent, until the client goes.
        while (!server_->stopping() && sink.is_writable()) {
          absl::SleepFor(absl::Milliseconds(10));
        }
        sink.done();
        return true;
      });
    });
    s.Get("/stream-gone", [](const httplib::Request&, httplib::Response& res) {
      res.status = 410;
      res.set_content(R"({"kind":"Status","reason":"Expired","code":410,"message":"too old"})",
                      "application/json");
    });
    server_->Start();
  }

  std::unique_ptr<RestClient> Client(ClientConfig config, HttpOptions options = {}) {
    config.server = absl::StrCat("http://127.0.0.1:", server_->port());
    absl::StatusOr<std::unique_ptr<RestClient>> c = RestClient::Create(config, options);
    EXPECT_THAT(c, IsOk());
    return c.ok() ? std::move(*c) : nullptr;
  }

  std::unique_ptr<LocalServer> server_;
};

TEST_F(RestClientTest, VerbsBodiesAndHeaders) {
  ClientConfig config;
  config.bearer_token = "tok";
  std::unique_ptr<RestClient> c = Client(config);
  absl::StatusOr<Response> r = c->Get("/echo?q=" + QueryEscape("a=b,c in (x)"));
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->code, 200);
  EXPECT_EQ(r->body, "auth=Bearer tok accept=application/json query=a=b,c in (x)");
  r = c->Post("/body", "{}");
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->code, 201);
  EXPECT_EQ(r->body, "POST application/json {}");
  EXPECT_EQ(c->Put("/body", "{\"a\":1}")->body, "PUT application/json {\"a\":1}");
  EXPECT_EQ(c->Patch("/body", "{\"b\":null}")->body,
            "PATCH application/merge-patch+json {\"b\":null}");
  EXPECT_EQ(c->Delete("/body")->code, 200);
  EXPECT_THAT(c->Get("/conflict"),
              StatusIs(absl::StatusCode::kAborted,
                       "GET /conflict: HTTP 409 Conflict: the object has been modified"));
  EXPECT_THAT(c->Get("/missing"), StatusIs(absl::StatusCode::kNotFound, "GET /missing: HTTP 404"));
}

TEST_F(RestClientTest, TokenFileIsRereadWhenRotated) {
  ScratchDir dir;
  ClientConfig config;
  config.token_file = dir.Write("token", "one");
  std::unique_ptr<RestClient> c = Client(config);
  EXPECT_THAT(c->Get("/echo")->body, HasSubstr("auth=Bearer one "));
  dir.Write("token", "two-rotated");
  EXPECT_THAT(c->Get("/echo")->body, HasSubstr("auth=Bearer two-rotated "));
}

TEST_F(RestClientTest, ConcurrentCallersUseSeveralConnections) {
  std::unique_ptr<RestClient> c = Client({});
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) ok += c->Get("/echo").ok();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 400);
}

TEST_F(RestClientTest, StreamDeliversLinesAndStopsOnCancel) {
  std::unique_ptr<RestClient> c = Client({});
  Cancellation cancel;
  std::vector<std::string> lines;
  absl::Notification three;
  absl::Status result;
  std::thread t([&] {
    StreamOptions options;
    options.idle_timeout = absl::Seconds(30);
    result = c->Stream(
        "/stream", options,
        [&](absl::string_view line) {
          lines.emplace_back(line);
          if (lines.size() == 3) three.Notify();
          return true;
        },
        &cancel);
  });
  ASSERT_TRUE(three.WaitForNotificationWithTimeout(absl::Seconds(10)));
  absl::Time start = absl::Now();
  cancel.Cancel();
  t.join();
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  EXPECT_THAT(result, StatusIs(absl::StatusCode::kCancelled));
  EXPECT_THAT(lines, ElementsAre("{\"n\":0}", "{\"n\":1}", "{\"n\":2}"));
  // Cancellation is sticky.
  EXPECT_THAT(c->Stream(
                  "/stream", {}, [](absl::string_view) { return true; }, &cancel),
              StatusIs(absl::StatusCode::kCancelled));
  EXPECT_THAT(c->Get("/echo", &cancel), StatusIs(absl::StatusCode::kCancelled));
}

TEST_F(RestClientTest, StreamNoticesASilentConnection) {
  std::unique_ptr<RestClient> c = Client({});
  StreamOptions options;
  options.idle_timeout = absl::Milliseconds(300);
  int n = 0;
  absl::Time start = absl::Now();
  absl::Status s = c->Stream(
      "/stream", options,
      [&](absl::string_view) {
        ++n;
        return true;
      },
      nullptr);
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kUnavailable, "silent for"));
  EXPECT_EQ(n, 3);
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST_F(RestClientTest, StreamHandlerStopsEarlyAndErrorsAreMapped) {
  std::unique_ptr<RestClient> c = Client({});
  int n = 0;
  EXPECT_THAT(c->Stream(
                  "/stream", {}, [&](absl::string_view) { return ++n < 2; }, nullptr),
              IsOk());
  EXPECT_EQ(n, 2);
  EXPECT_THAT(c->Stream(
                  "/stream-gone", {}, [](absl::string_view) { return true; }, nullptr),
              StatusIs(absl::StatusCode::kOutOfRange, "HTTP 410 Expired: too old"));
}

TEST(RestClientTransportTest, ConnectionRefusedIsUnavailable) {
  // A port nothing listens on: bound, then closed.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  ::close(fd);
  ClientConfig config;
  config.server = absl::StrCat("http://127.0.0.1:", ntohs(addr.sin_port));
  absl::StatusOr<std::unique_ptr<RestClient>> c = RestClient::Create(config);
  ASSERT_THAT(c, IsOk());
  EXPECT_THAT((*c)->Get("/x"), StatusIs(absl::StatusCode::kUnavailable, "GET /x: "));
}

TEST(RestClientTransportTest, ResponseSizeIsBounded) {
  LocalServer server(std::make_unique<httplib::Server>());
  server.server().Get("/big", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(std::string(100000, 'x'), "text/plain");
  });
  server.Start();
  ClientConfig config;
  config.server = absl::StrCat("http://127.0.0.1:", server.port());
  HttpOptions options;
  options.max_response_bytes = 1000;
  absl::StatusOr<std::unique_ptr<RestClient>> c = RestClient::Create(config, options);
  ASSERT_THAT(c, IsOk());
  EXPECT_THAT((*c)->Get("/big"), StatusIs(absl::StatusCode::kResourceExhausted, "larger than"));
}

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<testing::TestPki> pki = testing::MakeTestPki(dir_.path());
    ASSERT_THAT(pki, IsOk());
    pki_ = *pki;
    auto ssl =
        std::make_unique<httplib::SSLServer>(pki_.server_cert.c_str(), pki_.server_key.c_str(),
                                             pki_.ca_cert.c_str());  // client certs
    ASSERT_TRUE(ssl->is_valid());
    ssl->Get("/who", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(absl::StrCat("ok auth=", req.get_header_value("Authorization")),
                      "text/plain");
    });
    server_ = std::make_unique<LocalServer>(std::move(ssl));
    server_->Start();
  }

  ClientConfig Config() {
    ClientConfig config;
    config.server = absl::StrCat("https://127.0.0.1:", server_->port());
    config.ca_pem = pki_.ca_pem;
    config.client_cert_pem = pki_.client_cert_pem;
    config.client_key_pem = pki_.client_key_pem;
    config.bearer_token = "t";
    return config;
  }

  ScratchDir dir_;
  testing::TestPki pki_;
  std::unique_ptr<LocalServer> server_;
};

TEST_F(TlsTest, MutualTlsWithInMemoryPem) {
  absl::StatusOr<std::unique_ptr<RestClient>> c = RestClient::Create(Config());
  ASSERT_THAT(c, IsOk());
  absl::StatusOr<Response> r = (*c)->Get("/who");
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->body, "ok auth=Bearer t");
}

TEST_F(TlsTest, RejectsAServerTheCaDidNotSign) {
  ClientConfig config = Config();
  config.ca_pem = pki_.other_ca_pem;
  absl::StatusOr<std::unique_ptr<RestClient>> c = RestClient::Create(config);
  ASSERT_THAT(c, IsOk());
  EXPECT_THAT((*c)->Get("/who"),
              StatusIs(absl::StatusCode::kUnavailable, "TLS server verification failed"));
  config.insecure_skip_tls_verify = true;
  c = RestClient::Create(config);
  ASSERT_THAT(c, IsOk());
  EXPECT_THAT((*c)->Get("/who"), IsOk());
}

TEST_F(TlsTest, ServerRejectsAClientWithoutCertificate) {
  ClientConfig config = Config();
  config.client_cert_pem.clear();
  config.client_key_pem.clear();
  absl::StatusOr<std::unique_ptr<RestClient>> c = RestClient::Create(config);
  ASSERT_THAT(c, IsOk());
  EXPECT_THAT((*c)->Get("/who"), StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(TlsTest, BadPemIsAConfigurationError) {
  ClientConfig config = Config();
  config.ca_pem = "not a pem";
  EXPECT_THAT(RestClient::Create(config),
              StatusIs(absl::StatusCode::kInvalidArgument, "CA bundle: no PEM certificate"));
  config = Config();
  config.client_key_pem = pki_.ca_pem;
  EXPECT_THAT(RestClient::Create(config),
              StatusIs(absl::StatusCode::kInvalidArgument, "client key"));
  config = Config();
  config.client_key_pem = testing::ReadFileOrDie(dir_.path() + "/other.key");
  EXPECT_THAT(RestClient::Create(config),
              StatusIs(absl::StatusCode::kFailedPrecondition, "does not match"));
}

}  // namespace
}  // namespace raven::kube

#include "common/metrics/http_server.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <stdlib.h>

#include <atomic>
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/metrics/registry.h"

namespace raven::metrics {
namespace {

using ::testing::HasSubstr;

TEST(HostPortTest, Parses) {
  auto hp = ParseHostPort("0.0.0.0:10272");
  ASSERT_TRUE(hp.ok());
  EXPECT_EQ(hp->host, "0.0.0.0");
  EXPECT_EQ(hp->port, 10272);
  hp = ParseHostPort("[::1]:0");
  ASSERT_TRUE(hp.ok());
  EXPECT_EQ(hp->host, "::1");
  EXPECT_FALSE(ParseHostPort(":9090").ok());  // no implicit all-interfaces
  EXPECT_FALSE(ParseHostPort("nohost").ok());
  EXPECT_FALSE(ParseHostPort("::1:80").ok());
  EXPECT_FALSE(ParseHostPort("a:70000").ok());
}

TEST(ServeOptionsTest, DefaultHostFillsOnlyAddressesWithoutHost) {
  ServeOptions options{.metrics_address = ":10273", .health_address = "0.0.0.0:10275"};
  options.SetDefaultHost("10.0.0.5");
  EXPECT_EQ(options.metrics_address, "10.0.0.5:10273");
  EXPECT_EQ(options.health_address, "0.0.0.0:10275");

  ServeOptions v6{.metrics_address = "", .health_address = ":10275"};
  v6.SetDefaultHost("fd00::5");
  EXPECT_EQ(v6.metrics_address, "");  // off stays off
  EXPECT_EQ(v6.health_address, "[fd00::5]:10275");
  EXPECT_TRUE(v6.enabled());
  EXPECT_FALSE(ServeOptions{}.enabled());
}

TEST(HttpServerTest, ServesMetricsAndHealth) {
  Registry r;
  r.AddCounter("scrapes_total", "x").Get().Inc(3);
  std::atomic<bool> healthy = true;
  auto server = HttpServer::Start({.metrics_address = "127.0.0.1:0"}, &r, [&] {
    return healthy ? Health{true, ""} : Health{false, "informers not synced"};
  });
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_GT((*server)->port(), 0);
  EXPECT_EQ((*server)->health_port(), 0);
  EXPECT_EQ((*server)->Describe(),
            absl::StrCat("/metrics and /healthz on http://127.0.0.1:", (*server)->port()));
  httplib::Client client("127.0.0.1", (*server)->port());
  auto res = client.Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), kContentType);
  EXPECT_THAT(res->body, HasSubstr("scrapes_total 3\n"));
  res = client.Get("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "ok");
  healthy = false;
  res = client.Get("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503);
  EXPECT_EQ(res->body, "informers not synced");
  res = client.Get("/other");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  (*server)->Stop();
  (*server)->Stop();  // idempotent
}

TEST(HttpServerTest, VerboseHealthShowsWhatIsWorthKnowingWhenOk) {
  Registry r;
  auto server = HttpServer::Start({.metrics_address = "127.0.0.1:0"}, &r, [] {
    return Health{true, "standby (leader: replica-1)"};
  });
  ASSERT_TRUE(server.ok()) << server.status();
  httplib::Client client("127.0.0.1", (*server)->port());
  auto res = client.Get("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body, "ok");  // probes and scripts see a bare ok
  res = client.Get("/healthz?verbose");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "ok\nstandby (leader: replica-1)\n");
}

TEST(HttpServerTest, HealthListenerServesOnlyHealthz) {
  Registry r;
  r.AddCounter("scrapes_total", "x").Get().Inc(3);
  std::atomic<bool> healthy = true;
  auto server = HttpServer::Start(
      {.metrics_address = "127.0.0.1:0", .health_address = "127.0.0.1:0"}, &r, [&] {
        return healthy ? Health{true, ""} : Health{false, "watch stale"};
      });
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_GT((*server)->health_port(), 0);
  EXPECT_NE((*server)->health_port(), (*server)->port());
  EXPECT_THAT((*server)->Describe(),
              HasSubstr(absl::StrCat(", /healthz on http://127.0.0.1:", (*server)->health_port())));
  httplib::Client health("127.0.0.1", (*server)->health_port());
  auto res = health.Get("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "ok");
  healthy = false;
  res = health.Get("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503);
  EXPECT_EQ(res->body, "watch stale");
  res = health.Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  EXPECT_THAT(res->body, ::testing::Not(HasSubstr("scrapes_total")));
  // The metrics listener still serves both.
  res = httplib::Client("127.0.0.1", (*server)->port()).Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
}

TEST(HttpServerTest, HealthAloneWithMetricsOff) {
  Registry r;
  auto server = HttpServer::Start({.health_address = "127.0.0.1:0"}, &r);
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_EQ((*server)->port(), 0);
  auto res = httplib::Client("127.0.0.1", (*server)->health_port()).Get("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
}

TEST(HttpServerTest, PortInUseIsAnError) {
  Registry r;
  auto first = HttpServer::Start({.metrics_address = "127.0.0.1:0"}, &r);
  ASSERT_TRUE(first.ok());
  const std::string taken = "127.0.0.1:" + std::to_string((*first)->port());
  EXPECT_FALSE(HttpServer::Start({.metrics_address = taken}, &r).ok());
  EXPECT_FALSE(
      HttpServer::Start({.metrics_address = "127.0.0.1:0", .health_address = taken}, &r).ok());
}

TEST(HttpServerTest, RejectsIncompleteOptions) {
  Registry r;
  EXPECT_FALSE(HttpServer::Start({}, &r).ok());
  EXPECT_FALSE(HttpServer::Start({.metrics_address = ":0"}, &r).ok());
  EXPECT_FALSE(
      HttpServer::Start({.metrics_address = "127.0.0.1:0", .tls_cert = "server.crt"}, &r).ok());
  EXPECT_FALSE(
      HttpServer::Start({.metrics_address = "127.0.0.1:0", .tls_key = "server.key"}, &r).ok());
  EXPECT_FALSE(
      HttpServer::Start(
          {.health_address = "127.0.0.1:0", .tls_cert = "server.crt", .tls_key = "server.key"}, &r)
          .ok());
}

// Certificates from lab/apiserver/gen-certs.sh ($RAVEN_GEN_CERTS): a CA and a
// server certificate for 127.0.0.1.
class HttpsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* gen = std::getenv("RAVEN_GEN_CERTS");
    ASSERT_NE(gen, nullptr) << "set RAVEN_GEN_CERTS to lab/apiserver/gen-certs.sh";
    std::string tmpl = ::testing::TempDir() + "raven-metrics-tls-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    ASSERT_EQ(std::system(absl::StrCat(gen, " '", dir_, "' >/dev/null").c_str()), 0);
    options_.metrics_address = "127.0.0.1:0";
    options_.tls_cert = dir_ + "/server.crt";
    options_.tls_key = dir_ + "/server.key";
  }
  void TearDown() override {
    if (!dir_.empty()) {
      ASSERT_EQ(std::system(("rm -rf '" + dir_ + "'").c_str()), 0);
    }
  }

  std::string dir_;
  ServeOptions options_;
};

TEST_F(HttpsTest, ServesMetricsOverHttpsOnly) {
  Registry r;
  r.AddCounter("scrapes_total", "x").Get().Inc(3);
  options_.health_address = "127.0.0.1:0";
  auto server = HttpServer::Start(options_, &r);
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_THAT(
      (*server)->Describe(),
      HasSubstr(absl::StrCat("/metrics and /healthz on https://127.0.0.1:", (*server)->port())));

  httplib::SSLClient tls("127.0.0.1", (*server)->port());
  tls.set_ca_cert_path((dir_ + "/ca.crt").c_str());
  tls.enable_server_certificate_verification(true);
  auto res = tls.Get("/metrics");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
  EXPECT_THAT(res->body, HasSubstr("scrapes_total 3\n"));
  res = tls.Get("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);

  httplib::Client plain("127.0.0.1", (*server)->port());
  plain.set_read_timeout(5, 0);
  EXPECT_FALSE(plain.Get("/metrics"));
  // The health listener stays plain HTTP for kubelet probes.
  res = httplib::Client("127.0.0.1", (*server)->health_port()).Get("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
}

TEST_F(HttpsTest, UnreadableKeyIsAnError) {
  Registry r;
  options_.tls_key = dir_ + "/missing.key";
  auto server = HttpServer::Start(options_, &r);
  ASSERT_FALSE(server.ok());
  EXPECT_THAT(server.status().message(), HasSubstr("missing.key"));
}

}  // namespace
}  // namespace raven::metrics

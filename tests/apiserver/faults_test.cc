// Fault injection (C++ API and the /debug/faults endpoints), HTTPS, and the
// real Gateway CRD of crd/.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/poll.h"
#include "rapidjson/pointer.h"
#include "tests/apiserver/test_util.h"

namespace raven::apiserver::testing {
namespace {

TEST(FaultsTest, FailNextThroughTheApi) {
  std::unique_ptr<ApiServer> server = StartServer();
  ASSERT_NE(server, nullptr);
  Client client(*server);
  server->FailNext(2);
  Reply first = client.Get("/api/v1/nodes");
  EXPECT_EQ(first.code, 500);
  EXPECT_EQ(first.Str("/reason"), "InternalError");
  EXPECT_EQ(first.Str("/kind"), "Status");
  EXPECT_EQ(client.Post("/api/v1/nodes", R"({"metadata":{"name":"n1"}})").code, 500);
  EXPECT_EQ(client.Get("/api/v1/nodes/n1").code, 404);  // the create never happened
  server->FailNext(1, 503);
  Reply unavailable = client.Get("/api/v1/nodes");
  EXPECT_EQ(unavailable.code, 503);
  EXPECT_EQ(unavailable.Str("/reason"), "ServiceUnavailable");
  EXPECT_EQ(client.Get("/api/v1/nodes").code, 200);
  // In-process calls are not affected.
  server->FailNext(1);
  EXPECT_TRUE(server->GetJson("/api/v1/nodes").ok());
}

TEST(FaultsTest, AdminEndpoints) {
  std::unique_ptr<ApiServer> server = StartServer();
  ASSERT_NE(server, nullptr);
  Client client(*server);
  EXPECT_EQ(client.Post("/debug/faults/fail-next?count=1&code=429", "").code, 200);
  Reply throttled = client.Get("/api/v1/nodes");
  EXPECT_EQ(throttled.code, 429);
  EXPECT_EQ(throttled.Str("/reason"), "TooManyRequests");
  EXPECT_EQ(client.Get("/api/v1/nodes").code, 200);

  std::string old = absl::StrCat(server->resource_version());
  client.Post("/api/v1/nodes", R"({"metadata":{"name":"n1"}})");
  EXPECT_EQ(client.Post("/debug/faults/compact", "").code, 200);
  {
    WatchReader watch(*server, absl::StrCat("/api/v1/nodes?watch=1&resourceVersion=", old));
    rapidjson::Document error = watch.Next();
    const rapidjson::Value* code = rapidjson::Pointer("/object/code").Get(error);
    ASSERT_NE(code, nullptr);
    EXPECT_EQ(code->GetInt(), 410);
  }
  WatchReader watch(*server, "/api/v1/nodes?watch=1");
  ASSERT_TRUE(PollUntil([&] { return server->watch_count() == 1; }, absl::Seconds(5)));
  EXPECT_EQ(client.Post("/debug/faults/drop-watches", "").code, 200);
  EXPECT_TRUE(watch.WaitEnded());

  EXPECT_EQ(client.Post("/debug/faults/latency?ms=200", "").code, 200);
  absl::Time start = absl::Now();
  EXPECT_EQ(client.Get("/api/v1/nodes").code, 200);
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(200));
  EXPECT_EQ(client.Post("/debug/faults/reset", "").code, 200);
  start = absl::Now();
  client.Get("/api/v1/nodes");
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(200));

  Reply state = client.Get("/debug/state");
  EXPECT_EQ(state.Str("/resourceVersion"), absl::StrCat(server->resource_version()));
  EXPECT_EQ(client.Post("/debug/faults/unknown", "").code, 404);
  EXPECT_EQ(client.Get("/debug/faults/compact").code, 405);
}

TEST(FaultsTest, LatencyThroughTheApi) {
  std::unique_ptr<ApiServer> server = StartServer();
  ASSERT_NE(server, nullptr);
  Client client(*server);
  server->SetLatency(absl::Milliseconds(150));
  absl::Time start = absl::Now();
  EXPECT_EQ(client.Get("/version").code, 200);
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(150));
  server->SetLatency(absl::ZeroDuration());
}

TEST(TlsTest, ServesHttpsWithGeneratedCertificates) {
  const char* gen = std::getenv("RAVEN_GEN_CERTS");
  if (gen == nullptr) GTEST_SKIP() << "RAVEN_GEN_CERTS (lab/apiserver/gen-certs.sh) not set";
  std::string dir = absl::StrCat(::testing::TempDir(), "/apiserver-certs-", getpid());
  ASSERT_EQ(std::system(absl::StrCat(gen, " ", dir, " >/dev/null").c_str()), 0);
  ApiServerOptions options;
  options.cert_file = dir + "/server.crt";
  options.key_file = dir + "/server.key";
  std::unique_ptr<ApiServer> server = StartServer(options);
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(server->base_url(), absl::StrCat("https://127.0.0.1:", server->port()));
  httplib::SSLClient client("127.0.0.1", server->port());
  client.set_ca_cert_path((dir + "/ca.crt").c_str());
  client.enable_server_certificate_verification(true);
  httplib::Result version =
      client.Get("/version", {{"Authorization", absl::StrCat("Bearer ", kToken)}});
  ASSERT_TRUE(version) << httplib::to_string(version.error());
  EXPECT_EQ(version->status, 200);
  httplib::Result anonymous = client.Get("/api/v1/nodes");
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 401);

  options.key_file = dir + "/missing.key";
  EXPECT_FALSE(ApiServer::Start(options).ok());
  std::system(absl::StrCat("rm -rf ", dir).c_str());
}

TEST(GatewayCrdTest, TheProjectCrdServesGateways) {
  std::string crd = GatewayCrdJson();
  if (crd.empty()) GTEST_SKIP() << "RAVEN_CRD_JSON not set (needs python3-yaml at build time)";
  std::unique_ptr<ApiServer> server = StartServer();
  ASSERT_NE(server, nullptr);
  Client client(*server);
  ASSERT_EQ(client.Post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd).code, 201);
  Reply resources = client.Get("/apis/raven.openyurt.io/v1beta1");
  EXPECT_EQ(resources.Str("/resources/0/name"), "gateways");
  EXPECT_FALSE(resources.json["resources"][0]["namespaced"].GetBool());
  EXPECT_EQ(resources.Str("/resources/0/shortNames/0"), "gw");
  EXPECT_EQ(resources.Str("/resources/0/categories/0"), "yurt");
  EXPECT_EQ(resources.Str("/resources/1/name"), "gateways/status");

  const std::string gateways = "/apis/raven.openyurt.io/v1beta1/gateways";
  Reply created = client.Post(gateways, GatewayJson("gw-a"));
  ASSERT_EQ(created.code, 201) << created.body;
  Reply status = client.Patch(gateways + "/gw-a/status", R"({"status":{
      "activeEndpoints":[{"nodeName":"gw-a-1","type":"tunnel","publicIP":"198.18.0.1",
                          "publicPort":4500,"config":{"publicKey":"k"}}],
      "nodes":[{"nodeName":"gw-a-1","privateIP":"100.64.0.1","subnets":["100.64.1.0/24"]},
               {"nodeName":"gw-a-2","privateIP":"100.64.0.2","subnets":[]}]}})");
  ASSERT_EQ(status.code, 200) << status.body;
  Reply table = client.Get(gateways, "application/json;as=Table;v=v1;g=meta.k8s.io");
  std::vector<std::string> headers;
  for (const auto& c : table.json["columnDefinitions"].GetArray())
    headers.push_back(c["name"].GetString());
  EXPECT_EQ(headers,
            (std::vector<std::string>{"Name", "Ready", "Reason", "Active", "Public-IP", "Expose",
                                      "Tunnels", "Public-Port", "First-Member", "Age"}));
  EXPECT_EQ(table.Str("/rows/0/cells/3"), "gw-a-1");
  EXPECT_EQ(table.Str("/rows/0/cells/4"), "198.18.0.1");
  EXPECT_EQ(table.Str("/rows/0/cells/5"), "PublicIP");
  EXPECT_EQ(table.Int("/rows/0/cells/6"), 1);
  EXPECT_EQ(table.Int("/rows/0/cells/7"), 4500);
  EXPECT_EQ(table.Str("/rows/0/cells/8"), "gw-a-1");

  // The schema's types, enum and required fields are enforced.
  EXPECT_EQ(client.Post(gateways, GatewayJson("bad", R"(,"proxyConfig":{})")).code, 422);
  Reply bad_type = client.Post(
      gateways,
      R"({"metadata":{"name":"bad"},"spec":{"endpoints":[{"nodeName":"x","type":"vpn"}]}})");
  EXPECT_EQ(bad_type.code, 422);
  EXPECT_EQ(bad_type.Str("/details/causes/0/field"), "spec.endpoints[0].type");
  // Replicas > 1 (standbys) is accepted, unlike upstream's webhook.
  EXPECT_EQ(client.Patch(gateways + "/gw-a", R"({"spec":{"tunnelConfig":{"Replicas":3}}})").code,
            200);
}

}  // namespace
}  // namespace raven::apiserver::testing

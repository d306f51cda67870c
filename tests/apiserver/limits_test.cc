// The size limits of a real cluster (lab/apiserver/size_limits.h): request
// bodies (413), stored objects (etcd's limit, a 500 as kube-apiserver passes
// it on) and metadata.annotations (422), each at the limit and one byte over.
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "lab/apiserver/size_limits.h"
#include "tests/apiserver/test_util.h"

namespace raven::apiserver::testing {
namespace {

constexpr char kNodes[] = "/api/v1/nodes";
constexpr char kGateways[] = "/apis/raven.openyurt.io/v1beta1/gateways";
constexpr char kTooLargeForStorage[] = "etcdserver: request is too large";

// `json` followed by spaces up to `size` bytes (still one JSON document).
std::string PaddedTo(std::string json, size_t size) {
  json.resize(size, ' ');
  return json;
}

// A Node whose spec.pad holds `pad` (Nodes have no schema: nothing is pruned).
std::string PaddedNode(const std::string& name, size_t pad) {
  return absl::StrCat(R"({"metadata":{"name":")", name, R"("},"spec":{"pad":")",
                      std::string(pad, 'x'), R"("}})");
}

// A Node with one annotation of `size` bytes (key and value).
std::string AnnotatedNode(const std::string& name, size_t size) {
  const std::string key = "example.com/big";
  return absl::StrCat(R"({"metadata":{"name":")", name, R"(","annotations":{")", key, R"(":")",
                      std::string(size - key.size(), 'a'), R"("}}})");
}

void ExpectTooLargeForStorage(const Reply& reply) {
  EXPECT_EQ(reply.code, 500) << reply.body.substr(0, 200);
  EXPECT_EQ(reply.Str("/kind"), "Status");
  EXPECT_EQ(reply.Str("/message"), kTooLargeForStorage);
  EXPECT_FALSE(reply.Has("/reason"));  // kube-apiserver's StatusReasonUnknown
}

void ExpectAnnotationsTooLong(const Reply& reply, const std::string& kind,
                              const std::string& name) {
  EXPECT_EQ(reply.code, 422) << reply.body.substr(0, 200);
  EXPECT_EQ(reply.Str("/reason"), "Invalid");
  EXPECT_EQ(reply.Str("/message"),
            absl::StrCat(kind, " \"", name,
                         "\" is invalid: metadata.annotations: Too long: must have at most "
                         "262144 bytes"));
  EXPECT_EQ(reply.Str("/details/causes/0/reason"), "FieldValueTooLong");
  EXPECT_EQ(reply.Str("/details/causes/0/field"), "metadata.annotations");
}

TEST(RequestBodyLimitTest, ThreeMebibytesAndNotOneByteMore) {
  std::unique_ptr<ApiServer> server = StartServer();
  ASSERT_NE(server, nullptr);
  Client client(*server);
  Reply at_limit =
      client.Post(kNodes, PaddedTo(R"({"metadata":{"name":"n1"}})", kMaxRequestBodyBytes));
  EXPECT_EQ(at_limit.code, 201) << at_limit.body;

  int64_t rv = server->resource_version();
  Reply over =
      client.Post(kNodes, PaddedTo(R"({"metadata":{"name":"n2"}})", kMaxRequestBodyBytes + 1));
  EXPECT_EQ(over.code, 413);
  EXPECT_EQ(over.Str("/kind"), "Status");
  EXPECT_EQ(over.Str("/reason"), "RequestEntityTooLarge");
  EXPECT_EQ(over.Str("/message"), "Request entity too large: limit is 3145728");
  EXPECT_EQ(server->resource_version(), rv);
  // The refused body was read to its end: the kept-alive connection goes on.
  EXPECT_EQ(client.Get("/api/v1/nodes/n2").code, 404);
  EXPECT_EQ(
      client.Patch("/api/v1/nodes/n1", PaddedTo(R"({"spec":{"a":1}})", kMaxRequestBodyBytes + 1))
          .code,
      413);

  // Authentication comes first, as in kube-apiserver.
  Client anonymous(*server, "");
  EXPECT_EQ(anonymous.Post(kNodes, std::string(kMaxRequestBodyBytes + 1, ' ')).code, 401);

  EXPECT_EQ(server->CreateJson(kNodes, std::string(kMaxRequestBodyBytes + 1, ' ')).status().code(),
            absl::StatusCode::kResourceExhausted);
}

TEST(RequestBodyLimitTest, ChunkedBodiesToo) {
  std::unique_ptr<ApiServer> server = StartServer();
  ASSERT_NE(server, nullptr);
  httplib::Client client("127.0.0.1", server->port());
  client.set_read_timeout(10, 0);
  const std::string chunk(64 * 1024, ' ');
  size_t sent = 0;
  // Without a length, httplib's client sends the body chunked.
  httplib::Result result = client.Post(
      kNodes, {{"Authorization", absl::StrCat("Bearer ", kToken)}},
      [&](size_t, httplib::DataSink& sink) {
        if (sent > kMaxRequestBodyBytes) {
          sink.done();
        } else {
          sink.write(chunk.data(), chunk.size());
          sent += chunk.size();
        }
        return true;
      },
      "application/json");
  ASSERT_TRUE(result) << httplib::to_string(result.error());
  EXPECT_EQ(result->status, 413);
}

TEST(StoredObjectLimitTest, OneAndAHalfMebibytesAndNotOneByteMore) {
  std::unique_ptr<ApiServer> server = StartServer();
  ASSERT_NE(server, nullptr);
  Client client(*server);
  Reply created = client.Post(kNodes, PaddedNode("n1", 0));
  ASSERT_EQ(created.code, 201) << created.body;
  // The patch keeps the widths of resourceVersion and generation.
  size_t pad = kMaxStoredObjectBytes - created.body.size();
  Reply at_limit = client.Patch(
      "/api/v1/nodes/n1", absl::StrCat(R"({"spec":{"pad":")", std::string(pad, 'x'), R"("}})"));
  ASSERT_EQ(at_limit.code, 200) << at_limit.body.substr(0, 200);
  EXPECT_EQ(at_limit.body.size(), kMaxStoredObjectBytes);

  int64_t rv = server->resource_version();
  std::string one_over = absl::StrCat(R"({"spec":{"pad":")", std::string(pad + 1, 'x'), R"("}})");
  ExpectTooLargeForStorage(client.Patch("/api/v1/nodes/n1", one_over));
  ExpectTooLargeForStorage(client.Put(
      "/api/v1/nodes/n1", absl::StrReplaceAll(at_limit.body, {{R"("pad":")", R"("pad":"x)"}})));
  ExpectTooLargeForStorage(
      client.Patch("/api/v1/nodes/n1/status", R"({"status":{"phase":"Running"}})"));
  ExpectTooLargeForStorage(client.Post(kNodes, PaddedNode("n2", kMaxStoredObjectBytes)));
  EXPECT_EQ(server->resource_version(), rv);  // nothing was stored
  EXPECT_EQ(client.Get("/api/v1/nodes/n1").body, at_limit.body);
  // A dry run never reaches storage, as in kube-apiserver.
  EXPECT_EQ(client.Patch("/api/v1/nodes/n1?dryRun=All", one_over).code, 200);

  absl::Status in_process = server->PatchJson("/api/v1/nodes/n1", one_over).status();
  EXPECT_EQ(in_process.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(in_process.message(), kTooLargeForStorage);
}

TEST(AnnotationsLimitTest, TwoHundredFiftySixKibibytesAndNotOneByteMore) {
  std::unique_ptr<ApiServer> server = StartServer();
  ASSERT_NE(server, nullptr);
  Client client(*server);
  Reply at_limit = client.Post(kNodes, AnnotatedNode("n1", kMaxAnnotationsBytes));
  ASSERT_EQ(at_limit.code, 201) << at_limit.body.substr(0, 200);

  ExpectAnnotationsTooLong(client.Post(kNodes, AnnotatedNode("n2", kMaxAnnotationsBytes + 1)),
                           "Node", "n2");
  // Keys count as well as values, summed over every annotation.
  std::string half(kMaxAnnotationsBytes / 2 - 1, 'v');
  ExpectAnnotationsTooLong(
      client.Post(kNodes, absl::StrCat(R"({"metadata":{"name":"n3","annotations":{"a":")", half,
                                       R"(","bb":")", half, R"("}}})")),
      "Node", "n3");
  ExpectAnnotationsTooLong(
      client.Patch("/api/v1/nodes/n1", R"({"metadata":{"annotations":{"one-more":""}}})"), "Node",
      "n1");
  ExpectAnnotationsTooLong(
      client.Put("/api/v1/nodes/n1",
                 absl::StrReplaceAll(at_limit.body,
                                     {{R"("example.com/big":")", R"("example.com/big":"a)"}})),
      "Node", "n1");
  EXPECT_FALSE(server->CreateJson(kNodes, AnnotatedNode("n4", kMaxAnnotationsBytes + 1)).ok());
}

// An endpoint of the size the lab's oversized Gateway had (~245 bytes).
std::string Endpoint(int i) {
  return absl::StrFormat(
      R"({"nodeName":"edge-node-%05d","type":"tunnel","port":4500,"publicIP":"198.18.%d.%d",)"
      R"("underNAT":true,"config":{"publicKey":"hJIjNMumhSTnGrzIyDGObWbgNRLFwq8cqZMY/kJhLmE=",)"
      R"("note":"%s"}})",
      i, i / 256, i % 256, std::string(64, 'n'));
}

std::string EndpointList(int count) {
  std::string list;
  for (int i = 0; i < count; ++i) absl::StrAppend(&list, i == 0 ? "" : ",", Endpoint(i));
  return absl::StrCat("[", list, "]");
}

TEST(GatewayLimitsTest, TheOversizedLabGatewayIsRefused) {
  std::string crd = GatewayCrdJson();
  if (crd.empty()) GTEST_SKIP() << "RAVEN_CRD_JSON not set (needs python3-yaml at build time)";
  std::unique_ptr<ApiServer> server = StartServer();
  ASSERT_NE(server, nullptr);
  Client client(*server);
  ASSERT_EQ(client.Post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd).code, 201);

  auto spec = [](int endpoints) {
    return absl::StrCat(R"("spec":{"exposeType":"PublicIP","endpoints":)", EndpointList(endpoints),
                        "}");
  };
  // The annotation `kubectl apply` writes: an object (here with fewer
  // endpoints) as escaped JSON, padded to 454 KB.
  std::string applied = absl::StrReplaceAll(
      absl::StrCat(R"({"apiVersion":"raven.openyurt.io/v1beta1","kind":"Gateway",)",
                   R"("metadata":{"name":"gw-big"},)", spec(1500), "}"),
      {{"\"", "\\\""}});
  ASSERT_LT(applied.size(), 454'000u);
  applied.resize(454'000, ' ');
  std::string gateway = absl::StrCat(
      R"({"apiVersion":"raven.openyurt.io/v1beta1","kind":"Gateway","metadata":{"name":"gw-big",)",
      R"("annotations":{"kubectl.kubernetes.io/last-applied-configuration":")", applied, R"("}},)",
      spec(5000), "}");
  ASSERT_GT(gateway.size(), 1'650'000u);
  ASSERT_LT(gateway.size(), 1'700'000u);
  ExpectAnnotationsTooLong(client.Post(kGateways, gateway), "Gateway.raven.openyurt.io", "gw-big");

  // Without the annotation it fits, until its status doubles it.
  Reply created =
      client.Post(kGateways, absl::StrCat(R"({"metadata":{"name":"gw-big"},)", spec(5000), "}"));
  ASSERT_EQ(created.code, 201) << created.body.substr(0, 200);
  ExpectTooLargeForStorage(
      client.Patch(absl::StrCat(kGateways, "/gw-big/status"),
                   absl::StrCat(R"({"status":{"activeEndpoints":)", EndpointList(5000), "}}")));
}

}  // namespace
}  // namespace raven::apiserver::testing

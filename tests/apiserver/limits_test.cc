// The size limits of a real cluster (lab/apiserver/size_limits.h): request
// bodies (413), at the limit and one byte over.
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "lab/apiserver/size_limits.h"
#include "tests/apiserver/test_util.h"

namespace raven::apiserver::testing {
namespace {

constexpr char kNodes[] = "/api/v1/nodes";

// `json` followed by spaces up to `size` bytes (still one JSON document).
std::string PaddedTo(std::string json, size_t size) {
  json.resize(size, ' ');
  return json;
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

}  // namespace
}  // namespace raven::apiserver::testing

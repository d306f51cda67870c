// Printer columns with JSONPath filters (lab/apiserver/jsonpath.h, tables.h):
// `.status.conditions[?(@.type=="Ready")].status` as kube-apiserver's
// client-go jsonpath evaluates it, and the Table cells it yields.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "lab/apiserver/json_util.h"
#include "lab/apiserver/jsonpath.h"
#include "lab/apiserver/resources.h"
#include "lab/apiserver/tables.h"

namespace raven::apiserver {
namespace {

rapidjson::Document Json(const char* text) {
  absl::StatusOr<rapidjson::Document> doc = ParseJson(text);
  EXPECT_TRUE(doc.ok()) << doc.status();
  return doc.ok() ? *std::move(doc) : rapidjson::Document();
}

// The values `path` finds, as JSON; {"ERROR"} when the evaluation fails.
std::vector<std::string> Found(const char* path, const rapidjson::Value& root) {
  absl::StatusOr<JsonPath> p = JsonPath::Parse(path);
  EXPECT_TRUE(p.ok()) << path << ": " << p.status();
  if (!p.ok()) return {};
  absl::StatusOr<std::vector<const rapidjson::Value*>> found = p->Find(root);
  if (!found.ok()) return {"ERROR"};
  std::vector<std::string> out;
  for (const rapidjson::Value* v : *found) out.push_back(ToJson(*v));
  return out;
}

using V = std::vector<std::string>;

const char kGateway[] = R"({"status":{"conditions":[
  {"type":"Progressing","status":"True","reason":"Electing","observedGeneration":2},
  {"type":"Ready","status":"False","reason":"NoHealthyEndpoint","observedGeneration":3,
   "weight":1.5,"ok":false},
  {"type":"Ready","status":"True","reason":"Elected"}],
  "nodes":[{"nodeName":"a","privateIP":"10.0.0.1"},{"nodeName":"b"}]}})";

TEST(JsonPathFilterTest, ComparesAFieldOfEachElementToALiteral) {
  rapidjson::Document gw = Json(kGateway);
  EXPECT_EQ(Found(R"(.status.conditions[?(@.type=="Ready")].status)", gw),
            (V{R"("False")", R"("True")"}));
  EXPECT_EQ(Found(R"({.status.conditions[?(@.type == 'Ready')].reason})", gw),
            (V{R"("NoHealthyEndpoint")", R"("Elected")"}));
  EXPECT_EQ(Found(R"(.status.conditions[?(@.type!="Ready")].reason)", gw), V{R"("Electing")"});
  EXPECT_EQ(Found(R"(.status.conditions[?(@.type=="Missing")].status)", gw), V{});
  EXPECT_EQ(Found(R"(.status.conditions[?(@.reason<"F")].reason)", gw),
            (V{R"("Electing")", R"("Elected")"}));
  EXPECT_EQ(Found(".status.conditions[?(@.observedGeneration>=3)].reason", gw),
            V{R"("NoHealthyEndpoint")"});
  EXPECT_EQ(Found(".status.conditions[?(@.observedGeneration<3)].reason", gw), V{R"("Electing")"});
  EXPECT_EQ(Found(".status.conditions[?(@.weight>1.0)].reason", gw), V{R"("NoHealthyEndpoint")"});
  EXPECT_EQ(Found(".status.conditions[?(@.ok==false)].reason", gw), V{R"("NoHealthyEndpoint")"});
  EXPECT_EQ(Found(".status.conditions[?(@.reason==@.reason)].type", gw).size(), 3u);
  EXPECT_EQ(Found(R"(.status.conditions[?(@.type=="a\"b")].type)", gw), V{});
}

TEST(JsonPathFilterTest, ExistenceAndMissingKeys) {
  rapidjson::Document gw = Json(kGateway);
  EXPECT_EQ(Found(".status.nodes[?(@.privateIP)].nodeName", gw), V{R"("a")"});
  EXPECT_EQ(Found(".status.conditions[?(@.observedGeneration)].type", gw).size(), 2u);
  rapidjson::Document empty = Json(R"({"status":{}})");
  EXPECT_EQ(Found(R"(.status.conditions[?(@.type=="Ready")].status)", empty), V{});
}

TEST(JsonPathFilterTest, FailsWhereClientGoFails) {
  rapidjson::Document gw = Json(kGateway);
  // Kinds differ (an integer is not a float, a string not a number).
  EXPECT_EQ(Found(".status.conditions[?(@.observedGeneration==3.0)].reason", gw), V{"ERROR"});
  EXPECT_EQ(Found(R"(.status.conditions[?(@.observedGeneration=="3")].reason)", gw), V{"ERROR"});
  EXPECT_EQ(Found(".status.conditions[?(@.ok<true)].reason", gw), V{"ERROR"});
  EXPECT_EQ(Found(R"(.status[?(@.type=="Ready")])", gw), V{"ERROR"});  // not an array
  for (const char* bad : {R"(.a[?(@.x=~"y")])", R"(.a[?(@.x=="y"])", R"(.a[?(@.x=="y")x)",
                          R"(.a[?("y"==@.x)])", ".a[?(@.x==)]", ".a[?(@.x==y)]", ".a[1:3]"}) {
    EXPECT_FALSE(JsonPath::Parse(bad).ok()) << bad;
  }
}

TEST(TablesTest, ReadyAndReasonColumnsPrintTheFirstMatchOrNothing) {
  ResourceInfo r;
  r.columns = {{"Ready", "string", "", "", R"(.status.conditions[?(@.type=="Ready")].status)", 0},
               {"Reason", "string", "", "", R"(.status.conditions[?(@.type=="Ready")].reason)", 0},
               {"Broken", "string", "", "", R"(.status.conditions[?(@.type==1)].reason)", 0}};
  std::vector<DocPtr> items = {
      std::make_shared<const rapidjson::Document>(Json(kGateway)),
      std::make_shared<const rapidjson::Document>(Json(R"({"metadata":{"name":"new"}})"))};
  rapidjson::Document table = BuildTable(r, items, 7, "", TableOptions{}, absl::Now());
  const rapidjson::Value& rows = table["rows"];
  ASSERT_EQ(rows.Size(), 2u);
  EXPECT_EQ(ToJson(rows[0]["cells"]), R"(["","False","NoHealthyEndpoint",null])");
  EXPECT_EQ(ToJson(rows[1]["cells"]), R"(["new",null,null,null])");
}

}  // namespace
}  // namespace raven::apiserver

// The API server's parsing and evaluation parts, without a server:
// selectors, merge patch, JSONPath, structural schema, Status bodies, paths.
#include <gtest/gtest.h>

#include "absl/time/time.h"
#include "lab/apiserver/api_status.h"
#include "lab/apiserver/json_util.h"
#include "lab/apiserver/jsonpath.h"
#include "lab/apiserver/merge_patch.h"
#include "lab/apiserver/request.h"
#include "lab/apiserver/resources.h"
#include "lab/apiserver/schema.h"
#include "lab/apiserver/selectors.h"
#include "lab/apiserver/tables.h"

namespace raven::apiserver {
namespace {

rapidjson::Document Json(const char* text) {
  absl::StatusOr<rapidjson::Document> doc = ParseJson(text);
  EXPECT_TRUE(doc.ok()) << doc.status();
  return doc.ok() ? *std::move(doc) : rapidjson::Document();
}

bool LabelsMatch(const char* selector, const std::map<std::string, std::string>& labels) {
  absl::StatusOr<LabelSelector> s = LabelSelector::Parse(selector);
  EXPECT_TRUE(s.ok()) << selector << ": " << s.status();
  return s.ok() && s->Matches(labels);
}

TEST(LabelSelectorTest, Operators) {
  std::map<std::string, std::string> labels = {{"raven.openyurt.io/gateway", "gw-a"},
                                               {"tier", "edge"}};
  EXPECT_TRUE(LabelsMatch("", labels));
  EXPECT_TRUE(LabelsMatch("raven.openyurt.io/gateway=gw-a", labels));
  EXPECT_TRUE(LabelsMatch("raven.openyurt.io/gateway==gw-a", labels));
  EXPECT_FALSE(LabelsMatch("raven.openyurt.io/gateway!=gw-a", labels));
  EXPECT_TRUE(LabelsMatch("tier!=cloud", labels));
  EXPECT_TRUE(LabelsMatch("missing!=x", labels));  // != matches an absent key
  EXPECT_TRUE(LabelsMatch("tier in (cloud, edge)", labels));
  EXPECT_FALSE(LabelsMatch("tier notin (cloud,edge)", labels));
  EXPECT_TRUE(LabelsMatch("tier notin (cloud)", labels));
  EXPECT_TRUE(LabelsMatch("tier", labels));
  EXPECT_FALSE(LabelsMatch("!tier", labels));
  EXPECT_TRUE(LabelsMatch("!missing", labels));
  EXPECT_TRUE(LabelsMatch("tier in (edge),raven.openyurt.io/gateway,!missing", labels));
  EXPECT_FALSE(LabelsMatch("tier in (edge),missing", labels));
}

TEST(LabelSelectorTest, RejectsGarbage) {
  EXPECT_FALSE(LabelSelector::Parse("tier in edge)").ok());
  EXPECT_FALSE(LabelSelector::Parse("tier within (a)").ok());
  EXPECT_FALSE(LabelSelector::Parse("=x").ok());
  EXPECT_EQ(HttpCode(LabelSelector::Parse("a b").status()), 400);
}

TEST(FieldSelectorTest, NamesNamespacesAndNestedFields) {
  rapidjson::Document obj =
      Json(R"({"metadata":{"name":"n1","namespace":"kube-system"},"spec":{"unschedulable":true}})");
  auto matches = [&](const char* text) {
    absl::StatusOr<FieldSelector> s = FieldSelector::Parse(text);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() && s->Matches(obj);
  };
  EXPECT_TRUE(matches("metadata.name=n1"));
  EXPECT_TRUE(matches("metadata.name==n1,metadata.namespace=kube-system"));
  EXPECT_FALSE(matches("metadata.name!=n1"));
  EXPECT_TRUE(matches("metadata.namespace!=default"));
  EXPECT_TRUE(matches("spec.unschedulable=true"));
  EXPECT_FALSE(FieldSelector::Parse("metadata.name").ok());
  EXPECT_EQ(FieldSelector::Parse("metadata.name=x,a=b")->RequiredName(), "x");
}

std::string Patched(const char* target, const char* patch, bool strategic = false) {
  rapidjson::Document t = Json(target);
  rapidjson::Document p = Json(patch);
  ApplyMergePatch(t, p, t.GetAllocator(), strategic);
  return ToJson(t);
}

TEST(MergePatchTest, Rfc7386Examples) {
  EXPECT_EQ(Patched(R"({"a":"b"})", R"({"a":"c"})"), R"({"a":"c"})");
  EXPECT_EQ(Patched(R"({"a":"b"})", R"({"b":"c"})"), R"({"a":"b","b":"c"})");
  EXPECT_EQ(Patched(R"({"a":"b"})", R"({"a":null})"), R"({})");
  EXPECT_EQ(Patched(R"({"a":"b","b":"c"})", R"({"a":null})"), R"({"b":"c"})");
  EXPECT_EQ(Patched(R"({"a":["b"]})", R"({"a":"c"})"), R"({"a":"c"})");
  EXPECT_EQ(Patched(R"({"a":"c"})", R"({"a":["b"]})"), R"({"a":["b"]})");
  EXPECT_EQ(Patched(R"({"a":{"b":"c"}})", R"({"a":{"b":"d","c":null}})"), R"({"a":{"b":"d"}})");
  EXPECT_EQ(Patched(R"({"a":[{"b":"c"}]})", R"({"a":[1]})"), R"({"a":[1]})");
  EXPECT_EQ(Patched(R"({"e":null})", R"({"a":1})"), R"({"e":null,"a":1})");
  EXPECT_EQ(Patched(R"([1,2])", R"({"a":"b","c":null})"), R"({"a":"b"})");
  EXPECT_EQ(Patched(R"({})", R"({"a":{"bb":{"ccc":null}}})"), R"({"a":{"bb":{}}})");
}

TEST(MergePatchTest, StrategicDirectives) {
  EXPECT_EQ(Patched(R"({"status":{"addresses":[{"type":"A","address":"1"}]}})",
                    R"({"status":{"$setElementOrder/addresses":[{"type":"A"}],)"
                    R"("addresses":[{"type":"A","address":"2"}]}})",
                    true),
            R"({"status":{"addresses":[{"type":"A","address":"2"}]}})");
  EXPECT_EQ(Patched(R"({"m":{"a":1,"b":2}})", R"({"m":{"$patch":"replace","c":3}})", true),
            R"({"m":{"c":3}})");
  EXPECT_EQ(Patched(R"({"m":{"a":1},"n":1})", R"({"m":{"$patch":"delete"}})", true), R"({"n":1})");
  EXPECT_EQ(Patched(R"({"metadata":{"finalizers":["a","b","c"]}})",
                    R"({"metadata":{"$deleteFromPrimitiveList/finalizers":["b"]}})", true),
            R"({"metadata":{"finalizers":["a","c"]}})");
}

std::vector<std::string> Found(const char* path, const rapidjson::Value& root) {
  absl::StatusOr<JsonPath> p = JsonPath::Parse(path);
  EXPECT_TRUE(p.ok()) << p.status();
  std::vector<std::string> out;
  if (!p.ok()) return out;
  absl::StatusOr<std::vector<const rapidjson::Value*>> found = p->Find(root);
  EXPECT_TRUE(found.ok()) << found.status();
  if (!found.ok()) return out;
  for (const rapidjson::Value* v : *found) out.push_back(ToJson(*v));
  return out;
}

TEST(JsonPathTest, SimplePaths) {
  rapidjson::Document gw = Json(R"({"spec":{"exposeType":"PublicIP"},
    "metadata":{"labels":{"raven.openyurt.io/gateway":"gw-a"}},
    "status":{"activeEndpoints":[{"nodeName":"a1","publicPort":4500},{"nodeName":"a2"}],
              "nodes":[]}})");
  using V = std::vector<std::string>;
  EXPECT_EQ(Found(".spec.exposeType", gw), V{R"("PublicIP")"});
  EXPECT_EQ(Found("{.spec.exposeType}", gw), V{R"("PublicIP")"});
  EXPECT_EQ(Found(".status.activeEndpoints[*].nodeName", gw), (V{R"("a1")", R"("a2")"}));
  EXPECT_EQ(Found(".status.activeEndpoints[1].nodeName", gw), V{R"("a2")"});
  EXPECT_EQ(Found(".status.activeEndpoints[-1].nodeName", gw), V{R"("a2")"});
  EXPECT_EQ(Found(".status.activeEndpoints[*].publicPort", gw), V{"4500"});
  EXPECT_EQ(Found(".status.activeEndpoints[5].nodeName", gw), V{});
  EXPECT_EQ(Found(".status.nodes[*].nodeName", gw), V{});
  EXPECT_EQ(Found(".metadata.labels['raven.openyurt.io/gateway']", gw), V{R"("gw-a")"});
  EXPECT_EQ(Found(".metadata.labels.raven\\.openyurt\\.io/gateway", gw), V{R"("gw-a")"});
  EXPECT_FALSE(JsonPath::Parse(".a[1:3]").ok());
}

TEST(SchemaTest, TypesRequiredEnumAndPruning) {
  rapidjson::Document schema = Json(R"({"type":"object","properties":{
    "spec":{"type":"object","required":["n"],"properties":{
      "n":{"type":"integer"},"s":{"type":"string","enum":["a","b"]},
      "m":{"type":"object","additionalProperties":{"type":"string"}},
      "free":{"type":"object","x-kubernetes-preserve-unknown-fields":true},
      "l":{"type":"array","items":{"type":"boolean"}},
      "ios":{"x-kubernetes-int-or-string":true}}}}})");
  rapidjson::Document good = Json(R"({"apiVersion":"x/v1","kind":"K","metadata":{"name":"a"},
    "spec":{"n":3.0,"s":"a","m":{"k":"v"},"free":{"any":[1]},"l":[true],"ios":"50%",
            "unknown":1},"extra":{}})");
  SchemaReport report = ValidateAndPrune(schema, good);
  EXPECT_TRUE(report.errors.empty());
  EXPECT_EQ(report.unknown_fields, (std::vector<std::string>{"spec.unknown", "extra"}));
  EXPECT_EQ(ToJson(good),
            R"({"apiVersion":"x/v1","kind":"K","metadata":{"name":"a"},)"
            R"("spec":{"n":3.0,"s":"a","m":{"k":"v"},"free":{"any":[1]},"l":[true],"ios":"50%"}})");

  rapidjson::Document bad = Json(R"({"spec":{"n":"3","s":"c","m":{"k":1},"l":[1],"ios":1.5}})");
  report = ValidateAndPrune(schema, bad);
  ASSERT_EQ(report.errors.size(), 5u);
  EXPECT_EQ(report.errors[0].field, "spec.n");
  EXPECT_EQ(report.errors[0].message,
            R"(Invalid value: "string": spec.n in body must be of type integer: "3")");
  EXPECT_EQ(report.errors[1].message, R"(Unsupported value: "c": supported values: "a", "b")");
  EXPECT_EQ(report.errors[2].field, "spec.m.k");
  EXPECT_EQ(report.errors[3].field, "spec.l[0]");

  rapidjson::Document missing = Json(R"({"spec":{"n":null}})");
  report = ValidateAndPrune(schema, missing);
  ASSERT_EQ(report.errors.size(), 1u);  // null is dropped, then n is missing
  EXPECT_EQ(report.errors[0].type, "FieldValueRequired");
}

TEST(ApiStatusTest, StatusBodies) {
  absl::Status s = NotFoundError({"raven.openyurt.io", "gateways", "gw-a"});
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(HttpCode(s), 404);
  rapidjson::Document body = Json(StatusJson(s).c_str());
  EXPECT_EQ(StringAt(body, "kind"), "Status");
  EXPECT_EQ(StringAt(body, "status"), "Failure");
  EXPECT_EQ(StringAt(body, "reason"), "NotFound");
  EXPECT_EQ(StringAt(body, "message"), R"(gateways.raven.openyurt.io "gw-a" not found)");
  EXPECT_EQ(body["code"].GetInt(), 404);
  EXPECT_EQ(StringAt(body["details"], "kind"), "gateways");
  EXPECT_EQ(AlreadyExistsError({"", "nodes", "n"}).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(HttpCode(ConflictError({"", "nodes", "n"}, "x")), 409);
  EXPECT_EQ(HttpCode(absl::InternalError("boom")), 500);
  EXPECT_EQ(StringAt(Json(StatusJson(absl::InternalError("boom")).c_str()), "reason"),
            "InternalError");
}

TEST(RequestTest, ResourcePaths) {
  auto p = ParseResourcePath("/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/l1");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->group, "coordination.k8s.io");
  EXPECT_EQ(p->ns, "kube-system");
  EXPECT_EQ(p->plural, "leases");
  EXPECT_EQ(p->name, "l1");
  p = ParseResourcePath("/api/v1/namespaces/default");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->plural, "namespaces");
  EXPECT_EQ(p->name, "default");
  EXPECT_EQ(p->ns, "");
  p = ParseResourcePath("/api/v1/namespaces/default/status");
  EXPECT_EQ(p->subresource, "status");
  p = ParseResourcePath("/api/v1/namespaces/default/events");
  EXPECT_EQ(p->ns, "default");
  EXPECT_EQ(p->plural, "events");
  p = ParseResourcePath("/apis/raven.openyurt.io/v1beta1/gateways/gw-a/status");
  EXPECT_EQ(p->subresource, "status");
  EXPECT_FALSE(ParseResourcePath("/api/v1").has_value());
  EXPECT_FALSE(ParseResourcePath("/apis/raven.openyurt.io/v1beta1").has_value());
}

TEST(RequestTest, Negotiation) {
  Negotiation n = Negotiate(
      "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;"
      "g=meta.k8s.io,application/json");
  EXPECT_TRUE(n.table);
  EXPECT_EQ(n.table_api_version, "meta.k8s.io/v1");
  EXPECT_FALSE(Negotiate("application/json").table);
  EXPECT_FALSE(Negotiate("application/vnd.kubernetes.protobuf,application/json").table);
  EXPECT_TRUE(Negotiate("application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1")
                  .partial_metadata);
}

TEST(TablesTest, HumanDurations) {
  EXPECT_EQ(ShortHumanDuration(absl::Seconds(-1)), "0s");
  EXPECT_EQ(ShortHumanDuration(absl::Seconds(-5)), "<invalid>");
  EXPECT_EQ(ShortHumanDuration(absl::Seconds(59)), "59s");
  EXPECT_EQ(ShortHumanDuration(absl::Minutes(5)), "5m");
  EXPECT_EQ(ShortHumanDuration(absl::Hours(3)), "3h");
  EXPECT_EQ(ShortHumanDuration(absl::Hours(49)), "2d");
  EXPECT_EQ(ShortHumanDuration(absl::Hours(24 * 800)), "2y");
}

TEST(ResourcesTest, VersionPriority) {
  EXPECT_TRUE(VersionBefore("v1", "v1beta1"));
  EXPECT_TRUE(VersionBefore("v2", "v1"));
  EXPECT_TRUE(VersionBefore("v1beta2", "v1beta1"));
  EXPECT_TRUE(VersionBefore("v1beta1", "v1alpha3"));
  EXPECT_TRUE(VersionBefore("v1alpha1", "foo"));
}

}  // namespace
}  // namespace raven::apiserver

// REST semantics over HTTP: discovery, create/get/list/update/patch/delete,
// resourceVersion and generation rules, selectors, status subresource,
// conflicts and error bodies.
#include <gtest/gtest.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "tests/apiserver/test_util.h"

namespace raven::apiserver::testing {
namespace {

// A namespaced test CRD with a status subresource, printer columns and a schema.
constexpr char kWidgetCrd[] = R"({
  "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
  "metadata": {"name": "widgets.example.com"},
  "spec": {"group": "example.com", "scope": "Namespaced",
    "names": {"plural": "widgets", "singular": "widget", "kind": "Widget",
              "shortNames": ["wd"], "categories": ["things"]},
    "versions": [{"name": "v1", "served": true, "storage": true,
      "subresources": {"status": {}},
      "additionalPrinterColumns": [
        {"name": "Size", "type": "integer", "jsonPath": ".spec.size"},
        {"name": "Parts", "type": "string", "jsonPath": ".spec.parts[*].name"},
        {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}],
      "schema": {"openAPIV3Schema": {"type": "object", "properties": {
        "spec": {"type": "object", "properties": {
          "size": {"type": "integer"},
          "parts": {"type": "array", "items": {"type": "object", "properties": {
            "name": {"type": "string"}}}}}},
        "status": {"type": "object", "properties": {"phase": {"type": "string"}}}}}}}]}})";

constexpr char kWidgets[] = "/apis/example.com/v1/namespaces/default/widgets";

int64_t Rv(const Reply& reply) {
  int64_t rv = -1;
  EXPECT_TRUE(absl::SimpleAtoi(reply.Str("/metadata/resourceVersion"), &rv)) << reply.body;
  return rv;
}

std::string Widget(const std::string& name, int size, const std::string& labels = "{}") {
  return absl::StrCat(R"({"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":")",
                      name, R"(","labels":)", labels, R"(},"spec":{"size":)", size,
                      R"(,"parts":[{"name":"p1"},{"name":"p2"}]},"status":{"phase":"Set"}})");
}

class CrudTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = StartServer();
    ASSERT_NE(server_, nullptr);
    client_ = std::make_unique<Client>(*server_);
    ASSERT_EQ(
        client_->Post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", kWidgetCrd).code,
        201);
  }

  std::unique_ptr<ApiServer> server_;
  std::unique_ptr<Client> client_;
};

TEST_F(CrudTest, DiscoveryServesTheCrdGroup) {
  Reply groups = client_->Get("/apis");
  ASSERT_EQ(groups.code, 200);
  EXPECT_NE(groups.body.find(R"("name":"example.com")"), std::string::npos) << groups.body;
  Reply group = client_->Get("/apis/example.com");
  EXPECT_EQ(group.Str("/preferredVersion/groupVersion"), "example.com/v1");
  Reply list = client_->Get("/apis/example.com/v1");
  ASSERT_EQ(list.code, 200);
  EXPECT_EQ(list.Str("/kind"), "APIResourceList");
  EXPECT_EQ(list.Str("/resources/0/name"), "widgets");
  EXPECT_EQ(list.Str("/resources/0/kind"), "Widget");
  EXPECT_EQ(list.Str("/resources/0/shortNames/0"), "wd");
  EXPECT_EQ(list.Str("/resources/0/categories/0"), "things");
  EXPECT_TRUE(list.json["resources"][0]["namespaced"].GetBool());
  EXPECT_EQ(list.Str("/resources/1/name"), "widgets/status");
  EXPECT_EQ(client_->Get("/api/v1").Str("/groupVersion"), "v1");
  EXPECT_EQ(client_->Get("/version").Str("/major"), "1");
  EXPECT_EQ(client_->Get("/apis/nothing.example.com").code, 404);

  // The CRD is established, and deleting it removes the group and its objects.
  Reply crd = client_->Get(
      "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/"
      "widgets.example.com");
  EXPECT_EQ(crd.Str("/status/conditions/1/type"), "Established");
  ASSERT_EQ(client_->Post(kWidgets, Widget("w1", 1)).code, 201);
  EXPECT_EQ(client_
                ->Delete("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/"
                         "widgets.example.com")
                .code,
            200);
  EXPECT_EQ(client_->Get("/apis/example.com/v1").code, 404);
  EXPECT_EQ(client_->Get(kWidgets).code, 404);
}

TEST_F(CrudTest, ResourceVersionAndGeneration) {
  Reply created = client_->Post(kWidgets, Widget("w1", 1));
  ASSERT_EQ(created.code, 201) << created.body;
  EXPECT_EQ(created.Int("/metadata/generation"), 1);
  EXPECT_FALSE(created.Str("/metadata/uid").empty());
  EXPECT_FALSE(created.Str("/metadata/creationTimestamp").empty());
  EXPECT_FALSE(created.Has("/status"));  // create cannot set status (status subresource)
  int64_t rv1 = Rv(created);

  // Another object takes the next global version.
  Reply node = client_->Post("/api/v1/nodes", R"({"metadata":{"name":"n1"}})");
  EXPECT_EQ(Rv(node), rv1 + 1);

  // Metadata changes: new version, same generation.
  Reply labelled =
      client_->Patch(absl::StrCat(kWidgets, "/w1"), R"({"metadata":{"labels":{"a":"b"}}})");
  EXPECT_EQ(Rv(labelled), rv1 + 2);
  EXPECT_EQ(labelled.Int("/metadata/generation"), 1);
  // Status changes: same generation.
  Reply status =
      client_->Patch(absl::StrCat(kWidgets, "/w1/status"), R"({"status":{"phase":"Ready"}})");
  EXPECT_EQ(status.Int("/metadata/generation"), 1);
  EXPECT_EQ(status.Str("/status/phase"), "Ready");
  // Spec changes: generation + 1.
  Reply spec = client_->Patch(absl::StrCat(kWidgets, "/w1"), R"({"spec":{"size":2}})");
  EXPECT_EQ(spec.Int("/metadata/generation"), 2);
  // A patch that changes nothing keeps the version.
  Reply noop = client_->Patch(absl::StrCat(kWidgets, "/w1"), R"({"spec":{"size":2}})");
  EXPECT_EQ(noop.Str("/metadata/resourceVersion"), spec.Str("/metadata/resourceVersion"));
  // uid and creationTimestamp cannot be changed.
  Reply owned =
      client_->Patch(absl::StrCat(kWidgets, "/w1"),
                     R"({"metadata":{"uid":"x","creationTimestamp":"2000-01-01T00:00:00Z"}})");
  EXPECT_EQ(owned.Str("/metadata/uid"), created.Str("/metadata/uid"));

  // The list carries the current version.
  Reply list = client_->Get(kWidgets);
  EXPECT_EQ(list.Str("/kind"), "WidgetList");
  EXPECT_EQ(list.Str("/metadata/resourceVersion"), absl::StrCat(server_->resource_version()));
  EXPECT_EQ(list.json["items"].Size(), 1u);
}

TEST_F(CrudTest, UpdateNeedsTheCurrentVersion) {
  Reply created = client_->Post(kWidgets, Widget("w1", 1));
  std::string rv = created.Str("/metadata/resourceVersion");
  std::string path = absl::StrCat(kWidgets, "/w1");
  auto with_rv = [](const std::string& version, int size) {
    return absl::StrCat(R"({"apiVersion":"example.com/v1","kind":"Widget",)",
                        R"("metadata":{"name":"w1","resourceVersion":")", version,
                        R"("},"spec":{"size":)", size, "}}");
  };
  Reply missing = client_->Put(path, R"({"metadata":{"name":"w1"},"spec":{"size":5}})");
  EXPECT_EQ(missing.code, 422);
  Reply updated = client_->Put(path, with_rv(rv, 5));
  ASSERT_EQ(updated.code, 200) << updated.body;
  EXPECT_EQ(updated.Int("/spec/size"), 5);
  EXPECT_EQ(updated.Int("/metadata/generation"), 2);
  Reply stale = client_->Put(path, with_rv(rv, 6));
  EXPECT_EQ(stale.code, 409);
  EXPECT_EQ(stale.Str("/reason"), "Conflict");
  EXPECT_EQ(stale.Str("/kind"), "Status");
  // A merge patch carrying a stale resourceVersion is a precondition too.
  Reply stale_patch =
      client_->Patch(path, absl::StrCat(R"({"metadata":{"resourceVersion":")", rv, R"("}})"));
  EXPECT_EQ(stale_patch.code, 409);
  // Renaming through PUT is refused.
  EXPECT_EQ(client_->Put(absl::StrCat(kWidgets, "/w2"), with_rv(rv, 1)).code, 400);
}

TEST_F(CrudTest, StatusSubresourceIsolation) {
  ASSERT_EQ(client_->Post(kWidgets, Widget("w1", 1)).code, 201);
  std::string path = absl::StrCat(kWidgets, "/w1");
  client_->Patch(absl::StrCat(path, "/status"), R"({"status":{"phase":"Ready"}})");
  // The main resource ignores status...
  Reply main = client_->Patch(path, R"({"spec":{"size":3},"status":{"phase":"Hacked"}})");
  EXPECT_EQ(main.Int("/spec/size"), 3);
  EXPECT_EQ(main.Str("/status/phase"), "Ready");
  // ...and the status subresource ignores everything else.
  Reply status = client_->Patch(absl::StrCat(path, "/status"),
                                R"({"spec":{"size":9},"metadata":{"labels":{"x":"y"}},)"
                                R"("status":{"phase":"Done"}})");
  EXPECT_EQ(status.Int("/spec/size"), 3);
  EXPECT_FALSE(status.Has("/metadata/labels/x"));
  EXPECT_EQ(status.Str("/status/phase"), "Done");
  // PUT on status, with the version.
  Reply current = client_->Get(path);
  std::string body = current.body;
  Reply put = client_->Put(absl::StrCat(path, "/status"),
                           absl::StrCat(R"({"metadata":{"name":"w1","resourceVersion":")",
                                        current.Str("/metadata/resourceVersion"),
                                        R"("},"spec":{"size":100},"status":{"phase":"Put"}})"));
  ASSERT_EQ(put.code, 200) << put.body;
  EXPECT_EQ(put.Str("/status/phase"), "Put");
  EXPECT_EQ(put.Int("/spec/size"), 3);
  // Events have no status subresource.
  EXPECT_EQ(client_->Get("/api/v1/namespaces/default/events/e1/status").code, 404);
}

TEST_F(CrudTest, MergePatchTypes) {
  ASSERT_EQ(client_
                ->Post("/api/v1/nodes", R"({"metadata":{"name":"n1","labels":{"a":"1","b":"2"}},)"
                                        R"("spec":{"podCIDRs":["100.64.1.0/24"]}})")
                .code,
            201);
  Reply merged =
      client_->Patch("/api/v1/nodes/n1", R"({"metadata":{"labels":{"a":null,"c":"3"}}})");
  ASSERT_EQ(merged.code, 200);
  EXPECT_FALSE(merged.Has("/metadata/labels/a"));
  EXPECT_EQ(merged.Str("/metadata/labels/b"), "2");
  EXPECT_EQ(merged.Str("/metadata/labels/c"), "3");
  Reply strategic = client_->Patch(
      "/api/v1/nodes/n1", R"({"metadata":{"labels":{"raven.openyurt.io/gateway":"gw-a"}}})",
      "application/strategic-merge-patch+json");
  EXPECT_EQ(strategic.Str("/metadata/labels/raven.openyurt.io~1gateway"), "gw-a");
  EXPECT_EQ(client_->Patch("/api/v1/nodes/n1", "[]", "application/json-patch+json").code, 415);
  EXPECT_EQ(client_->Patch("/api/v1/nodes/none", "{}").code, 404);
}

TEST_F(CrudTest, Selectors) {
  client_->Post(kWidgets, Widget("w1", 1, R"({"tier":"edge","zone":"a"})"));
  client_->Post(kWidgets, Widget("w2", 2, R"({"tier":"cloud"})"));
  client_->Post(kWidgets, Widget("w3", 3, "{}"));
  client_->Post("/apis/example.com/v1/namespaces/kube-system/widgets",
                Widget("w4", 4, R"({"tier":"edge"})"));
  auto names = [&](const std::string& query, const std::string& base = kWidgets) {
    Reply r = client_->Get(absl::StrCat(base, query));
    EXPECT_EQ(r.code, 200) << query << " " << r.body;
    std::string out;
    if (r.code != 200) return out;
    for (const auto& item : r.json["items"].GetArray()) {
      absl::StrAppend(&out, out.empty() ? "" : ",", item["metadata"]["name"].GetString());
    }
    return out;
  };
  EXPECT_EQ(names(""), "w1,w2,w3");
  EXPECT_EQ(names("?labelSelector=tier%3Dedge"), "w1");
  EXPECT_EQ(names("?labelSelector=tier%3D%3Dedge"), "w1");
  EXPECT_EQ(names("?labelSelector=tier%21%3Dedge"), "w2,w3");
  EXPECT_EQ(names("?labelSelector=tier%20in%20(edge,cloud)"), "w1,w2");
  EXPECT_EQ(names("?labelSelector=tier%20notin%20(edge)"), "w2,w3");
  EXPECT_EQ(names("?labelSelector=tier"), "w1,w2");
  EXPECT_EQ(names("?labelSelector=%21tier"), "w3");
  EXPECT_EQ(names("?labelSelector=tier,zone%3Da"), "w1");
  EXPECT_EQ(names("?fieldSelector=metadata.name%3Dw2"), "w2");
  EXPECT_EQ(names("?fieldSelector=metadata.name%21%3Dw2"), "w1,w3");
  EXPECT_EQ(names("?labelSelector=tier%3Dedge", "/apis/example.com/v1/widgets"), "w1,w4");
  EXPECT_EQ(
      names("?fieldSelector=metadata.namespace%3Dkube-system", "/apis/example.com/v1/widgets"),
      "w4");
  // limit/continue pages through the list.
  Reply page = client_->Get(absl::StrCat(kWidgets, "?limit=2"));
  EXPECT_EQ(page.json["items"].Size(), 2u);
  std::string token = page.Str("/metadata/continue");
  ASSERT_FALSE(token.empty());
  EXPECT_EQ(names(absl::StrCat("?limit=2&continue=", token)), "w3");
  EXPECT_EQ(client_->Get(absl::StrCat(kWidgets, "?labelSelector=a%20in%20b")).code, 400);
}

TEST_F(CrudTest, CreateErrorsAndDelete) {
  ASSERT_EQ(client_->Post(kWidgets, Widget("w1", 1)).code, 201);
  Reply again = client_->Post(kWidgets, Widget("w1", 1));
  EXPECT_EQ(again.code, 409);
  EXPECT_EQ(again.Str("/reason"), "AlreadyExists");
  EXPECT_EQ(again.Str("/message"), R"(widgets.example.com "w1" already exists)");

  Reply no_name = client_->Post(kWidgets, R"({"spec":{"size":1}})");
  EXPECT_EQ(no_name.code, 422);
  EXPECT_EQ(no_name.Str("/reason"), "Invalid");
  EXPECT_EQ(no_name.Str("/details/causes/0/field"), "metadata.name");
  Reply not_json = client_->Post(kWidgets, "{not json");  // a decoding error: 400, as kube
  EXPECT_EQ(not_json.code, 400);
  EXPECT_EQ(not_json.Str("/reason"), "BadRequest");
  Reply wrong_kind = client_->Post(kWidgets, R"({"kind":"Gadget","metadata":{"name":"g"}})");
  EXPECT_EQ(wrong_kind.code, 422);
  EXPECT_EQ(wrong_kind.Str("/details/causes/0/field"), "kind");
  EXPECT_EQ(client_->Post(kWidgets, R"({"apiVersion":"v1","metadata":{"name":"g"}})").code, 422);
  Reply bad_type = client_->Post(kWidgets, R"({"metadata":{"name":"g"},"spec":{"size":"big"}})");
  EXPECT_EQ(bad_type.code, 422);
  EXPECT_EQ(bad_type.Str("/details/causes/0/field"), "spec.size");
  Reply strict = client_->Post(absl::StrCat(kWidgets, "?fieldValidation=Strict"),
                               R"({"metadata":{"name":"g"},"spec":{"colour":"red"}})");
  EXPECT_EQ(strict.code, 400);
  Reply warned = client_->Post(kWidgets, R"({"metadata":{"name":"g"},"spec":{"colour":"red"}})");
  EXPECT_EQ(warned.code, 201);
  EXPECT_FALSE(warned.Has("/spec/colour"));  // pruned
  EXPECT_NE(warned.headers.find("Warning"), warned.headers.end());

  Reply generated = client_->Post(kWidgets, R"({"metadata":{"generateName":"w-"}})");
  EXPECT_EQ(generated.code, 201);
  EXPECT_EQ(generated.Str("/metadata/name").size(), 7u);

  Reply gone = client_->Delete(absl::StrCat(kWidgets, "/w1"));
  EXPECT_EQ(gone.code, 200);
  Reply missing = client_->Delete(absl::StrCat(kWidgets, "/w1"));
  EXPECT_EQ(missing.code, 404);
  EXPECT_EQ(missing.Str("/reason"), "NotFound");
  EXPECT_EQ(missing.Str("/message"), R"(widgets.example.com "w1" not found)");
  EXPECT_EQ(client_->Get("/api/v1/nodes/none").Str("/message"), R"(nodes "none" not found)");
  EXPECT_EQ(client_->Get("/apis/example.com/v1/gadgets").code, 404);
  EXPECT_EQ(client_->Get("/api/v1/namespaces/default/nodes").code, 404);
  EXPECT_EQ(client_->Post("/api/v1/events", R"({"metadata":{"name":"e"}})").code, 405);
}

TEST_F(CrudTest, FinalizersDelayDeletion) {
  ASSERT_EQ(
      client_->Post("/api/v1/nodes", R"({"metadata":{"name":"n1","finalizers":["raven.io/x"]}})")
          .code,
      201);
  Reply deleting = client_->Delete("/api/v1/nodes/n1");
  EXPECT_EQ(deleting.code, 200);
  EXPECT_TRUE(deleting.Has("/metadata/deletionTimestamp"));
  EXPECT_EQ(client_->Get("/api/v1/nodes/n1").code, 200);
  EXPECT_EQ(client_->Patch("/api/v1/nodes/n1", R"({"metadata":{"finalizers":null}})").code, 200);
  EXPECT_EQ(client_->Get("/api/v1/nodes/n1").code, 404);
}

TEST_F(CrudTest, TablesForKubectlGet) {
  ASSERT_EQ(client_->Post(kWidgets, Widget("w1", 7)).code, 201);
  const char* kTable =
      "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;"
      "g=meta.k8s.io,application/json";
  Reply table = client_->Get(kWidgets, kTable);
  ASSERT_EQ(table.code, 200);
  EXPECT_EQ(table.Str("/kind"), "Table");
  EXPECT_EQ(table.Str("/apiVersion"), "meta.k8s.io/v1");
  EXPECT_EQ(table.Str("/columnDefinitions/0/name"), "Name");
  EXPECT_EQ(table.Str("/columnDefinitions/1/name"), "Size");
  EXPECT_EQ(table.Str("/columnDefinitions/3/type"), "date");
  EXPECT_EQ(table.Str("/rows/0/cells/0"), "w1");
  EXPECT_EQ(table.Int("/rows/0/cells/1"), 7);
  EXPECT_EQ(table.Str("/rows/0/cells/2"), "p1");  // first match only, as kube-apiserver
  EXPECT_EQ(table.Str("/rows/0/cells/3"), "0s");
  EXPECT_EQ(table.Str("/rows/0/object/kind"), "PartialObjectMetadata");
  Reply one = client_->Get(absl::StrCat(kWidgets, "/w1"), kTable);
  EXPECT_EQ(one.Str("/rows/0/cells/0"), "w1");
  Reply nodes = client_->Get("/api/v1/namespaces", kTable);
  EXPECT_EQ(nodes.Str("/columnDefinitions/1/name"), "Status");
  EXPECT_EQ(nodes.Str("/rows/0/cells/1"), "Active");
}

TEST_F(CrudTest, LeasesAndEvents) {
  const char* lease = R"({"apiVersion":"coordination.k8s.io/v1","kind":"Lease",
    "metadata":{"name":"agent-n1","namespace":"kube-node-lease"},
    "spec":{"holderIdentity":"n1","leaseDurationSeconds":10,
            "renewTime":"2026-01-01T00:00:00.000000Z"}})";
  Reply created =
      client_->Post("/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases", lease);
  ASSERT_EQ(created.code, 201) << created.body;
  Reply renewed =
      client_->Patch("/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/agent-n1",
                     R"({"spec":{"renewTime":"2026-01-01T00:00:01.000000Z"}})");
  EXPECT_EQ(renewed.Str("/spec/renewTime"), "2026-01-01T00:00:01.000000Z");
  Reply wrong_ns = client_->Post("/apis/coordination.k8s.io/v1/namespaces/default/leases", lease);
  EXPECT_EQ(wrong_ns.code, 400);
  Reply event = client_->Post("/api/v1/namespaces/default/events",
                              R"({"metadata":{"name":"gw-a.1"},"reason":"ActiveEndpointElected",)"
                              R"("involvedObject":{"kind":"Gateway","name":"gw-a"}})");
  EXPECT_EQ(event.code, 201);
  EXPECT_EQ(
      client_->Get("/api/v1/events?fieldSelector=involvedObject.name%3Dgw-a").json["items"].Size(),
      1u);
}

TEST(AuthTest, TokenRequired) {
  std::unique_ptr<ApiServer> server = StartServer();
  ASSERT_NE(server, nullptr);
  Client anonymous(*server, "");
  Reply no_token = anonymous.Get("/api/v1/nodes");
  EXPECT_EQ(no_token.code, 401);
  EXPECT_EQ(no_token.Str("/reason"), "Unauthorized");
  EXPECT_EQ(no_token.Str("/kind"), "Status");
  EXPECT_EQ(Client(*server, "wrong").Get("/version").code, 401);
  EXPECT_EQ(Client(*server, "wrong").Post("/debug/faults/compact", "").code, 401);
  EXPECT_EQ(anonymous.Get("/healthz").code, 200);
  EXPECT_EQ(Client(*server).Get("/api/v1/nodes").code, 200);
}

TEST(DirectAccessTest, InProcessCalls) {
  std::unique_ptr<ApiServer> server = StartServer();
  ASSERT_NE(server, nullptr);
  EXPECT_TRUE(server->CreateJson("/api/v1/nodes", R"({"metadata":{"name":"n1"}})").ok());
  EXPECT_EQ(server->CreateJson("/api/v1/nodes", R"({"metadata":{"name":"n1"}})").status().code(),
            absl::StatusCode::kAlreadyExists);
  absl::StatusOr<std::string> node = server->GetJson("/api/v1/nodes/n1");
  ASSERT_TRUE(node.ok());
  EXPECT_NE(node->find(R"("name":"n1")"), std::string::npos);
  EXPECT_TRUE(server->PatchJson("/api/v1/nodes/n1", R"({"metadata":{"labels":{"a":"b"}}})").ok());
  absl::StatusOr<std::string> list = server->GetJson("/api/v1/nodes?labelSelector=a%3Db");
  EXPECT_NE(list->find("n1"), std::string::npos);
  EXPECT_TRUE(server->Delete("/api/v1/nodes/n1").ok());
  absl::Status missing = server->GetJson("/api/v1/nodes/n1").status();
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(missing.message(), R"(nodes "n1" not found)");
}

}  // namespace
}  // namespace raven::apiserver::testing

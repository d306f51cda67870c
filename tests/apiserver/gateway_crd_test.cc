// The project's Gateway CRD (crd/) served by raven-apiserver: what its schema
// accepts (every valid object upstream OpenYurt accepts), what it rejects with
// kube-apiserver's 422 Invalid causes, and the Ready/Reason printer columns.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "rapidjson/pointer.h"
#include "tests/apiserver/test_util.h"

namespace raven::apiserver::testing {
namespace {

constexpr char kGateways[] = "/apis/raven.openyurt.io/v1beta1/gateways";

// A spec with one tunnel endpoint on n1 (plus `endpoint_fields`) and `more` fields.
std::string Spec(const std::string& endpoint_fields, const std::string& more = "") {
  return absl::StrCat(R"({"endpoints":[{"nodeName":"n1","type":"tunnel")", endpoint_fields, "}]",
                      more, "}");
}

class GatewaySchemaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string crd = GatewayCrdJson();
    if (crd.empty()) GTEST_SKIP() << "RAVEN_CRD_JSON not set (needs python3-yaml at build time)";
    server_ = StartServer();
    ASSERT_NE(server_, nullptr);
    client_ = std::make_unique<Client>(*server_);
    ASSERT_EQ(client_->Post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd).code,
              201);
  }

  Reply Create(const std::string& name, const std::string& spec) {
    return client_->Post(kGateways, absl::StrCat(R"({"apiVersion":"raven.openyurt.io/v1beta1",)",
                                                 R"("kind":"Gateway","metadata":{"name":")", name,
                                                 R"("},"spec":)", spec, "}"));
  }

  Reply PatchStatus(const std::string& name, const std::string& status) {
    return client_->Patch(absl::StrCat(kGateways, "/", name, "/status"),
                          absl::StrCat(R"({"status":)", status, "}"));
  }

  // The causes of a 422 Invalid reply as "field: message".
  static std::vector<std::string> Causes(const Reply& reply) {
    EXPECT_EQ(reply.code, 422) << reply.body;
    EXPECT_EQ(reply.Str("/reason"), "Invalid");
    std::vector<std::string> out;
    const rapidjson::Value* causes = rapidjson::Pointer("/details/causes").Get(reply.json);
    if (causes == nullptr || !causes->IsArray()) return out;
    for (rapidjson::SizeType i = 0; i < causes->Size(); ++i) {
      Reply cause;
      cause.json.CopyFrom((*causes)[i], cause.json.GetAllocator());
      out.push_back(absl::StrCat(cause.Str("/field"), ": ", cause.Str("/message")));
    }
    return out;
  }

  std::unique_ptr<ApiServer> server_;
  std::unique_ptr<Client> client_;
};

TEST_F(GatewaySchemaTest, AcceptsWhatUpstreamAcceptsIncludingEmptyAndZeroValues) {
  // Empty publicIP (not known yet), port 0 (the default), empty exposeType
  // (an edge pool), Replicas 0, IPv4 and IPv6 addresses, ports at the bounds.
  const std::vector<std::string> specs = {
      Spec(R"(,"publicIP":"","port":0,"publicPort":0)", R"(,"exposeType":"PublicIP")"),
      Spec(R"(,"publicIP":"198.18.0.1","port":65535,"publicPort":1)"),
      Spec(R"(,"publicIP":"2001:db8::1","natType":"Symmetric NAT","underNAT":false)",
           R"(,"exposeType":"","proxyConfig":{"Replicas":0})"),
      Spec(R"(,"config":{"publicKey":"hJIjNMumhSTnGrzIyDGObWbgNRLFwq8cqZMY/kJhLmE="})",
           R"(,"exposeType":"LoadBalancer","tunnelConfig":{"Replicas":0})"),
  };
  for (size_t i = 0; i < specs.size(); ++i) {
    Reply created = Create(absl::StrCat("gw-", i), specs[i]);
    EXPECT_EQ(created.code, 201) << specs[i] << "\n" << created.body;
  }
  Reply status = PatchStatus("gw-0", R"({
      "activeEndpoints":[{"nodeName":"n1","type":"tunnel","publicIP":"","port":4500}],
      "nodes":[{"nodeName":"n1","privateIP":"","subnets":[]},
               {"nodeName":"n2","privateIP":"fd00::2","subnets":["10.1.0.0/24","fd00:1::/64"]},
               {"nodeName":"n3","privateIP":"10.0.0.3","secondaryPrivateIPs":["fd00::3"],
                "subnets":[]}],
      "conditions":[{"type":"Ready","status":"True","reason":"Elected","message":"",
                     "lastTransitionTime":"2024-05-01T10:00:00Z","observedGeneration":1}]})");
  EXPECT_EQ(status.code, 200) << status.body;
}

TEST_F(GatewaySchemaTest, AnInvalidPublicIpIsRejectedNamingTheField) {
  Reply bad = Create("gw-bad", Spec(R"(,"publicIP":"999.1.1.1")"));
  const std::vector<std::string> want = {
      R"(<nil>: Invalid value: "": "spec.endpoints[0].publicIP" must validate at least one schema (anyOf))",
      R"(spec.endpoints[0].publicIP: Invalid value: "999.1.1.1": spec.endpoints[0].publicIP in body must be of type ipv4: "999.1.1.1")"};
  EXPECT_EQ(Causes(bad), want);
  EXPECT_EQ(bad.Str("/message"), absl::StrCat(R"(Gateway.raven.openyurt.io "gw-bad" is invalid: [)",
                                              want[0], ", ", want[1], "]"));
  EXPECT_EQ(client_->Get(absl::StrCat(kGateways, "/gw-bad")).code, 404);
}

TEST_F(GatewaySchemaTest, PortsReplicasExposeTypeAndNamesAreBounded) {
  EXPECT_EQ(Causes(Create("p", Spec(R"(,"port":70000)"))),
            std::vector<std::string>{"spec.endpoints[0].port: Invalid value: 70000: "
                                     "spec.endpoints[0].port in body should be less than or "
                                     "equal to 65535"});
  EXPECT_EQ(Causes(Create("p", Spec(R"(,"port":-1,"publicPort":65536)"))),
            (std::vector<std::string>{
                "spec.endpoints[0].port: Invalid value: -1: spec.endpoints[0].port in body should "
                "be greater than or equal to 0",
                "spec.endpoints[0].publicPort: Invalid value: 65536: spec.endpoints[0].publicPort "
                "in body should be less than or equal to 65535"}));
  EXPECT_EQ(Causes(Create("r", Spec("", R"(,"proxyConfig":{"Replicas":-1})"))),
            std::vector<std::string>{"spec.proxyConfig.Replicas: Invalid value: -1: "
                                     "spec.proxyConfig.Replicas in body should be greater than or "
                                     "equal to 0"});
  EXPECT_EQ(
      Causes(Create("e", Spec("", R"(,"exposeType":"Bogus")"))),
      std::vector<std::string>{R"(spec.exposeType: Unsupported value: "Bogus": supported values: )"
                               R"("", "PublicIP", "LoadBalancer")"});
  EXPECT_EQ(Causes(Create("n", R"({"endpoints":[{"nodeName":")" + std::string(254, 'a') +
                                   R"(","type":"tunnel"}]})")),
            std::vector<std::string>{
                "spec.endpoints[0].nodeName: Too long: may not be more than 253 bytes"});
  EXPECT_EQ(Causes(Create("n", R"({"endpoints":[{"nodeName":"","type":"tunnel"}]})")),
            std::vector<std::string>{R"(spec.endpoints[0].nodeName: Invalid value: "": )"
                                     R"(spec.endpoints[0].nodeName in body should be at least 1 )"
                                     "chars long"});
}

TEST_F(GatewaySchemaTest, StatusIpsSubnetsAndConditionsAreValidated) {
  ASSERT_EQ(Create("gw-a", Spec("")).code, 201);
  std::vector<std::string> causes = Causes(PatchStatus(
      "gw-a", R"({"activeEndpoints":[{"nodeName":"n1","type":"tunnel","publicIP":"::g"}],
                  "nodes":[{"nodeName":"n1","privateIP":"10.0.0.256","subnets":["10.1.0.0/33"]}]})"));
  EXPECT_EQ(
      causes,
      (std::vector<std::string>{
          R"(<nil>: Invalid value: "": "status.activeEndpoints[0].publicIP" must validate at least one schema (anyOf))",
          R"(status.activeEndpoints[0].publicIP: Invalid value: "::g": status.activeEndpoints[0].publicIP in body must be of type ipv4: "::g")",
          R"(<nil>: Invalid value: "": "status.nodes[0].privateIP" must validate at least one schema (anyOf))",
          R"(status.nodes[0].privateIP: Invalid value: "10.0.0.256": status.nodes[0].privateIP in body must be of type ipv4: "10.0.0.256")",
          R"(status.nodes[0].subnets[0]: Invalid value: "10.1.0.0/33": status.nodes[0].subnets[0] in body must be of type cidr: "10.1.0.0/33")"}));
  // secondaryPrivateIPs: addresses only, "" is not one.
  causes = Causes(PatchStatus("gw-a", R"({"nodes":[{"nodeName":"n1","privateIP":"10.0.0.1",
      "secondaryPrivateIPs":[""],"subnets":[]},{"nodeName":"n2","privateIP":"10.0.0.2",
      "secondaryPrivateIPs":["fd00::g"],"subnets":[]}]})"));
  EXPECT_EQ(
      causes,
      (std::vector<std::string>{
          R"(<nil>: Invalid value: "": "status.nodes[0].secondaryPrivateIPs[0]" must validate at least one schema (anyOf))",
          R"(status.nodes[0].secondaryPrivateIPs[0]: Invalid value: "": status.nodes[0].secondaryPrivateIPs[0] in body must be of type ipv4: "")",
          R"(<nil>: Invalid value: "": "status.nodes[1].secondaryPrivateIPs[0]" must validate at least one schema (anyOf))",
          R"(status.nodes[1].secondaryPrivateIPs[0]: Invalid value: "fd00::g": status.nodes[1].secondaryPrivateIPs[0] in body must be of type ipv4: "fd00::g")"}));
  causes = Causes(PatchStatus("gw-a", R"({"conditions":[{"type":"Ready","status":"True",
      "reason":"","message":"","lastTransitionTime":"yesterday","observedGeneration":-1}]})"));
  EXPECT_EQ(
      causes,
      (std::vector<std::string>{
          R"(status.conditions[0].reason: Invalid value: "": status.conditions[0].reason in body should be at least 1 chars long)",
          R"(status.conditions[0].lastTransitionTime: Invalid value: "yesterday": status.conditions[0].lastTransitionTime in body must be of type date-time: "yesterday")",
          "status.conditions[0].observedGeneration: Invalid value: -1: "
          "status.conditions[0].observedGeneration in body should be greater than or equal "
          "to 0"}));
}

TEST_F(GatewaySchemaTest, ReadyAndReasonColumnsShowTheReadyCondition) {
  ASSERT_EQ(Create("gw-new", Spec("")).code, 201);
  ASSERT_EQ(Create("gw-down", Spec("")).code, 201);
  ASSERT_EQ(PatchStatus("gw-down", R"j({"conditions":[
      {"type":"Other","status":"True","reason":"Whatever","message":"",
       "lastTransitionTime":"2024-05-01T10:00:00Z"},
      {"type":"Ready","status":"False","reason":"NoHealthyEndpoint","message":"n1 (NotReady)",
       "lastTransitionTime":"2024-05-01T10:00:00Z"}]})j")
                .code,
            200);
  Reply table = client_->Get(kGateways, "application/json;as=Table;v=v1;g=meta.k8s.io");
  ASSERT_EQ(table.code, 200) << table.body;
  std::vector<std::string> headers;
  for (const auto& c : table.json["columnDefinitions"].GetArray()) {
    headers.push_back(c["name"].GetString());
  }
  EXPECT_EQ(headers,
            (std::vector<std::string>{"Name", "Ready", "Reason", "Active", "Public-IP", "Expose",
                                      "Tunnels", "Public-Port", "First-Member", "Age"}));
  EXPECT_EQ(table.Str("/rows/0/cells/0"), "gw-down");
  EXPECT_EQ(table.Str("/rows/0/cells/1"), "False");
  EXPECT_EQ(table.Str("/rows/0/cells/2"), "NoHealthyEndpoint");
  EXPECT_EQ(table.Str("/rows/1/cells/0"), "gw-new");
  EXPECT_TRUE(table.json["rows"][1]["cells"][1].IsNull());
  EXPECT_TRUE(table.json["rows"][1]["cells"][2].IsNull());
}

}  // namespace
}  // namespace raven::apiserver::testing

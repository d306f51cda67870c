// Codecs of the typed resources, and ResourcePath / watch event parsing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/kube/resource_path.h"
#include "common/kube/resources/event.h"
#include "common/kube/resources/k8s_time.h"
#include "common/kube/resources/lease.h"
#include "common/kube/resources/node.h"
#include "common/kube/watch_event.h"
#include "tests/unit/kube/test_util.h"

namespace raven::kube {
namespace {

using ::raven::kube::testing::IsOk;
using ::raven::kube::testing::StatusIs;

constexpr char kNode[] = R"({
  "apiVersion": "v1", "kind": "Node",
  "metadata": {"name": "edge-1", "uid": "u1", "resourceVersion": "77",
               "creationTimestamp": "2024-05-01T10:00:00Z",
               "labels": {"raven.openyurt.io/gateway": "gw-edge"},
               "annotations": {"raven.openyurt.io/public-key": "k"}},
  "spec": {"podCIDR": "100.64.1.0/24", "podCIDRs": ["100.64.1.0/24", "fd64:1::/64"],
           "taints": [{"key": "x", "effect": "NoSchedule"}]},
  "status": {
    "addresses": [{"type": "Hostname", "address": "edge-1"},
                  {"type": "InternalIP", "address": "100.127.0.11"},
                  {"type": "ExternalIP", "address": "198.18.0.11"}],
    "conditions": [
      {"type": "MemoryPressure", "status": "False"},
      {"type": "Ready", "status": "True", "lastHeartbeatTime": "2024-05-01T10:05:00Z",
       "lastTransitionTime": "2024-05-01T10:00:10Z", "reason": "KubeletReady"}],
    "capacity": {"cpu": "4"}
  }
})";

TEST(NodeTest, DecodesWhatTheAgentReads) {
  absl::StatusOr<Node> n = DecodeNodeJson(kNode);
  ASSERT_THAT(n, IsOk());
  EXPECT_EQ(n->meta.name, "edge-1");
  EXPECT_EQ(n->meta.resource_version, "77");
  EXPECT_EQ(n->meta.labels.at("raven.openyurt.io/gateway"), "gw-edge");
  EXPECT_EQ(n->pod_cidr, IpPrefix::Parse("100.64.1.0/24").value());
  EXPECT_THAT(n->pod_cidrs, ::testing::ElementsAre(IpPrefix::Parse("100.64.1.0/24").value(),
                                                   IpPrefix::Parse("fd64:1::/64").value()));
  EXPECT_EQ(n->InternalIP(), IpAddress::Parse("100.127.0.11").value());
  EXPECT_EQ(n->ExternalIP(), IpAddress::Parse("198.18.0.11").value());
  EXPECT_TRUE(n->IsReady());
  EXPECT_EQ(n->ready_heartbeat, absl::FromUnixSeconds(1714557900));
  EXPECT_EQ(n->meta.creation_timestamp, absl::FromUnixSeconds(1714557600));
  absl::StatusOr<Node> again = DecodeNodeJson(EncodeNodeJson(*n));
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(*again, *n);
}

TEST(NodeTest, RejectsBadValuesWithTheirPath) {
  auto decode = [](const std::string& spec, const std::string& status) {
    return DecodeNodeJson(
        absl::StrCat(R"({"metadata":{"name":"n"},"spec":)", spec, R"(,"status":)", status, "}"));
  };
  EXPECT_THAT(decode(R"({"podCIDR":"10.0.0.1/8"})", "{}"),
              StatusIs(absl::StatusCode::kInvalidArgument, "spec.podCIDR: invalid CIDR"));
  EXPECT_THAT(decode(R"({"podCIDRs":["10.0.0.0/8","banana"]})", "{}"),
              StatusIs(absl::StatusCode::kInvalidArgument, "spec.podCIDRs[1]: invalid CIDR"));
  EXPECT_THAT(decode(R"({"podCIDRs":"10.0.0.0/8"})", "{}"),
              StatusIs(absl::StatusCode::kInvalidArgument, "spec.podCIDRs: expected an array"));
  EXPECT_THAT(decode("{}", R"({"addresses":[{"type":"InternalIP","address":"not-an-ip"}]})"),
              StatusIs(absl::StatusCode::kInvalidArgument, "status.addresses[0]: invalid IP"));
  EXPECT_THAT(decode("{}", R"({"conditions":[{"type":"Ready","lastHeartbeatTime":"yesterday"}]})"),
              StatusIs(absl::StatusCode::kInvalidArgument, "lastHeartbeatTime"));
  std::vector<std::string> many(kMaxNodePodCidrs + 1, "\"10.0.0.0/8\"");
  EXPECT_THAT(decode(absl::StrCat(R"({"podCIDRs":[)", absl::StrJoin(many, ","), "]}"), "{}"),
              StatusIs(absl::StatusCode::kInvalidArgument, "spec.podCIDRs: more than 16"));
  std::vector<std::string> addrs(kMaxNodeAddresses + 1, R"({"type":"Hostname","address":"h"})");
  EXPECT_THAT(decode("{}", absl::StrCat(R"({"addresses":[)", absl::StrJoin(addrs, ","), "]}")),
              StatusIs(absl::StatusCode::kInvalidArgument, "status.addresses: more than 64"));
  EXPECT_THAT(DecodeNodeJson(R"({"metadata":{}})"),
              StatusIs(absl::StatusCode::kInvalidArgument, "metadata.name: missing"));
  EXPECT_THAT(DecodeNodeJson(R"({"kind":"Pod","metadata":{"name":"n"}})"),
              StatusIs(absl::StatusCode::kInvalidArgument, "kind: expected Node"));
  EXPECT_THAT(DecodeNodeJson("[1,2"), StatusIs(absl::StatusCode::kInvalidArgument, "malformed"));
}

TEST(LeaseTest, MicroTimeRoundTrip) {
  constexpr char kLease[] = R"({"apiVersion":"coordination.k8s.io/v1","kind":"Lease",
    "metadata":{"name":"raven-controller","namespace":"kube-system","resourceVersion":"9"},
    "spec":{"holderIdentity":"pod-a","leaseDurationSeconds":15,
            "acquireTime":"2024-05-01T10:00:00.123456Z","renewTime":"2024-05-01T10:00:05.000001Z",
            "leaseTransitions":3}})";
  absl::StatusOr<Lease> l = DecodeLeaseJson(kLease);
  ASSERT_THAT(l, IsOk());
  EXPECT_EQ(l->holder_identity, "pod-a");
  EXPECT_EQ(l->lease_duration_seconds, 15);
  EXPECT_EQ(l->lease_transitions, 3);
  EXPECT_EQ(*l->acquire_time, absl::FromUnixMicros(1714557600123456));
  EXPECT_EQ(*l->renew_time, absl::FromUnixMicros(1714557605000001));
  std::string encoded = EncodeLeaseJson(*l);
  EXPECT_THAT(encoded, ::testing::HasSubstr("\"renewTime\":\"2024-05-01T10:00:05.000001Z\""));
  EXPECT_EQ(*DecodeLeaseJson(encoded), *l);
  EXPECT_THAT(DecodeLeaseJson(R"({"metadata":{"name":"l"},"spec":{"leaseDurationSeconds":-1}})"),
              StatusIs(absl::StatusCode::kInvalidArgument, "negative"));
  EXPECT_THAT(DecodeLeaseJson(R"({"metadata":{"name":"l"},"spec":{"leaseDurationSeconds":"15"}})"),
              StatusIs(absl::StatusCode::kInvalidArgument, "spec.leaseDurationSeconds"));
  EXPECT_THAT(DecodeLeaseJson(R"({"metadata":{"name":"l"},"spec":{"renewTime":"10:00"}})"),
              StatusIs(absl::StatusCode::kInvalidArgument, "renewTime"));
}

TEST(EventTest, MakeEncodeDecode) {
  ObjectReference gw{"raven.openyurt.io/v1beta1", "Gateway", "", "gw-edge", "uid-1", ""};
  absl::Time now = absl::FromUnixSeconds(1714557600);
  Event e = MakeEvent(gw, "default", kEventTypeWarning, "NoHealthyEndpoint",
                      "no endpoint of gw-edge is ready", "raven-controller", now);
  EXPECT_EQ(e.meta.name, absl::StrCat("gw-edge.", absl::StrFormat("%x", absl::ToUnixNanos(now))));
  EXPECT_EQ(e.count, 1);
  absl::StatusOr<Event> back = DecodeEventJson(EncodeEventJson(e));
  ASSERT_THAT(back, IsOk());
  EXPECT_EQ(*back, e);
  EXPECT_THAT(DecodeEventJson(R"({"metadata":{"name":"e"},"type":"Catastrophic"})"),
              StatusIs(absl::StatusCode::kInvalidArgument, "type: expected Normal or Warning"));
  EXPECT_THAT(DecodeEventJson(R"({"metadata":{"name":"e"},"count":-2})"),
              StatusIs(absl::StatusCode::kInvalidArgument, "count: negative"));
  EXPECT_THAT(DecodeEventJson(R"({"metadata":{"name":"e"},"involvedObject":[]})"),
              StatusIs(absl::StatusCode::kInvalidArgument, "involvedObject: expected an object"));
}

TEST(K8sTimeTest, ParsesAndFormats) {
  EXPECT_EQ(*ParseRfc3339("2024-05-01T10:00:00Z"), absl::FromUnixSeconds(1714557600));
  EXPECT_EQ(*ParseRfc3339("2024-05-01T12:00:00+02:00"), absl::FromUnixSeconds(1714557600));
  EXPECT_EQ(*ParseRfc3339("2024-05-01T10:00:00.5Z"), absl::FromUnixMillis(1714557600500));
  EXPECT_THAT(ParseRfc3339("2024-05-01 10:00"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(FormatRfc3339(absl::FromUnixMillis(1714557600500)), "2024-05-01T10:00:00Z");
  EXPECT_EQ(FormatMicroTime(absl::FromUnixMillis(1714557600500)), "2024-05-01T10:00:00.500000Z");
}

TEST(ResourcePathTest, BuildsPaths) {
  ResourcePath leases("/apis/coordination.k8s.io/v1", "leases", true, "kube-system");
  EXPECT_EQ(leases.Object("a"), "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/a");
  EXPECT_EQ(leases.Subresource("a", "status"),
            "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/a/status");
  ListOptions opts;
  opts.label_selector = "app=raven,tier in (a,b)";
  opts.field_selector = "metadata.name=x";
  EXPECT_EQ(leases.List(opts, "c1"),
            "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases?limit=500&continue=c1"
            "&labelSelector=app%3Draven%2Ctier%20in%20%28a%2Cb%29"
            "&fieldSelector=metadata.name%3Dx");
  ResourcePath all("/apis/coordination.k8s.io/v1", "leases", true, "");
  EXPECT_EQ(all.Collection(), "/apis/coordination.k8s.io/v1/leases");
  EXPECT_THAT(all.CheckObjectName("a"), StatusIs(absl::StatusCode::kInvalidArgument, "namespaced"));
  ResourcePath nodes("/api/v1", "nodes", false, "");
  EXPECT_EQ(
      nodes.Watch({}, "42", absl::Seconds(30)),
      "/api/v1/nodes?watch=true&allowWatchBookmarks=true&resourceVersion=42&timeoutSeconds=30");
  EXPECT_THAT(nodes.CheckObjectName("a/b"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(nodes.CheckObjectName(""), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(WatchEventTest, Parses) {
  absl::StatusOr<WatchEvent> e = ParseWatchEvent(
      R"({"type":"MODIFIED","object":{"metadata":{"name":"a","resourceVersion":"5"}}})");
  ASSERT_THAT(e, IsOk());
  EXPECT_EQ(e->type, WatchEventType::kModified);
  EXPECT_EQ(e->resource_version, "5");
  EXPECT_TRUE(e->object().IsObject());
  EXPECT_THAT(ParseWatchEvent(R"({"type":"RENAMED","object":{}})"),
              StatusIs(absl::StatusCode::kInvalidArgument, "unknown type"));
  EXPECT_THAT(ParseWatchEvent(R"({"type":"ADDED"})"),
              StatusIs(absl::StatusCode::kInvalidArgument, "no object"));
  EXPECT_THAT(ParseWatchEvent("{"), StatusIs(absl::StatusCode::kInvalidArgument, "malformed"));
  std::string deep(100000, '[');
  EXPECT_THAT(ParseWatchEvent(deep), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace raven::kube

#include "controller/path_report.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace raven::controller {
namespace {

using kube::GatewayPath;
using kube::PathKind;
using ::testing::HasSubstr;

GatewayEndpoint Tunnel(const std::string& node) {
  return {.node_name = node, .type = kube::EndpointType::kTunnel};
}

TEST(PublishedPathsTest, ActiveTunnelEndpointsInOrderWithoutTheGatewayItself) {
  std::map<std::string, NodeView> nodes;
  nodes["b2"].annotations[kPathsAnnotation] = "gw-a=Relay/gw-c,gw-b=Direct";
  nodes["b1"].annotations[kPathsAnnotation] = "gw-a=HolePunched";
  nodes["p1"].annotations[kPathsAnnotation] = "gw-a=None";
  GatewayEndpoint proxy{.node_name = "p1", .type = kube::EndpointType::kProxy};
  std::vector<std::string> problems;
  std::vector<GatewayPath> paths =
      PublishedPaths("gw-b", {Tunnel("b2"), Tunnel("b1"), proxy, Tunnel("gone")}, nodes, problems);
  EXPECT_EQ(paths, (std::vector<GatewayPath>{{"b2", "gw-a", PathKind::kRelay, "gw-c"},
                                             {"b1", "gw-a", PathKind::kHolePunched, ""}}));
  EXPECT_TRUE(problems.empty());
}

TEST(PublishedPathsTest, AnAnnotationThatDoesNotParseGivesNoneAndSaysWhy) {
  std::map<std::string, NodeView> nodes;
  nodes["b1"].annotations[kPathsAnnotation] = "gw-a=Direct,gw-c=Sideways";
  std::vector<std::string> problems;
  EXPECT_TRUE(PublishedPaths("gw-b", {Tunnel("b1")}, nodes, problems).empty());
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_THAT(problems[0], HasSubstr("node b1: annotation raven.openyurt.io/paths: entry"));
}

TEST(PathChangesTest, ChangesAndFirstReportsOfNoPath) {
  std::vector<GatewayPath> before = {{"b1", "gw-a", PathKind::kRelay, "gw-c"},
                                     {"b1", "gw-c", PathKind::kDirect, ""},
                                     {"b1", "gw-d", PathKind::kDirect, ""}};
  std::vector<GatewayPath> after = {
      {"b1", "gw-a", PathKind::kHolePunched, ""}, {"b1", "gw-c", PathKind::kDirect, ""},
      {"b1", "gw-d", PathKind::kRelay, "gw-c"},   {"b1", "gw-e", PathKind::kDirect, ""},
      {"b1", "gw-f", PathKind::kNone, ""},        {"b2", "gw-a", PathKind::kRelay, "gw-c"}};
  std::vector<PathChange> changes = PathChanges(before, after);
  ASSERT_EQ(changes.size(), 3u);
  EXPECT_EQ(changes[0].now.gateway, "gw-a");
  EXPECT_EQ(changes[1].now.gateway, "gw-d");
  EXPECT_EQ(changes[1].before->path, PathKind::kDirect);
  EXPECT_EQ(changes[2].now.gateway, "gw-f");
  EXPECT_FALSE(changes[2].before);
  EXPECT_EQ(PathChangeMessage(changes[1]),
            "node b1 reaches Gateway gw-d through the NAT relay of Gateway gw-c; before: directly");
  EXPECT_THAT(PathChangeMessage(changes[2]), HasSubstr("reaches Gateway gw-f by no path (both"));
  EXPECT_TRUE(PathChanges(after, after).empty());
  // A detour: the same relay path, said why.
  std::vector<GatewayPath> detoured = after;
  detoured[0] = {"b1", "gw-a", PathKind::kRelay, "gw-c", kube::kReasonDetour};
  changes = PathChanges(after, detoured);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(PathChangeMessage(changes[0]),
            "node b1 reaches Gateway gw-a through the NAT relay of Gateway gw-c (a detour: the "
            "direct path is down or clearly worse); before: directly, through both NATs (hole "
            "punched)");
}

TEST(PathChangesTest, AnotherQualityIsNoChange) {
  std::map<std::string, NodeView> nodes;
  nodes["b1"].annotations[kPathsAnnotation] = "gw-a=Direct@1250+0";
  std::vector<std::string> problems;
  std::vector<GatewayPath> before = PublishedPaths("gw-b", {Tunnel("b1")}, nodes, problems);
  ASSERT_EQ(before.size(), 1u);
  EXPECT_EQ(before[0].rtt_micros, 1250);
  nodes["b1"].annotations[kPathsAnnotation] = "gw-a=Direct@201250+40";
  std::vector<GatewayPath> after = PublishedPaths("gw-b", {Tunnel("b1")}, nodes, problems);
  EXPECT_NE(before, after);  // the status says the new quality
  EXPECT_TRUE(PathChanges(before, after).empty());
  EXPECT_TRUE(problems.empty());
}

}  // namespace
}  // namespace raven::controller

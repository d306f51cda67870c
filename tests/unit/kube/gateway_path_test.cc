#include "common/kube/resources/gateway_path.h"

#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/kube/resources/gateway.h"

namespace raven::kube {
namespace {

TEST(PathsAnnotationTest, FormatsSortedAndParsesBack) {
  std::vector<GatewayPath> paths = {{"", "gw-edge-b", PathKind::kRelay, "gw-cloud"},
                                    {"", "gw-cloud", PathKind::kDirect, ""},
                                    {"", "gw-x", PathKind::kNone, ""},
                                    {"", "gw-edge-a", PathKind::kHolePunched, ""}};
  std::string text = FormatPathsAnnotation(paths);
  EXPECT_EQ(text, "gw-cloud=Direct,gw-edge-a=HolePunched,gw-edge-b=Relay/gw-cloud,gw-x=None");
  auto parsed = ParsePathsAnnotation(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->size(), 4u);
  EXPECT_EQ((*parsed)[2], (GatewayPath{"", "gw-edge-b", PathKind::kRelay, "gw-cloud"}));
  EXPECT_EQ((*parsed)[1].path, PathKind::kHolePunched);
  EXPECT_TRUE(ParsePathsAnnotation("")->empty());
  EXPECT_EQ(FormatPathsAnnotation({}), "");
}

TEST(PathsAnnotationTest, RejectsWhatIsNotNamesAndPathWords) {
  for (const char* bad :
       {"gw-a", "gw-a=direct", "gw-a=Direct=x", "gw-a=Relay", "gw-a=Relay/", "gw-a=Relay/GW",
        "gw-a=Relay/a/b", "gw-a=Direct/gw-b", "Gw-a=Direct", "-gw=Direct", "gw a=Direct",
        "gw-a=Direct,", ",gw-a=Direct", "gw-a=Direct,gw-a=None", "gw-a=None\n"}) {
    auto parsed = ParsePathsAnnotation(bad);
    EXPECT_FALSE(parsed.ok()) << "accepted " << bad;
  }
  auto twice = ParsePathsAnnotation("gw-a=Direct,gw-a=None");
  EXPECT_TRUE(absl::StrContains(twice.status().message(), "\"gw-a\" twice")) << twice.status();
  auto word = ParsePathsAnnotation("gw-a=Tunnelled");
  EXPECT_TRUE(absl::StrContains(word.status().message(), "unknown path \"Tunnelled\""))
      << word.status();
}

TEST(PathsAnnotationTest, AReasonRoundTrips) {
  std::vector<GatewayPath> paths = {
      {"", "gw-a", PathKind::kRelay, "gw-c", kReasonEndpointUnanswered},
      {"", "gw-b", PathKind::kDirect, "", kReasonEndpointUnanswered},
      {"", "gw-d", PathKind::kRelay, "gw-c", kReasonDetour}};
  std::string text = FormatPathsAnnotation(paths);
  EXPECT_EQ(text,
            "gw-a=Relay/gw-c:EndpointUnanswered,gw-b=Direct:EndpointUnanswered,gw-d=Relay/"
            "gw-c:Detour");
  auto parsed = ParsePathsAnnotation(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, paths);
  for (const char* bad : {"gw-a=Direct:", "gw-a=Direct:Whatever", "gw-a=Relay:EndpointUnanswered",
                          "gw-a=Direct:EndpointUnanswered:x"}) {
    EXPECT_FALSE(ParsePathsAnnotation(bad).ok()) << "accepted " << bad;
  }
  auto gw = DecodeGatewayJson(R"({"metadata":{"name":"g"},"status":{"paths":[
      {"nodeName":"b1","gateway":"gw-a","path":"Direct","reason":"Sideways"}]}})");
  ASSERT_TRUE(gw.ok()) << gw.status();
  EXPECT_TRUE(absl::StrContains(gw->invalid_status, "status.paths[0].reason: unknown reason"))
      << gw->invalid_status;
}

TEST(PathsAnnotationTest, BoundsEntriesAndQuotes) {
  std::string many;
  for (size_t i = 0; i <= kMaxPathEntries; ++i)
    absl::StrAppend(&many, i ? "," : "", "g", i, "=None");
  auto parsed = ParsePathsAnnotation(many);
  ASSERT_FALSE(parsed.ok());
  EXPECT_TRUE(absl::StrContains(parsed.status().message(), "more than 1024")) << parsed.status();
  auto quoted = ParsePathsAnnotation(std::string(1000, 'x') + "=Nope");
  ASSERT_FALSE(quoted.ok());
  EXPECT_LT(quoted.status().message().size(), 200u);
}

TEST(PathsAnnotationTest, ObjectNames) {
  EXPECT_TRUE(IsObjectName("gw-cloud"));
  EXPECT_TRUE(IsObjectName("a.b-c.1"));
  EXPECT_FALSE(IsObjectName(""));
  EXPECT_FALSE(IsObjectName("a-"));
  EXPECT_FALSE(IsObjectName("A"));
  EXPECT_FALSE(IsObjectName(std::string(254, 'a')));
  EXPECT_TRUE(IsObjectName(std::string(253, 'a')));
}

TEST(GatewayStatusPathsTest, RoundTripAndOmittedWhenEmpty) {
  auto gw = DecodeGatewayJson(R"({"metadata":{"name":"g"},"status":{"paths":[
      {"nodeName":"b1","gateway":"gw-edge-a","path":"HolePunched"},
      {"nodeName":"b1","gateway":"gw-x","path":"Relay","via":"gw-cloud",
       "reason":"EndpointUnanswered"}]}})");
  ASSERT_TRUE(gw.ok()) << gw.status();
  ASSERT_TRUE(gw->invalid_status.empty()) << gw->invalid_status;
  ASSERT_EQ(gw->status.paths.size(), 2u);
  EXPECT_EQ(gw->status.paths[1],
            (GatewayPath{"b1", "gw-x", PathKind::kRelay, "gw-cloud", kReasonEndpointUnanswered}));
  std::string json = EncodeGatewayJson(*gw);
  EXPECT_TRUE(
      absl::StrContains(json, R"({"nodeName":"b1","gateway":"gw-edge-a","path":"HolePunched"})"))
      << json;
  auto again = DecodeGatewayJson(json);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*gw, *again);
  gw->status.paths.clear();
  EXPECT_FALSE(absl::StrContains(EncodeGatewayJson(*gw), "paths"));
}

TEST(GatewayStatusPathsTest, BadEntryNamesItsField) {
  auto gw = DecodeGatewayJson(R"({"metadata":{"name":"g"},"status":{"paths":[
      {"nodeName":"b1","gateway":"gw-a","path":"Direct"},
      {"nodeName":"b1","gateway":"gw-b","path":"Relay"}]}})");
  ASSERT_TRUE(gw.ok()) << gw.status();
  EXPECT_TRUE(absl::StrContains(gw->invalid_status, "status.paths[1].via: a Relay path needs"))
      << gw->invalid_status;
  auto word = DecodeGatewayJson(R"({"metadata":{"name":"g"},"status":{"paths":[
      {"nodeName":"b1","gateway":"gw-a","path":"Sideways"}]}})");
  ASSERT_TRUE(word.ok()) << word.status();
  EXPECT_TRUE(absl::StrContains(word->invalid_status, "status.paths[0].path: unknown path"))
      << word->invalid_status;
}

TEST(PathsAnnotationTest, TheMeasuredQualityRoundTrips) {
  GatewayPath relay{"", "gw-a", PathKind::kRelay, "gw-c", kReasonEndpointUnanswered};
  relay.rtt_micros = 201'250;
  relay.loss_permille = 12;
  GatewayPath direct{"", "gw-b", PathKind::kDirect, ""};
  direct.rtt_micros = 0;
  direct.loss_permille = 1000;
  std::vector<GatewayPath> paths = {relay, direct, {"", "gw-c", PathKind::kDirect, ""}};
  std::string text = FormatPathsAnnotation(paths);
  EXPECT_EQ(text, "gw-a=Relay/gw-c:EndpointUnanswered@201250+12,gw-b=Direct@0+1000,gw-c=Direct");
  auto parsed = ParsePathsAnnotation(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, paths);
  for (const char* bad :
       {"gw-a=Direct@", "gw-a=Direct@12", "gw-a=Direct@12+", "gw-a=Direct@+1", "gw-a=Direct@a+1",
        "gw-a=Direct@-1+0", "gw-a=Direct@1+1001", "gw-a=Direct@60000001+0", "gw-a=Direct@ 1+0",
        "gw-a=Direct@1+0@1+0", "gw-a=Direct@99999999999+0"}) {
    EXPECT_FALSE(ParsePathsAnnotation(bad).ok()) << "accepted " << bad;
  }
  // Another quality is the same path (no PathChanged Event for a jitter).
  GatewayPath slower = relay;
  slower.rtt_micros = 300'000;
  EXPECT_TRUE(slower.SamePath(relay));
  EXPECT_FALSE(slower == relay);
}

TEST(GatewayStatusPathsTest, TheQualityIsInTheStatusWhenMeasured) {
  auto gw = DecodeGatewayJson(R"({"metadata":{"name":"g"},"status":{"paths":[
      {"nodeName":"b1","gateway":"gw-a","path":"Direct","rttMicroseconds":1250,
       "lossPermille":3}]}})");
  ASSERT_TRUE(gw.ok()) << gw.status();
  ASSERT_TRUE(gw->invalid_status.empty()) << gw->invalid_status;
  EXPECT_EQ(gw->status.paths[0].rtt_micros, 1250);
  EXPECT_EQ(gw->status.paths[0].loss_permille, 3);
  std::string json = EncodeGatewayJson(*gw);
  EXPECT_TRUE(absl::StrContains(json, R"("rttMicroseconds":1250,"lossPermille":3})")) << json;
  for (const char* bad : {R"("rttMicroseconds":1250)", R"("rttMicroseconds":-5,"lossPermille":0)",
                          R"("rttMicroseconds":5,"lossPermille":2000)",
                          R"("rttMicroseconds":"5","lossPermille":0)"}) {
    auto g = DecodeGatewayJson(absl::StrCat(
        R"({"metadata":{"name":"g"},"status":{"paths":[{"nodeName":"b1","gateway":"gw-a",)",
        R"("path":"Direct",)", bad, "}]}}"));
    ASSERT_TRUE(g.ok()) << g.status();
    EXPECT_FALSE(g->invalid_status.empty()) << "accepted " << bad;
  }
}

}  // namespace
}  // namespace raven::kube

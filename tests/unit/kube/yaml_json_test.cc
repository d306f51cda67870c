#include "common/kube/yaml_json.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "tests/unit/kube/test_util.h"

namespace raven::kube::yaml {
namespace {

using ::raven::kube::testing::StatusIs;

TEST(YamlToJsonTest, PlainScalarsAreTyped) {
  EXPECT_EQ(*ToJson("a: true\nb: 8080\nc: -1.5e3\nd: null\ne: ~\nf:\ng: text\nh: 1.2.3\n"),
            R"({"a":true,"b":8080,"c":-1500.0,"d":null,"e":null,"f":null,"g":"text","h":"1.2.3"})");
}

TEST(YamlToJsonTest, QuotedTaggedAndBlockScalarsAreStrings) {
  EXPECT_EQ(*ToJson("a: \"true\"\nb: '8080'\nc: !!str 12\nd: 'null'\ne: |\n  x\n"),
            R"({"a":"true","b":"8080","c":"12","d":"null","e":"x\n"})");
}

TEST(YamlToJsonTest, CollectionsKeepOrderAndKeysAreStrings) {
  EXPECT_EQ(*ToJson("z: [1, {y: x}]\n1: one\nitems:\n- a\n- b\n"),
            R"({"z":[1,{"y":"x"}],"1":"one","items":["a","b"]})");
  EXPECT_EQ(*ToJson(R"({"json": [true, "s"]})"), R"({"json":[true,"s"]})");
}

TEST(YamlToJsonTest, MalformedYamlNamesLineAndColumn) {
  EXPECT_THAT(ToJson("a: 1\nb: [\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, "line 3, column 1: "));
  EXPECT_THAT(ToJson("a: *undefined\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, "line 1, column 4: "));
  EXPECT_THAT(ToJson(std::string(5000, '{')),
              StatusIs(absl::StatusCode::kInvalidArgument, "nested too deeply"));
}

}  // namespace
}  // namespace raven::kube::yaml

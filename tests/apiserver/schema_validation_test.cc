// Value validation of custom resources (lab/apiserver/schema.h): format,
// maxLength/minLength, minimum/maximum and anyOf, with kube-apiserver's error
// types, fields and messages.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lab/apiserver/json_util.h"
#include "lab/apiserver/schema.h"

namespace raven::apiserver {
namespace {

rapidjson::Document Json(const std::string& text) {
  absl::StatusOr<rapidjson::Document> doc = ParseJson(text);
  EXPECT_TRUE(doc.ok()) << text << ": " << doc.status();
  return doc.ok() ? *std::move(doc) : rapidjson::Document();
}

// The errors of {"spec":{"v":<value>}} against {"spec":{"v":<field schema>}}.
std::vector<ErrorCause> Errors(const std::string& field_schema, const std::string& value) {
  rapidjson::Document schema = Json(
      absl::StrCat(R"({"type":"object","properties":{"spec":{"type":"object","properties":{"v":)",
                   field_schema, "}}}}"));
  rapidjson::Document object = Json(absl::StrCat(R"({"spec":{"v":)", value, "}}"));
  return ValidateAndPrune(schema, object).errors;
}

// The messages of those errors, joined with "; ".
std::string Messages(const std::string& field_schema, const std::string& value) {
  std::vector<std::string> out;
  for (const ErrorCause& e : Errors(field_schema, value)) out.push_back(e.message);
  return absl::StrJoin(out, "; ");
}

bool Valid(const std::string& field_schema, const std::string& value) {
  std::vector<ErrorCause> errors = Errors(field_schema, value);
  for (const ErrorCause& e : errors) ADD_FAILURE() << value << ": " << e.field << ": " << e.message;
  return errors.empty();
}

bool Rejected(const std::string& field_schema, const std::string& value) {
  return !Errors(field_schema, value).empty();
}

std::string Quoted(const std::string& s) { return absl::StrCat("\"", s, "\""); }

TEST(SchemaFormatTest, Ipv4AndIpv6AreGoNetParseIpWithADotOrAColon) {
  const std::string v4 = R"({"type":"string","format":"ipv4"})";
  const std::string v6 = R"({"type":"string","format":"ipv6"})";
  for (const char* ok : {"1.2.3.4", "0.0.0.0", "255.255.255.255", "::ffff:1.2.3.4"}) {
    EXPECT_TRUE(Valid(v4, Quoted(ok))) << ok;
  }
  for (const char* bad :
       {"999.1.1.1", "1.2.3", "01.2.3.4", "1.2.3.4 ", "", "::1", "a.b.c.d", "1.2.3.4\\u0000x"}) {
    EXPECT_TRUE(Rejected(v4, Quoted(bad))) << bad;
  }
  for (const char* ok : {"::1", "2001:db8::1", "::ffff:1.2.3.4", "FE80::1:2:3:4"}) {
    EXPECT_TRUE(Valid(v6, Quoted(ok))) << ok;
  }
  for (const char* bad : {"1.2.3.4", "2001:db8::g", "fe80::1%eth0", "1:2:3:4:5:6:7:8:9", ""}) {
    EXPECT_TRUE(Rejected(v6, Quoted(bad))) << bad;
  }
}

TEST(SchemaFormatTest, CidrIsGoNetParseCidr) {
  const std::string cidr = R"({"type":"string","format":"cidr"})";
  for (const char* ok : {"10.0.0.0/8", "10.0.0.1/8", "0.0.0.0/0", "fd00::/64", "::/0"}) {
    EXPECT_TRUE(Valid(cidr, Quoted(ok))) << ok;
  }
  for (const char* bad : {"10.0.0.0/33", "fd00::/129", "10.0.0.0", "10.0.0.0/", "10.0.0.0/a",
                          "300.0.0.0/8", "10.0.0.0/-1", "10.0.0.0/8/8", "10.0.0.0\\u0000/8"}) {
    EXPECT_TRUE(Rejected(cidr, Quoted(bad))) << bad;
  }
}

TEST(SchemaFormatTest, DateTimeIsKubeOpenApisRfc3339) {
  const std::string dt = R"({"type":"string","format":"date-time"})";
  for (const char* ok : {"2024-05-01T10:00:00Z", "2024-05-01T10:00:00.123456Z",
                         "2024-05-01t10:00:00+02:00", "2024-02-29T23:59:59-08:00"}) {
    EXPECT_TRUE(Valid(dt, Quoted(ok))) << ok;
  }
  for (const char* bad : {"2023-02-29T00:00:00Z", "2024-05-01T24:00:00Z", "2024-05-01T10:60:00Z",
                          "2024-05-01 10:00:00Z", "2024-05-01T10:00:00", "2024-5-01T10:00:00Z",
                          "2024-05-01T10:00:00.Z", ""}) {
    EXPECT_TRUE(Rejected(dt, Quoted(bad))) << bad;
  }
}

TEST(SchemaFormatTest, FailureIsKubesTypeInvalidAndOtherFormatsAreNotChecked) {
  std::vector<ErrorCause> errors = Errors(R"({"type":"string","format":"ipv4"})", "\"999.1.1.1\"");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].type, "FieldValueTypeInvalid");
  EXPECT_EQ(errors[0].field, "spec.v");
  EXPECT_EQ(errors[0].message,
            R"(Invalid value: "999.1.1.1": spec.v in body must be of type ipv4: "999.1.1.1")");
  EXPECT_TRUE(Valid(R"({"type":"string","format":"hostname"})", R"("not a host name")"));
  EXPECT_TRUE(Valid(R"({"type":"integer","format":"int64"})", "5"));
}

TEST(SchemaLengthTest, MaxLengthCountsCharactersAndStopsBeforeMinLength) {
  const std::string bounded = R"({"type":"string","minLength":2,"maxLength":3})";
  EXPECT_TRUE(Valid(bounded, R"("abc")"));
  EXPECT_TRUE(Valid(bounded, R"("héé")"));  // 3 characters, 5 bytes
  std::vector<ErrorCause> errors = Errors(bounded, R"("abcd")");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].type, "FieldValueTooLong");
  EXPECT_EQ(errors[0].field, "spec.v");
  EXPECT_EQ(errors[0].message, "Too long: may not be more than 3 bytes");
  errors = Errors(bounded, R"("a")");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].type, "FieldValueInvalid");
  EXPECT_EQ(errors[0].message,
            R"(Invalid value: "a": spec.v in body should be at least 2 chars long)");
  EXPECT_EQ(Messages(R"({"type":"string","maxLength":1})", R"("ab")"),
            "Too long: may not be more than 1 byte");
}

TEST(SchemaBoundsTest, MinimumThenMaximumInclusiveOrExclusive) {
  const std::string port = R"({"type":"integer","minimum":0,"maximum":65535})";
  EXPECT_TRUE(Valid(port, "0"));
  EXPECT_TRUE(Valid(port, "65535"));
  EXPECT_TRUE(Valid(port, "4500.0"));
  std::vector<ErrorCause> errors = Errors(port, "70000");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].type, "FieldValueInvalid");
  EXPECT_EQ(errors[0].message,
            "Invalid value: 70000: spec.v in body should be less than or equal to 65535");
  EXPECT_EQ(Messages(port, "-1"),
            "Invalid value: -1: spec.v in body should be greater than or equal to 0");
  EXPECT_EQ(Messages(port, "70000.0"),
            "Invalid value: 70000: spec.v in body should be less than or equal to 65535");

  const std::string open =
      R"({"type":"number","minimum":0,"exclusiveMinimum":true,"maximum":1.5,"exclusiveMaximum":true})";
  EXPECT_TRUE(Valid(open, "0.5"));
  EXPECT_EQ(Messages(open, "0"), "Invalid value: 0: spec.v in body should be greater than 0");
  EXPECT_EQ(Messages(open, "1.5"), "Invalid value: 1.5: spec.v in body should be less than 1.5");
}

// The CRD's IP fields: an IPv4 or IPv6 address, or empty.
constexpr char kIpOrEmpty[] =
    R"({"type":"string","anyOf":[{"format":"ipv4"},{"format":"ipv6"},{"maxLength":0}]})";

TEST(SchemaAnyOfTest, OneBranchSuffices) {
  for (const char* ok : {"1.2.3.4", "2001:db8::1", ""}) {
    EXPECT_TRUE(Valid(kIpOrEmpty, Quoted(ok))) << ok;
  }
}

TEST(SchemaAnyOfTest, FailureIsTheAnyOfCauseThenTheBestBranchsErrors) {
  std::vector<ErrorCause> errors = Errors(kIpOrEmpty, R"("999.1.1.1")");
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].type, "FieldValueInvalid");
  EXPECT_EQ(errors[0].field, "<nil>");  // kube-apiserver validates custom resources from a nil path
  EXPECT_EQ(errors[0].message,
            R"(Invalid value: "": "spec.v" must validate at least one schema (anyOf))");
  EXPECT_EQ(errors[1].type, "FieldValueTypeInvalid");
  EXPECT_EQ(errors[1].field, "spec.v");
  EXPECT_EQ(errors[1].message,
            R"(Invalid value: "999.1.1.1": spec.v in body must be of type ipv4: "999.1.1.1")");
}

TEST(SchemaAnyOfTest, ABranchWithAFormatOutranksOneWithout) {
  // kube-openapi reports the branch with the highest MatchCount: a format
  // check counts, a length check does not; among equals, the first.
  std::vector<ErrorCause> errors =
      Errors(R"({"type":"string","anyOf":[{"maxLength":0},{"format":"ipv6"},{"format":"ipv4"}]})",
             R"("x")");
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[1].message, R"(Invalid value: "x": spec.v in body must be of type ipv6: "x")");
}

TEST(SchemaAnyOfTest, BranchesNeitherPruneNorReportUnknownFields) {
  rapidjson::Document schema = Json(R"({"type":"object","properties":{"spec":{"type":"object",
    "properties":{"a":{"type":"integer"}},"anyOf":[{"required":["a"]},{"required":["b"]}]}}})");
  rapidjson::Document object = Json(R"({"spec":{"a":1,"c":2}})");
  SchemaReport report = ValidateAndPrune(schema, object);
  EXPECT_TRUE(report.errors.empty());
  EXPECT_EQ(report.unknown_fields, std::vector<std::string>{"spec.c"});
  EXPECT_EQ(ToJson(object), R"({"spec":{"a":1}})");

  rapidjson::Document neither = Json(R"({"spec":{}})");
  report = ValidateAndPrune(schema, neither);
  ASSERT_EQ(report.errors.size(), 2u);
  EXPECT_EQ(report.errors[1].type, "FieldValueRequired");
  EXPECT_EQ(report.errors[1].field, "spec.a");
}

}  // namespace
}  // namespace raven::apiserver

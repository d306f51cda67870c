// Watches: from a version, from now, bookmarks, selector transitions,
// timeouts, 410 Expired after compaction, dropped streams, slow watchers.
#include <gtest/gtest.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/poll.h"
#include "rapidjson/pointer.h"
#include "tests/apiserver/test_util.h"

namespace raven::apiserver::testing {
namespace {

std::string At(const rapidjson::Value& doc, const char* pointer) {
  const rapidjson::Value* v = rapidjson::Pointer(pointer).Get(doc);
  return v != nullptr && v->IsString() ? v->GetString() : "";
}

std::string Node(const std::string& name, const std::string& labels = "{}") {
  return absl::StrCat(R"({"metadata":{"name":")", name, R"(","labels":)", labels, "}}");
}

class WatchTest : public ::testing::Test {
 protected:
  void SetUp() override { Start({}); }

  void Start(ApiServerOptions options) {
    client_.reset();
    server_.reset();
    if (options.bookmark_interval == absl::Seconds(1)) {
      options.bookmark_interval = absl::Milliseconds(100);
    }
    server_ = StartServer(options);
    ASSERT_NE(server_, nullptr);
    client_ = std::make_unique<Client>(*server_);
  }

  std::string Version() { return absl::StrCat(server_->resource_version()); }

  std::unique_ptr<ApiServer> server_;
  std::unique_ptr<Client> client_;
};

TEST_F(WatchTest, FromAVersionReplaysLaterChanges) {
  client_->Post("/api/v1/nodes", Node("before"));
  std::string from = Version();
  client_->Post("/api/v1/nodes", Node("n1"));
  client_->Patch("/api/v1/nodes/n1", R"({"metadata":{"labels":{"a":"b"}}})");
  client_->Delete("/api/v1/nodes/n1");
  client_->Post("/api/v1/namespaces", Node("other-kind"));

  WatchReader watch(*server_, absl::StrCat("/api/v1/nodes?watch=true&resourceVersion=", from));
  rapidjson::Document e1 = watch.Next();
  EXPECT_EQ(At(e1, "/type"), "ADDED");
  EXPECT_EQ(At(e1, "/object/metadata/name"), "n1");
  EXPECT_EQ(At(e1, "/object/kind"), "Node");
  rapidjson::Document e2 = watch.Next();
  EXPECT_EQ(At(e2, "/type"), "MODIFIED");
  EXPECT_EQ(At(e2, "/object/metadata/labels/a"), "b");
  rapidjson::Document e3 = watch.Next();
  EXPECT_EQ(At(e3, "/type"), "DELETED");
  int64_t deleted_rv = 0;
  ASSERT_TRUE(absl::SimpleAtoi(At(e3, "/object/metadata/resourceVersion"), &deleted_rv));
  EXPECT_GT(deleted_rv, 0);
  // Live events follow the replay.
  client_->Post("/api/v1/nodes", Node("n2"));
  rapidjson::Document e4 = watch.Next();
  EXPECT_EQ(At(e4, "/type"), "ADDED");
  EXPECT_EQ(At(e4, "/object/metadata/name"), "n2");
  EXPECT_TRUE(watch.Next(absl::Milliseconds(300)).IsNull());  // no bookmarks unless asked
}

TEST_F(WatchTest, FromNowAndInitialState) {
  client_->Post("/api/v1/nodes", Node("old"));
  {
    WatchReader watch(*server_, "/api/v1/nodes?watch=1&resourceVersion=0");
    ASSERT_TRUE(PollUntil([&] { return server_->watch_count() == 1; }, absl::Seconds(5)));
    client_->Post("/api/v1/nodes", Node("new"));
    EXPECT_EQ(At(watch.Next(), "/object/metadata/name"), "new");
  }
  // sendInitialEvents: the current objects, then a bookmark marking their end.
  WatchReader watch(*server_,
                    "/api/v1/nodes?watch=1&sendInitialEvents=true&allowWatchBookmarks=true"
                    "&resourceVersionMatch=NotOlderThan");
  EXPECT_EQ(At(watch.Next(), "/object/metadata/name"), "new");
  EXPECT_EQ(At(watch.Next(), "/object/metadata/name"), "old");
  rapidjson::Document end = watch.Next();
  EXPECT_EQ(At(end, "/type"), "BOOKMARK");
  EXPECT_EQ(At(end, "/object/metadata/annotations/k8s.io~1initial-events-end"), "true");
}

TEST_F(WatchTest, BookmarksCarryTheCurrentVersion) {
  WatchReader watch(*server_, "/api/v1/nodes?watch=true&allowWatchBookmarks=true");
  rapidjson::Document b1 = watch.Next();
  EXPECT_EQ(At(b1, "/type"), "BOOKMARK");
  EXPECT_EQ(At(b1, "/object/kind"), "Node");
  EXPECT_EQ(At(b1, "/object/metadata/resourceVersion"), Version());
  // A change elsewhere moves the bookmark version forward.
  client_->Post("/api/v1/namespaces", Node("ns1"));
  std::string after = Version();
  EXPECT_TRUE(
      PollUntil([&] { return At(watch.Next(), "/object/metadata/resourceVersion") == after; },
                absl::Seconds(5)));
}

TEST_F(WatchTest, SelectorsTurnChangesIntoAddedAndDeleted) {
  client_->Post("/api/v1/nodes", Node("n1"));
  WatchReader watch(*server_, absl::StrCat("/api/v1/nodes?watch=1&resourceVersion=", Version(),
                                           "&labelSelector=raven.openyurt.io%2Fgateway%3Dgw-a"));
  client_->Post("/api/v1/nodes", Node("n2"));  // not selected
  client_->Patch("/api/v1/nodes/n1",
                 R"({"metadata":{"labels":{"raven.openyurt.io/gateway":"gw-a"}}})");
  client_->Patch("/api/v1/nodes/n1", R"({"metadata":{"annotations":{"x":"y"}}})");
  client_->Patch("/api/v1/nodes/n1",
                 R"({"metadata":{"labels":{"raven.openyurt.io/gateway":"gw-b"}}})");
  rapidjson::Document joined = watch.Next();
  EXPECT_EQ(At(joined, "/type"), "ADDED");
  EXPECT_EQ(At(joined, "/object/metadata/name"), "n1");
  EXPECT_EQ(At(watch.Next(), "/type"), "MODIFIED");
  rapidjson::Document left = watch.Next();
  EXPECT_EQ(At(left, "/type"), "DELETED");
  EXPECT_EQ(At(left, "/object/metadata/labels/raven.openyurt.io~1gateway"), "gw-b");
  // A watch on one object (fieldSelector on the name, or the object's path).
  WatchReader one(*server_, absl::StrCat("/api/v1/nodes?watch=1&fieldSelector=metadata.name%3Dn2",
                                         "&resourceVersion=1"));
  EXPECT_EQ(At(one.Next(), "/object/metadata/name"), "n2");
  EXPECT_TRUE(one.Next(absl::Milliseconds(200)).IsNull());
}

TEST_F(WatchTest, TimeoutEndsTheStreamCleanly) {
  WatchReader watch(*server_, "/api/v1/nodes?watch=true&timeoutSeconds=1");
  EXPECT_TRUE(watch.WaitEnded(absl::Seconds(5)));
  EXPECT_EQ(watch.error(), httplib::Error::Success);
  EXPECT_EQ(watch.status(), 200);
  EXPECT_TRUE(PollUntil([&] { return server_->watch_count() == 0; }, absl::Seconds(5)));
}

TEST_F(WatchTest, CompactedVersionsGetExpired) {
  std::string old = Version();
  client_->Post("/api/v1/nodes", Node("n1"));
  server_->Compact();
  WatchReader watch(*server_, absl::StrCat("/api/v1/nodes?watch=true&resourceVersion=", old));
  rapidjson::Document error = watch.Next();
  EXPECT_EQ(At(error, "/type"), "ERROR");
  EXPECT_EQ(At(error, "/object/kind"), "Status");
  EXPECT_EQ(At(error, "/object/reason"), "Expired");
  EXPECT_EQ(error["object"]["code"].GetInt(), 410);
  EXPECT_TRUE(watch.WaitEnded());
  // The current version is still good.
  WatchReader current(*server_, absl::StrCat("/api/v1/nodes?watch=true&resourceVersion=", Version(),
                                             "&timeoutSeconds=1"));
  EXPECT_TRUE(current.Next(absl::Milliseconds(300)).IsNull());
}

TEST_F(WatchTest, BoundedHistoryExpiresOldVersions) {
  ApiServerOptions options;
  options.history_limit = 3;
  Start(options);
  std::string old = Version();
  for (int i = 0; i < 5; ++i) client_->Post("/api/v1/nodes", Node(absl::StrCat("n", i)));
  WatchReader watch(*server_, absl::StrCat("/api/v1/nodes?watch=true&resourceVersion=", old));
  EXPECT_EQ(At(watch.Next(), "/object/reason"), "Expired");
  // A continue token from before the compaction is expired too.
  Reply page = client_->Get("/api/v1/nodes?limit=1");
  client_->Post("/api/v1/nodes", Node("late"));
  server_->Compact();
  Reply expired =
      client_->Get(absl::StrCat("/api/v1/nodes?limit=1&continue=", page.Str("/metadata/continue")));
  EXPECT_EQ(expired.code, 410);
  EXPECT_EQ(expired.Str("/reason"), "Expired");
}

TEST_F(WatchTest, DropAllWatchesCutsStreams) {
  WatchReader a(*server_, "/api/v1/nodes?watch=true");
  WatchReader b(*server_, "/apis/coordination.k8s.io/v1/leases?watch=true");
  ASSERT_TRUE(PollUntil([&] { return server_->watch_count() == 2; }, absl::Seconds(5)));
  server_->DropAllWatches();
  EXPECT_TRUE(a.WaitEnded());
  EXPECT_TRUE(b.WaitEnded());
  EXPECT_NE(a.error(), httplib::Error::Success);  // cut, not ended
  EXPECT_EQ(server_->watch_count(), 0u);
  // New watches work.
  WatchReader c(*server_, "/api/v1/nodes?watch=true");
  ASSERT_TRUE(PollUntil([&] { return server_->watch_count() == 1; }, absl::Seconds(5)));
  client_->Post("/api/v1/nodes", Node("n1"));
  EXPECT_EQ(At(c.Next(), "/object/metadata/name"), "n1");
}

TEST_F(WatchTest, SlowWatcherIsClosed) {
  ApiServerOptions options;
  options.watch_queue_limit = 4;
  Start(options);
  std::string from = Version();
  for (int i = 0; i < 10; ++i) client_->Post("/api/v1/nodes", Node(absl::StrCat("n", i)));
  WatchReader watch(*server_, absl::StrCat("/api/v1/nodes?watch=true&resourceVersion=", from));
  EXPECT_TRUE(watch.WaitEnded());  // overflowed during the replay: closed
  // Writers were never blocked.
  EXPECT_EQ(client_->Post("/api/v1/nodes", Node("after")).code, 201);
}

TEST_F(WatchTest, ErrorsBeforeTheStream) {
  EXPECT_EQ(client_->Get("/api/v1/widgets?watch=true").code, 404);
  EXPECT_EQ(client_->Get("/api/v1/nodes?watch=true&labelSelector=a%20in%20b").code, 400);
  EXPECT_EQ(client_->Get("/api/v1/nodes?watch=true&resourceVersion=abc").code, 400);
}

TEST_F(WatchTest, TableWatchForKubectlGetW) {
  client_->Post("/api/v1/nodes", Node("n1"));
  WatchReader watch(*server_, "/api/v1/nodes?watch=true&resourceVersion=1",
                    "application/json;as=Table;v=v1;g=meta.k8s.io,application/json");
  rapidjson::Document event = watch.Next();
  EXPECT_EQ(At(event, "/type"), "ADDED");
  EXPECT_EQ(At(event, "/object/kind"), "Table");
  EXPECT_EQ(At(event, "/object/rows/0/cells/0"), "n1");
}

}  // namespace
}  // namespace raven::apiserver::testing

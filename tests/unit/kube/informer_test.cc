// Informer<T> over a scripted transport: caching, handler semantics across
// reconnects and 410 re-lists, undecodable objects, backoff, Stop.
#include "common/kube/informer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/kube/resources/gateway.h"
#include "tests/unit/kube/fakes.h"
#include "tests/unit/kube/test_util.h"

namespace raven::kube {
namespace {

using ::testing::ElementsAre;
using testing::FakeClock;
using testing::FakeTransport;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

std::string Gw(const std::string& name, int rv, const std::string& tunnel_replicas = "1") {
  return absl::StrCat(R"({"apiVersion":"raven.openyurt.io/v1beta1","kind":"Gateway",)",
                      R"("metadata":{"name":")", name, R"(","resourceVersion":")", rv, R"("},)",
                      R"("spec":{"tunnelConfig":{"Replicas":)", tunnel_replicas, "}}}");
}
std::string List(const std::vector<std::string>& items, int rv) {
  return absl::StrCat(R"({"kind":"GatewayList","metadata":{"resourceVersion":")", rv,
                      R"("},"items":[)", absl::StrJoin(items, ","), "]}");
}
std::string Ev(const char* type, const std::string& object) {
  return absl::StrCat(R"({"type":")", type, R"(","object":)", object, "}");
}
std::string Bookmark(int rv) {
  return absl::StrCat(R"({"type":"BOOKMARK","object":{"kind":"Gateway","metadata":)",
                      R"({"resourceVersion":")", rv, R"("}}})");
}
std::string Expired() {
  return R"j({"type":"ERROR","object":{"kind":"Status","status":"Failure","reason":"Expired",)j"
         R"j("code":410,"message":"too old resource version: 5 (20)"}})j";
}

class Recorder {
 public:
  InformerHandlers<Gateway> Handlers() {
    InformerHandlers<Gateway> h;
    h.on_add = [this](const Gateway& g) {
      Push(absl::StrCat("add ", g.meta.name, "@", g.meta.resource_version));
    };
    h.on_update = [this](const Gateway& o, const Gateway& n) {
      Push(absl::StrCat("update ", n.meta.name, "@", o.meta.resource_version, "->",
                        n.meta.resource_version));
    };
    h.on_delete = [this](const Gateway& g) {
      Push(absl::StrCat("delete ", g.meta.name, "@", g.meta.resource_version));
    };
    h.on_changed = [this] {
      absl::MutexLock lock(&mu_);
      ++changed_;
    };
    return h;
  }
  std::vector<std::string> events() {
    absl::MutexLock lock(&mu_);
    return events_;
  }
  bool WaitFor(size_t n, absl::Duration timeout = absl::Seconds(5)) {
    absl::MutexLock lock(&mu_);
    auto enough = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return events_.size() >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
  }
  int changed() {
    absl::MutexLock lock(&mu_);
    return changed_;
  }

 private:
  void Push(std::string e) {
    absl::MutexLock lock(&mu_);
    events_.push_back(std::move(e));
  }
  absl::Mutex mu_;
  std::vector<std::string> events_ ABSL_GUARDED_BY(mu_);
  int changed_ ABSL_GUARDED_BY(mu_) = 0;
};

class InformerTest : public ::testing::Test {
 protected:
  InformerTest() {
    auto transport = std::make_unique<FakeTransport>();
    fake_ = transport.get();
    rest_ = std::make_unique<RestClient>(std::move(transport));
  }
  std::unique_ptr<Informer<Gateway>> Make(Clock* clock = nullptr) {
    InformerOptions options;
    options.watch_timeout = absl::Seconds(60);
    options.clock = clock;
    options.jitter_seed = 7;
    return std::make_unique<Informer<Gateway>>(rest_.get(), "", options, recorder_.Handlers());
  }
  void ListReturns(std::string body) {
    fake_->SetList([body](const Request&) -> absl::StatusOr<Response> {
      return Response{200, body};
    });
  }
  std::vector<std::string> Watches() {
    std::vector<std::string> out;
    for (const std::string& t : fake_->targets()) {
      if (absl::StartsWith(t, "WATCH ")) out.push_back(t);
    }
    return out;
  }

  FakeTransport* fake_;
  std::unique_ptr<RestClient> rest_;
  Recorder recorder_;
};

TEST_F(InformerTest, ListsThenWatchesFromTheListsVersionAndFollowsBookmarks) {
  ListReturns(List({Gw("a", 3), Gw("b", 4)}, 10));
  fake_->QueueWatch({{Ev("ADDED", Gw("c", 11)), Ev("MODIFIED", Gw("a", 12)), Bookmark(15),
                      Ev("DELETED", Gw("b", 16)), Bookmark(20)}});
  auto informer = Make();
  informer->Start();
  ASSERT_TRUE(informer->WaitForSync(absl::Seconds(5)));
  ASSERT_TRUE(recorder_.WaitFor(5));
  ASSERT_TRUE(fake_->WaitForRequests(3, absl::Seconds(5)));  // list, watch, re-watch
  EXPECT_THAT(recorder_.events(),
              ElementsAre("add a@3", "add b@4", "add c@11", "update a@3->12", "delete b@16"));
  std::vector<std::string> watches = Watches();
  ASSERT_GE(watches.size(), 2u);
  EXPECT_EQ(watches[0],
            "WATCH /apis/raven.openyurt.io/v1beta1/gateways?watch=true&allowWatchBookmarks=true"
            "&resourceVersion=10&timeoutSeconds=60");
  EXPECT_THAT(watches[1], HasSubstr("&resourceVersion=20&"));  // the last bookmark
  auto snapshot = informer->Snapshot();
  EXPECT_THAT(snapshot, ::testing::SizeIs(2));
  EXPECT_EQ(snapshot.at("a").meta.resource_version, "12");
  EXPECT_EQ(snapshot.at("c").meta.resource_version, "11");
  InformerStats stats = informer->Stats();
  EXPECT_EQ(stats.lists, 1u);
  EXPECT_EQ(stats.events, 3u);
  EXPECT_EQ(stats.bookmarks, 2u);
  EXPECT_EQ(stats.resource_version, "20");
  EXPECT_EQ(recorder_.changed(), 4);  // the list, then three events
  informer->Stop();
}

TEST_F(InformerTest, ReplaysAreNotDuplicatedAndUnknownKeysNeverUpdate) {
  ListReturns(List({Gw("a", 3)}, 10));
  fake_->QueueWatch({{Ev("ADDED", Gw("a", 3)),         // already cached: dropped
                      Ev("MODIFIED", Gw("x", 11)),     // unknown key: an add
                      Ev("DELETED", Gw("ghost", 12)),  // unknown key: nothing
                      Ev("ADDED", Gw("a", 13))}});     // known key, new version: an update
  auto informer = Make();
  informer->Start();
  ASSERT_TRUE(recorder_.WaitFor(3));
  ASSERT_TRUE(fake_->WaitForRequests(3, absl::Seconds(5)));
  EXPECT_THAT(recorder_.events(), ElementsAre("add a@3", "add x@11", "update a@3->13"));
}

TEST_F(InformerTest, GoneRelistsAndDiffsAgainstTheCache) {
  ListReturns(List({Gw("keep", 1), Gw("change", 2), Gw("remove", 3)}, 10));
  fake_->QueueWatch({{Ev("MODIFIED", Gw("change", 11))}});  // then the watch ends
  auto informer = Make();
  informer->Start();
  ASSERT_TRUE(recorder_.WaitFor(4));
  ASSERT_TRUE(fake_->WaitForRequests(3, absl::Seconds(5)));  // the second watch hangs
  // Meanwhile "change" changed again, "remove" went, "new" came, and the
  // history the watch needs is gone.
  ListReturns(List({Gw("keep", 1), Gw("change", 30), Gw("new", 31)}, 40));
  fake_->QueueWatch({{Expired()}});
  ASSERT_TRUE(recorder_.WaitFor(7));
  ASSERT_TRUE(fake_->WaitForRequests(5, absl::Seconds(5)));
  EXPECT_THAT(recorder_.events(),
              ElementsAre("add change@2", "add keep@1", "add remove@3", "update change@2->11",
                          "delete remove@3", "update change@11->30", "add new@31"));
  EXPECT_THAT(fake_->targets()[3], HasSubstr("GET /apis/raven.openyurt.io/v1beta1/gateways"));
  EXPECT_THAT(Watches()[1], HasSubstr("resourceVersion=11&"));
  EXPECT_THAT(Watches()[2], HasSubstr("resourceVersion=40&"));
  EXPECT_EQ(informer->Stats().relists_after_gone, 1u);
  EXPECT_EQ(informer->Stats().lists, 2u);
}

TEST_F(InformerTest, HttpGoneOnTheWatchRequestAlsoRelists) {
  ListReturns(List({Gw("a", 1)}, 10));
  fake_->QueueWatch({{}, Response{410, R"({"kind":"Status","code":410,"reason":"Gone"})"}});
  auto informer = Make();
  informer->Start();
  ASSERT_TRUE(fake_->WaitForRequests(4, absl::Seconds(5)));  // list, watch(410), list, watch
  EXPECT_EQ(informer->Stats().relists_after_gone, 1u);
  EXPECT_THAT(recorder_.events(), ElementsAre("add a@1"));  // the same list: nothing new
}

TEST_F(InformerTest, UndecodableObjectsAreSkippedAndTheOldVersionKept) {
  const std::string bad_type = R"({"metadata":{"name":"bad","resourceVersion":"5"},)"
                               R"("spec":{"tunnelConfig":{"Replicas":"two"}}})";
  ListReturns(List({Gw("a", 3), bad_type, Gw("b", 4)}, 10));
  fake_->QueueWatch({{Ev("MODIFIED", Gw("a", 11, "\"x\"")),  // a stays at 3
                      "this is not JSON", Ev("MODIFIED", Gw("b", 12)),
                      Ev("DELETED", Gw("a", 13, "\"x\"")),  // deleted all the same
                      Bookmark(14)}});
  auto informer = Make();
  informer->Start();
  ASSERT_TRUE(recorder_.WaitFor(4));
  ASSERT_TRUE(fake_->WaitForRequests(3, absl::Seconds(5)));
  EXPECT_THAT(recorder_.events(),
              ElementsAre("add a@3", "add b@4", "update b@4->12", "delete a@3"));
  auto snapshot = informer->Snapshot();
  EXPECT_EQ(snapshot.count("bad"), 0u);
  EXPECT_EQ(snapshot.at("b").meta.resource_version, "12");
  EXPECT_EQ(informer->Stats().decode_failures, 3u);  // bad, a@11, the non-JSON line
  EXPECT_EQ(informer->Stats().resource_version, "14");
}

TEST_F(InformerTest, RelistKeepsTheCachedVersionOfAnObjectThatNoLongerDecodes) {
  ListReturns(List({Gw("a", 3)}, 10));
  fake_->QueueWatch({{Expired()}});
  auto informer = Make();
  informer->Start();
  ASSERT_TRUE(recorder_.WaitFor(1));
  ListReturns(List({Gw("a", 20, "\"x\"")}, 21));
  fake_->QueueWatch({{Bookmark(22)}});
  ASSERT_TRUE(fake_->WaitForRequests(5, absl::Seconds(5)));
  EXPECT_THAT(recorder_.events(), ElementsAre("add a@3"));  // no delete
  EXPECT_EQ(informer->Snapshot().at("a").meta.resource_version, "3");
}

TEST_F(InformerTest, BackoffGrowsWithJitterUpToTheCapAndResetsAfterProgress) {
  FakeClock clock(/*max_sleeps=*/12);
  fake_->SetList([](const Request&) -> absl::StatusOr<Response> {
    return absl::UnavailableError("connection refused");
  });
  auto informer = Make(&clock);
  informer->Start();
  absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (clock.sleeps().size() < 13 && absl::Now() < deadline)
    absl::SleepFor(absl::Milliseconds(1));
  informer->Stop();
  std::vector<absl::Duration> sleeps = clock.sleeps();
  ASSERT_GE(sleeps.size(), 12u);
  absl::Duration base = absl::Milliseconds(100);
  for (size_t i = 0; i < 12; ++i) {
    absl::Duration expected = std::min(base, absl::Seconds(30));
    EXPECT_GE(sleeps[i], std::min(expected * 0.5, absl::Seconds(30))) << i;
    EXPECT_LE(sleeps[i], std::min(expected * 1.5, absl::Seconds(30))) << i;
    base *= 2;
  }
  EXPECT_EQ(sleeps[11], absl::Seconds(30));  // capped
  EXPECT_GE(informer->Stats().list_failures, 12u);
}

TEST_F(InformerTest, WatchErrorsBackOffAndProgressResetsTheBackoff) {
  FakeClock clock(/*max_sleeps=*/100);
  ListReturns(List({}, 10));
  for (int i = 0; i < 4; ++i) fake_->QueueWatch({{}, absl::UnavailableError("reset")});
  fake_->QueueWatch({{Bookmark(11)}, absl::UnavailableError("reset")});  // progress, then error
  fake_->QueueWatch({{}, absl::UnavailableError("reset")});
  auto informer = Make(&clock);
  informer->Start();
  ASSERT_TRUE(fake_->WaitForRequests(8, absl::Seconds(5)));  // list + 6 watches + a hanging one
  informer->Stop();
  std::vector<absl::Duration> s = clock.sleeps();
  ASSERT_GE(s.size(), 6u);
  EXPECT_LE(s[0], absl::Milliseconds(150));
  EXPECT_GE(s[3], absl::Milliseconds(400));  // 800 ms ± 50 %
  EXPECT_LE(s[4], absl::Milliseconds(150));  // reset by the bookmark
  EXPECT_LE(s[5], absl::Milliseconds(300));
  EXPECT_EQ(informer->Stats().watch_failures, 6u);
}

TEST_F(InformerTest, StopIsPromptDuringAQuietWatch) {
  ListReturns(List({Gw("a", 1)}, 10));
  auto informer = Make();
  informer->Start();
  ASSERT_TRUE(informer->WaitForSync(absl::Seconds(5)));
  ASSERT_TRUE(fake_->WaitForRequests(2, absl::Seconds(5)));
  absl::Time start = absl::Now();
  informer->Stop();
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
  EXPECT_FALSE(informer->WaitForSync(absl::Seconds(5)) == false);  // still synced
  informer->Stop();                                                // idempotent
}

TEST_F(InformerTest, ReconnectEndsAQuietWatchAndWatchesAgainAtOnce) {
  ListReturns(List({Gw("a", 1)}, 10));
  auto informer = Make();
  informer->Start();
  ASSERT_TRUE(informer->WaitForSync(absl::Seconds(5)));
  ASSERT_TRUE(fake_->WaitForRequests(2, absl::Seconds(5)));  // the list, the quiet watch
  informer->Reconnect();
  // No backoff: the new watch follows at once, from the same version, without a re-list.
  ASSERT_TRUE(fake_->WaitForRequests(3, absl::Seconds(1)));
  std::vector<std::string> watches = Watches();
  ASSERT_EQ(watches.size(), 2u);
  EXPECT_EQ(watches[0], watches[1]);
  InformerStats stats = informer->Stats();
  EXPECT_EQ(stats.reconnects, 1u);
  EXPECT_EQ(stats.watch_failures, 0u);
  EXPECT_EQ(stats.lists, 1u);
  informer->Stop();
}

TEST_F(InformerTest, WaitForSyncTimesOutWhileListsFail) {
  fake_->SetList(
      [](const Request&) -> absl::StatusOr<Response> { return absl::UnavailableError("down"); });
  auto informer = Make();
  informer->Start();
  EXPECT_FALSE(informer->WaitForSync(absl::Milliseconds(200)));
  EXPECT_FALSE(informer->HasSynced());
}

TEST_F(InformerTest, PagedListsAreFollowed) {
  fake_->SetList([](const Request& r) -> absl::StatusOr<Response> {
    if (absl::StrContains(r.target, "continue=tok")) {
      return Response{200, List({Gw("b", 2)}, 10)};
    }
    return Response{200, absl::StrCat(R"({"metadata":{"resourceVersion":"10","continue":"tok"},)",
                                      R"("items":[)", Gw("a", 1), "]}")};
  });
  auto informer = Make();
  informer->Start();
  ASSERT_TRUE(recorder_.WaitFor(2));
  EXPECT_THAT(recorder_.events(), UnorderedElementsAre("add a@1", "add b@2"));
  EXPECT_THAT(fake_->targets()[0], HasSubstr("?limit=500"));
  EXPECT_THAT(fake_->targets()[1], HasSubstr("?limit=500&continue=tok"));
}

}  // namespace
}  // namespace raven::kube

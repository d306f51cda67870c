// Informer<T> against the project's API server over HTTPS, under dropped
// watches, forced 410s and bursts of 500s during a random workload; and with
// malformed objects stored in the API.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/kube/informer.h"
#include "common/kube/resource_client.h"
#include "common/kube/resources/gateway.h"
#include "common/kube/resources/node.h"
#include "common/poll.h"
#include "tests/unit/kube/apiserver_env.h"

namespace raven::kube {
namespace {

using testing::ApiServerEnv;
using testing::IsOk;

// Rebuilds the cache from handler calls alone, and counts calls that break
// the contract (an add for a present key, an update or delete of an absent
// one, an update whose old object is not what was delivered before).
template <typename T>
class Shadow {
 public:
  InformerHandlers<T> Handlers() {
    InformerHandlers<T> h;
    h.on_add = [this](const T& obj) {
      absl::MutexLock lock(&mu_);
      ++adds_;
      if (!objects_.emplace(KeyOf(obj), obj).second) ++violations_;
    };
    h.on_update = [this](const T& old_obj, const T& new_obj) {
      absl::MutexLock lock(&mu_);
      ++updates_;
      auto it = objects_.find(KeyOf(new_obj));
      if (it == objects_.end() || !(it->second == old_obj) ||
          ResourceTraits<T>::ResourceVersion(old_obj) ==
              ResourceTraits<T>::ResourceVersion(new_obj)) {
        ++violations_;
      }
      objects_[KeyOf(new_obj)] = new_obj;
    };
    h.on_delete = [this](const T& obj) {
      absl::MutexLock lock(&mu_);
      ++deletes_;
      if (objects_.erase(KeyOf(obj)) != 1) ++violations_;
    };
    return h;
  }
  std::map<std::string, T> objects() {
    absl::MutexLock lock(&mu_);
    return objects_;
  }
  int violations() {
    absl::MutexLock lock(&mu_);
    return violations_;
  }
  std::string Counts() {
    absl::MutexLock lock(&mu_);
    return absl::StrCat(adds_, " adds, ", updates_, " updates, ", deletes_, " deletes");
  }

 private:
  absl::Mutex mu_;
  std::map<std::string, T> objects_ ABSL_GUARDED_BY(mu_);
  int violations_ ABSL_GUARDED_BY(mu_) = 0;
  int adds_ ABSL_GUARDED_BY(mu_) = 0, updates_ ABSL_GUARDED_BY(mu_) = 0,
            deletes_ ABSL_GUARDED_BY(mu_) = 0;
};

InformerOptions FastOptions() {
  InformerOptions o;
  o.watch_timeout = absl::Seconds(20);
  o.idle_timeout = absl::Seconds(5);  // the server bookmarks every second
  o.backoff = {absl::Milliseconds(20), absl::Milliseconds(200), 2.0, 0.5};
  o.list.page_size = 50;
  return o;
}

class InformerIntegrationTest : public testing::ApiServerTest {
 protected:
  void SetUp() override {
    testing::ApiServerTest::SetUp();
    if (HasFatalFailure()) return;
    absl::StatusOr<std::unique_ptr<RestClient>> rest = env_->NewClient();
    ASSERT_THAT(rest, IsOk());
    writer_rest_ = std::move(*rest);
  }

  // Waits until `informer`'s cache equals the server's list (by key and
  // resourceVersion); returns the server's objects.
  template <typename T>
  std::map<std::string, T> AwaitConvergence(Informer<T>& informer, absl::Duration timeout) {
    ResourceClient<T> client(writer_rest_.get());
    std::map<std::string, T> server;
    bool converged = PollUntil(
        [&] {
          absl::StatusOr<ObjectList<T>> list = client.List();
          if (!list.ok()) return false;
          server.clear();
          for (T& obj : list->items) server.emplace(KeyOf(obj), std::move(obj));
          std::map<std::string, T> cache = informer.Snapshot();
          bool same = cache.size() == server.size();
          for (auto it = cache.begin(); same && it != cache.end(); ++it) {
            auto s = server.find(it->first);
            same = s != server.end() && ResourceTraits<T>::ResourceVersion(s->second) ==
                                            ResourceTraits<T>::ResourceVersion(it->second);
          }
          return same;
        },
        timeout, absl::Milliseconds(50));
    if (!converged) ADD_FAILURE() << "the informer did not converge";
    return server;
  }

  // rest_ is the informer's.
  std::unique_ptr<RestClient> writer_rest_;  // the workload's
};

// Retries a write through injected 500s.
template <typename F>
absl::Status Persist(F&& write) {
  absl::Status s;
  for (int i = 0; i < 50; ++i) {
    s = write();
    if (!absl::IsUnavailable(s)) return s;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return s;
}

TEST_F(InformerIntegrationTest, SurvivesDroppedWatchesGoneAndServerErrors) {
  Shadow<Gateway> shadow;
  Informer<Gateway> informer(rest_.get(), "", FastOptions(), shadow.Handlers());
  ResourceClient<Gateway> gateways(writer_rest_.get());
  // Some state before the informer starts.
  for (int i = 0; i < 20; ++i) {
    Gateway gw;
    gw.meta.name = absl::StrCat("gw-", i);
    ASSERT_THAT(gateways.Create(gw), IsOk());
  }
  Gateway anchor;  // outside the workload's names: written during forced 410s
  anchor.meta.name = "anchor";
  ASSERT_THAT(gateways.Create(anchor), IsOk());
  informer.Start();
  ASSERT_TRUE(informer.WaitForSync(absl::Seconds(10)));

  std::mt19937 rng(20240501);
  std::map<std::string, bool> exists;
  for (int i = 0; i < 20; ++i) exists[absl::StrCat("gw-", i)] = true;
  int creates = 0, updates = 0, deletes = 0, drops = 0, compactions = 0, bursts = 0;
  for (int step = 0; step < 1000; ++step) {
    if (step % 97 == 50) {
      env_->server().DropAllWatches();
      ++drops;
    }
    if (step % 211 == 100) {
      // A forced 410: while the informer's reconnects fail, history moves on
      // and is compacted away.
      env_->server().FailNext(3, 500);
      env_->server().DropAllWatches();
      for (int k = 0; k < 5; ++k) {
        ASSERT_THAT(env_->server().PatchJson(
                        "/apis/raven.openyurt.io/v1beta1/gateways/anchor",
                        absl::StrCat(R"({"metadata":{"annotations":{"c":")", step, k, "\"}}}")),
                    IsOk());
      }
      env_->server().Compact();
      ++compactions;
    }
    if (step % 157 == 20) {
      env_->server().FailNext(6, 500);
      ++bursts;
    }
    std::string name = absl::StrCat("gw-", rng() % 60);
    int dice = static_cast<int>(rng() % 10);
    absl::Status s;
    if (!exists[name]) {
      Gateway gw;
      gw.meta.name = name;
      gw.spec.tunnel_replicas = static_cast<int>(rng() % 3);
      s = Persist([&] { return gateways.Create(gw).status(); });
      exists[name] = s.ok();
      ++creates;
    } else if (dice < 7) {
      int v = static_cast<int>(rng() % 1000);
      s = Persist([&] {
        return gateways
            .UpdateWithRetry(name,
                             [&](Gateway& gw) {
                               gw.meta.annotations["v"] = absl::StrCat(v, "-", step);
                               gw.spec.tunnel_replicas = v % 3;
                               return absl::OkStatus();
                             })
            .status();
      });
      ++updates;
    } else {
      s = Persist([&] { return gateways.Delete(name); });
      if (absl::IsNotFound(s)) s = absl::OkStatus();
      exists[name] = false;
      ++deletes;
    }
    ASSERT_THAT(s, IsOk()) << "step " << step;
  }
  std::map<std::string, Gateway> server = AwaitConvergence(informer, absl::Seconds(30));
  std::map<std::string, Gateway> cache = informer.Snapshot();
  EXPECT_EQ(cache, server);            // whole objects, not just versions
  EXPECT_EQ(shadow.objects(), cache);  // handlers told the same story
  EXPECT_EQ(shadow.violations(), 0);
  InformerStats stats = informer.Stats();
  EXPECT_GE(stats.relists_after_gone, 1u);
  EXPECT_GE(stats.watches, 3u);
  EXPECT_GE(stats.watch_failures, 1u);
  EXPECT_EQ(stats.decode_failures, 0u);
  std::printf(
      "workload: %d creates, %d updates, %d deletes; faults: %d dropped-watch rounds, %d "
      "compactions, %d bursts of 500s\n"
      "informer: %llu lists, %llu re-lists after 410, %llu watches, %llu watch failures, "
      "%llu list failures, %llu events, %llu bookmarks; handlers: %s; final %zu objects\n",
      creates, updates, deletes, drops, compactions, bursts,
      static_cast<unsigned long long>(stats.lists),
      static_cast<unsigned long long>(stats.relists_after_gone),
      static_cast<unsigned long long>(stats.watches),
      static_cast<unsigned long long>(stats.watch_failures),
      static_cast<unsigned long long>(stats.list_failures),
      static_cast<unsigned long long>(stats.events),
      static_cast<unsigned long long>(stats.bookmarks), shadow.Counts().c_str(), cache.size());
  informer.Stop();
}

TEST_F(InformerIntegrationTest, MalformedObjectsAreReportedAndSkipped) {
  apiserver::ApiServer& api = env_->server();
  const std::string nodes = "/api/v1/nodes";
  auto node = [](const std::string& name, const std::string& spec) {
    return absl::StrCat(R"({"apiVersion":"v1","kind":"Node","metadata":{"name":")", name,
                        R"("},"spec":)", spec, "}");
  };
  std::vector<std::string> huge(70000, "\"10.0.0.0/8\"");
  ASSERT_THAT(api.CreateJson(nodes, node("good-1", R"({"podCIDR":"100.64.1.0/24"})")), IsOk());
  ASSERT_THAT(api.CreateJson(nodes, node("bad-cidr", R"({"podCIDR":"100.64.1.7/24"})")), IsOk());
  ASSERT_THAT(api.CreateJson(nodes, node("bad-type", R"({"podCIDRs":"100.64.2.0/24"})")), IsOk());
  ASSERT_THAT(api.CreateJson(nodes, node("huge", absl::StrCat(R"({"podCIDRs":[)",
                                                              absl::StrJoin(huge, ","), "]}"))),
              IsOk());
  ASSERT_THAT(api.CreateJson(nodes, node("good-2", R"({"podCIDR":"100.64.3.0/24"})")), IsOk());

  Shadow<Node> shadow;
  Informer<Node> informer(rest_.get(), "", FastOptions(), shadow.Handlers());
  informer.Start();
  ASSERT_TRUE(informer.WaitForSync(absl::Seconds(10)));
  auto keys = [&] {
    std::vector<std::string> out;
    for (const auto& [k, v] : informer.Snapshot()) out.push_back(k);
    return out;
  };
  EXPECT_THAT(keys(), ::testing::ElementsAre("good-1", "good-2"));
  EXPECT_EQ(informer.Stats().decode_failures, 3u);

  // Through the watch: a good object turning bad keeps its last good version;
  // a new bad one is skipped; the others still flow.
  std::string good1_rv = informer.Get("good-1")->meta.resource_version;
  ASSERT_THAT(api.PatchJson(nodes + "/good-1", R"({"spec":{"podCIDRs":[7]}})"), IsOk());
  ASSERT_THAT(api.CreateJson(nodes, node("bad-later", R"({"podCIDR":"not a cidr"})")), IsOk());
  ASSERT_THAT(api.PatchJson(nodes + "/good-2", R"({"metadata":{"labels":{"x":"y"}}})"), IsOk());
  ASSERT_THAT(api.CreateJson(nodes, node("good-3", "{}")), IsOk());
  ASSERT_TRUE(PollUntil([&] { return informer.Get("good-3").has_value(); }, absl::Seconds(10)));
  EXPECT_THAT(keys(), ::testing::ElementsAre("good-1", "good-2", "good-3"));
  EXPECT_EQ(informer.Get("good-1")->meta.resource_version, good1_rv);
  EXPECT_EQ(informer.Get("good-2")->meta.labels.at("x"), "y");
  EXPECT_EQ(informer.Stats().decode_failures, 5u);
  // Deleting a bad object the cache never held is no event; deleting the one
  // that went bad removes it.
  ASSERT_THAT(api.Delete(nodes + "/bad-cidr"), IsOk());
  ASSERT_THAT(api.Delete(nodes + "/good-1"), IsOk());
  ASSERT_TRUE(PollUntil([&] { return !informer.Get("good-1").has_value(); }, absl::Seconds(10)));
  EXPECT_THAT(keys(), ::testing::ElementsAre("good-2", "good-3"));
  EXPECT_EQ(shadow.violations(), 0);
  EXPECT_EQ(shadow.objects(), informer.Snapshot());
  informer.Stop();
}

TEST_F(InformerIntegrationTest, NoticesASilentConnectionAndStopsPromptly) {
  InformerOptions options = FastOptions();
  options.idle_timeout = absl::Milliseconds(2500);
  Informer<Gateway> informer(rest_.get(), "", options);
  informer.Start();
  ASSERT_TRUE(informer.WaitForSync(absl::Seconds(10)));
  // Bookmarks keep an idle watch alive: no failure over four of them (the
  // test server sends one a second), longer than the idle timeout.
  ASSERT_TRUE(PollUntil([&] { return informer.Stats().bookmarks >= 4; }, absl::Seconds(10)));
  EXPECT_EQ(informer.Stats().watch_failures, 0u);
  absl::Time start = absl::Now();
  informer.Stop();
  absl::Duration took = absl::Now() - start;
  EXPECT_LT(took, absl::Seconds(1));
  std::printf("Stop() during an open watch took %s\n", absl::FormatDuration(took).c_str());
}

}  // namespace
}  // namespace raven::kube

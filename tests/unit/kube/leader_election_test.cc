// Leader election against the project's API server: expiry judged on the
// candidate's own clock, no two leaders under partitions and stops, and how
// fast a standby takes over.
#include "common/kube/leader_election.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/poll.h"
#include "tests/unit/kube/apiserver_env.h"
#include "tests/unit/kube/fakes.h"

namespace raven::kube {
namespace {

using testing::ApiServerEnv;
using testing::FakeClock;
using testing::IsOk;
using testing::StatusIs;

// Passes requests on, or fails them all while partitioned.
class PartitionableTransport : public Transport {
 public:
  explicit PartitionableTransport(std::unique_ptr<Transport> inner) : inner_(std::move(inner)) {}
  void set_partitioned(bool p) { partitioned_ = p; }
  absl::StatusOr<Response> Send(const Request& r, Cancellation* c) override {
    if (partitioned_) {
      absl::SleepFor(absl::Milliseconds(20));
      return absl::UnavailableError("partitioned");
    }
    return inner_->Send(r, c);
  }
  absl::StatusOr<Response> Stream(const Request& r, const StreamOptions& o, const LineHandler& h,
                                  Cancellation* c) override {
    if (partitioned_) return absl::UnavailableError("partitioned");
    return inner_->Stream(r, o, h, c);
  }

 private:
  std::unique_ptr<Transport> inner_;
  std::atomic<bool> partitioned_{false};
};

LeaderElectionConfig Config(const std::string& identity) {
  LeaderElectionConfig c;
  c.lease_namespace = "kube-system";
  c.lease_name = "raven-controller";
  c.identity = identity;
  c.lease_duration = absl::Seconds(2);
  c.renew_deadline = absl::Milliseconds(1500);
  c.retry_period = absl::Milliseconds(200);
  return c;
}

// A candidate with its own connection (that a test can cut) and a log of its
// callbacks with their times.
struct Candidate {
  PartitionableTransport* transport = nullptr;
  std::unique_ptr<RestClient> rest;
  std::unique_ptr<LeaderElector> elector;
  absl::Mutex mu;
  absl::Time started ABSL_GUARDED_BY(mu) = absl::InfinitePast();
  absl::Time stopped ABSL_GUARDED_BY(mu) = absl::InfinitePast();
  int terms ABSL_GUARDED_BY(mu) = 0;

  absl::Time Started() {
    absl::MutexLock l(&mu);
    return started;
  }
  absl::Time Stopped() {
    absl::MutexLock l(&mu);
    return stopped;
  }
};

class LeaderElectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<ApiServerEnv>> env = ApiServerEnv::Start();
    ASSERT_THAT(env, IsOk());
    env_ = std::move(*env);
  }

  std::unique_ptr<Candidate> MakeCandidate(LeaderElectionConfig config) {
    auto c = std::make_unique<Candidate>();
    HttpOptions http;
    absl::StatusOr<std::unique_ptr<HttpTransport>> inner =
        HttpTransport::Create(env_->config(), http);
    EXPECT_THAT(inner, IsOk());
    auto transport = std::make_unique<PartitionableTransport>(std::move(*inner));
    c->transport = transport.get();
    c->rest = std::make_unique<RestClient>(std::move(transport));
    Candidate* raw = c.get();
    LeaderCallbacks callbacks;
    callbacks.on_started_leading = [raw] {
      absl::MutexLock l(&raw->mu);
      raw->started = absl::Now();
      ++raw->terms;
    };
    callbacks.on_stopped_leading = [raw] {
      absl::MutexLock l(&raw->mu);
      raw->stopped = absl::Now();
    };
    absl::StatusOr<std::unique_ptr<LeaderElector>> e =
        LeaderElector::Create(c->rest.get(), std::move(config), callbacks);
    EXPECT_THAT(e, IsOk());
    c->elector = std::move(*e);
    return c;
  }

  std::unique_ptr<ApiServerEnv> env_;
};

TEST_F(LeaderElectionTest, RejectsInconsistentDurations) {
  absl::StatusOr<std::unique_ptr<RestClient>> rest = env_->NewClient();
  ASSERT_THAT(rest, IsOk());
  LeaderElectionConfig c = Config("a");
  c.renew_deadline = c.lease_duration;
  EXPECT_THAT(LeaderElector::Create(rest->get(), c, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, "lease_duration > renew_deadline"));
  c = Config("");
  EXPECT_THAT(LeaderElector::Create(rest->get(), c, {}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

// Expiry is judged by how long *this candidate* has seen the record
// unchanged; the holder's wall clock (here an hour ahead) does not matter.
TEST_F(LeaderElectionTest, ExpiryIsJudgedOnTheCandidatesOwnClock) {
  FakeClock clock_a, clock_b;
  clock_a.Advance(absl::Hours(1));
  LeaderElectionConfig ca = Config("a");
  ca.clock = &clock_a;
  LeaderElectionConfig cb = Config("b");
  cb.clock = &clock_b;
  std::unique_ptr<Candidate> a = MakeCandidate(ca);
  std::unique_ptr<Candidate> b = MakeCandidate(cb);
  ASSERT_TRUE(a->elector->TryAcquireOrRenew());
  EXPECT_TRUE(a->elector->IsLeader());
  EXPECT_FALSE(b->elector->TryAcquireOrRenew());  // b first sees the record now
  EXPECT_EQ(b->elector->CurrentLeader(), "a");
  clock_b.Advance(absl::Milliseconds(1900));
  EXPECT_FALSE(b->elector->TryAcquireOrRenew());  // not yet expired for b
  // a renews: the record changes, b's count starts over.
  clock_a.Advance(absl::Milliseconds(500));
  ASSERT_TRUE(a->elector->TryAcquireOrRenew());
  clock_b.Advance(absl::Milliseconds(500));
  EXPECT_FALSE(b->elector->TryAcquireOrRenew());
  clock_b.Advance(absl::Milliseconds(1900));
  EXPECT_FALSE(b->elector->TryAcquireOrRenew());
  // a's own view: its renewal is older than the renew deadline: not leader.
  clock_a.Advance(absl::Milliseconds(1500));
  EXPECT_FALSE(a->elector->IsLeader());
  clock_b.Advance(absl::Milliseconds(200));  // 2.1 s unchanged for b
  EXPECT_TRUE(b->elector->TryAcquireOrRenew());
  EXPECT_TRUE(b->elector->IsLeader());
  // a, late, cannot renew over b's write: its resourceVersion is stale or
  // the lease is b's and not expired for a.
  EXPECT_FALSE(a->elector->TryAcquireOrRenew());
  EXPECT_EQ(a->elector->CurrentLeader(), "b");
}

// Samples IsLeader() of every candidate continuously; counts the samples in
// which more than one believed it led.
class LeaderSampler {
 public:
  explicit LeaderSampler(std::vector<Candidate*> candidates)
      : candidates_(std::move(candidates)), thread_([this] { Run(); }) {}
  ~LeaderSampler() { Finish(); }
  void Finish() {
    running_ = false;
    if (thread_.joinable()) thread_.join();
  }
  int overlaps() const { return overlaps_; }
  int samples() const { return samples_; }

 private:
  void Run() {
    while (running_) {
      int leaders = 0;
      for (Candidate* c : candidates_) leaders += c->elector->IsLeader();
      if (leaders > 1) ++overlaps_;
      ++samples_;
      absl::SleepFor(absl::Microseconds(200));
    }
  }
  std::vector<Candidate*> candidates_;
  std::atomic<bool> running_{true};
  std::atomic<int> overlaps_{0}, samples_{0};
  std::thread thread_;
};

// a leads; b is the standby and has seen a's lease.
#define START_A_THEN_B(a, b)                                                                   \
  std::unique_ptr<Candidate> a = MakeCandidate(Config(#a));                                    \
  std::unique_ptr<Candidate> b = MakeCandidate(Config(#b));                                    \
  LeaderSampler sampler({a.get(), b.get()});                                                   \
  a->elector->Start();                                                                         \
  ASSERT_TRUE(PollUntil([&] { return a->elector->IsLeader(); }, absl::Seconds(5)));            \
  b->elector->Start();                                                                         \
  ASSERT_TRUE(PollUntil([&] { return b->elector->CurrentLeader() == #a; }, absl::Seconds(5))); \
  ASSERT_TRUE(a->elector->IsLeader());                                                         \
  ASSERT_FALSE(b->elector->IsLeader());                                                        \
  ASSERT_EQ(b->elector->CurrentLeader(), #a)

TEST_F(LeaderElectionTest, PartitionedLeaderStepsDownBeforeTheStandbyLeads) {
  START_A_THEN_B(a, b);
  absl::Time cut = absl::Now();
  a->transport->set_partitioned(true);
  // IsLeader() turns true just before on_started_leading records the time.
  ASSERT_TRUE(PollUntil([&] { return b->Started() > cut; }, absl::Seconds(10)));
  ASSERT_TRUE(PollUntil([&] { return a->Stopped() > cut; }, absl::Seconds(5)));
  EXPECT_FALSE(a->elector->IsLeader());
  EXPECT_LT(a->Stopped(), b->Started());
  absl::Duration stepped_down = a->Stopped() - cut;
  absl::Duration takeover = b->Started() - cut;
  EXPECT_LE(stepped_down, Config("x").renew_deadline + absl::Milliseconds(300));
  // Healed, a stays standby behind b.
  a->transport->set_partitioned(false);
  ASSERT_TRUE(PollUntil([&] { return a->elector->CurrentLeader() == "b"; }, absl::Seconds(5)));
  EXPECT_FALSE(a->elector->IsLeader());
  EXPECT_EQ(a->elector->CurrentLeader(), "b");
  sampler.Finish();
  EXPECT_EQ(sampler.overlaps(), 0) << "two leaders in " << sampler.overlaps() << " samples";
  std::printf(
      "partition: leader cut off -> stepped down after %s, standby led after %s "
      "(%d samples, %d with two leaders)\n",
      absl::FormatDuration(stepped_down).c_str(), absl::FormatDuration(takeover).c_str(),
      sampler.samples(), sampler.overlaps());
}

TEST_F(LeaderElectionTest, StandbyTakesOverQuicklyWhenTheLeaderReleases) {
  START_A_THEN_B(a, b);
  absl::Time stop = absl::Now();
  a->elector->Stop();  // steps down, then releases
  ASSERT_TRUE(PollUntil([&] { return b->Started() > stop; }, absl::Seconds(5)));
  absl::Duration takeover = b->Started() - stop;
  EXPECT_LT(a->Stopped(), b->Started());
  EXPECT_LT(takeover, Config("x").lease_duration);
  sampler.Finish();
  EXPECT_EQ(sampler.overlaps(), 0);
  std::printf(
      "release: leader stopped -> standby led after %s (%d samples, %d with two "
      "leaders)\n",
      absl::FormatDuration(takeover).c_str(), sampler.samples(), sampler.overlaps());
}

TEST_F(LeaderElectionTest, StandbyWaitsOutTheLeaseOfACrashedLeader) {
  LeaderElectionConfig crashing = Config("a");
  crashing.release_on_stop = false;
  std::unique_ptr<Candidate> a = MakeCandidate(crashing);
  std::unique_ptr<Candidate> b = MakeCandidate(Config("b"));
  LeaderSampler sampler({a.get(), b.get()});
  a->elector->Start();
  ASSERT_TRUE(PollUntil([&] { return a->elector->IsLeader(); }, absl::Seconds(5)));
  b->elector->Start();
  ASSERT_TRUE(PollUntil([&] { return b->elector->CurrentLeader() == "a"; }, absl::Seconds(5)));
  absl::Time crash = absl::Now();
  a->elector->Stop();  // no release: the lease must expire
  ASSERT_TRUE(PollUntil([&] { return b->Started() > crash; }, absl::Seconds(10)));
  absl::Duration takeover = b->Started() - crash;
  LeaderElectionConfig c = Config("x");
  // The standby saw the last renewal up to one retry period (×1.2 jitter)
  // after it was written, and notices expiry on its next try.
  EXPECT_GT(takeover, c.lease_duration - c.retry_period * 2.2);
  EXPECT_LT(takeover, c.lease_duration + c.retry_period * 2.2 * 2);
  sampler.Finish();
  EXPECT_EQ(sampler.overlaps(), 0);
  std::printf(
      "crash: leader gone without release -> standby led after %s (lease %s, renew "
      "deadline %s, retry %s)\n",
      absl::FormatDuration(takeover).c_str(), absl::FormatDuration(c.lease_duration).c_str(),
      absl::FormatDuration(c.renew_deadline).c_str(), absl::FormatDuration(c.retry_period).c_str());
}

}  // namespace
}  // namespace raven::kube

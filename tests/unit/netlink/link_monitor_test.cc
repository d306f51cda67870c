#include "daemon/netlink/link_monitor.h"

#include <poll.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/netns.h"

namespace raven::nl {
namespace {

using test_support::NetnsTest;

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::Field;
using ::testing::IsEmpty;
using ::testing::Not;

using LinkMonitorTest = NetnsTest;

auto Event(LinkEvent::Type type, const std::string& name) {
  return AllOf(Field(&LinkEvent::type, type), Field(&LinkEvent::name, name));
}

// Drains `monitor` until an event matching `matcher` arrives or 5 s pass,
// polling its fd as the agent's loop does.
template <typename Matcher>
std::vector<LinkEvent> DrainUntil(LinkMonitor& monitor, Matcher matcher) {
  std::vector<LinkEvent> seen;
  absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (absl::Now() < deadline) {
    pollfd pfd = {monitor.fd(), POLLIN, 0};
    if (poll(&pfd, 1, 100) <= 0) continue;
    absl::StatusOr<std::vector<LinkEvent>> events = monitor.Drain();
    EXPECT_TRUE(events.ok()) << events.status();
    if (!events.ok()) break;
    seen.insert(seen.end(), events->begin(), events->end());
    if (::testing::Matches(Contains(matcher))(seen)) break;
  }
  return seen;
}

TEST_F(LinkMonitorTest, DrainWithNothingQueuedReturnsAtOnce) {
  absl::StatusOr<LinkMonitor> monitor = LinkMonitor::Open();
  ASSERT_TRUE(monitor.ok()) << monitor.status();
  absl::StatusOr<std::vector<LinkEvent>> events = monitor->Drain();
  ASSERT_TRUE(events.ok()) << events.status();
  EXPECT_THAT(*events, IsEmpty());
}

TEST_F(LinkMonitorTest, SeesLinksCreatedAndDeletedAfterOpen) {
  absl::StatusOr<LinkMonitor> monitor = LinkMonitor::Open();
  ASSERT_TRUE(monitor.ok()) << monitor.status();

  ASSERT_EQ(Run("ip link add rvn-pod0 type veth peer name rvn-pod0p"), 0);
  std::vector<LinkEvent> events = DrainUntil(*monitor, Event(LinkEvent::Type::kNew, "rvn-pod0"));
  EXPECT_THAT(events, Contains(Event(LinkEvent::Type::kNew, "rvn-pod0")));
  EXPECT_THAT(events, Contains(Event(LinkEvent::Type::kNew, "rvn-pod0p")));
  for (const LinkEvent& event : events) EXPECT_GT(event.ifindex, 0) << event.name;

  ASSERT_EQ(Run("ip link del rvn-pod0"), 0);
  events = DrainUntil(*monitor, Event(LinkEvent::Type::kDelete, "rvn-pod0"));
  EXPECT_THAT(events, Contains(Event(LinkEvent::Type::kDelete, "rvn-pod0")));
  EXPECT_THAT(events, Not(Contains(Field(&LinkEvent::type, LinkEvent::Type::kResync))));
}

TEST_F(LinkMonitorTest, OverrunAsksForResync) {
  // The smallest receive buffer the kernel allows holds a few notifications.
  absl::StatusOr<LinkMonitor> monitor = LinkMonitor::Open(/*receive_buffer=*/1);
  ASSERT_TRUE(monitor.ok()) << monitor.status();
  std::string batch;
  for (int i = 0; i < 64; ++i) {
    absl::StrAppend(&batch, "link add rvn-o", i, " type veth peer name rvn-o", i, "p\\n");
  }
  ASSERT_EQ(Run(absl::StrCat("printf '", batch, "' | ip -batch -")), 0);

  absl::StatusOr<std::vector<LinkEvent>> events = monitor->Drain();
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_THAT(*events, Not(IsEmpty()));
  EXPECT_EQ(events->back().type, LinkEvent::Type::kResync);
  // After the resync marker the socket works on.
  ASSERT_EQ(Run("ip link del rvn-o0"), 0);
  std::vector<LinkEvent> later = DrainUntil(*monitor, Event(LinkEvent::Type::kDelete, "rvn-o0"));
  EXPECT_THAT(later, Contains(Event(LinkEvent::Type::kDelete, "rvn-o0")));
}

}  // namespace
}  // namespace raven::nl

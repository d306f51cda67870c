// Which relay acks a gateway takes: any recent message's, once, newest first.
#include "daemon/nat_relay/ack_window.h"

#include <gtest/gtest.h>

namespace raven::nat_relay {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1'800'000'000);

TEST(AckWindowTest, AnAckSlowerThanTheRetryTickIsTakenWithItsOwnRoundTrip) {
  AckWindow w;
  w.Sent(100, kStart);
  w.Sent(101, kStart + absl::Milliseconds(200));
  w.Sent(102, kStart + absl::Milliseconds(400));
  // The ack of the first arrives after two retries: 450 ms round trip.
  EXPECT_EQ(w.Take(100, kStart + absl::Milliseconds(450)), absl::Milliseconds(450));
  EXPECT_TRUE(w.AckedSince(kStart));
  EXPECT_FALSE(w.AckedSince(kStart + absl::Milliseconds(1)));
  EXPECT_EQ(w.Take(102, kStart + absl::Milliseconds(850)), absl::Milliseconds(450));
  EXPECT_TRUE(w.AckedSince(kStart + absl::Milliseconds(400)));
}

TEST(AckWindowTest, ReplayedOlderAndUnknownAcksAreRefused) {
  AckWindow w;
  w.Sent(100, kStart);
  w.Sent(101, kStart + absl::Milliseconds(200));
  EXPECT_FALSE(w.Take(0, kStart + absl::Seconds(1)));
  EXPECT_FALSE(w.Take(99, kStart + absl::Seconds(1)));  // never sent
  ASSERT_TRUE(w.Take(101, kStart + absl::Seconds(1)));
  EXPECT_FALSE(w.Take(101, kStart + absl::Seconds(1)));  // a replay
  EXPECT_FALSE(w.Take(100, kStart + absl::Seconds(1)));  // older than the one taken
}

TEST(AckWindowTest, OnlyTheLastEightMessagesAreRemembered) {
  AckWindow w;
  EXPECT_FALSE(w.AckedSince(kStart));
  for (uint64_t c = 1; c <= 9; ++c) w.Sent(c, kStart + absl::Milliseconds(200 * c));
  EXPECT_FALSE(w.Take(1, kStart + absl::Seconds(2)));
  EXPECT_TRUE(w.Take(2, kStart + absl::Seconds(2)));
}

TEST(AckWindowTest, AMessageLeavingTheWindowSaysWhetherItWasAcked) {
  AckWindow w;
  for (uint64_t c = 1; c <= 8; ++c) {
    EXPECT_FALSE(w.Sent(c, kStart + absl::Milliseconds(200 * c)));
  }
  ASSERT_TRUE(w.Take(2, kStart + absl::Seconds(2)));
  std::optional<AckWindow::Evicted> gone = w.Sent(9, kStart + absl::Seconds(2));
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->counter, 1u);
  EXPECT_FALSE(gone->acked);  // never acked: lost
  gone = w.Sent(10, kStart + absl::Seconds(2));
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->counter, 2u);
  EXPECT_TRUE(gone->acked);
}

}  // namespace
}  // namespace raven::nat_relay

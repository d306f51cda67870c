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

TEST(AckWindowTest, OnlyTheLastSixteenMessagesAreRemembered) {
  AckWindow w;
  EXPECT_FALSE(w.AckedSince(kStart));
  for (uint64_t c = 1; c <= 17; ++c) w.Sent(c, kStart + absl::Milliseconds(100 * c));
  EXPECT_FALSE(w.Take(1, kStart + absl::Seconds(2)));
  EXPECT_TRUE(w.Take(2, kStart + absl::Seconds(2)));
}

TEST(AckWindowTest, MessagesAreSettledOnceAfterAWhileOrWhenTheyLeaveTheWindow) {
  AckWindow w;
  for (uint64_t c = 1; c <= 4; ++c) w.Sent(c, kStart + absl::Milliseconds(100 * c));
  ASSERT_TRUE(w.Take(2, kStart + absl::Milliseconds(250)));
  // Sent before 300 ms: 1 (never acked: lost), 2 (acked).
  std::vector<AckWindow::Outcome> settled = w.Settle(kStart + absl::Milliseconds(300));
  ASSERT_EQ(settled.size(), 2u);
  EXPECT_EQ(settled[0].counter, 1u);
  EXPECT_FALSE(settled[0].acked);
  EXPECT_EQ(settled[1].counter, 2u);
  EXPECT_TRUE(settled[1].acked);
  EXPECT_TRUE(w.Settle(kStart + absl::Milliseconds(300)).empty());  // once
  // A late ack still measures its round trip.
  EXPECT_EQ(w.Take(3, kStart + absl::Seconds(1)), absl::Milliseconds(700));
  // 3 and 4 leave the window unsettled: said then; 1 and 2 were settled.
  std::vector<std::optional<AckWindow::Outcome>> gone;
  for (uint64_t c = 5; c <= 20; ++c)
    gone.push_back(w.Sent(c, kStart + absl::Milliseconds(100 * c)));
  for (int i = 0; i < 14; ++i) EXPECT_FALSE(gone[i]) << i;  // empty slots, then 1 and 2
  ASSERT_TRUE(gone[14]);
  EXPECT_EQ(gone[14]->counter, 3u);
  EXPECT_TRUE(gone[14]->acked);
  ASSERT_TRUE(gone[15]);
  EXPECT_FALSE(gone[15]->acked);
}

}  // namespace
}  // namespace raven::nat_relay

#include "daemon/wireguard/keys.h"

#include "gtest/gtest.h"

namespace raven::wg {
namespace {

// RFC 7748 section 6.1 (Alice); `wg pubkey` agrees.
constexpr char kAlicePrivateHex[] =
    "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
constexpr char kAlicePublicHex[] =
    "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
constexpr char kAlicePrivateBase64[] = "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=";
constexpr char kAlicePublicBase64[] = "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=";

Key MustHex(const char* hex) {
  absl::StatusOr<Key> key = Key::FromHex(hex);
  EXPECT_TRUE(key.ok()) << key.status();
  return key.value_or(Key{});
}

TEST(KeysTest, PublicKeyOfRfc7748Vector) {
  absl::StatusOr<Key> pub = PublicKeyOf(MustHex(kAlicePrivateHex));
  ASSERT_TRUE(pub.ok()) << pub.status();
  EXPECT_EQ(pub->ToHex(), kAlicePublicHex);
  EXPECT_EQ(pub->ToBase64(), kAlicePublicBase64);
}

TEST(KeysTest, PublicKeyIgnoresClampedBits) {
  // X25519 clamps the scalar, so clamping first changes nothing.
  Key priv = MustHex(kAlicePrivateHex);
  EXPECT_NE(Clamped(priv), priv);  // the vector is not clamped
  absl::StatusOr<Key> pub = PublicKeyOf(Clamped(priv));
  ASSERT_TRUE(pub.ok());
  EXPECT_EQ(pub->ToHex(), kAlicePublicHex);
}

TEST(KeysTest, ClampedFollowsCurve25519) {
  Key ones;
  ones.bytes.fill(0xff);
  Key clamped = Clamped(ones);
  EXPECT_EQ(clamped.bytes[0], 0xf8);
  EXPECT_EQ(clamped.bytes[31], 0x7f);
  Key zeros;
  EXPECT_EQ(Clamped(zeros).bytes[31], 0x40);
  EXPECT_EQ(Clamped(clamped), clamped);
}

TEST(KeysTest, Base64RoundTrip) {
  Key key = MustHex(kAlicePrivateHex);
  EXPECT_EQ(key.ToBase64(), kAlicePrivateBase64);
  absl::StatusOr<Key> back = Key::FromBase64(kAlicePrivateBase64);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, key);
}

TEST(KeysTest, HexRoundTripIsLowercase) {
  absl::StatusOr<Key> upper =
      Key::FromHex("8520F0098930A754748B7DDCB43EF75A0DBF3A0D26381AF4EBA4A98EAA9B4E6A");
  ASSERT_TRUE(upper.ok()) << upper.status();
  EXPECT_EQ(upper->ToHex(), kAlicePublicHex);
  EXPECT_EQ(*upper, MustHex(kAlicePublicHex));
}

TEST(KeysTest, RejectsBadBase64) {
  for (const char* bad : {
           "",
           "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo",    // no padding
           "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo==",  // too long
           "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LC*=",   // bad letter
           "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCp=",   // non-zero trailing bits
           "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25 Co=",   // space
           "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LC=o",   // misplaced padding
       }) {
    absl::StatusOr<Key> key = Key::FromBase64(bad);
    EXPECT_FALSE(key.ok()) << "accepted \"" << bad << "\"";
    EXPECT_EQ(key.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(KeysTest, RejectsBadHex) {
  for (const char* bad : {
           "",
           "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6",    // 63
           "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a0",  // 65
           "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6g",
           "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e:a",
       }) {
    EXPECT_FALSE(Key::FromHex(bad).ok()) << "accepted \"" << bad << "\"";
  }
}

TEST(KeysTest, GenerateKeyPairIsClampedRandomAndConsistent) {
  absl::StatusOr<KeyPair> a = GenerateKeyPair();
  absl::StatusOr<KeyPair> b = GenerateKeyPair();
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_NE(a->private_key, b->private_key);
  EXPECT_EQ(Clamped(a->private_key), a->private_key);
  absl::StatusOr<Key> pub = PublicKeyOf(a->private_key);
  ASSERT_TRUE(pub.ok());
  EXPECT_EQ(*pub, a->public_key);
  EXPECT_FALSE(a->public_key.IsZero());
}

}  // namespace
}  // namespace raven::wg

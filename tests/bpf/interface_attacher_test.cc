// Which program InterfaceAttacher puts where, on real links in a namespace of
// the test's own: host egress also on the CNI's devices (where the CNI's routes
// send host and DNATed traffic), never on devices without an Ethernet header.
#include "daemon/interface_attacher.h"

#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/netns.h"

namespace raven {
namespace {

using bpf::TcDirection;

class InterfaceAttacherTest : public test_support::NetnsTest {
 protected:
  void SetUp() override {
    NetnsTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    for (const char* pair :
         {"rvn-up type veth peer name rvn-up-peer", "rvn-vx type veth peer name rvn-vx-peer",
          "flannel.1 type veth peer name rvn-fl-peer",
          "veth1234 type veth peer name rvn-pod-eth0"}) {
      ASSERT_EQ(Run(std::string("ip link add ") + pair), 0);
    }
    ASSERT_EQ(Run("ip tuntap add dev tunl0 mode tun"), 0);
    auto programs = bpf::DataplanePrograms::Load({});
    ASSERT_TRUE(programs.ok()) << programs.status();
    programs_ = std::move(*programs);
    char dir[] = "/tmp/raven-attacher-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    state_dir_ = dir;
    tc_ = std::make_unique<bpf::TcAttacher>(state_dir_ + "/tc-hooks");
    attacher_ = std::make_unique<InterfaceAttacher>(
        AttachPlan{{"veth*"}, {"flannel.1", "vxlan.calico", "tunl0"}, "rvn-up", "rvn-vx"},
        *programs_, *tc_);
  }

  void TearDown() override {
    attacher_.reset();
    tc_.reset();
    programs_.reset();
    if (!state_dir_.empty()) std::system(("rm -rf " + state_dir_).c_str());
    NetnsTest::TearDown();
  }

  // Whether `ifname` carries exactly `prog_fd` in `direction`.
  bool Carries(const std::string& ifname, TcDirection direction, int prog_fd) {
    absl::StatusOr<uint32_t> id = tc_->AttachedProgramId(ifname, direction);
    absl::StatusOr<uint32_t> want = bpf::ProgramId(prog_fd);
    return id.ok() && want.ok() && *id == *want;
  }

  std::unique_ptr<bpf::DataplanePrograms> programs_;
  std::string state_dir_;
  std::unique_ptr<bpf::TcAttacher> tc_;
  std::unique_ptr<InterfaceAttacher> attacher_;
};

TEST_F(InterfaceAttacherTest, HostEgressGoesOnTheUplinkAndTheEgressDevices) {
  absl::Status st = attacher_->AttachAll();
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_TRUE(Carries("rvn-up", TcDirection::kEgress, programs_->host_egress_fd()));
  EXPECT_TRUE(Carries("flannel.1", TcDirection::kEgress, programs_->host_egress_fd()));
  EXPECT_TRUE(Carries("rvn-vx", TcDirection::kIngress, programs_->relay_ingress_fd()));
  EXPECT_TRUE(Carries("veth1234", TcDirection::kIngress, programs_->pod_ingress_fd()));
  EXPECT_EQ(attacher_->egress_devices(), std::set<std::string>{"flannel.1"});
  // Neither the egress device's ingress nor links that match no glob.
  EXPECT_FALSE(tc_->AttachedProgramId("flannel.1", TcDirection::kIngress).ok());
  EXPECT_FALSE(tc_->AttachedProgramId("rvn-fl-peer", TcDirection::kEgress).ok());
  EXPECT_FALSE(tc_->AttachedProgramId("rvn-pod-eth0", TcDirection::kIngress).ok());
}

TEST_F(InterfaceAttacherTest, ADeviceWithoutEthernetHeaderIsLeftAlone) {
  ASSERT_TRUE(attacher_->AttachAll().ok());
  EXPECT_FALSE(tc_->AttachedProgramId("tunl0", TcDirection::kEgress).ok());
  EXPECT_EQ(attacher_->egress_devices().count("tunl0"), 0u);
  EXPECT_EQ(attacher_->Warnings(),  // said in /healthz?verbose
            std::vector<std::string>{"egress device tunl0 has no Ethernet header: cross-pool "
                                     "traffic routed to it is not caught"});
}

TEST_F(InterfaceAttacherTest, AnEgressDeviceThatAppearsLaterIsAttached) {
  ASSERT_TRUE(attacher_->AttachAll().ok());
  ASSERT_EQ(Run("ip link add vxlan.calico type veth peer name rvn-cal-peer"), 0);
  attacher_->OnLinkAdded("vxlan.calico");
  EXPECT_TRUE(Carries("vxlan.calico", TcDirection::kEgress, programs_->host_egress_fd()));
  EXPECT_EQ(attacher_->egress_devices(), (std::set<std::string>{"flannel.1", "vxlan.calico"}));

  ASSERT_EQ(Run("ip link del vxlan.calico"), 0);
  attacher_->OnLinkRemoved("vxlan.calico");
  EXPECT_EQ(attacher_->egress_devices(), std::set<std::string>{"flannel.1"});
}

TEST_F(InterfaceAttacherTest, AReCreatedEgressDeviceIsAttachedAgain) {
  ASSERT_TRUE(attacher_->AttachAll().ok());
  // A CNI restarting: the device goes and comes back under its name, and the
  // events may arrive late or coalesced (only the new link's).
  ASSERT_EQ(Run("ip link del flannel.1"), 0);
  ASSERT_EQ(Run("ip link add flannel.1 type veth peer name rvn-fl-peer"), 0);
  attacher_->OnLinkAdded("flannel.1");
  EXPECT_TRUE(Carries("flannel.1", TcDirection::kEgress, programs_->host_egress_fd()));
}

TEST_F(InterfaceAttacherTest, GlobsMatchingTheUplinkOrVxlanDeviceChangeNothing) {
  InterfaceAttacher greedy(AttachPlan{{}, {"rvn-*"}, "rvn-up", "rvn-vx"}, *programs_, *tc_);
  ASSERT_TRUE(greedy.AttachAll().ok());
  EXPECT_TRUE(Carries("rvn-vx", TcDirection::kIngress, programs_->relay_ingress_fd()));
  EXPECT_FALSE(tc_->AttachedProgramId("rvn-vx", TcDirection::kEgress).ok());
  EXPECT_EQ(greedy.egress_devices().count("rvn-up"), 0u);  // the uplink has it anyway
  EXPECT_EQ(greedy.egress_devices().count("rvn-vx"), 0u);
}

}  // namespace
}  // namespace raven

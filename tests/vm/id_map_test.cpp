#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "vm/id_map.h"

namespace bbox::vm {
namespace {

namespace fs = std::filesystem;

std::string text(const std::vector<IdRange>& r) { return map_text(r); }

TEST(PlanIdMaps, NormalUserMapsGuestSandboxToSelfAndGuestRootToSubordinateIds) {
  auto plan =
      plan_id_maps(1234, 1300, "alice", IdRange{0, 100000, 65536}, IdRange{0, 200000, 65536});
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(text(plan->uids), "0 100000 1000\n1000 1234 1\n");
  EXPECT_EQ(text(plan->gids), "0 200000 1000\n1000 1300 1\n");
  EXPECT_FALSE(plan->write_directly);
}

TEST(PlanIdMaps, ShortSubordinateRangeMapsOnlyWhatItHas) {
  auto plan = plan_id_maps(1234, 1234, "alice", IdRange{0, 100000, 10}, IdRange{0, 100000, 10});
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(text(plan->uids), "0 100000 10\n1000 1234 1\n");
}

TEST(PlanIdMaps, NormalUserWithoutSubordinateIdsIsToldWhatToAdd) {
  auto plan = plan_id_maps(1234, 1234, "alice", IdRange{}, IdRange{0, 100000, 65536});
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.error().message.find("usermod --add-subuids"), std::string::npos);
  EXPECT_NE(plan.error().message.find("'alice'"), std::string::npos);
}

TEST(PlanIdMaps, RootWithoutSubordinateIdsMapsGuestRootToTheOverflowId) {
  auto plan = plan_id_maps(0, 0, "root", IdRange{}, IdRange{});
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(text(plan->uids), "0 65534 1\n1000 0 1\n");
  EXPECT_EQ(text(plan->gids), "0 65534 1\n1000 0 1\n");
  EXPECT_TRUE(plan->write_directly);
}

TEST(PlanIdMaps, RootWithSubordinateIdsUsesThem) {
  auto plan = plan_id_maps(0, 0, "root", IdRange{0, 300000, 65536}, IdRange{0, 300000, 65536});
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(text(plan->uids), "0 300000 1000\n1000 0 1\n");
}

TEST(SubordinateRange, FoundByNameOrUidSkippingMalformedLines) {
  fs::path p = fs::temp_directory_path() / ("bbox-subuid-" + std::to_string(::getpid()));
  std::ofstream(p) << "bob:100000:65536\nalice:oops:1\nalice:1:\n1234:165536:65536\n";
  IdRange by_uid = find_subordinate_range(p, "alice", 1234);
  EXPECT_EQ(by_uid.outer, 165536u);
  EXPECT_EQ(by_uid.count, 65536u);
  IdRange by_name = find_subordinate_range(p, "bob", 4321);
  EXPECT_EQ(by_name.outer, 100000u);
  EXPECT_EQ(find_subordinate_range(p, "carol", 999).count, 0u);
  fs::remove(p);
}

}  // namespace
}  // namespace bbox::vm

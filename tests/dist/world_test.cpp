// The world of a process from torchrun's environment variables (bad values named with what would
// be accepted), and a Gloo process group of 2 processes on loopback that all-reduces.
#include "dist/world.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <string>

#include <torch/torch.h>

#include "core/errors.h"
#include "dist/group.h"

namespace hwnas::dist {
namespace {

using ::testing::HasSubstr;

GetEnv Env(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    const auto it = vars.find(name);
    return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
}

std::string UsageMessage(const std::map<std::string, std::string>& vars) {
  try {
    WorldFromEnvironment(Env(vars));
  } catch (const UsageError& e) {
    return e.what();
  }
  return "no error";
}

TEST(WorldTest, WithoutTheVariablesAProcessIsAWorldOfOne) {
  const World world = WorldFromEnvironment(Env({}));
  EXPECT_EQ(world.world_size, 1);
  EXPECT_EQ(world.rank, 0);
  EXPECT_FALSE(world.distributed());
  EXPECT_TRUE(world.leader());
}

TEST(WorldTest, TorchrunsVariablesGiveRankSizeAndRendezvous) {
  const World world = WorldFromEnvironment(Env({{"WORLD_SIZE", "4"},
                                                {"RANK", "3"},
                                                {"LOCAL_RANK", "1"},
                                                {"MASTER_ADDR", "10.0.0.2"},
                                                {"MASTER_PORT", "29601"}}));
  EXPECT_EQ(world.world_size, 4);
  EXPECT_EQ(world.rank, 3);
  EXPECT_EQ(world.local_rank, 1);
  EXPECT_EQ(world.master_addr, "10.0.0.2");
  EXPECT_EQ(world.master_port, 29601);
  EXPECT_FALSE(world.leader());
}

TEST(WorldTest, BadVariablesAreNamedWithWhatWouldBeAccepted) {
  EXPECT_EQ(UsageMessage({{"WORLD_SIZE", "two"}}),
            "environment variable WORLD_SIZE='two': expected an integer in [1, 1048576]");
  EXPECT_EQ(UsageMessage({{"WORLD_SIZE", "2"}, {"RANK", "2"}, {"MASTER_ADDR", "127.0.0.1"}}),
            "environment variable RANK='2': expected an integer in [0, 1]");
  EXPECT_THAT(UsageMessage({{"WORLD_SIZE", "2"}, {"MASTER_ADDR", "127.0.0.1"}}),
              HasSubstr("environment variable RANK is not set; WORLD_SIZE=2 needs"));
  EXPECT_THAT(UsageMessage({{"WORLD_SIZE", "2"}, {"RANK", "0"}}),
              HasSubstr("environment variable MASTER_ADDR is not set"));
  EXPECT_EQ(UsageMessage({{"WORLD_SIZE", "2"},
                          {"RANK", "0"},
                          {"MASTER_ADDR", "127.0.0.1"},
                          {"MASTER_PORT", "70000"}}),
            "environment variable MASTER_PORT='70000': expected an integer in [1, 65535]");
}

// Rank 1 runs in a child process; both all-reduce rank + 1 and must see 1 + 2 = 3.
TEST(ProcessGroupTest, TwoRanksOnLoopbackAllReduce) {
  const int port = 29700 + static_cast<int>(::getpid() % 200);
  const auto reduce = [port](int rank) {
    World world;
    world.world_size = 2, world.rank = rank, world.master_port = port;
    auto group = Group::Join(world, std::chrono::seconds(30));
    at::Tensor sum = torch::full({3}, static_cast<float>(rank + 1));
    group->Sum(sum, "the test's all-reduce");
    group->Leave();
    return sum;
  };
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const at::Tensor sum = reduce(1);
    ::_exit(torch::equal(sum, torch::full({3}, 3.0f)) ? 0 : 1);
  }
  const at::Tensor sum = reduce(0);
  int status = 0;
  ::waitpid(child, &status, 0);
  EXPECT_TRUE(torch::equal(sum, torch::full({3}, 3.0f))) << sum;
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

}  // namespace
}  // namespace hwnas::dist

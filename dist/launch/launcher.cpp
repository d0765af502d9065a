#include "dist/launch/launcher.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <optional>
#include <thread>

#include "core/errors.h"

extern char** environ;

namespace hwnas::dist {
namespace {

volatile sig_atomic_t forwarded_signal = 0;
void RememberSignal(int signal) { forwarded_signal = signal; }

// A port the kernel considers free now (rank 0 binds it a moment later).
int FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  const bool ok = fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&address), size) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) == 0;
  const int error = errno;
  if (fd >= 0) ::close(fd);
  if (!ok)
    throw IoError(std::string("hwnas launch: no free port on 127.0.0.1: ") + std::strerror(error));
  return ntohs(address.sin_port);
}

struct Rank {
  int rank = 0;
  pid_t pid = 0;
  bool running = true;
  int exit_code = 0;
};

pid_t Start(const LaunchOptions& o, int rank, int local_rank, const std::string& addr, int port) {
  const int world = o.nproc * o.nnodes;
  const std::vector<std::pair<std::string, std::string>> job = {
      {"RANK", std::to_string(rank)},
      {"LOCAL_RANK", std::to_string(local_rank)},
      {"WORLD_SIZE", std::to_string(world)},
      {"LOCAL_WORLD_SIZE", std::to_string(o.nproc)},
      {"MASTER_ADDR", addr},
      {"MASTER_PORT", std::to_string(port)},
      {"HWNAS_DIST_TIMEOUT", std::to_string(o.timeout_seconds)}};
  // The environment minus any of these the shell exported (getenv would see those first).
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry(*e);
    bool replaced = false;
    for (const auto& variable : job) replaced |= entry.rfind(variable.first + "=", 0) == 0;
    if (!replaced) env.push_back(entry);
  }
  for (const auto& [name, value] : job) env.push_back(name + "=" + value);
  std::vector<char*> argv, envp;
  for (const std::string& a : o.command) argv.push_back(const_cast<char*>(a.c_str()));
  for (const std::string& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  argv.push_back(nullptr);
  envp.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) throw IoError(std::string("hwnas launch: fork failed: ") + std::strerror(errno));
  if (pid == 0) {
    // Its own process group: Ctrl-C on the terminal reaches the launcher alone, which passes it
    // on once (rank 0 takes a second Ctrl-C as "quit at once").
    ::setpgid(0, 0);
    ::execve(argv[0], argv.data(), envp.data());
    std::fprintf(stderr, "hwnas launch: cannot run %s: %s\n", argv[0], std::strerror(errno));
    ::_exit(127);
  }
  return pid;
}

int ExitCodeOf(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string HowItEnded(const Rank& r, int status) {
  if (WIFSIGNALED(status))
    return "rank " + std::to_string(r.rank) + " (pid " + std::to_string(r.pid) +
           ") was killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
           strsignal(WTERMSIG(status)) + ")";
  return "rank " + std::to_string(r.rank) + " (pid " + std::to_string(r.pid) +
         ") exited with code " + std::to_string(WEXITSTATUS(status));
}

}  // namespace

void ParseMaster(const std::string& text, LaunchOptions& options) {
  const size_t colon = text.rfind(':');
  int port = 0;
  try {
    size_t used = 0;
    if (colon != std::string::npos) port = std::stoi(text.substr(colon + 1), &used);
    if (used != text.size() - colon - 1) port = 0;
  } catch (const std::exception&) {
    port = 0;
  }
  if (colon == std::string::npos || colon == 0 || port < 1 || port > 65535)
    throw UsageError("--master '" + text + "': expected ADDR:PORT, e.g. 10.0.0.1:29500");
  options.master_addr = text.substr(0, colon);
  options.master_port = port;
}

int Launch(const LaunchOptions& o) {
  if (o.nnodes > 1 && o.master_addr.empty())
    throw UsageError("--nnodes " + std::to_string(o.nnodes) +
                     " needs --master ADDR:PORT, the address of node 0 (where rank 0 runs)");
  const std::string addr = o.master_addr.empty() ? "127.0.0.1" : o.master_addr;
  const int port = o.master_addr.empty() ? FreePort() : o.master_port;
  struct sigaction forward {};
  forward.sa_handler = RememberSignal;
  ::sigaction(SIGINT, &forward, nullptr);
  ::sigaction(SIGTERM, &forward, nullptr);
  std::vector<Rank> ranks;
  for (int i = 0; i < o.nproc; ++i) {
    const int rank = o.node_rank * o.nproc + i;
    ranks.push_back({rank, Start(o, rank, i, addr, port)});
  }
  using Clock = std::chrono::steady_clock;
  std::optional<Clock::time_point> deadline;
  int result = 0, running = o.nproc;
  while (running > 0) {
    if (forwarded_signal != 0) {
      for (const Rank& r : ranks)
        if (r.running) ::kill(r.pid, forwarded_signal);
      forwarded_signal = 0;
    }
    if (deadline && Clock::now() > *deadline) {
      for (const Rank& r : ranks)
        if (r.running) ::kill(r.pid, SIGKILL);
    }
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid <= 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    for (Rank& r : ranks) {
      if (r.pid != pid) continue;
      r.running = false, --running;
      r.exit_code = ExitCodeOf(status);
      if (r.exit_code == 0) break;
      std::fprintf(stderr, "hwnas launch: %s\n", HowItEnded(r, status).c_str());
      if (result == 0 || r.rank == 0) result = r.exit_code;
      if (!deadline) deadline = Clock::now() + std::chrono::seconds(o.timeout_seconds + 10);
    }
  }
  return result;
}

}  // namespace hwnas::dist

// Helpers for end-to-end tests: shell commands and `greenchannel serve` as a child process.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <regex>
#include <string>
#include <thread>
#include <vector>

namespace gc::test {

namespace fs = std::filesystem;

struct CommandResult {
  int status = -1;
  std::string out;
};

// Runs a shell command, capturing stdout (stderr passes through to the test log).
inline CommandResult run(const std::string& command) {
  CommandResult result;
  FILE* pipe = ::popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::array<char, 4096> buffer{};
  std::size_t n = 0;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) {
    result.out.append(buffer.data(), n);
  }
  const int status = ::pclose(pipe);
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

inline std::string quote(const std::string& s) {
  return "'" + s + "'";
}

// `greenchannel serve` as a child process; its stdout is read on a thread (so the pipe never
// fills and blocks the server) and kept for assertions.
class ServeProcess {
 public:
  // `extra` are further serve options; --insecure (plain TCP on loopback) unless `tls`, and an
  // ephemeral station port (parallel tests must not collide on 8443) are always passed.
  explicit ServeProcess(const fs::path& db, const std::string& listen = "127.0.0.1:0",
                        std::vector<std::string> extra = {}, bool tls = false,
                        const std::string& program = GC_CLI_PATH) {
    // Everything the child needs is built before fork(): other threads may hold the heap lock.
    std::vector<std::string> args = {
        program,     "serve", "--listen",         listen,       "--db", db.string(),
        "--threads", "2",     "--station-listen", "127.0.0.1:0"};
    if (!tls) args.push_back("--insecure");
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::dup2(fds[1], STDOUT_FILENO);
      ::close(fds[0]);
      ::close(fds[1]);
      ::execv(argv[0], argv.data());
      std::_Exit(127);
    }
    ::close(fds[1]);
    out_ = ::fdopen(fds[0], "r");
    REQUIRE(out_ != nullptr);
    // First line: "listening on 127.0.0.1:PORT".
    char line[512];
    REQUIRE(std::fgets(line, sizeof line, out_) != nullptr);
    std::smatch match;
    const std::string first(line);
    REQUIRE(std::regex_search(first, match, std::regex(R"(listening on 127\.0\.0\.1:(\d+))")));
    port_ = std::stoi(match[1].str());
    reader_ = std::thread([this] {
      char buffer[1024];
      while (std::fgets(buffer, sizeof buffer, out_) != nullptr) {
        std::lock_guard lock(mutex_);
        lines_.emplace_back(buffer);
      }
    });
  }
  ~ServeProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (reader_.joinable()) reader_.join();
    if (out_ != nullptr) std::fclose(out_);
  }
  int port() const { return port_; }
  void kill_hard() {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  bool alive() { return ::waitpid(pid_, nullptr, WNOHANG) == 0; }
  // SIGTERM, then the exit status (or -1 if it did not exit normally within the timeout).
  int terminate(std::chrono::seconds timeout) {
    REQUIRE(::kill(pid_, SIGTERM) == 0);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    int status = 0;
    while (std::chrono::steady_clock::now() < deadline) {
      const pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        pid_ = -1;
        reader_.join();
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1;
  }
  std::string output() {
    std::lock_guard lock(mutex_);
    std::string all;
    for (const auto& l : lines_) all += l;
    return all;
  }

 private:
  pid_t pid_ = -1;
  FILE* out_ = nullptr;
  int port_ = 0;
  std::thread reader_;
  std::mutex mutex_;
  std::vector<std::string> lines_;
};

// The reading station's port a serve printed ("… station on http(s)://127.0.0.1:PORT").
inline int station_port(ServeProcess& node) {
  for (int i = 0; i < 500; ++i) {
    std::smatch m;
    const std::string out = node.output();
    if (std::regex_search(out, m, std::regex(R"(station on https?://127\.0\.0\.1:(\d+))"))) {
      return std::stoi(m[1].str());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  FAIL("serve did not print its station port:\n" << node.output());
  return 0;
}

}  // namespace gc::test
